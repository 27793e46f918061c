/**
 * The invariants, as pure functions of recorded state: each takes what the
 * world recorded (the store's rows, the sheet's rows, the ticks, the
 * requests) and returns what is wrong, one message per finding.
 */
import { toSerial, toSerialDate, toSerialDuration } from '../../streams/zoned';
import type { Expected, Reading, SessionModel } from './sessionModel';
import type { OutboxRow, StoredSession } from './storeView';

/** One second, as a spreadsheet serial (days). */
const SECOND_SERIAL = 1 / 86_400;

// ---- invariant 1: the store's sessions are the model's ------------------------------------

/**
 * The store's sessions against the model's, for sessions clocked in from
 * `since` on. Times must agree within a second; a session whose limit passed
 * less than `graceMs` ago may still be open.
 */
export function storeMatchesModel(
  model: SessionModel,
  stored: readonly StoredSession[],
  now: Reading,
  since: number,
  graceMs: number,
): string[] {
  const problems: string[] = [];
  const byCard = new Map<string, StoredSession[]>();
  for (const s of stored) {
    if (s.inAt < since) continue;
    const list = byCard.get(s.card) ?? [];
    list.push(s);
    byCard.set(s.card, list);
  }
  const matched = new Set<StoredSession>();
  const margin = 60_000;
  for (const session of model.sessions) {
    if (model.excluded.has(session.card)) continue;
    const expected = model.expect(session, now, graceMs);
    if (expected.inAt < since) continue;
    const found = (byCard.get(expected.card) ?? []).find(
      (s) => !matched.has(s) && Math.abs(s.inAt - expected.inAt) <= 1_000,
    );
    if (found === undefined) {
      if (expected.inAt >= since + margin)
        problems.push(`the store has no session for ${describeExpected(expected)}`);
      continue;
    }
    matched.add(found);
    const wrong = compareSession(found, expected);
    if (wrong !== null)
      problems.push(`${found.id}: ${wrong} (the model: ${describeExpected(expected)})`);
  }
  for (const list of byCard.values()) {
    for (const s of list) {
      if (matched.has(s) || model.excluded.has(s.card) || s.inAt < since + margin) continue;
      if (process.env.SIMDEBUG !== undefined)
        process.stderr.write(
          `DBGX store ${JSON.stringify(s)} model: ${JSON.stringify(
            model.sessions
              .filter((m) => m.card === s.card || model.keyOf(m.card) === s.card)
              .slice(-3)
              .map((m) => ({ ...m, exp: model.expect(m, now, graceMs) })),
          )} since ${since}\n`,
        );
      problems.push(
        `the store has a session the taps do not make: ${s.id} ${s.status} in ${iso(s.inAt)}${s.outAt === null ? '' : ` out ${iso(s.outAt)}`}`,
      );
    }
  }
  return problems;
}

function compareSession(s: StoredSession, e: Expected): string | null {
  if (e.status === 'either') {
    if (s.status === 'in') return null;
    if (s.status !== 'auto') return `status ${s.status}, expected in or auto`;
  } else if (s.status !== e.status) {
    return `status ${s.status}, expected ${e.status}`;
  }
  if (e.status === 'in') return null;
  const near = (at: number | undefined): boolean =>
    s.outAt !== null && at !== undefined && Math.abs(s.outAt - at) <= 1_000;
  if (e.outAt === null || !(near(e.outAt) || near(e.alsoOutAt)))
    return `out ${s.outAt === null ? 'none' : iso(s.outAt)}, expected ${e.outAt === null ? 'none' : iso(e.outAt)}${e.alsoOutAt === undefined ? '' : ` or ${iso(e.alsoOutAt)}`}`;
  return null;
}

function describeExpected(e: Expected): string {
  return `${e.card} ${e.status} in ${iso(e.inAt)}${e.outAt === null ? '' : ` out ${iso(e.outAt)}`}`;
}

export function iso(at: number): string {
  return Number.isFinite(at) ? new Date(at).toISOString().replace('.000Z', 'Z') : String(at);
}

// ---- invariant 2: the sheet is the store ----------------------------------------------------

const COLUMNS = { id: 0, date: 1, name: 2, card: 3, in: 4, out: 5, hours: 6, status: 7 } as const;

const text = (cell: unknown): string => (typeof cell === 'string' ? cell : '');
const num = (cell: unknown): number | null => (typeof cell === 'number' ? cell : null);
const near = (a: number | null, b: number, tolerance = SECOND_SERIAL): boolean =>
  a !== null && Math.abs(a - b) <= tolerance;

/** The Log rows that carry a session id (a row the clock marked as a duplicate does not). */
function sessionRows(
  log: readonly (readonly unknown[])[],
): Map<string, { row: number; cells: readonly unknown[] }[]> {
  const rows = new Map<string, { row: number; cells: readonly unknown[] }[]>();
  log.forEach((cells, i) => {
    if (i === 0) return;
    const id = text(cells[COLUMNS.id]);
    if (id === '' || id.endsWith(' (duplicate)')) return;
    const list = rows.get(id) ?? [];
    list.push({ row: i + 1, cells });
    rows.set(id, list);
  });
  return rows;
}

/**
 * What must hold of `Log` at any moment, faults or not: no value written into
 * another session's row (a row's card is its session's, Hours is Out minus In
 * on a closed row), no row for a session the store does not have, and no row
 * a person deleted brought back.
 *
 * One exception, while `settling` (faults in the last minutes): a live update
 * that timed out may land after the session's close and put a running Hours
 * back on the closed row. The clock cannot prevent that (the API has no
 * compare-and-set); it writes the close again once such a write can no longer
 * land. So a closed row's Hours may then be below Out minus In, never above.
 */
export function sheetRowsSound(
  log: readonly (readonly unknown[])[],
  stored: ReadonlyMap<string, StoredSession>,
  deleted: ReadonlySet<string>,
  zone: string,
  settling = false,
  typed: ReadonlyMap<string, TypedEdit> = new Map(),
): string[] {
  const problems: string[] = [];
  for (const [id, rows] of sessionRows(log)) {
    // A time typed and not read back yet (Hours follows it then), or text typed where Out
    // belongs (rejected, and left as typed), is the person's, not a value the clock wrote.
    const edit = typed.get(id);
    const typedHere = edit !== undefined && (!edit.due || edit.kind === 'text');
    if (deleted.has(id))
      problems.push(`Log row ${rows[0]?.row}: session ${id} was deleted by a person and is back`);
    const session = stored.get(id);
    for (const { row, cells } of rows) {
      if (session === undefined) {
        problems.push(`Log row ${row}: session ${id} is not in the store`);
        continue;
      }
      if (text(cells[COLUMNS.card]) !== session.card)
        problems.push(
          `Log row ${row} (${id}): card ${String(cells[COLUMNS.card])}, the session's is ${session.card}`,
        );
      const status = text(cells[COLUMNS.status]);
      if ((status === 'out' || status === 'auto' || status === 'void') && !typedHere) {
        const inSerial = num(cells[COLUMNS.in]);
        const outSerial = num(cells[COLUMNS.out]);
        const hours = num(cells[COLUMNS.hours]);
        if (inSerial === null || outSerial === null || hours === null) {
          problems.push(`Log row ${row} (${id}): closed, but In, Out or Hours is not a number`);
        } else if (
          !hoursFit(hours, inSerial, outSerial, zone) &&
          !(settling && hoursBelow(hours, inSerial, outSerial, zone))
        ) {
          problems.push(
            `Log row ${row} (${id}): Hours ${hoursText(hours)} is not Out - In (${hoursText(outSerial - inSerial)} on the wall clock)`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * The instants a local wall-clock serial can be: one, two in the hour a DST
 * change repeats, none in the hour it skips.
 */
function instantsOf(serial: number, zone: string): number[] {
  const naive = Math.round((serial - 25_569) * 86_400_000);
  const found = new Set<number>();
  for (const probe of [naive - 14 * 3_600_000, naive + 14 * 3_600_000]) {
    const offset = Math.round((toSerial(probe, zone) - (probe / 86_400_000 + 25_569)) * 86_400_000);
    const at = naive - offset;
    if (Math.abs(toSerial(at, zone) - serial) <= SECOND_SERIAL) found.add(at);
  }
  return [...found];
}

/** Hours is the real time between In and Out (their wall-clock serials differ by an hour more or less across a DST change). */
export function hoursFit(
  hours: number,
  inSerial: number,
  outSerial: number,
  zone: string,
): boolean {
  for (const from of instantsOf(inSerial, zone))
    for (const to of instantsOf(outSerial, zone))
      if (near(hours, toSerialDuration(to - from))) return true;
  return false;
}

/** Hours is less than the real time between In and Out (a running value from before the close). */
function hoursBelow(hours: number, inSerial: number, outSerial: number, zone: string): boolean {
  for (const from of instantsOf(inSerial, zone))
    for (const to of instantsOf(outSerial, zone))
      if (hours >= 0 && hours < toSerialDuration(to - from) + SECOND_SERIAL) return true;
  return false;
}

function hoursText(days: number): string {
  const seconds = Math.round(days * 86_400);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

export interface SheetEqualsStoreInput {
  readonly log: readonly (readonly unknown[])[];
  readonly stored: readonly StoredSession[];
  /** Outbox entries pending or set aside. */
  readonly unfinished: readonly OutboxRow[];
  readonly deleted: ReadonlySet<string>;
  readonly zone: string;
  /** The clock's wall time now. */
  readonly now: number;
  /** Entries younger than this (by the clock's wall time) may still be on their way. */
  readonly youngMs: number;
  /** Hours of open rows may lag by this much (the live update is once a minute). */
  readonly liveLagMs: number;
  /**
   * How long an open session has been open on the monotonic clock, when the clock can tell (its
   * clock-in in this boot): live Hours measure it so when the wall clock jumped, else by the wall.
   */
  readonly openForMono?: (session: StoredSession) => number | null;
  /** Corrections a person typed into Log rows, by session (rule 13). */
  readonly typed?: ReadonlyMap<string, TypedEdit>;
}

/** A correction a person typed into a session's Log row. */
export interface TypedEdit {
  /** A valid In or Out, `void` in Status, or text where Out belongs (rejected). */
  readonly kind: 'in' | 'out' | 'void' | 'text';
  /** The instant typed (in, out) or the text (text). */
  readonly value: number | string;
  /** Whether the clock has read the row back since it was typed (and kept its judgement). */
  readonly due: boolean;
  /** Not read back after a long calm while (a read-back round is at most 15 minutes). */
  readonly missed?: boolean;
}

/**
 * What the row of a session shows, corrections applied: the corrected times, Status `void` for
 * a voided session, `out` for an `auto` one whose Out was corrected (the manager decided).
 */
function shown(s: StoredSession): { inAt: number; outAt: number | null; status: string } {
  const status =
    (s.supersededAt ?? null) !== null
      ? 'superseded'
      : s.voided === 1
        ? 'void'
        : s.status === 'auto' && (s.fixedOut ?? null) !== null
          ? 'out'
          : s.status;
  return { inAt: s.fixedIn ?? s.inAt, outAt: s.fixedOut ?? s.outAt, status };
}

/** A typed correction, once due, is the store's: applied if it was right, not if it was text. */
function typedApplied(s: StoredSession, edit: TypedEdit): string | null {
  const near1s = (a: number | null | undefined): boolean =>
    typeof edit.value === 'number' &&
    a !== null &&
    a !== undefined &&
    Math.abs(a - edit.value) <= 1_000;
  switch (edit.kind) {
    case 'in':
      return near1s(s.fixedIn) ? null : `In typed ${iso(Number(edit.value))} was not applied`;
    case 'out':
      return near1s(s.fixedOut) ? null : `Out typed ${iso(Number(edit.value))} was not applied`;
    case 'void':
      return s.voided === 1 ? null : 'void typed in Status was not applied';
    case 'text':
      return (s.fixedOut ?? null) === null ? null : 'text typed in Out changed the session';
  }
}

/**
 * What must hold once faults have been over for a while: the outbox has
 * drained (but for its youngest entries), and every session a person did not
 * delete is exactly one Log row with its In, Out, Hours, Status and Name.
 * Sessions with an entry still on its way, or set aside (the sheet refused
 * it for good), are left out.
 */
export function sheetEqualsStore(input: SheetEqualsStoreInput): string[] {
  const problems: string[] = [];
  const waiting = new Set<string>();
  const namesWaiting = new Set<string>();
  const aside = new Set<string>();
  let stale = 0;
  let oldest: OutboxRow | null = null;
  for (const entry of input.unfinished) {
    if (entry.setAside) {
      if (entry.session !== null) aside.add(entry.session);
      if (entry.card !== null) aside.add(`card:${entry.card}`);
      continue;
    }
    if (entry.session !== null) waiting.add(entry.session);
    if (entry.kind === 'name-filled' && entry.card !== null) namesWaiting.add(entry.card);
    if (input.now - entry.createdAt > input.youngMs) {
      stale += 1;
      oldest ??= entry;
    }
  }
  if (oldest !== null)
    problems.push(
      `${stale} outbox entries are still pending, the oldest ${oldest.key} from ${iso(oldest.createdAt)}`,
    );
  const rows = sessionRows(input.log);
  for (const s of input.stored) {
    if (waiting.has(s.id) || aside.has(s.id) || aside.has(`card:${s.card}`)) continue;
    const found = rows.get(s.id) ?? [];
    if (input.deleted.has(s.id)) continue;
    if (found.length !== 1) {
      problems.push(`session ${s.id} (${s.status}) is on ${found.length} Log rows`);
      continue;
    }
    const { row, cells } = found[0] ?? { row: 0, cells: [] };
    const edit = input.typed?.get(s.id);
    if (edit?.missed === true)
      problems.push(`Log row ${row} (${s.id}): the ${edit.kind} typed there was never read back`);
    // Typed, and not read back yet: the row shows the person's value, the store the clock's.
    if (edit !== undefined && !edit.due) continue;
    const wrong: string[] = [];
    const applied = edit === undefined ? null : typedApplied(s, edit);
    if (applied !== null) wrong.push(applied);
    const { inAt, outAt, status } = shown(s);
    if (status === 'superseded') {
      // A session a refold found never was (doors): its row stays, marked, out of every total.
      if (text(cells[COLUMNS.status]) !== status)
        problems.push(
          `Log row ${row} (${s.id}): Status "${text(cells[COLUMNS.status])}" (store: superseded)`,
        );
      continue;
    }
    if (!near(num(cells[COLUMNS.date]), toSerialDate(inAt, input.zone), 0)) wrong.push('Date');
    if (!namesWaiting.has(s.card) && text(cells[COLUMNS.name]) !== (s.name ?? ''))
      wrong.push(`Name "${text(cells[COLUMNS.name])}" (store: "${s.name ?? ''}")`);
    if (!near(num(cells[COLUMNS.in]), toSerial(inAt, input.zone))) wrong.push('In');
    if (edit?.kind === 'text') {
      // Rejected, and never written over.
      if (cells[COLUMNS.out] !== edit.value) wrong.push(`Out (the text typed is gone)`);
    } else if (outAt === null) {
      if (cells[COLUMNS.out] !== undefined && cells[COLUMNS.out] !== '')
        wrong.push('Out (should be blank)');
      const hours = num(cells[COLUMNS.hours]);
      // Never below zero: a wall clock now behind the clock-in (a stale boot) shows 0:00.
      const byWall = Math.max(0, input.now - inAt);
      const byMono = (s.fixedIn ?? null) === null ? (input.openForMono?.(s) ?? byWall) : byWall;
      const upTo = toSerialDuration(Math.max(byWall, byMono));
      const from = toSerialDuration(Math.min(byWall, byMono) - input.liveLagMs);
      if (hours === null || hours > upTo + SECOND_SERIAL || hours < from)
        wrong.push('Hours (live)');
    } else {
      if (!near(num(cells[COLUMNS.out]), toSerial(outAt, input.zone))) wrong.push('Out');
      if (!near(num(cells[COLUMNS.hours]), toSerialDuration(outAt - inAt))) wrong.push('Hours');
    }
    if (text(cells[COLUMNS.status]) !== status)
      wrong.push(`Status "${text(cells[COLUMNS.status])}" (store: ${status})`);
    if (wrong.length > 0)
      problems.push(`Log row ${row} (${s.id}) differs from the store: ${wrong.join(', ')}`);
  }
  return problems;
}

// ---- invariant 3: the clock never stops on its own bookkeeping --------------------------------

export interface TickRecord {
  /** Monotonic world ms when the tick's live update left the core. */
  readonly worldAt: number;
  /** The wall-clock minute it names. */
  readonly at: number;
}

/**
 * Only entries the sheet refuses for themselves (the refused card's) are ever set aside: one
 * refused for a fault of the sheet's (a full workbook) stays in the outbox, and reaches the
 * sheet when the fault is over.
 */
export function onlyRefusedSetAside(
  unfinished: readonly OutboxRow[],
  refusedCard: string,
): string[] {
  return unfinished
    .filter((entry) => entry.setAside && entry.card !== refusedCard)
    .map((entry) => `${entry.key} was set aside, though the sheet refuses nothing of it`);
}

/**
 * A tick follows the previous one (or the start) within `maxGapMs` of
 * monotonic time, names a minute boundary, and names the next wall-clock
 * minute unless the wall clock was stepped in between.
 */
export function tickFollows(
  previous: TickRecord | null,
  startedAt: number,
  tick: TickRecord,
  wallSteppedBetween: boolean,
  maxGapMs: number,
): string[] {
  const problems: string[] = [];
  const since = previous?.worldAt ?? startedAt;
  if (tick.worldAt - since > maxGapMs)
    problems.push(`no minute tick for ${Math.round((tick.worldAt - since) / 1000)} s (monotonic)`);
  if (tick.at % 60_000 !== 0) problems.push(`a tick names ${iso(tick.at)}, not a minute boundary`);
  if (previous !== null && !wallSteppedBetween && tick.at !== previous.at + 60_000)
    problems.push(`the tick after ${iso(previous.at)} names ${iso(tick.at)}`);
  return problems;
}

// ---- invariant 4: an idle clock costs little -------------------------------------------------

export interface QuietMinute {
  readonly requests: number;
  readonly bytesRead: number;
  /** Rows of People and sessions open: what a minute may legitimately read. */
  readonly peopleRows: number;
  readonly open: number;
  /**
   * Log rows the minute read back for corrections typed into the sheet (a slice of the recent
   * sessions, src/drivers/sheets/editWatch.ts): their number follows the recent sessions, never
   * Log's length.
   */
  readonly watched?: number;
  /**
   * Log rows read besides: the sessions of a write that timed out, looked at once for a second
   * row it may have landed on (src/drivers/sheets/lateWrites.ts); at most a batch of them.
   */
  readonly looked?: number;
  /** The most entries a batch writes (`sheetBatchSize`): the most rows `looked` may be. */
  readonly batchSize?: number;
  readonly logRows: number;
}

/**
 * The most a quiet minute may read: a little per People row and open session, a row's worth per
 * row read back (watched, or looked at for a late write), nothing per Log row.
 */
export function quietBytesBound(
  minute: Pick<QuietMinute, 'peopleRows' | 'open' | 'watched' | 'looked'>,
): number {
  const rows = (minute.watched ?? 0) + (minute.looked ?? 0);
  return 2_048 + 160 * (minute.peopleRows + minute.open + 1) + 400 * rows;
}

export function quietMinuteCheap(minute: QuietMinute): string[] {
  const problems: string[] = [];
  if (minute.requests > 2)
    problems.push(`${minute.requests} requests in a minute with nothing changing`);
  const looked = minute.looked ?? 0;
  if (minute.batchSize !== undefined && looked > minute.batchSize)
    problems.push(
      `${looked} Log rows looked at for late writes in a quiet minute (more than a batch, ${minute.batchSize})`,
    );
  const bound = quietBytesBound(minute);
  if (minute.bytesRead > bound)
    problems.push(
      `${minute.bytesRead} bytes read in a quiet minute (bound ${bound} for ${minute.peopleRows} People rows, ${minute.open} open, ${minute.watched ?? 0} read back and ${looked} looked at for late writes; Log has ${minute.logRows} rows)`,
    );
  return problems;
}
