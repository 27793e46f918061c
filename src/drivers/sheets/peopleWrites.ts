/**
 * The People part of a batch: cards listed (blank, or enrolled at the reader
 * with a placeholder name and a note) and aliases added. One read of the
 * columns it needs (Card alone, or Card to Aliases when the batch adds an
 * alias), the pure planner (`planPeople` in streams/batchPlan.ts) decides,
 * and the plan becomes writes: Aliases cells go with the batch's other value
 * writes (one request), new rows are appended (one request). Rows are found
 * by their card in this read, never by a remembered row number (rule 9);
 * every value is RAW (rule 10).
 */
import { normaliseCardId } from '../../../streams/cardId';
import { planPeople, type NewPerson, type PeopleRow } from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import { a1, cellText, columnLetter, PEOPLE, peopleRow } from './layout';
import type { SheetCalls } from './sheetCalls';
import type { DataFilterValueRange } from './sheetsApi';

/** The column of Aliases in People (D). */
const ALIASES = PEOPLE.headers.indexOf('Aliases');

/** What the batch writes to People: Aliases cells (with its value writes) and new rows. */
export interface PeopleWrites {
  readonly writes: DataFilterValueRange[];
  readonly append: readonly NewPerson[];
  /** Requests made to find them (the one read, or none). */
  readonly requests: number;
}

/** Reads People once, if the batch lists a card or adds an alias, and plans what to write there. */
export async function peopleWrites(
  batchGet: SheetCalls['batchGet'],
  entries: readonly OutboxEntry[],
): Promise<PeopleWrites> {
  const aliases = entries.some((entry) => entry.kind === 'alias-added');
  if (!aliases && !entries.some((entry) => entry.kind === 'card-listed'))
    return { writes: [], append: [], requests: 0 };
  // The Aliases column only when an alias is added: most batches need the cards alone.
  const [rows = []] = await batchGet([
    a1(PEOPLE.title, aliases ? `A2:${columnLetter(ALIASES)}` : 'A2:A'),
  ]);
  const plan = planPeople(entries, peopleRows(rows));
  const writes = plan.aliasCells.map(({ row, aliases: cell }): DataFilterValueRange => ({
    dataFilter: { a1Range: a1(PEOPLE.title, `${columnLetter(ALIASES)}${row}`) },
    majorDimension: 'ROWS',
    values: [[cell]],
  }));
  return { writes, append: plan.append, requests: 1 };
}

/** The rows read from A2 on, by their card (a row whose card is not a card id is left out). */
function peopleRows(rows: readonly unknown[][]): PeopleRow[] {
  return rows.flatMap((row, i) => {
    const card = normaliseCardId(cellText(row[0]));
    return card.ok ? [{ row: i + 2, card: card.card, aliases: cellText(row[ALIASES]) }] : [];
  });
}

/** Appends the new rows to People, in one request. */
export async function appendPeople(
  call: SheetCalls['call'],
  append: readonly NewPerson[],
  zone: string,
): Promise<number> {
  if (append.length === 0) return 0;
  await call((port) =>
    port.append(
      a1(PEOPLE.title, `A:${columnLetter(PEOPLE.headers.length - 1)}`),
      append.map((person) => peopleRow(person, zone)),
    ),
  );
  return 1;
}
