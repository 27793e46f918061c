/**
 * The batch planner: what a batch of outbox entries must do to `Log` and
 * `People`, given what the sheet holds now. Pure: the Sheets client finds the
 * rows (by their tags), asks this what to write, and turns the answer into
 * requests. Most of rule 9 lives here:
 * - a session is written through the rows tagged with it, never by a row
 *   number, so no sort, insert or delete by a person moves a write;
 * - a session the batch opens and the sheet does not have is inserted once;
 *   one it already has (written before a crash, or by a request that timed
 *   out and landed) is not inserted again;
 * - a session on more than one row keeps the row tagged first; the others
 *   are marked as duplicates (and untagged);
 * - an entry about a session whose row a person deleted is dropped: the row
 *   stays deleted;
 * - a manager's correction is written in outbox order, never under the
 *   clock's own times (foldFixes); an Edits line is appended once (planEdits);
 * - a card is listed in People once, and only if People does not list it;
 * - an alias goes into the Aliases cell of its card's row as read for this
 *   batch, once (planPeople).
 */
import { normaliseCardId } from './cardId';
import type { OutboxEntry } from './commit';
import { foldFixes, type FixWrite } from './fixFold';

export type { FixWrite } from './fixFold';

type EntryOf<K extends OutboxEntry['kind']> = Extract<OutboxEntry, { kind: K }>;

/** A `Log` row tagged with a session, as a search found it. */
export interface TaggedRow {
  /** The tag's own id: it names this row, wherever it is now. */
  readonly tagId: number;
  readonly row: number;
}

/** A new `Log` row: a session the sheet does not have yet, closed if the batch closes it. */
export interface NewRow {
  readonly session: string;
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly reader: string;
}

/** A write to the row tagged with `session`; what it does not name is left as it is. */
export type RowWrite =
  /** Out, Hours and Status, and Reader when clocked out at another reader (`in → out`). */
  | {
      readonly kind: 'close';
      readonly session: string;
      readonly inAt: number;
      readonly outAt: number;
      readonly status: 'out' | 'auto';
      readonly readers?: string;
    }
  /** Date and In, and Out and Hours when closed: times taken before the clock synchronised. */
  | {
      readonly kind: 'correct';
      readonly session: string;
      readonly inAt: number;
      readonly outAt: number | null;
    }
  /** Card: the session followed its person to another card (an alias added in People). */
  | { readonly kind: 'card'; readonly session: string; readonly card: string }
  | FixWrite;

export interface BatchPlan {
  /** New rows, in the order the batch opened them. */
  readonly insert: readonly NewRow[];
  /** Rows that repeat a session's row: marked as duplicates, then untagged. */
  readonly duplicates: readonly { readonly session: string; readonly tagId: number }[];
  /** Writes to rows by their session's tag, in order: closes, corrections, fixes, cards. */
  readonly writes: readonly RowWrite[];
  /**
   * Sessions whose final values this batch writes (closes, corrections of
   * closed sessions, fixes of sessions not open), inserted or not: what a live
   * update that could still land late might overwrite.
   */
  readonly final: readonly RowWrite[];
  /** Entries about a session whose row a person deleted: nothing is written for them. */
  readonly dropped: readonly OutboxEntry[];
}

/** The sessions a batch is about: the rows to look for before planning it. */
export function sessionsOf(entries: readonly OutboxEntry[]): string[] {
  const sessions = new Set<string>();
  for (const entry of entries)
    if (
      entry.kind === 'session-opened' ||
      entry.kind === 'session-closed' ||
      entry.kind === 'session-corrected' ||
      entry.kind === 'session-fixed' ||
      entry.kind === 'card-followed' ||
      // An edit typed into the sheet: its cell is flagged, or its flag cleared (sheetNotes.ts).
      (entry.kind === 'edit-logged' && entry.source === 'sheet')
    )
      sessions.add(entry.session);
  return [...sessions];
}

/**
 * A name People gave the card after a session was opened without one (or with the placeholder
 * it was enrolled under), in this batch, by session: the batch looks for the card's blank rows
 * before it inserts, so the insert carries it (seed 61015, --events 10: the rows stayed blank
 * for good).
 */
function namesAfterOpening(entries: readonly OutboxEntry[]): Map<string, string> {
  const opened: EntryOf<'session-opened'>[] = [];
  const named = new Map<string, string>();
  for (const entry of entries) {
    if (entry.kind === 'session-opened') opened.push(entry);
    if (entry.kind === 'name-filled')
      for (const open of opened)
        if (open.card === entry.card && (open.name === null || open.name === entry.placeholder))
          named.set(open.session, entry.name);
  }
  return named;
}

/**
 * The row a session opened in this batch is inserted as. Closed in this batch too: with the In
 * the close knew, which a correction of a stale clock may have moved since the clock-in
 * (simulation seed 61039); its Hours are Out - that In.
 */
function newRow(
  { session, card, name: opening, inAt, reader }: EntryOf<'session-opened'>,
  close: EntryOf<'session-closed'> | undefined,
  namedAfter: string | undefined,
): NewRow {
  // Named after it opened: only ever a session opened blank or under its placeholder.
  const name = namedAfter ?? opening ?? null;
  if (close === undefined) return { session, card, name, inAt, outAt: null, status: 'in', reader };
  const { outAt, status } = close;
  return { session, card, name, inAt: close.inAt, outAt, status, reader: close.readers ?? reader };
}

/** What the batch does to `Log`, given the rows tagged with its sessions now. */
export function planBatch(
  all: readonly OutboxEntry[],
  rowsOf: ReadonlyMap<string, readonly TaggedRow[]>,
): BatchPlan {
  const { entries, fixes } = foldFixes(all);
  const opened = new Map<string, EntryOf<'session-opened'>>();
  const closed = new Map<string, EntryOf<'session-closed'>>();
  for (const entry of entries) {
    if (entry.kind === 'session-opened') opened.set(entry.session, entry);
    if (entry.kind === 'session-closed') closed.set(entry.session, entry);
  }
  // A row to write to: one in the sheet, or one this batch inserts.
  const inSheet = (session: string): boolean => (rowsOf.get(session)?.length ?? 0) > 0;
  const written = (session: string): boolean => inSheet(session) || opened.has(session);

  const duplicates: { session: string; tagId: number }[] = [];
  for (const [session, rows] of rowsOf) {
    const [, ...extra] = [...rows].sort((a, b) => a.tagId - b.tagId);
    for (const row of extra) duplicates.push({ session, tagId: row.tagId });
  }
  const namedAfter = namesAfterOpening(entries);
  const insert: NewRow[] = [...opened.values()]
    .filter((entry) => !inSheet(entry.session))
    .map((entry) => newRow(entry, closed.get(entry.session), namedAfter.get(entry.session)));
  const inserted = new Set(insert.map((row) => row.session));

  const writes: RowWrite[] = [];
  const final: RowWrite[] = [];
  const dropped: OutboxEntry[] = [];
  for (const entry of closed.values()) {
    const { session, inAt, outAt, status, readers } = entry;
    const close = { kind: 'close', session, inAt, outAt, status } as const;
    const write: RowWrite = readers === undefined ? close : { ...close, readers };
    // Inserted closed by this batch: its cells are in the insert, and still final.
    if (inserted.has(session)) final.push(write);
    else if (inSheet(session)) {
      writes.push(write);
      final.push(write);
    } else if (!opened.has(session)) dropped.push(entry);
  }
  for (const entry of entries) {
    if (entry.kind !== 'session-corrected' && entry.kind !== 'card-followed') continue;
    if (!written(entry.session)) dropped.push(entry);
    else if (entry.kind === 'session-corrected') {
      const { session, inAt, outAt } = entry;
      const write: RowWrite = { kind: 'correct', session, inAt, outAt };
      writes.push(write);
      if (outAt !== null) final.push(write);
    }
  }
  for (const [session, { write, entries: about }] of fixes) {
    if (!written(session)) dropped.push(...about);
    else {
      writes.push(write);
      if (write.status !== 'in') final.push(write);
    }
  }
  for (const entry of entries)
    if (entry.kind === 'card-followed' && written(entry.session))
      writes.push({ kind: 'card', session: entry.session, card: entry.card });
  return { insert, duplicates, writes, final, dropped };
}

/** The Edits lines a batch appends, in its order: those whose key the tab does not hold yet. */
export function planEdits(
  entries: readonly OutboxEntry[],
  inTab: ReadonlySet<string>,
): EntryOf<'edit-logged'>[] {
  return entries.filter(
    (entry): entry is EntryOf<'edit-logged'> =>
      entry.kind === 'edit-logged' && !inTab.has(entry.key),
  );
}

/**
 * The cards a batch lists in People: once each, and only those People does not list yet. A card
 * listed twice (blank, and enrolled at the reader) is listed by the entry with a name, in the
 * place of its first listing, first seen at its first listing.
 */
export function planNewPeople(
  entries: readonly OutboxEntry[],
  listedInPeople: ReadonlySet<string>,
): EntryOf<'card-listed'>[] {
  const byCard = new Map<string, EntryOf<'card-listed'>>();
  for (const entry of entries) {
    if (entry.kind !== 'card-listed' || listedInPeople.has(entry.card)) continue;
    const first = byCard.get(entry.card);
    if (first === undefined) byCard.set(entry.card, entry);
    else {
      const named = first.name === undefined && entry.name !== undefined ? entry : first;
      byCard.set(entry.card, { ...named, at: Math.min(first.at, entry.at) });
    }
  }
  return [...byCard.values()];
}

/** A `People` row as read back for this batch: its card (canonical) and its Aliases cell. */
export interface PeopleRow {
  /** 1-based row number in the tab, as read now: good for this batch's write only. */
  readonly row: number;
  readonly card: string;
  /** The Aliases cell's text, as a person left it. */
  readonly aliases: string;
}

/** A new `People` row: a card listed (blank or enrolled), or a card given an alias that has no row. */
export interface NewPerson {
  readonly card: string;
  readonly name: string;
  /** `yes` for a row made for an alias alone (a person's card whose row is not there). */
  readonly active: '' | 'yes';
  /** The Aliases cell, joined with `, `. */
  readonly aliases: string;
  /** First seen, or null for a row made for an alias alone. */
  readonly firstSeen: number | null;
  readonly note: string;
}

/** What a batch does to `People`: rows appended, and Aliases cells rewritten. */
export interface PeoplePlan {
  readonly append: readonly NewPerson[];
  /** Aliases cells (column D) to write: what was there, and the new aliases after it. */
  readonly aliasCells: readonly { readonly row: number; readonly aliases: string }[];
}

/** The separator between aliases the clock writes: one that People's reader splits on. */
export const ALIAS_SEPARATOR = ', ';

/** The ids in an Aliases cell, as People's reader splits them (bad ones kept as typed). */
function aliasIds(cell: string): string[] {
  return cell
    .split(/[\s;,]+/)
    .filter((alias) => alias !== '')
    .map((alias) => {
      const id = normaliseCardId(alias);
      return id.ok ? id.card : alias;
    });
}

/**
 * What a batch does to `People`, given its rows now: cards listed (planNewPeople), and aliases
 * added to the first row of their person's card (as People's reader takes the first row of a
 * card). An alias already there is not written again, so a batch sent again writes nothing; a
 * card with no row gets one, carrying its aliases (the row the batch lists, if it lists the card).
 */
export function planPeople(
  entries: readonly OutboxEntry[],
  people: readonly PeopleRow[],
): PeoplePlan {
  const rowOf = new Map<string, PeopleRow>();
  for (const row of people) if (!rowOf.has(row.card)) rowOf.set(row.card, row);
  const listed = planNewPeople(entries, new Set(rowOf.keys()));
  // Card → the aliases to add, in the batch's order, each once and none already there.
  const added = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.kind !== 'alias-added') continue;
    const id = normaliseCardId(entry.alias);
    const alias = id.ok ? id.card : entry.alias;
    const there = [
      ...aliasIds(rowOf.get(entry.card)?.aliases ?? ''),
      ...(added.get(entry.card) ?? []),
    ];
    if (alias === entry.card || there.includes(alias)) continue;
    added.set(entry.card, [...(added.get(entry.card) ?? []), alias]);
  }
  const aliasCells: { row: number; aliases: string }[] = [];
  const append: NewPerson[] = listed.map((entry) => ({
    card: entry.card,
    name: entry.name ?? '',
    active: '',
    aliases: (added.get(entry.card) ?? []).join(ALIAS_SEPARATOR),
    firstSeen: entry.at,
    note: entry.note ?? '',
  }));
  const appended = new Set(listed.map((entry) => entry.card));
  for (const [card, aliases] of added) {
    const row = rowOf.get(card);
    if (row !== undefined) {
      const kept = row.aliases.trim();
      aliasCells.push({
        row: row.row,
        aliases: [...(kept === '' ? [] : [kept]), ...aliases].join(ALIAS_SEPARATOR),
      });
    } else if (!appended.has(card))
      append.push({
        card,
        name: '',
        active: 'yes',
        aliases: aliases.join(ALIAS_SEPARATOR),
        firstSeen: null,
        note: '',
      });
  }
  return { append, aliasCells };
}
