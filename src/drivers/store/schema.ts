/**
 * The store's schema, versioned with `PRAGMA user_version`. Migrations only
 * ever append; each runs in one transaction. A database with a higher version
 * than the last migration here was written by a newer badgeclock and is not
 * opened at all.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: taps, sessions and the outbox of pending sheet writes.
  `
  CREATE TABLE taps (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,           -- UTC ms
    card    TEXT    NOT NULL,
    reader  TEXT    NOT NULL,
    outcome TEXT    NOT NULL,           -- clock-in | clock-out | ignored | unknown
    session TEXT
  );
  CREATE INDEX taps_at ON taps (at);

  CREATE TABLE sessions (
    id      TEXT    PRIMARY KEY,
    card    TEXT    NOT NULL,
    name    TEXT,
    in_at   INTEGER NOT NULL,
    out_at  INTEGER,
    status  TEXT    NOT NULL CHECK (status IN ('in', 'out', 'auto')),
    reason  TEXT,                       -- limit | cutoff, for auto
    reader  TEXT    NOT NULL,
    CHECK ((status = 'in') = (out_at IS NULL)),
    CHECK (out_at IS NULL OR out_at >= in_at)
  );
  CREATE INDEX sessions_open ON sessions (status) WHERE status = 'in';
  CREATE INDEX sessions_in_at ON sessions (in_at);
  CREATE INDEX sessions_card ON sessions (card, in_at);

  CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE, -- idempotency key
    kind       TEXT    NOT NULL,
    card       TEXT,
    payload    TEXT    NOT NULL,        -- JSON of the entry
    created_at INTEGER NOT NULL,
    done_at    INTEGER
  );
  CREATE INDEX outbox_pending ON outbox (seq) WHERE done_at IS NULL;
  `,
  // 2: sessions taken on an unsynchronised system clock, and whether they were corrected.
  `
  ALTER TABLE sessions ADD COLUMN clock TEXT CHECK (clock IN ('unsynced', 'corrected'));
  `,
  // 3: what a restart must not forget (a card still on the reader; the monotonic times of
  // sessions taken on an unsynchronised clock, valid within one boot), and outbox entries
  // the sheet refused for good, set aside with the reason.
  `
  CREATE TABLE sightings (
    card    TEXT    PRIMARY KEY,        -- the raw id a reader reported
    at      INTEGER NOT NULL,           -- UTC ms of its last sighting
    reader  TEXT    NOT NULL
  );
  ALTER TABLE sessions ADD COLUMN in_mono  INTEGER; -- monotonic ms of an unsynced clock-in
  ALTER TABLE sessions ADD COLUMN out_mono INTEGER; -- and of an unsynced clock-out
  ALTER TABLE sessions ADD COLUMN boot     TEXT;    -- the boot those monotonic times belong to
  ALTER TABLE outbox ADD COLUMN failure TEXT;       -- set aside: why the sheet refused it for good
  CREATE INDEX outbox_set_aside ON outbox (done_at) WHERE failure IS NOT NULL;
  `,
  // 4: what a restart reads stays as quick after years as after a week: the few sessions
  // without a name, those still to correct, and the cards listed, each by an index of its own.
  `
  CREATE INDEX sessions_unnamed ON sessions (card) WHERE name IS NULL;
  CREATE INDEX sessions_unsynced ON sessions (boot) WHERE clock = 'unsynced';
  CREATE INDEX outbox_listed ON outbox (card) WHERE kind = 'card-listed';
  `,
  // 5: enrolment at the reader (rule 14), every step of it; and the reader of a clock-out
  // taken at another reader than the clock-in (rule 15).
  `
  CREATE TABLE enrolments (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,           -- UTC ms
    reader  TEXT    NOT NULL,
    step    TEXT    NOT NULL CHECK (step IN ('opened', 'listed', 'chosen', 'aliased', 'refused', 'closed')),
    card    TEXT    NOT NULL,           -- the card the step is about (the admin card: opened, closed)
    name    TEXT,                       -- listed: the placeholder name
    target  TEXT,                       -- aliased: the person's card the alias belongs to
    reason  TEXT,                       -- refused, closed
    tap     INTEGER,                    -- the tap it came from (taps.id)
    seen_at INTEGER                     -- listed, aliased: when People first showed it
  );
  CREATE INDEX enrolments_step ON enrolments (step, seen_at);
  ALTER TABLE sessions ADD COLUMN out_reader TEXT; -- the clock-out's, when not the clock-in's
  `,
  // 6: the manager's side (rule 13). Corrections are records of their own beside the raw taps:
  // each asked-for change, applied or rejected and why; the session keeps its clock times and
  // gets the corrected ones beside them. A hash chain over taps and corrections shows the
  // record whole, or where it was changed.
  `
  CREATE TABLE corrections (
    id      INTEGER PRIMARY KEY,
    seen_at INTEGER NOT NULL,           -- UTC ms the clock saw (or was given) the change
    session TEXT    NOT NULL,
    card    TEXT    NOT NULL,
    field   TEXT    NOT NULL CHECK (field IN ('in', 'out', 'status')),
    old     TEXT,                       -- before: an ISO-8601 instant, or a status
    new     TEXT,                       -- asked for: an ISO-8601 instant, a status, or the text typed
    applied INTEGER NOT NULL CHECK (applied IN (0, 1)),
    reason  TEXT,                       -- rejected: what is wrong with it
    source  TEXT    NOT NULL CHECK (source IN ('sheet', 'fix')),
    why     TEXT,                       -- fix --why
    request INTEGER                     -- fix_requests.id it answers
  );
  CREATE INDEX corrections_session ON corrections (session);
  CREATE INDEX corrections_request ON corrections (request) WHERE request IS NOT NULL;
  -- \`badgeclock fix\` asks here; the clock (running, or the command itself) judges each in turn.
  CREATE TABLE fix_requests (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,           -- UTC ms it was asked
    session TEXT    NOT NULL,
    in_at   INTEGER,                    -- --in
    out_at  INTEGER,                    -- --out
    void    INTEGER NOT NULL DEFAULT 0, -- --void
    why     TEXT    NOT NULL,
    done_at INTEGER                     -- judged (the corrections rows say how)
  );
  CREATE INDEX fix_requests_pending ON fix_requests (id) WHERE done_at IS NULL;
  ALTER TABLE sessions ADD COLUMN fixed_in  INTEGER; -- corrected clock-in, when a correction applied
  ALTER TABLE sessions ADD COLUMN fixed_out INTEGER; -- corrected clock-out
  ALTER TABLE sessions ADD COLUMN voided    INTEGER NOT NULL DEFAULT 0; -- 1: out of every total

  CREATE TABLE chain (
    seq  INTEGER PRIMARY KEY,           -- 1, 2, 3, … with no gap
    kind TEXT    NOT NULL CHECK (kind IN ('tap', 'correction')),
    ref  INTEGER NOT NULL,              -- taps.id or corrections.id
    hash TEXT    NOT NULL               -- hex SHA-256 of the previous hash and the record
  );
  CREATE UNIQUE INDEX chain_ref ON chain (kind, ref);
  `,
  // 7: doors sharing taps through an MQTT broker (docs/multi-door.md). Another door's tap is a
  // row of \`taps\` like this door's own, with its site-wide id; it waits in the inbox (written
  // before the broker is acknowledged, so nothing received is lost) until the core folds it, or
  // is marked late there for the replay. This door's own taps are published in id order; the
  // cursor is the last one the broker acknowledged.
  `
  ALTER TABLE taps ADD COLUMN origin TEXT;  -- another door's tap: "<door>:<seq>"
  CREATE UNIQUE INDEX taps_origin ON taps (origin) WHERE origin IS NOT NULL;
  CREATE TABLE mqtt_inbox (
    id          TEXT    PRIMARY KEY,    -- "<door>:<seq>": every copy of it after the first is dropped
    door        TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    card        TEXT    NOT NULL,
    reader      TEXT    NOT NULL,
    at          INTEGER NOT NULL,       -- that door's wall clock, UTC ms
    received_at INTEGER NOT NULL,
    folded_at   INTEGER,                -- taken in by the core (set to the tap time; taps has its outcome)
    late_at     INTEGER,                -- came after a later event of its person: kept for the refold
    person      TEXT                    -- with late_at: the person's card it was late for
  );
  CREATE INDEX mqtt_inbox_late ON mqtt_inbox (person) WHERE late_at IS NOT NULL AND folded_at IS NULL;
  -- A refold reads one person's taps since an instant.
  CREATE INDEX taps_card ON taps (card, at);
  CREATE INDEX mqtt_inbox_waiting ON mqtt_inbox (received_at, id) WHERE folded_at IS NULL AND late_at IS NULL;
  CREATE INDEX mqtt_inbox_door ON mqtt_inbox (door, received_at);
  -- A person's sessions folded again after a late tap (streams/refold.ts): what changed, so the
  -- answers the merged log contradicted are on record and counted. A superseded session is
  -- voided (out of every total) and keeps its row.
  ALTER TABLE sessions ADD COLUMN superseded_at INTEGER;
  CREATE TABLE merge_changes (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,           -- UTC ms of the refold
    session TEXT    NOT NULL,
    card    TEXT    NOT NULL,
    change  TEXT    NOT NULL CHECK (change IN ('added', 'changed', 'superseded')),
    before  TEXT,                       -- JSON of the session before (changed, superseded)
    after   TEXT                        -- JSON of the session after (added, changed)
  );
  CREATE INDEX merge_changes_session ON merge_changes (session);
  -- Each other door's last word on its state topic (online with its backlog, or offline).
  CREATE TABLE mqtt_doors (
    door        TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL CHECK (state IN ('online', 'offline')),
    at          INTEGER,                -- that door's time of it (null for its will)
    backlog     INTEGER,                -- its taps not yet acknowledged by the broker, when it said
    received_at INTEGER NOT NULL
  );
  CREATE TABLE mqtt_cursor (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    published INTEGER NOT NULL          -- taps.id of this door's last tap the broker acknowledged
  );
  `,
  // 8: a manager's corrections shared from the hub to the doors (docs/multi-door.md). Each
  // correction applied here and not received is kept to share (the hub publishes them, in seq
  // order after its cursor); a door keeps each one received (before the broker hears it came)
  // until its core applies it, which it does once the door has the session.
  `
  CREATE TABLE shared_corrections (
    seq     INTEGER PRIMARY KEY,        -- the message's id is "hub:<seq>:<hash of payload>"
    payload TEXT    NOT NULL            -- the judged correction, as JSON (correctionMessages.ts)
  );
  CREATE TABLE corrections_cursor (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    published INTEGER NOT NULL          -- shared_corrections.seq the broker last acknowledged
  );
  CREATE TABLE corrections_inbox (
    id          TEXT    PRIMARY KEY,    -- "hub:<seq>:<hash>": every copy after the first is dropped
    session     TEXT    NOT NULL,
    payload     TEXT    NOT NULL,       -- the message as it came
    received_at INTEGER NOT NULL,
    applied_at  INTEGER,                -- taken in by the core (corrections has its rows)
    refold_person TEXT,                 -- it closed a session not open here: the person's refold
    refold_at   INTEGER                 -- asked from then, until a refold of theirs commits
  );
  CREATE INDEX corrections_inbox_waiting ON corrections_inbox (session) WHERE applied_at IS NULL;
  CREATE INDEX corrections_inbox_refold ON corrections_inbox (refold_person) WHERE refold_at IS NOT NULL;
  `,
  // 9: the wall time of this door's last stored activity (a tap at its readers, or a held
  // card's sighting), in the order stored: a restart tells a card still on the reader by it
  // (streams/sightings.ts), and the latest wall time is not the last one after a step back.
  // It starts as that latest time, which is what a restart compared with until now.
  `
  CREATE TABLE last_activity (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    at  INTEGER NOT NULL                -- UTC ms, as the wall clock gave it
  );
  INSERT INTO last_activity (one, at)
    SELECT 1, max(at) FROM (SELECT max(at) AS at FROM taps WHERE origin IS NULL
      UNION ALL SELECT max(at) FROM sightings) HAVING max(at) IS NOT NULL;
  `,
  // 10: which corrections a refold saw, for the order of the two: a refold speaks for a
  // session's close only after the corrections its history was read with (CLOSED_BY_FIX), and
  // answers only the refolds those asked (refoldCommitted). Times cannot tell: a door's refold
  // runs on its clock, a shared correction carries the hub's, and a history read before a
  // correction may be folded after it. Rows from before count as having seen the corrections
  // of their session made by then, which is how the two were told apart until now.
  `
  ALTER TABLE merge_changes ADD COLUMN corrections_seen INTEGER NOT NULL DEFAULT 0;
  UPDATE merge_changes SET corrections_seen = coalesce((SELECT max(c.id) FROM corrections c
    WHERE c.session = merge_changes.session AND c.seen_at <= merge_changes.at), 0);
  ALTER TABLE corrections_inbox ADD COLUMN correction INTEGER; -- corrections.id that applied it
  `,
  // 11: each card's last accepted tap, in the order accepted (accepted.ts): the guard after a
  // restart. It starts as each card's latest time, which is what a restart took until now.
  `
  CREATE TABLE accepted (
    card TEXT    PRIMARY KEY,           -- the person's card, as sessions keep it
    at   INTEGER NOT NULL,              -- UTC ms of the tap, as the reader's wall clock gave it
    mono INTEGER,                       -- its monotonic ms, when the step had one
    boot TEXT                           -- the boot that monotonic time belongs to
  );
  INSERT INTO accepted (card, at)
    SELECT card, max(CASE WHEN status = 'out' THEN out_at ELSE in_at END) FROM sessions
    WHERE superseded_at IS NULL GROUP BY card;
  `,
  // 12: when the manager named a card listed at the reader (rule 5): until then its placeholder
  // is no name, and its rows showing it take the name People gives it. Cards listed before
  // count as not named yet: the first People read after the upgrade names those it names.
  `
  ALTER TABLE enrolments ADD COLUMN named_at INTEGER; -- listed: when People gave it a name
  `,
  // 13: enrolment open at a reader when the clock stopped (rule 14): the monotonic time of its
  // opening or choosing step, so a restart in the same boot keeps it for the rest of its 30 s.
  `
  ALTER TABLE enrolments ADD COLUMN mono INTEGER; -- opened, chosen: the tap's monotonic ms
  ALTER TABLE enrolments ADD COLUMN boot TEXT;    -- the boot that monotonic time belongs to
  CREATE INDEX enrolments_reader ON enrolments (reader, id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
