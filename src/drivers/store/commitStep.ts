/**
 * Committing one reducer step: which events and commands the store writes,
 * and how each one is written (a tap and its outcome, a session opened,
 * closed or corrected, a card followed or named, a held card, an outbox
 * entry marked done or added), all in one transaction.
 */
import type { Commit, OutboxEntry } from '../../../streams/commit';
import type {
  AutoClockedOut,
  ClockedIn,
  ClockedOut,
  Command,
  CorrectTimes,
  DomainEvent,
  Enrolment,
  FollowCard,
  KeepSighting,
  NameCard,
} from '../../../streams/events';
import { noteAccepted } from './accepted';
import { chainRecord } from './chain';
import { writeCorrection } from './corrections';
import { markFolded, markLate } from './mqttQueries';
import { writeRefold } from './refoldHistory';
import { markKeysDone } from './outboxQueries';
import type { Statements } from './statements';

/** The commands the store writes (the others are for the sheet). */
const STORED_COMMANDS: ReadonlySet<Command['type']> = new Set<Command['type']>([
  'markDone',
  'correctTimes',
  'followCard',
  'keepSighting',
  'nameCard',
  'enrolmentSeen',
]);

/**
 * The events the store writes. The others (a tap's outcome, sync reports) are
 * kept only through the tap they belong to, or not at all.
 */
const STORED_EVENTS: ReadonlySet<DomainEvent['type']> = new Set<DomainEvent['type']>([
  'tap',
  'tap-late',
  'refolded',
  'clock-in',
  'clock-out',
  'auto-out',
  'enrol',
  'correction',
]);

/** Whether a commit has anything for the store: a stored event or command, or an outbox entry. */
export const writesSomething = (commit: Commit): boolean =>
  commit.events.some((event) => STORED_EVENTS.has(event.type)) ||
  commit.outbox.length > 0 ||
  commit.commands.some((command) => STORED_COMMANDS.has(command.type));

/** The events that change a session's times, name, card or status (what totals are made of). */
const SESSION_EVENTS: ReadonlySet<DomainEvent['type']> = new Set<DomainEvent['type']>([
  'refolded',
  'clock-in',
  'clock-out',
  'auto-out',
  'correction',
]);

/**
 * Whether a commit may change what the sessions add up to: a session opened,
 * closed, corrected, named, moved to another card or its times corrected.
 * Most commits (an outbox entry done, a held card's sighting) do not.
 */
export const changesSessions = (commit: Commit): boolean =>
  commit.events.some((event) => SESSION_EVENTS.has(event.type)) ||
  commit.commands.some(
    (c) => c.type === 'correctTimes' || c.type === 'followCard' || c.type === 'nameCard',
  );

/** The row id of the step's tap, which the events after it give their outcome to. */
type TapId = number | bigint | null;

/**
 * Commits one reducer step in one transaction: all of it, or none of it.
 * `boot` names the boot the step's monotonic times belong to; `link` chains each
 * tap (the bench passes a no-op to measure what chaining costs).
 */
export function commitStep(
  sql: Statements,
  commit: Commit,
  now: number,
  boot: string | null,
  link: typeof chainRecord = chainRecord,
): void {
  sql.transaction(() => {
    let tapId: TapId = null;
    const taps: (number | bigint)[] = [];
    const corrections: number[] = [];
    for (const event of commit.events) {
      if (event.type === 'correction') corrections.push(...writeCorrection(sql, event));
      else if (event.type === 'refolded') taps.push(...writeRefold(sql, event));
      else tapId = writeEvent(sql, event, tapId, boot);
      if (event.type === 'tap' && tapId !== null) taps.push(tapId);
    }
    for (const command of commit.commands) writeCommand(sql, command);
    addToOutbox(sql, commit.outbox, now);
    // Last: a tap's row is final once its outcome is written, and is never changed after (rule 13).
    for (const tap of taps) link(sql, 'tap', tap);
    for (const correction of corrections) link(sql, 'correction', correction);
  });
}

/** Writes one event of the step; returns the tap the events after it belong to. */
function writeEvent(sql: Statements, event: DomainEvent, tapId: TapId, boot: string | null): TapId {
  // An event type that writes here must be in STORED_EVENTS, a command in STORED_COMMANDS.
  switch (event.type) {
    case 'tap': {
      const id = sql
        .stmt('INSERT INTO taps (at, card, reader, outcome, origin) VALUES (?, ?, ?, ?, ?)')
        .run(event.at, event.card, event.reader, 'tap', event.origin ?? null).lastInsertRowid;
      // Another door's tap leaves the inbox in the transaction that folds it.
      if (event.origin !== undefined) markFolded(sql, event.origin, event.at);
      else storeActivity(sql, event.at);
      return id;
    }
    case 'tap-late':
      markLate(sql, event.origin, event.card, event.at);
      break;
    case 'clock-in':
      clockIn(sql, event, tapId, boot);
      break;
    case 'clock-out':
      clockOut(sql, event, tapId, boot);
      break;
    case 'auto-out':
      autoOut(sql, event, boot);
      break;
    case 'ignored':
    case 'unknown':
      outcome(sql, tapId, event.type, null);
      break;
    case 'enrol':
      enrolmentStep(sql, event, tapId, boot);
      break;
    case 'reader-fault':
      break;
  }
  return tapId;
}

function clockIn(sql: Statements, event: ClockedIn, tapId: TapId, boot: string | null): void {
  sql
    .stmt(
      "INSERT INTO sessions (id, card, name, in_at, status, reader, clock, in_mono, boot) VALUES (?, ?, ?, ?, 'in', ?, ?, ?, ?)",
    )
    .run(
      event.session,
      event.card,
      event.name,
      event.at,
      event.reader,
      event.unsynced === true ? 'unsynced' : null,
      event.mono ?? null,
      event.mono === undefined ? null : boot,
    );
  outcome(sql, tapId, 'clock-in', event.session);
  if (tapId !== null) noteAccepted(sql, tapId, event.mono, boot);
}

function clockOut(sql: Statements, event: ClockedOut, tapId: TapId, boot: string | null): void {
  sql
    .stmt(
      "UPDATE sessions SET out_at = ?, status = 'out', name = coalesce(name, ?), clock = coalesce(?, clock), out_reader = ? WHERE id = ?",
    )
    .run(
      event.at,
      event.name,
      event.unsynced === true ? 'unsynced' : null,
      event.inReader === undefined ? null : event.reader,
      event.session,
    );
  closedAtMono(sql, event.session, event.mono, boot);
  outcome(sql, tapId, 'clock-out', event.session);
  // With the tap's monotonic time, so the guard after a restart in this boot ignores wall steps.
  if (tapId !== null) noteAccepted(sql, tapId, event.mono ?? event.tapMono, boot);
}

function autoOut(sql: Statements, event: AutoClockedOut, boot: string | null): void {
  sql
    .stmt("UPDATE sessions SET out_at = ?, status = 'auto', reason = ? WHERE id = ?")
    .run(event.at, event.reason, event.session);
  closedAtMono(sql, event.session, event.mono, boot);
}

/**
 * The monotonic time of an unsynced close, in `boot`. A clock-in's monotonic
 * time from another boot means nothing beside it, so it is dropped.
 */
function closedAtMono(
  sql: Statements,
  session: string,
  mono: number | undefined,
  boot: string | null,
): void {
  if (mono === undefined) return;
  sql
    .stmt(
      'UPDATE sessions SET out_mono = ?, in_mono = CASE WHEN boot IS ? THEN in_mono END, boot = ? WHERE id = ?',
    )
    .run(mono, boot, boot, session);
}

/** Records what the step's tap came to (and its session), when the step has a tap. */
function outcome(sql: Statements, tapId: TapId, result: string, session: string | null): void {
  if (tapId === null) return;
  sql
    .stmt('UPDATE taps SET outcome = ?, session = coalesce(?, session) WHERE id = ?')
    .run(result, session, tapId);
}

/**
 * Every enrolment step is kept, with the tap it came from (an automatic close has none), and
 * the monotonic time of one that leaves the mode open, in `boot` (a restart's honest timer).
 */
function enrolmentStep(sql: Statements, event: Enrolment, tapId: TapId, boot: string | null): void {
  sql
    .stmt(
      'INSERT INTO enrolments (at, reader, step, card, name, target, reason, tap, mono, boot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      event.at,
      event.reader,
      event.step,
      event.card,
      event.step === 'listed' ? event.name : null,
      event.target ?? null,
      event.reason ?? null,
      event.step === 'closed' && event.reason !== 'admin card' ? null : tapId,
      event.mono ?? null,
      event.mono === undefined ? null : boot,
    );
  outcome(sql, tapId, 'enrol', null);
}

/** Writes one command of the step, if it is one for the store. */
function writeCommand(sql: Statements, command: Command): void {
  if (command.type === 'markDone') {
    markKeysDone(sql, command.keys, command.at, command.failure);
  } else if (command.type === 'correctTimes') {
    correctTimes(sql, command);
  } else if (command.type === 'followCard') {
    followCard(sql, command);
  } else if (command.type === 'keepSighting') {
    keepSighting(sql, command);
  } else if (command.type === 'nameCard') {
    nameCard(sql, command);
  } else if (command.type === 'enrolmentSeen') {
    sql
      .stmt(
        "UPDATE enrolments SET seen_at = ? WHERE card = ? AND step IN ('listed', 'aliased') AND seen_at IS NULL",
      )
      .run(command.at, command.card);
  }
}

function correctTimes(sql: Statements, command: CorrectTimes): void {
  // A closed session's correction carries both ends. Should one ever come with the
  // clock-in alone, its clock-out is clamped to it rather than break the CHECK
  // (out_at >= in_at) and stop the clock: defensive, the reducer never sends that.
  const fix = sql.stmt(
    `UPDATE sessions SET in_at = ?,
       out_at = CASE WHEN coalesce(?, out_at) IS NULL THEN NULL ELSE max(?, coalesce(?, out_at)) END,
       clock = 'corrected'
     WHERE id = ?`,
  );
  for (const session of command.sessions)
    fix.run(session.inAt, session.outAt, session.inAt, session.outAt, session.session);
}

function followCard(sql: Statements, command: FollowCard): void {
  sql.stmt('UPDATE sessions SET card = ? WHERE id = ?').run(command.card, command.session);
}

function keepSighting(sql: Statements, command: KeepSighting): void {
  sql
    .stmt(
      'INSERT INTO sightings (card, at, reader) VALUES (?, ?, ?) ON CONFLICT (card) DO UPDATE SET at = excluded.at, reader = excluded.reader',
    )
    .run(command.card, command.at, command.reader);
  storeActivity(sql, command.at);
}

/** This door's last activity, in the order stored (migration 9): a restart's "held card" test. */
function storeActivity(sql: Statements, at: number): void {
  sql
    .stmt(
      'INSERT INTO last_activity (one, at) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET at = excluded.at',
    )
    .run(at);
}

/** The name People gave: into the card's rows without one, or with its placeholder (rule 14). */
function nameCard(sql: Statements, command: NameCard): void {
  sql
    .stmt('UPDATE sessions SET name = ? WHERE card = ? AND (name IS NULL OR name = ?)')
    .run(command.name, command.card, command.placeholder ?? null);
  if (command.placeholder === undefined) return;
  // Named: a restart no longer takes the placeholder for no name.
  sql
    .stmt(
      "UPDATE enrolments SET named_at = ? WHERE card = ? AND step = 'listed' AND named_at IS NULL",
    )
    .run(command.at, command.card);
}

/** Adds the step's outbox entries; a key already there (pending or done) is not added again. */
function addToOutbox(sql: Statements, outbox: readonly OutboxEntry[], now: number): void {
  const insert = sql.stmt(
    'INSERT OR IGNORE INTO outbox (key, kind, card, payload, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (const entry of outbox) {
    insert.run(entry.key, entry.kind, entry.card, JSON.stringify(entry), now);
  }
}
