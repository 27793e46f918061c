/**
 * Corrections a person types into `Log` (rule 13), as the simulation makes
 * them: into the row of a closed session of the current pay period (older
 * rows are not read back: README) the clock has finished writing, a
 * valid In or Out (inside the session's own span, so never in the future and
 * never overlapping another: the clock must apply it), `void` in Status (it
 * must apply), or text where Out belongs (it must reject it and leave it as
 * typed). What each must become is checked by `sheetEqualsStore` once the
 * clock has had a calm read-back round since (checks.ts, `TypedEdit`).
 */
import type { Cell, SpreadsheetModel } from '../support/spreadsheetModel';
import { isRepeatedLocalTime, toSerial } from '../../streams/zoned';
import type { StoredSession } from './storeView';

export type TypedEditKind = 'typeIn' | 'typeOut' | 'typeVoid' | 'typeText';

/** What a person typed, and when (the world's monotonic time). */
export interface Typed {
  readonly session: string;
  readonly row: number;
  readonly kind: 'in' | 'out' | 'void' | 'text';
  readonly value: number | string;
  readonly at: number;
}

/** What choosing a row needs to know. */
export interface TypingContext {
  readonly model: SpreadsheetModel;
  readonly sheetId: string;
  readonly zone: string;
  /** The store's sessions, by id. */
  readonly stored: ReadonlyMap<string, StoredSession>;
  /** Sessions with outbox entries pending or set aside: their rows may still be written. */
  readonly unfinished: ReadonlySet<string>;
  /** Sessions typed into already (one correction per row keeps the expectations simple). */
  readonly typed: ReadonlySet<string>;
  readonly now: number;
  /** The clock's wall clock now: a time after it is one the clock takes for the future. */
  readonly wall: number;
  /**
   * The start of the current pay period: the clock reads back the rows of this period and the
   * one before, so a row of this period stays read back for a whole period at least.
   */
  readonly periodFrom: number;
}

/** The text typed where Out belongs. */
export const NOT_A_TIME = 'see note';

const COLUMNS = { in: 4, out: 5, status: 7 } as const;

/** Types `kind` into a row `a` picks (b: where in the session's span); null when none fits. */
export function typeCorrection(
  kind: TypedEditKind,
  a: number,
  b: number,
  context: TypingContext,
): Typed | null {
  const { model, sheetId, zone } = context;
  const rows = model.values(sheetId, 'Log');
  const candidates = rows.flatMap((cells, i) => {
    const session = fits(cells, i, context);
    return session === null ? [] : [{ row: i + 1, session }];
  });
  const pick = candidates[Math.floor(a * candidates.length)];
  if (pick === undefined) return null;
  const { row, session } = pick;
  const typed = (field: keyof typeof COLUMNS, value: Cell): void => {
    model.setCell(sheetId, 'Log', row, COLUMNS[field], value);
  };
  const base = { session: session.id, row, at: context.now };
  if (kind === 'typeVoid') {
    typed('status', 'void');
    return { ...base, kind: 'void', value: 'void' };
  }
  if (kind === 'typeText') {
    typed('out', NOT_A_TIME);
    return { ...base, kind: 'text', value: NOT_A_TIME };
  }
  const outAt = session.outAt ?? session.inAt;
  // Inside the session's own span, to the second: after In, before Out, never in the future.
  const at = Math.round((session.inAt + (outAt - session.inAt) * (0.2 + 0.6 * b)) / 1000) * 1000;
  // A wall-clock time the zone repeats reads back as its first instant: not what was meant.
  if (at <= session.inAt || at >= outAt || isRepeatedLocalTime(at, zone)) return null;
  // After its wall clock went back below the session (a boot on a stale clock, a step back),
  // the clock rightly refuses a time after its now (seed 61043, --events 10).
  if (at >= context.wall) return null;
  const field = kind === 'typeIn' ? 'in' : 'out';
  typed(field, toSerial(at, zone));
  return { ...base, kind: field, value: at };
}

/** The session of a row a correction may be typed into: closed, finished, untouched. */
function fits(
  cells: readonly unknown[],
  index: number,
  context: TypingContext,
): StoredSession | null {
  const id = cells[0];
  if (index === 0 || typeof id !== 'string' || id === '' || id.endsWith(' (duplicate)'))
    return null;
  if (context.unfinished.has(id) || context.typed.has(id)) return null;
  const session = context.stored.get(id);
  if (
    session === undefined ||
    session.outAt === null ||
    session.inAt < context.periodFrom ||
    session.status === 'in' ||
    session.voided === 1 ||
    session.clock === 'unsynced' ||
    (session.fixedIn ?? null) !== null ||
    (session.fixedOut ?? null) !== null ||
    cells[7] !== session.status
  )
    return null;
  return session;
}

/** Whether cells the clock read back show what was typed (a read from before the typing does not). */
export function showsTyped(
  typed: Typed,
  cells: { readonly in: unknown; readonly out: unknown; readonly status: unknown },
  zone: string,
): boolean {
  switch (typed.kind) {
    case 'in':
      return cells.in === toSerial(Number(typed.value), zone);
    case 'out':
      return cells.out === toSerial(Number(typed.value), zone);
    case 'void':
      return cells.status === 'void';
    case 'text':
      return cells.out === typed.value;
  }
}

/**
 * A person rearranging `Log`: sorting it by a column (`a` picks it, `b` the direction), or
 * inserting blank rows (`a` picks where, `b` how many).
 */
export function rearrangeLog(
  model: SpreadsheetModel,
  sheetId: string,
  edit: 'sort' | 'insertBlank',
  a: number,
  b: number,
): void {
  if (edit === 'sort') {
    model.sortRows(sheetId, 'Log', Math.floor(a * 9), b < 0.5);
    return;
  }
  const data = Math.max(0, model.values(sheetId, 'Log').length - 1);
  model.insertRows(sheetId, 'Log', 2 + Math.floor(a * (data + 1)), 1 + Math.floor(b * 4));
}

/**
 * The `Log` rows a person may delete, as 1-based row numbers with their sessions: only of
 * sessions the clock has confirmed (a row it still retries could honestly come back), of open
 * sessions, closed ones, or either.
 */
export function deletableRows(
  rows: readonly (readonly Cell[])[],
  unfinished: ReadonlySet<string>,
  which: 'open' | 'closed' | 'any',
): { readonly row: number; readonly id: string }[] {
  return rows.flatMap((cells, i) => {
    const id = cells[0];
    if (
      i === 0 ||
      typeof id !== 'string' ||
      id === '' ||
      id.endsWith(' (duplicate)') ||
      unfinished.has(id)
    )
      return [];
    const open = cells[7] === 'in';
    return which === 'any' || open === (which === 'open') ? [{ row: i + 1, id }] : [];
  });
}
