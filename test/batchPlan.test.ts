/**
 * The batch planner (streams/batchPlan.ts), without HTTP: which sessions are
 * inserted, which rows written, which rows are duplicates, which entries are
 * dropped because a person deleted the row, which cards are listed. Tables
 * for the cases, properties for what must hold of any batch and any sheet.
 */
import fc from 'fast-check';
import {
  planBatch,
  planEdits,
  planNewPeople,
  planPeople,
  sessionsOf,
  type PeopleRow,
  type RowWrite,
  type TaggedRow,
} from '../streams/batchPlan';
import type { OutboxEntry } from '../streams/commit';
import { closedEntry, openedEntry } from './support/outboxEntries';

const T = Date.parse('2026-03-02T08:00:00Z');
const HOUR = 3_600_000;

const opened = (session: string, inAt = T, card = `C-${session}`): OutboxEntry =>
  openedEntry({ session, card, inAt });
const closed = (session: string, outAt = T + 8 * HOUR, inAt = T, readers?: string): OutboxEntry =>
  closedEntry({
    session,
    card: `C-${session}`,
    inAt,
    outAt,
    ...(readers === undefined ? {} : { readers }),
  });
const corrected = (session: string, inAt: number, outAt: number | null): OutboxEntry => ({
  kind: 'session-corrected',
  key: `fix:${session}:${inAt}:${outAt ?? ''}`,
  session,
  card: `C-${session}`,
  inAt,
  outAt,
});
const followed = (session: string, card: string): OutboxEntry => ({
  kind: 'card-followed',
  key: `follow:${session}:${card}`,
  session,
  card,
});
const listed = (card: string, at = T): OutboxEntry => ({
  kind: 'card-listed',
  key: `card:${card}`,
  card,
  at,
});

const enrolled = (card: string, name: string, note?: string, at = T): OutboxEntry => ({
  kind: 'card-listed',
  key: `enrol:${card}`,
  card,
  at,
  name,
  ...(note === undefined ? {} : { note }),
});
const aliased = (card: string, alias: string): OutboxEntry => ({
  kind: 'alias-added',
  key: `alias:${card}:${alias}`,
  card,
  alias,
});
/** A manager's correction applied: the session's times and status as they stand now. */
const fixed = (
  session: string,
  inAt: number,
  outAt: number | null,
  status: 'in' | 'out' | 'auto' | 'void' = 'out',
  at = T + 9 * HOUR,
): OutboxEntry => ({
  kind: 'session-fixed',
  key: `fixed:${session}:${at}`,
  session,
  card: `C-${session}`,
  inAt,
  outAt,
  status,
});
const edit = (session: string, at: number, i: number): OutboxEntry => ({
  kind: 'edit-logged',
  key: `edit:${session}:${at}:${i}`,
  card: `C-${session}`,
  seenAt: at,
  session,
  name: 'Ada',
  field: 'in',
  old: T,
  new: T - HOUR,
  result: 'applied',
  why: 'forgot to tap',
  source: 'fix',
});
/** Clocked out at another reader than in. */
const closedAt = (session: string, readers: string): OutboxEntry =>
  closed(session, T + 8 * HOUR, T, readers);

/** Rows as a search finds them: session → its tagged rows (tag ids and row numbers given). */
const rows = (...found: [string, number, number][]): Map<string, TaggedRow[]> => {
  const out = new Map<string, TaggedRow[]>();
  for (const [session, tagId, row] of found)
    out.set(session, [...(out.get(session) ?? []), { tagId, row }]);
  return out;
};

const kinds = (writes: readonly RowWrite[]): string[] =>
  writes.map((w) => `${w.kind} ${w.session}`);

describe('planBatch', () => {
  it.each([
    {
      what: 'a new session is inserted, as it is',
      entries: [opened('s1')],
      found: rows(),
      insert: ['s1 in'],
      writes: [],
      dropped: [],
    },
    {
      what: 'a session opened and closed in one batch is inserted closed, nothing else written',
      entries: [opened('s1'), closed('s1')],
      found: rows(),
      insert: ['s1 out'],
      writes: [],
      dropped: [],
    },
    {
      what: 'a session already in the sheet (written before a crash) is not inserted again',
      entries: [opened('s1'), closed('s1')],
      found: rows(['s1', 7, 12]),
      insert: [],
      writes: ['close s1'],
      dropped: [],
    },
    {
      what: 'a close whose row a person deleted is dropped: the row stays deleted (rule 9)',
      entries: [closed('s1')],
      found: rows(),
      insert: [],
      writes: [],
      dropped: ['session-closed s1'],
    },
    {
      what: 'a correction and a card change whose row was deleted are dropped too',
      entries: [corrected('s1', T - HOUR, null), followed('s1', 'ALIAS')],
      found: rows(),
      insert: [],
      writes: [],
      dropped: ['session-corrected s1', 'card-followed s1'],
    },
    {
      what: 'a correction and a card change of a session inserted by the same batch are written',
      entries: [opened('s1'), corrected('s1', T - HOUR, null), followed('s1', 'ALIAS')],
      found: rows(),
      insert: ['s1 in'],
      writes: ['correct s1', 'card s1'],
      dropped: [],
    },
    {
      what: 'writes come in order: closes, corrections, cards',
      entries: [followed('s3', 'X'), corrected('s2', T, T + HOUR), closed('s1')],
      found: rows(['s1', 1, 2], ['s2', 2, 3], ['s3', 3, 4]),
      insert: [],
      writes: ['close s1', 'correct s2', 'card s3'],
      dropped: [],
    },
    {
      what: "a manager's fix is written to its session's row",
      entries: [fixed('s1', T - HOUR, T + HOUR)],
      found: rows(['s1', 7, 12]),
      insert: [],
      writes: ['fix s1'],
      dropped: [],
    },
    {
      what: 'a fix whose row a person deleted is dropped: the row stays deleted (rule 9)',
      entries: [fixed('s1', T - HOUR, T + HOUR), fixed('s2', T, null, 'void')],
      found: rows(),
      insert: [],
      writes: [],
      dropped: ['session-fixed s1', 'session-fixed s2'],
    },
    {
      what: 'a fix of a session the batch opens is written over the row it inserts',
      entries: [opened('s1'), closed('s1'), fixed('s1', T, T + HOUR, 'void')],
      found: rows(),
      insert: ['s1 out'],
      writes: ['fix s1'],
      dropped: [],
    },
    {
      what: 'a close and a correction before a fix are written first, the fix after them',
      entries: [closed('s1'), corrected('s1', T, T + HOUR), fixed('s1', T, T + HOUR, 'void')],
      found: rows(['s1', 7, 12]),
      insert: [],
      writes: ['close s1', 'correct s1', 'fix s1'],
      dropped: [],
    },
    {
      what: 'writes come in order: closes, corrections, fixes, cards',
      entries: [
        followed('s4', 'X'),
        fixed('s3', T, null, 'in'),
        corrected('s2', T, null),
        closed('s1'),
      ],
      found: rows(['s1', 1, 2], ['s2', 2, 3], ['s3', 3, 4], ['s4', 4, 5]),
      insert: [],
      writes: ['close s1', 'correct s2', 'fix s3', 'card s4'],
      dropped: [],
    },
  ])('$what', ({ entries, found, insert, writes, dropped }) => {
    const plan = planBatch(entries, found);
    expect(plan.insert.map((r) => `${r.session} ${r.status}`)).toEqual(insert);
    expect(kinds(plan.writes)).toEqual(writes);
    expect(plan.dropped.map((e) => `${e.kind} ${'session' in e ? e.session : e.card}`)).toEqual(
      dropped,
    );
  });

  it('a session on three rows keeps the row tagged first; the other two are duplicates', () => {
    const plan = planBatch([closed('s1')], rows(['s1', 30, 5], ['s1', 10, 40], ['s1', 20, 2]));
    expect(plan.duplicates).toEqual([
      { session: 's1', tagId: 20 },
      { session: 's1', tagId: 30 },
    ]);
    expect(kinds(plan.writes)).toEqual(['close s1']);
  });

  it('final: closes and corrections of closed sessions, inserted or not; not open corrections', () => {
    const plan = planBatch(
      [
        opened('s1'),
        closed('s1'),
        closed('s2'),
        corrected('s3', T, null),
        corrected('s4', T, T + HOUR),
      ],
      rows(['s2', 1, 2], ['s3', 2, 3], ['s4', 3, 4]),
    );
    expect(kinds(plan.final)).toEqual(['close s1', 'close s2', 'correct s4']);
  });

  it('a close at another reader writes its Reader cell; a close at the same reader does not', () => {
    const plan = planBatch(
      [closedAt('s1', 'door → desk'), closed('s2')],
      rows(['s1', 1, 2], ['s2', 2, 3]),
    );
    expect(plan.writes).toEqual([
      {
        kind: 'close',
        session: 's1',
        inAt: T,
        outAt: T + 8 * HOUR,
        status: 'out',
        readers: 'door → desk',
      },
      { kind: 'close', session: 's2', inAt: T, outAt: T + 8 * HOUR, status: 'out' },
    ]);
    expect(plan.final).toEqual(plan.writes);
  });

  it('a session opened and closed at another reader in one batch is inserted with both readers', () => {
    const plan = planBatch([opened('s1'), closedAt('s1', 'door → desk')], rows());
    expect(plan.insert.map((r) => [r.session, r.status, r.reader])).toEqual([
      ['s1', 'out', 'door → desk'],
    ]);
  });

  // Found by the simulation (seed 61039, --events 10): taken on a stale clock, corrected while
  // open, closed after; all three reached the sheet in one batch after an outage. The row was
  // inserted with the stale In and its Hours, then the correction set In alone: Hours stayed
  // 54 h beside an Out - In of 8 h, for good.
  it('a session opened, corrected while open and closed in one batch is inserted with the close’s In', () => {
    const stale = T - 46 * HOUR;
    const plan = planBatch(
      [opened('s1', stale), corrected('s1', T, null), closed('s1', T + 8 * HOUR, T)],
      rows(),
    );
    expect(plan.insert.map((r) => [r.session, r.inAt, r.outAt])).toEqual([['s1', T, T + 8 * HOUR]]);
  });

  // Found by the simulation (seed 61015, --events 10): clocked in while People was not loaded
  // (a damaged cache), named when it was; both reached the sheet in one batch, which looked for
  // the card's blank rows before it inserted this one: the row stayed without a name for good.
  it('a session opened without a name and named in the same batch is inserted with the name', () => {
    const named = (card: string, name: string, at: number): OutboxEntry => ({
      kind: 'name-filled',
      key: `name:${card}:${name}:${at}`,
      card,
      name,
    });
    const plan = planBatch(
      [named('C-s0', 'Old', T - HOUR), opened('s1', T, 'C-s1'), named('C-s1', 'Alice', T + 1)],
      rows(),
    );
    expect(plan.insert.map((r) => [r.session, r.name])).toEqual([['s1', 'Alice']]);
    // A name given before the clock-in, then taken away (the clock-in had none), is not its.
    const before = planBatch([named('C-s1', 'Alice', T - HOUR), opened('s1', T, 'C-s1')], rows());
    expect(before.insert.map((r) => [r.session, r.name])).toEqual([['s1', null]]);
  });

  it('a session opened under its placeholder (enrolled at the reader) and named in the same batch is inserted with the name', () => {
    const openedAs = (name: string): OutboxEntry =>
      openedEntry({ session: 's1', card: 'C-s1', inAt: T, name });
    const named: OutboxEntry = {
      kind: 'name-filled',
      key: `name:C-s1:Carol:${T + 1}`,
      card: 'C-s1',
      name: 'Carol',
      placeholder: 'New 1',
    };
    expect(planBatch([openedAs('New 1'), named], rows()).insert.map((r) => r.name)).toEqual([
      'Carol',
    ]);
    // A name of the manager's is not a placeholder: it stays.
    expect(planBatch([openedAs('Ada'), named], rows()).insert.map((r) => r.name)).toEqual(['Ada']);
  });

  it('sessionsOf names every session a batch is about, once', () => {
    expect(
      sessionsOf([
        opened('s1'),
        closed('s1'),
        corrected('s2', T, null),
        followed('s3', 'X'),
        listed('C'),
        fixed('s4', T, null, 'void'),
        edit('s5', T, 0),
      ]),
    ).toEqual(['s1', 's2', 's3', 's4']);
  });
});

describe("planBatch, a manager's fixes in outbox order", () => {
  const row = rows(['s1', 7, 12]);

  it("the row shows the fix's In, Out and Status; final, so a late live update cannot undo it", () => {
    const plan = planBatch([fixed('s1', T - HOUR, T + HOUR, 'void')], row);
    const write = { kind: 'fix', session: 's1', inAt: T - HOUR, outAt: T + HOUR, status: 'void' };
    expect(plan.writes).toEqual([write]);
    expect(plan.final).toEqual([write]);
  });

  it("a correction of the clock's own times after a fix is left out: the manager's times stand", () => {
    const plan = planBatch(
      [fixed('s1', T - HOUR, T + HOUR), corrected('s1', T + 60_000, T + 8 * HOUR)],
      row,
    );
    expect(plan.writes).toEqual([
      { kind: 'fix', session: 's1', inAt: T - HOUR, outAt: T + HOUR, status: 'out' },
    ]);
    expect(plan.final).toEqual(plan.writes);
  });

  it('a clock-out after a fix that left the session open closes the fixed row, from the fixed In', () => {
    const plan = planBatch([fixed('s1', T - HOUR, null, 'in'), closedAt('s1', 'door → desk')], row);
    const write = {
      kind: 'fix',
      session: 's1',
      inAt: T - HOUR,
      outAt: T + 8 * HOUR,
      status: 'out',
      readers: 'door → desk',
    };
    expect(plan.writes).toEqual([write]);
    expect(plan.final).toEqual([write]);
  });

  it('a close after a void is left out: the row stays void; a later fix wins', () => {
    expect(planBatch([fixed('s1', T, T + HOUR, 'void'), closed('s1')], row).writes).toEqual([
      { kind: 'fix', session: 's1', inAt: T, outAt: T + HOUR, status: 'void' },
    ]);
    const twice = [fixed('s1', T, null, 'in', T + 1), fixed('s1', T - HOUR, null, 'void', T + 2)];
    expect(planBatch(twice, row).writes).toEqual([
      { kind: 'fix', session: 's1', inAt: T - HOUR, outAt: null, status: 'void' },
    ]);
  });

  it("a fix that leaves the session open is not final: its Hours are the live view's", () => {
    const plan = planBatch(
      [closed('s2'), fixed('s1', T - HOUR, null, 'in')],
      rows(['s1', 7, 12], ['s2', 8, 13]),
    );
    expect(kinds(plan.writes)).toEqual(['close s2', 'fix s1']);
    expect(kinds(plan.final)).toEqual(['close s2']);
  });
});

describe('planEdits', () => {
  it('plans the Edits lines in the batch order, leaving out those whose key the tab holds', () => {
    const entries = [edit('s1', T, 0), fixed('s1', T, null), edit('s1', T, 1), edit('s2', T, 0)];
    const lines = planEdits(entries, new Set(['edit:s1:' + String(T) + ':1', 'other']));
    expect(lines.map((line) => line.key)).toEqual([`edit:s1:${T}:0`, `edit:s2:${T}:0`]);
  });

  it('a batch sent again, once its lines are in the tab, plans none', () => {
    const entries = [edit('s1', T, 0), edit('s1', T, 1)];
    const keys = new Set(planEdits(entries, new Set()).map((line) => line.key));
    expect(keys.size).toBe(2);
    expect(planEdits(entries, keys)).toEqual([]);
  });
});

describe('planNewPeople', () => {
  it('lists each card once, and only cards People does not list', () => {
    const entries = [listed('A', T), listed('B', T), listed('A', T + 1), listed('C')];
    expect(planNewPeople(entries, new Set(['C'])).map((e) => [e.card, e.at])).toEqual([
      ['A', T],
      ['B', T],
    ]);
  });
});

describe('planNewPeople, with enrolment at the reader', () => {
  it('a card listed blank and enrolled in one batch is listed once, by the entry with a name, first seen first', () => {
    for (const entries of [
      [listed('A', T), enrolled('A', 'New 3', 'enrolled at door', T + 5)],
      [enrolled('A', 'New 3', 'enrolled at door', T + 5), listed('A', T)],
    ])
      expect(planNewPeople([...entries, listed('B')], new Set())).toEqual([
        { ...enrolled('A', 'New 3', 'enrolled at door'), at: T },
        listed('B'),
      ]);
  });

  it('an enrolled card People already lists is not listed again', () => {
    expect(planNewPeople([enrolled('A', 'New 3')], new Set(['A']))).toEqual([]);
  });
});

describe('planPeople', () => {
  const person = (row: number, card: string, aliases = ''): PeopleRow => ({ row, card, aliases });
  const newPerson = (card: string, more: object = {}): object => ({
    card,
    name: '',
    active: '',
    aliases: '',
    firstSeen: T,
    note: '',
    ...more,
  });

  it.each([
    {
      what: 'an enrolled card is appended with its name and note',
      entries: [enrolled('A', 'New 3', 'enrolled at door')],
      people: [],
      append: [newPerson('A', { name: 'New 3', note: 'enrolled at door' })],
      aliasCells: [],
    },
    {
      what: "an alias goes into its card's Aliases cell, after what is there, joined with a comma",
      entries: [aliased('A', 'B0000001')],
      people: [person(2, 'Z'), person(3, 'A', 'C0000001;D0000001 ')],
      append: [],
      aliasCells: [{ row: 3, aliases: 'C0000001;D0000001, B0000001' }],
    },
    {
      what: 'into an empty Aliases cell, the alias alone; two aliases of one card in one write',
      entries: [aliased('A', 'B0000001'), aliased('A', 'B0000002'), aliased('A', 'B0000001')],
      people: [person(5, 'A')],
      append: [],
      aliasCells: [{ row: 5, aliases: 'B0000001, B0000002' }],
    },
    {
      what: 'an alias already there (as People reads it) is not written again: a batch sent again writes nothing',
      entries: [aliased('A', 'B0000001'), aliased('A', 'a0000001')],
      people: [person(2, 'A', 'x, b0000001 A0000001')],
      append: [],
      aliasCells: [],
    },
    {
      what: 'the alias goes to the first row of the card, the one People reads',
      entries: [aliased('A', 'B0000001')],
      people: [person(2, 'A'), person(3, 'A')],
      append: [],
      aliasCells: [{ row: 2, aliases: 'B0000001' }],
    },
    {
      what: 'a card with no row (a person deleted it) gets one: its aliases, Active yes, blank name',
      entries: [aliased('A', 'B0000001'), aliased('A', 'B0000002')],
      people: [person(2, 'Z')],
      append: [newPerson('A', { active: 'yes', aliases: 'B0000001, B0000002', firstSeen: null })],
      aliasCells: [],
    },
    {
      what: 'a card listed by the same batch gets its aliases on the row listed, once',
      entries: [enrolled('A', 'New 3', 'enrolled at door'), aliased('A', 'B0000001')],
      people: [],
      append: [newPerson('A', { name: 'New 3', note: 'enrolled at door', aliases: 'B0000001' })],
      aliasCells: [],
    },
    {
      what: 'a card listed by the batch that People lists already: not appended; the alias to its row',
      entries: [listed('A'), aliased('A', 'B0000001')],
      people: [person(4, 'A', 'C0000001')],
      append: [],
      aliasCells: [{ row: 4, aliases: 'C0000001, B0000001' }],
    },
  ])('$what', ({ entries, people, append, aliasCells }) => {
    const plan = planPeople(entries, people);
    expect(plan.append).toEqual(append);
    expect(plan.aliasCells).toEqual(aliasCells);
  });

  it('the plan, applied and planned again, has nothing left to do', () => {
    const entries = [aliased('A', 'B0000001'), aliased('C', 'B0000002'), enrolled('D', 'New 1')];
    const people = [person(2, 'A', 'E0000001')];
    const plan = planPeople(entries, people);
    const after = [
      ...people.map((p) => ({
        ...p,
        aliases: plan.aliasCells.find((c) => c.row === p.row)?.aliases ?? p.aliases,
      })),
      ...plan.append.map((p, i) => person(3 + i, p.card, p.aliases)),
    ];
    expect(planPeople(entries, after)).toEqual({ append: [], aliasCells: [] });
  });
});

// ---- properties ---------------------------------------------------------------------------

/** A batch of entries about sessions s0..s5, and the rows those sessions have in the sheet. */
const world = fc
  .record({
    opens: fc.subarray([0, 1, 2, 3, 4, 5]),
    closes: fc.subarray([0, 1, 2, 3, 4, 5]),
    fixes: fc.subarray([0, 1, 2, 3, 4, 5]),
    follows: fc.subarray([0, 1, 2, 3, 4, 5]),
    /** A manager's fixes, before the closes or after everything else. */
    early: fc.subarray([0, 1, 2, 3, 4, 5]),
    late: fc.subarray([0, 1, 2, 3, 4, 5]),
    /** How many rows each session is on (0: none, or deleted by a person). */
    rowCounts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ opens, closes, fixes, follows, early, late, rowCounts }) => {
    const statuses = ['in', 'out', 'auto', 'void'] as const;
    const fix = (i: number): OutboxEntry =>
      fixed(`s${i}`, T - HOUR, i % 2 === 0 ? null : T + HOUR, statuses[i % 4], T + i);
    const entries: OutboxEntry[] = [
      ...opens.map((i) => opened(`s${i}`)),
      ...early.map(fix),
      ...closes.map((i) => closed(`s${i}`)),
      ...fixes.map((i) => corrected(`s${i}`, T - HOUR, i % 2 === 0 ? null : T + HOUR)),
      ...follows.map((i) => followed(`s${i}`, `ALIAS${i}`)),
      ...late.map(fix),
    ];
    const found: [string, number, number][] = [];
    let tagId = 100;
    rowCounts.forEach((count, i) => {
      for (let k = 0; k < count; k++) found.push([`s${i}`, tagId++, 2 + found.length]);
    });
    return { entries, found };
  });

/** The same rows at other row numbers, in another order (a sort, inserts and deletes above them). */
const moved = (found: readonly [string, number, number][], order: readonly number[]) => {
  const rowsNow = order.map((k) => 2 + k * 3);
  return [...found]
    .reverse()
    .map(([session, tagId], i): [string, number, number] => [
      session,
      tagId,
      rowsNow[i % rowsNow.length] ?? 0,
    ]);
};

describe('planBatch, for any batch and any sheet', () => {
  it('any permutation of the rows (a person sorting, inserting, deleting) gives the same plan', () => {
    fc.assert(
      fc.property(
        world,
        fc.array(fc.nat(50), { minLength: 1, maxLength: 20 }),
        ({ entries, found }, order) => {
          const a = planBatch(entries, rows(...found));
          const b = planBatch(entries, rows(...moved(found, order)));
          const bySession = (plan: ReturnType<typeof planBatch>) => ({
            insert: plan.insert,
            writes: [...plan.writes].sort((x, y) => x.session.localeCompare(y.session)),
            duplicates: [...plan.duplicates].sort((x, y) => x.tagId - y.tagId),
            dropped: plan.dropped,
          });
          expect(bySession(b)).toEqual(bySession(a));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every entry is written, inserted or dropped; only rows the sheet has are written', () => {
    fc.assert(
      fc.property(world, ({ entries, found }) => {
        const sheet = rows(...found);
        const plan = planBatch(entries, sheet);
        const inserted = new Set(plan.insert.map((r) => r.session));
        for (const r of plan.insert) expect(sheet.has(r.session)).toBe(false);
        for (const w of plan.writes)
          expect(sheet.has(w.session) || inserted.has(w.session)).toBe(true);
        // Each session keeps exactly one row: duplicates are all its rows but the first.
        for (const [session, list] of sheet)
          expect(plan.duplicates.filter((d) => d.session === session)).toHaveLength(
            list.length - 1,
          );
        // Nothing is lost silently: an entry about a session is inserted, written or dropped.
        for (const e of entries) {
          if (
            e.kind === 'card-listed' ||
            e.kind === 'name-filled' ||
            e.kind === 'alias-added' ||
            e.kind === 'edit-logged'
          )
            continue;
          const session = e.session;
          const accounted =
            inserted.has(session) ||
            plan.writes.some((w) => w.session === session) ||
            plan.dropped.includes(e) ||
            (e.kind === 'session-opened' && sheet.has(session));
          expect(accounted).toBe(true);
        }
        // A dropped entry is about a session with no row that the batch does not open.
        for (const e of plan.dropped)
          expect('session' in e && !sheet.has(e.session) && !inserted.has(e.session)).toBe(true);
        // A fixed session's row ends with the manager's fix: nothing of the clock's after it.
        for (const e of entries) {
          if (e.kind !== 'session-fixed' || plan.dropped.includes(e)) continue;
          const times = plan.writes.filter((w) => w.session === e.session && w.kind !== 'card');
          expect(times.at(-1)?.kind).toBe('fix');
        }
      }),
      { numRuns: 300 },
    );
  });
});
