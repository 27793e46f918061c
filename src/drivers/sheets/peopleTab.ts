/**
 * The People tab, read: its rows (card, name, active, aliases) as the
 * directory the clock knows; `admin` in Active marks an admin card. A bad card id or alias is warned about, naming
 * its cell, and left out. The tab is read every minute (with the live
 * update) and rarely changes, so an unchanged tab gives back the same array
 * without warning about its rows again.
 */
import { normaliseCardId } from '../../../streams/cardId';
import type { Person } from '../../../streams/directory';
import { cellText } from './layout';

/** A parser of the People tab's rows (A2:D) that remembers the last rows it parsed. */
export function makePeopleParser(warn: (message: string) => void): (rows: unknown[][]) => Person[] {
  // People as last parsed: the tab rarely changes between two minutes, and an unchanged tab
  // gives the same list (the same array) without its rows' warnings again every minute.
  let lastPeople: { readonly rows: unknown[][]; readonly people: Person[] } | null = null;
  const parsePeople = (rows: unknown[][]): Person[] => {
    if (lastPeople !== null && sameRows(lastPeople.rows, rows)) return lastPeople.people;
    const people = parsePeopleRows(rows, warn);
    lastPeople = { rows, people };
    return people;
  };
  return parsePeople;
}

/** The rows as people: the first row of a card wins; a bad id is warned about and left out. */
function parsePeopleRows(rows: unknown[][], warn: (message: string) => void): Person[] {
  const people: Person[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const [rawCard, name, active, aliases] = row;
    if (rawCard === undefined || rawCard === '') return;
    const card = normaliseCardId(cellText(rawCard));
    if (!card.ok) {
      warn(`People!A${i + 2}: ${card.reason}; row ignored`);
      return;
    }
    if (seen.has(card.card)) return;
    seen.add(card.card);
    const activeText = cellText(active).trim().toLowerCase();
    people.push({
      card: card.card,
      name: typeof name === 'string' ? name.trim() : cellText(name).trim(),
      active: !(
        active === false || ['no', 'n', 'false', '0', 'inactive', 'off'].includes(activeText)
      ),
      // `admin` in Active: an active card that opens enrolment at the reader (rule 14).
      ...(activeText === 'admin' ? { admin: true } : {}),
      aliases: cellText(aliases)
        .split(/[\s;,]+/)
        .filter((alias) => alias !== '')
        .flatMap((alias) => {
          const id = normaliseCardId(alias);
          if (!id.ok) warn(`People!D${i + 2}: alias ${JSON.stringify(alias)}: ${id.reason}`);
          return id.ok ? [id.card] : [];
        }),
    });
  });
  return people;
}

/** Whether two ranges of cell values (as the API returns them: rows of primitives) are equal. */
function sameRows(a: readonly unknown[][], b: readonly unknown[][]): boolean {
  if (a.length !== b.length) return false;
  return a.every((row, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      row.length === other.length &&
      row.every((cell, j) => Object.is(cell, other[j]))
    );
  });
}
