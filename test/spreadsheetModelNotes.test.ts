/**
 * Cell notes in the spreadsheet model: spreadsheets.batchUpdate's updateCells
 * sets them under the `note` field mask, and they live on the row, so they
 * move with it when rows are sorted, inserted or deleted.
 */
import { SpreadsheetModel, type Cell } from './support/spreadsheetModel';

const ID = 'sheet1';
const CLOCK = 'clock@test.iam.gserviceaccount.com';
const BASE = `/v4/spreadsheets/${ID}`;

type Body = Record<string, unknown>;

let model: SpreadsheetModel;

const call = (method: string, path: string, body?: unknown): { status: number; body: Body } => {
  const answer = model.request({
    method,
    path: `${BASE}${path}`,
    query: new URLSearchParams(),
    body,
    account: CLOCK,
  });
  return { status: answer.status, body: JSON.parse(JSON.stringify(answer.body)) as Body };
};
const ok = (answer: ReturnType<typeof call>): Body => {
  if (answer.status !== 200) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
};
const batch = (...requests: unknown[]): ReturnType<typeof call> =>
  call('POST', ':batchUpdate', { requests });
const sheetIdOf = (title: string): number => {
  const sheets = ok(call('GET', '')).sheets as { properties: { sheetId: number; title: string } }[];
  const found = sheets.find((s) => s.properties.title === title);
  if (found === undefined) throw new Error(`no tab ${title}`);
  return found.properties.sheetId;
};
const log = (): Cell[][] => model.values(ID, 'Log');
const notes = (): (string | undefined)[][] => model.notes(ID, 'Log');

/** A note on one cell by the `start` form (no value given: values untouched under `note`). */
const noteAt = (sheetId: number, row: number, column: number, note: unknown): Body => ({
  updateCells: {
    start: { sheetId, rowIndex: row, columnIndex: column },
    rows: [{ values: [{ note }] }],
    fields: 'note',
  },
});

function seed(): number {
  model.addTab(ID, 'Log', [
    ['Session', 'Card', 'Out'],
    ['s1', 'C', ''],
    ['s2', 'A', ''],
    ['s3', 'B', ''],
  ]);
  return sheetIdOf('Log');
}

beforeEach(() => {
  model = new SpreadsheetModel({ now: () => 0 });
  model.createSpreadsheet(ID, [CLOCK]);
});

describe('cell notes', () => {
  it('a tab without notes has none; an unknown tab has none', () => {
    seed();
    expect(notes()).toEqual([]);
    expect(model.notes(ID, 'Nope')).toEqual([]);
  });

  it('updateCells with start sets a note, read back by notes(), and leaves values alone', () => {
    const sheetId = seed();
    const before = log();
    ok(batch(noteAt(sheetId, 2, 1, 'Refused: not an edit the clock makes')));
    expect(notes()).toEqual([[], [], [undefined, 'Refused: not an edit the clock makes']]);
    expect(log()).toEqual(before);
  });

  it('updateCells with a range sets notes, and clears those the rows leave out', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 2, 'old')));
    ok(
      batch({
        updateCells: {
          range: {
            sheetId,
            startRowIndex: 1,
            endRowIndex: 3,
            startColumnIndex: 0,
            endColumnIndex: 3,
          },
          rows: [{ values: [{ note: 'a' }, { note: 'b' }] }],
          fields: 'note',
        },
      }),
    );
    expect(notes()).toEqual([[], ['a', 'b']]);
    expect(log()[1]).toEqual(['s1', 'C', '']);
  });

  it('values and notes together under "userEnteredValue,note" and "*"', () => {
    const sheetId = seed();
    ok(
      batch(
        {
          updateCells: {
            start: { sheetId, rowIndex: 1, columnIndex: 0 },
            rows: [{ values: [{ userEnteredValue: { stringValue: 'x' }, note: 'n1' }] }],
            fields: 'userEnteredValue,note',
          },
        },
        {
          updateCells: {
            start: { sheetId, rowIndex: 3, columnIndex: 2 },
            rows: [{ values: [{ userEnteredValue: { numberValue: 7 }, note: 'n3' }] }],
            fields: '*',
          },
        },
      ),
    );
    expect(log()[1]).toEqual(['x', 'C', '']);
    expect(log()[3]).toEqual(['s3', 'B', 7]);
    expect(notes()).toEqual([[], ['n1'], [], [undefined, undefined, 'n3']]);
  });

  it('a field mask without note leaves notes alone', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 0, 'kept')));
    ok(
      batch({
        updateCells: {
          start: { sheetId, rowIndex: 1, columnIndex: 0 },
          rows: [{ values: [{ userEnteredValue: { stringValue: 'y' }, note: 'ignored' }] }],
          fields: 'userEnteredValue',
        },
      }),
    );
    expect(log()[1]).toEqual(['y', 'C', '']);
    expect(notes()).toEqual([[], ['kept']]);
  });

  it.each([
    ['an empty note', ''],
    ['no note', undefined],
  ])('%s clears the note', (_, note) => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 0, 'gone soon'), noteAt(sheetId, 2, 0, 'stays')));
    ok(batch(noteAt(sheetId, 1, 0, note)));
    expect(notes()).toEqual([[], [], ['stays']]);
  });

  it('notes move with their rows when sorted', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 1, 'on s1'), noteAt(sheetId, 3, 0, 'on s3')));
    model.sortRows(ID, 'Log', 1);
    expect(log().map((r) => r[0])).toEqual(['Session', 's2', 's3', 's1']);
    expect(notes()).toEqual([[], [], ['on s3'], [undefined, 'on s1']]);
  });

  it('notes move down with insertDimension and vanish with deleteDimension', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 0, 'on s1'), noteAt(sheetId, 2, 0, 'on s2')));
    ok(
      batch({
        insertDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 1, endIndex: 3 } },
      }),
    );
    expect(notes()).toEqual([[], [], [], ['on s1'], ['on s2']]);
    ok(
      batch({
        deleteDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 3, endIndex: 4 } },
      }),
    );
    expect(log().map((r) => r[0])).toEqual(['Session', undefined, undefined, 's2', 's3']);
    expect(notes()).toEqual([[], [], [], ['on s2']]);
  });

  it('notes stay on a row whose values are cleared or rewritten, and with its metadata', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 0, 'n')));
    model.setCell(ID, 'Log', 2, 0, 'changed');
    ok(call('POST', '/values/Log!A2:C2:clear', {}));
    model.clearDataRows(ID, 'Log');
    ok(
      batch({
        createDeveloperMetadata: {
          developerMetadata: {
            metadataKey: 'session',
            metadataValue: 's1',
            location: {
              dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 1, endIndex: 2 },
            },
            visibility: 'DOCUMENT',
          },
        },
      }),
    );
    expect(notes()).toEqual([[], ['n']]);
  });

  it('a failed batch leaves the notes as they were', () => {
    const sheetId = seed();
    ok(batch(noteAt(sheetId, 1, 0, 'before')));
    const answer = batch(noteAt(sheetId, 1, 0, 'after'), noteAt(sheetId, 2, 0, 'x'), {
      insertDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 5000, endIndex: 5001 } },
    });
    expect(answer.status).toBe(400);
    expect(notes()).toEqual([[], ['before']]);
  });

  it.each([
    ['a number', 5],
    ['an object', { text: 'x' }],
    ['a boolean', true],
  ])('a note that is %s is a 400 naming where', (_, note) => {
    const sheetId = seed();
    const answer = batch(noteAt(sheetId, 1, 0, 'before'), noteAt(sheetId, 1, 0, note));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 400,
        message: expect.stringContaining(
          "'Invalid requests[1].updateCells.rows[0].values[0].note' (TYPE_STRING)",
        ) as unknown,
        status: 'INVALID_ARGUMENT',
      },
    });
    expect(notes()).toEqual([]);
  });
});
