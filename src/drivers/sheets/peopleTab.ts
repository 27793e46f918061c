/**
 * The People tab, read: its rows (card, name, active, aliases) as the
 * directory the clock knows; `admin` in Active marks an admin card. A bad card id or alias is warned about, naming
 * its cell, and left out; so is a card id already listed on another row
 * (as its card or an alias), naming that row. The tab is read every minute (with the live
 * update) and rarely changes, so an unchanged tab gives back the same array
 * without warning about its rows again.
 */
import { normaliseCardId } from '../../../streams/cardId';
import { describeClaim, makeIdClaims, type Person } from '../../../streams/directory';
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

/**
 * The rows as people: a bad id is warned about and left out. A card id is one person's, as in
 * the people file: a row whose card is already listed (as a card or an alias) is ignored, and
 * an alias already listed is left out of its row, each naming the row it clashes with (the
 * first listing is used, as the directory would).
 */
function parsePeopleRows(rows: unknown[][], warn: (message: string) => void): Person[] {
  const people: Person[] = [];
  const ids = makeIdClaims();
  rows.forEach((row, i) => {
    const [rawCard, name, active, aliases] = row;
    if (rawCard === undefined || rawCard === '') return;
    const card = normaliseCardId(cellText(rawCard));
    if (!card.ok) {
      warn(`People!A${i + 2}: ${card.reason}; row ignored`);
      return;
    }
    const activeText = cellText(active).trim().toLowerCase();
    const named = typeof name === 'string' ? name.trim() : cellText(name).trim();
    const at = `row ${i + 2}`;
    const earlier = ids.claim(card.card, { as: 'card', row: at, name: named });
    if (earlier !== undefined) {
      warn(`People!A${i + 2}: card ${card.card} is already ${describeClaim(earlier)}; row ignored`);
      return;
    }
    people.push({
      card: card.card,
      name: named,
      active: !(
        active === false || ['no', 'n', 'false', '0', 'inactive', 'off'].includes(activeText)
      ),
      // `admin` in Active: an active card that opens enrolment at the reader (rule 14).
      ...(activeText === 'admin' ? { admin: true } : {}),
      aliases: aliasIdsOf(cellText(aliases), card.card, { number: i + 2, name: named, ids, warn }),
    });
  });
  return people;
}

/** A row's aliases, canonical; a bad one, or one already listed on another row, is warned about and left out. */
function aliasIdsOf(
  aliases: string,
  card: string,
  row: {
    readonly number: number;
    readonly name: string;
    readonly ids: ReturnType<typeof makeIdClaims>;
    readonly warn: (message: string) => void;
  },
): string[] {
  const cell = `People!D${row.number}`;
  const ids: string[] = [];
  for (const alias of aliases.split(/[\s;,]+/).filter((a) => a !== '')) {
    const id = normaliseCardId(alias);
    if (!id.ok) {
      row.warn(`${cell}: alias ${JSON.stringify(alias)}: ${id.reason}`);
      continue;
    }
    // The row's own card, or an alias written twice in it, clashes with nobody.
    if (id.card === card || ids.includes(id.card)) continue;
    const earlier = row.ids.claim(id.card, {
      as: 'alias',
      row: `row ${row.number}`,
      name: row.name,
    });
    if (earlier === undefined) ids.push(id.card);
    else row.warn(`${cell}: alias ${id.card} is already ${describeClaim(earlier)}; alias ignored`);
  }
  return ids;
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
