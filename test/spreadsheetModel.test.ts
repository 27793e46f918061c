/**
 * The spreadsheet model (test/support/spreadsheetModel.ts) called directly,
 * as the simulation calls it: every REST call it answers, its edge cases, and
 * the edits a person makes, with metadata following the rows.
 */
import fc from 'fast-check';
import { SpreadsheetModel, type Cell } from './support/spreadsheetModel';

const ID = 'sheet1';
const CLOCK = 'clock@test.iam.gserviceaccount.com';
const VIEWER = 'viewer@example.com';
const BASE = `/v4/spreadsheets/${ID}`;

type Body = Record<string, unknown>;

let model: SpreadsheetModel;
let clock: number;

/** One REST call as the clock's account; the body as Google's JSON. */
const call = (
  method: string,
  path: string,
  body?: unknown,
  query: Record<string, string | string[]> = {},
  account = CLOCK,
): { status: number; body: Body; headers?: Readonly<Record<string, string>> } => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  const answer = model.request({ method, path: `${BASE}${path}`, query: params, body, account });
  return {
    status: answer.status,
    body: JSON.parse(JSON.stringify(answer.body)) as Body,
    ...(answer.headers === undefined ? {} : { headers: answer.headers }),
  };
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
const tag = (sheetId: number, row: number, key: string, value: string): Body => ({
  createDeveloperMetadata: {
    developerMetadata: {
      metadataKey: key,
      metadataValue: value,
      location: {
        dimensionRange: { sheetId, dimension: 'ROWS', startIndex: row, endIndex: row + 1 },
      },
      visibility: 'DOCUMENT',
    },
  },
});
const lookup = (key: string, value?: string): Body => ({
  developerMetadataLookup: {
    metadataKey: key,
    ...(value === undefined ? {} : { metadataValue: value }),
    locationType: 'ROW',
  },
});
const log = (): Cell[][] => model.values(ID, 'Log');

/** A Log tab: a header and three sessions, each row tagged session=<id>. */
function seed(): number {
  model.addTab(ID, 'Log', [
    ['Session', 'Card', 'Out'],
    ['s1', 'C', ''],
    ['s2', 'A', ''],
    ['s3', 'B', ''],
  ]);
  const sheetId = sheetIdOf('Log');
  ok(
    batch(
      tag(sheetId, 1, 'session', 's1'),
      tag(sheetId, 2, 'session', 's2'),
      tag(sheetId, 3, 'session', 's3'),
    ),
  );
  return sheetId;
}

beforeEach(() => {
  clock = 0;
  model = new SpreadsheetModel({ now: () => clock });
  model.createSpreadsheet(ID, [CLOCK], [VIEWER]);
});

describe('spreadsheets.get', () => {
  it('describes each tab: a new one is 1000 rows by 26 columns, frozen rows only when set', () => {
    const reply = ok(
      batch({ addSheet: { properties: { title: 'Log', gridProperties: { frozenRowCount: 1 } } } }),
    );
    expect(reply.replies).toEqual([
      {
        addSheet: {
          properties: {
            sheetId: 1000,
            title: 'Log',
            index: 0,
            sheetType: 'GRID',
            gridProperties: { rowCount: 1000, columnCount: 26, frozenRowCount: 1 },
          },
        },
      },
    ]);
    ok(batch({ addSheet: { properties: { title: 'People' } } }));
    expect(ok(call('GET', '', undefined, { fields: 'sheets.properties' }))).toEqual({
      spreadsheetId: ID,
      properties: { title: `Sheet ${ID}` },
      sheets: [
        {
          properties: {
            sheetId: 1000,
            title: 'Log',
            index: 0,
            sheetType: 'GRID',
            gridProperties: { rowCount: 1000, columnCount: 26, frozenRowCount: 1 },
          },
        },
        {
          properties: {
            sheetId: 1001,
            title: 'People',
            index: 1,
            sheetType: 'GRID',
            gridProperties: { rowCount: 1000, columnCount: 26 },
          },
        },
      ],
    });
  });

  it.each([
    [
      'inserting 5 rows',
      (id: number) =>
        ok(
          batch({
            insertDimension: {
              range: { sheetId: id, dimension: 'ROWS', startIndex: 10, endIndex: 15 },
            },
          }),
        ),
      1005,
    ],
    [
      'deleting 3 rows',
      (id: number) =>
        ok(
          batch({
            deleteDimension: {
              range: { sheetId: id, dimension: 'ROWS', startIndex: 10, endIndex: 13 },
            },
          }),
        ),
      997,
    ],
    [
      'writing values below the grid',
      () => ok(call('PUT', '/values/Log!A1200', { values: [['x']] }, { valueInputOption: 'RAW' })),
      1200,
    ],
    [
      'appending 2 rows with INSERT_ROWS',
      () =>
        ok(
          call(
            'POST',
            '/values/Log!A:C:append',
            { values: [['a'], ['b']] },
            { valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' },
          ),
        ),
      1002,
    ],
    [
      'a person inserting a row',
      () => {
        model.insertRows(ID, 'Log', 2, 1);
      },
      1001,
    ],
    [
      'a person deleting a row',
      () => {
        model.deleteRow(ID, 'Log', 2);
      },
      999,
    ],
  ])('rowCount follows the grid: %s', (_, change, rows) => {
    model.addTab(ID, 'Log', [['h']]);
    change(sheetIdOf('Log'));
    expect(model.gridSize(ID, 'Log').rowCount).toBe(rows);
  });
});

describe('values', () => {
  beforeEach(() => {
    model.addTab(ID, "Bob's tab", []);
    model.addTab(ID, 'Log', [
      ['Session', 'Card'],
      ['s1', 'C0FFEE00'],
      ['s2', 42],
    ]);
  });

  it('values.get reads unformatted values, trims trailing blanks, and names the whole requested range', () => {
    model.setCell(ID, 'Log', 3, 4, '');
    expect(
      ok(call('GET', "/values/'Log'!A2:D", undefined, { valueRenderOption: 'UNFORMATTED_VALUE' })),
    ).toEqual({
      range: 'Log!A2:D1000',
      majorDimension: 'ROWS',
      values: [
        ['s1', 'C0FFEE00'],
        ['s2', 42],
      ],
    });
  });

  it('FORMATTED_VALUE (the default) reads text; COLUMNS transposes', () => {
    expect(ok(call('GET', '/values/Log!A2:B3')).values).toEqual([
      ['s1', 'C0FFEE00'],
      ['s2', '42'],
    ]);
    expect(
      ok(
        call('GET', '/values/Log!A1:B3', undefined, {
          majorDimension: 'COLUMNS',
          valueRenderOption: 'UNFORMATTED_VALUE',
        }),
      ).values,
    ).toEqual([
      ['Session', 's1', 's2'],
      ['Card', 'C0FFEE00', 42],
    ]);
  });

  it('values.batchGet reads each range in order, an empty one without values; quoted names work', () => {
    const reply = ok(
      call('GET', '/values:batchGet', undefined, {
        ranges: ["'Log'!1:1", "'Bob''s tab'!A1:B2"],
        valueRenderOption: 'UNFORMATTED_VALUE',
      }),
    );
    expect(reply.valueRanges).toEqual([
      { range: 'Log!A1:Z1', majorDimension: 'ROWS', values: [['Session', 'Card']] },
      { range: "'Bob''s tab'!A1:B2", majorDimension: 'ROWS' },
    ]);
  });

  it('values.batchGet of no ranges answers no value ranges', () => {
    expect(ok(call('GET', '/values:batchGet'))).toEqual({ spreadsheetId: ID });
  });

  it.each([
    ['beyond the last row', 'Log!A1001'],
    ['beyond the last column', 'Log!AA1:AA2'],
  ])('a read %s is a 400 (exceeds grid limits)', (_, range) => {
    const answer = call('GET', `/values/${range}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 400,
        message: expect.stringContaining('exceeds grid limits') as unknown,
        status: 'INVALID_ARGUMENT',
      },
    });
  });

  it.each([
    ['RAW', '=1+1', '=1+1'],
    ['RAW', '12', '12'],
    ['USER_ENTERED', '12', 12],
    ['USER_ENTERED', '=1+1', 'FORMULA:=1+1'],
    ['USER_ENTERED', 'text', 'text'],
  ])('values.update %s writes %j as %j', (option, input, stored) => {
    ok(call('PUT', '/values/Log!C2', { values: [[input]] }, { valueInputOption: option }));
    expect(log()[1]?.[2]).toEqual(stored);
  });

  it('values.update skips null cells, and answers what it updated', () => {
    const reply = ok(
      call(
        'PUT',
        '/values/Log!A2',
        { values: [[null, 'X', null, 'Y']] },
        { valueInputOption: 'RAW' },
      ),
    );
    expect(log()[1]).toEqual(['s1', 'X', '', 'Y']);
    expect(reply).toEqual({
      spreadsheetId: ID,
      updatedRange: 'Log!A2:D2',
      updatedRows: 1,
      updatedColumns: 2,
      updatedCells: 2,
    });
  });

  it('values.update beyond an explicit range is a 400 and writes nothing', () => {
    const answer = call(
      'PUT',
      '/values/Log!A2:B2',
      { values: [['a', 'b', 'c']] },
      { valueInputOption: 'RAW' },
    );
    expect(answer.status).toBe(400);
    expect(log()[1]).toEqual(['s1', 'C0FFEE00']);
  });

  it('a write without a valueInputOption is a 400', () => {
    expect(call('PUT', '/values/Log!A2', { values: [['x']] }).status).toBe(400);
  });

  it('values.batchUpdate writes every range, or none when one fails', () => {
    const reply = ok(
      call('POST', '/values:batchUpdate', {
        valueInputOption: 'RAW',
        data: [
          { range: 'Log!B2', values: [['x']] },
          { range: 'Log!A4', values: [['s3', 'y']] },
        ],
      }),
    );
    expect(reply).toMatchObject({
      totalUpdatedCells: 3,
      totalUpdatedRows: 2,
      totalUpdatedSheets: 1,
    });
    expect(log().slice(1)).toEqual([
      ['s1', 'x'],
      ['s2', 42],
      ['s3', 'y'],
    ]);
    const failed = call('POST', '/values:batchUpdate', {
      valueInputOption: 'RAW',
      data: [
        { range: 'Log!B2', values: [['changed']] },
        { range: 'Nowhere!A1', values: [['x']] },
      ],
    });
    expect(failed.status).toBe(400);
    expect(log()[1]).toEqual(['s1', 'x']);
  });

  it('values.append writes after the last row with data in its columns (a blank row does not end the table)', () => {
    model.setCell(ID, 'Log', 6, 0, 'far below');
    const reply = ok(
      call(
        'POST',
        '/values/Log!A:B:append',
        { values: [['s3', 'D']] },
        { valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' },
      ),
    );
    expect(reply).toEqual({
      spreadsheetId: ID,
      tableRange: 'Log!A1:B6',
      updates: {
        spreadsheetId: ID,
        updatedRange: 'Log!A7:B7',
        updatedRows: 1,
        updatedColumns: 2,
        updatedCells: 2,
      },
    });
    expect(log().slice(3)).toEqual([[], [], ['far below'], ['s3', 'D']]);
  });

  it('values.append with INSERT_ROWS moves the rows below down, with their metadata', () => {
    model.setCell(ID, 'Log', 4, 2, 'note in C');
    const sheetId = sheetIdOf('Log');
    ok(batch(tag(sheetId, 3, 'note', 'below')));
    ok(
      call(
        'POST',
        '/values/Log!A:B:append',
        { values: [['s3', 'D']] },
        { valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' },
      ),
    );
    expect(log().slice(3)).toEqual([
      ['s3', 'D'],
      ['', '', 'note in C'],
    ]);
    expect(model.metadata(ID)).toMatchObject([
      { metadataKey: 'note', location: { dimensionRange: { startIndex: 4, endIndex: 5 } } },
    ]);
    expect(model.gridSize(ID, 'Log').rowCount).toBe(1001);
  });

  it('values.append with OVERWRITE (the default) writes over the rows below without moving them', () => {
    ok(
      call(
        'POST',
        '/values/Log!A:B:append',
        { values: [['s3', 'D']] },
        { valueInputOption: 'RAW' },
      ),
    );
    expect(log().slice(3)).toEqual([['s3', 'D']]);
    expect(model.gridSize(ID, 'Log').rowCount).toBe(1000);
  });

  it('values.clear blanks the range', () => {
    ok(call('POST', '/values/Log!B2:B3:clear', {}));
    expect(log().slice(1)).toEqual([['s1'], ['s2']]);
  });
});

describe('spreadsheets.batchUpdate', () => {
  it('applies its requests atomically: one 400 and nothing of the batch is applied', () => {
    const sheetId = seed();
    const before = {
      values: log(),
      metadata: model.metadata(ID),
      tabs: model.tabTitles(ID),
      title: model.title(ID),
    };
    const answer = batch(
      { updateSpreadsheetProperties: { properties: { title: 'Renamed' }, fields: 'title' } },
      { addSheet: { properties: { title: 'Extra' } } },
      { insertDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 1, endIndex: 2 } } },
      {
        updateCells: {
          start: { sheetId, rowIndex: 1, columnIndex: 0 },
          rows: [{ values: [{ userEnteredValue: { stringValue: 'new' } }] }],
          fields: 'userEnteredValue',
        },
      },
      tag(sheetId, 1, 'session', 'new'),
      { deleteDeveloperMetadata: { dataFilter: lookup('session', 's3') } },
      {
        insertDimension: {
          range: { sheetId, dimension: 'ROWS', startIndex: 5000, endIndex: 5001 },
        },
      },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 400,
        message: expect.stringMatching(/^Invalid requests\[6\]\.insertDimension: /) as unknown,
        status: 'INVALID_ARGUMENT',
      },
    });
    expect({
      values: log(),
      metadata: model.metadata(ID),
      tabs: model.tabTitles(ID),
      title: model.title(ID),
    }).toEqual(before);
    expect(model.gridSize(ID, 'Log').rowCount).toBe(1000);
  });

  it('a workbook at its cell limit refuses new rows with Google’s 400, and takes writes into the rows it has', () => {
    const sheetId = seed();
    const cells = model.gridSize(ID, 'Log').rowCount * model.gridSize(ID, 'Log').columnCount;
    model.setCellLimit(ID, cells);
    const insert = {
      insertDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 4, endIndex: 5 } },
    };
    expect(batch(insert).body).toEqual({
      error: {
        code: 400,
        message: `Invalid requests[0].insertDimension: This action would increase the number of cells in the workbook above the limit of ${cells} cells.`,
        status: 'INVALID_ARGUMENT',
      },
    });
    ok(
      batch({
        updateCells: {
          start: { sheetId, rowIndex: 1, columnIndex: 2 },
          rows: [{ values: [{ userEnteredValue: { stringValue: 'out' } }] }],
          fields: 'userEnteredValue',
        },
      }),
    );
    expect(log()[1]).toEqual(['s1', 'C', 'out']);
    model.setCellLimit(ID, null);
    ok(batch(insert));
    expect(model.gridSize(ID, 'Log').rowCount).toBe(1001);
  });

  it('insertDimension + updateCells + createDeveloperMetadata in one batch put the values and the tag on the new row', () => {
    const sheetId = seed();
    const reply = ok(
      batch(
        {
          insertDimension: {
            range: { sheetId, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
            inheritFromBefore: true,
          },
        },
        {
          updateCells: {
            start: { sheetId, rowIndex: 2, columnIndex: 0 },
            rows: [
              {
                values: [
                  { userEnteredValue: { stringValue: 's9' } },
                  { userEnteredValue: { numberValue: 7 } },
                  { userEnteredValue: { boolValue: true } },
                ],
              },
            ],
            fields: 'userEnteredValue',
          },
        },
        tag(sheetId, 2, 'session', 's9'),
      ),
    );
    expect(log()).toEqual([
      ['Session', 'Card', 'Out'],
      ['s1', 'C', ''],
      ['s9', 7, true],
      ['s2', 'A', ''],
      ['s3', 'B', ''],
    ]);
    expect(reply.replies).toEqual([
      {},
      {},
      {
        createDeveloperMetadata: {
          developerMetadata: {
            metadataId: 4,
            metadataKey: 'session',
            metadataValue: 's9',
            location: {
              locationType: 'ROW',
              dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
            },
            visibility: 'DOCUMENT',
          },
        },
      },
    ]);
    const found = ok(
      call('POST', '/values:batchGetByDataFilter', {
        dataFilters: [lookup('session', 's9')],
        valueRenderOption: 'UNFORMATTED_VALUE',
      }),
    );
    expect(found.valueRanges).toEqual([
      {
        valueRange: { range: 'Log!A3:Z3', majorDimension: 'ROWS', values: [['s9', 7, true]] },
        dataFilters: [lookup('session', 's9')],
      },
    ]);
    // The row that was at index 2 moved down with its tag.
    const s2 = ok(
      call('POST', '/developerMetadata:search', { dataFilters: [lookup('session', 's2')] }),
    );
    expect(s2).toMatchObject({
      matchedDeveloperMetadata: [
        { developerMetadata: { location: { dimensionRange: { startIndex: 3, endIndex: 4 } } } },
      ],
    });
  });

  it.each([
    [
      'startIndex beyond the grid',
      { range: { dimension: 'ROWS', startIndex: 1001, endIndex: 1002 } },
    ],
    [
      'inheriting from before row 0',
      { range: { dimension: 'ROWS', startIndex: 0, endIndex: 1 }, inheritFromBefore: true },
    ],
    ['an unbounded range', { range: { dimension: 'ROWS', startIndex: 3 } }],
    ['an empty range', { range: { dimension: 'ROWS', startIndex: 3, endIndex: 3 } }],
  ])('insertDimension with %s is a 400', (_, request) => {
    const sheetId = seed();
    const answer = batch({ insertDimension: { ...request, range: { ...request.range, sheetId } } });
    expect(answer.status).toBe(400);
  });

  it('insertDimension at rowCount (just below the grid) is allowed', () => {
    const sheetId = seed();
    ok(
      batch({
        insertDimension: {
          range: { sheetId, dimension: 'ROWS', startIndex: 1000, endIndex: 1002 },
          inheritFromBefore: true,
        },
      }),
    );
    expect(model.gridSize(ID, 'Log').rowCount).toBe(1002);
  });

  it('deleteDimension removes the rows and the metadata on them; rows below move up with theirs', () => {
    const sheetId = seed();
    ok(
      batch({
        deleteDimension: { range: { sheetId, dimension: 'ROWS', startIndex: 1, endIndex: 2 } },
      }),
    );
    expect(log().map((r) => r[0])).toEqual(['Session', 's2', 's3']);
    expect(
      model
        .metadata(ID)
        .map((m) => [
          m.metadataValue,
          (m.location as { dimensionRange: { startIndex: number } }).dimensionRange.startIndex,
        ]),
    ).toEqual([
      ['s2', 1],
      ['s3', 2],
    ]);
  });

  it.each([
    [
      'a CellData without userEnteredValue clears the cell (the field mask names it)',
      [{}, { userEnteredValue: { stringValue: 'b' } }],
      'userEnteredValue',
      ['', 'b', ''],
    ],
    [
      'a field mask without userEnteredValue leaves values alone',
      [{ userEnteredValue: { stringValue: 'x' } }],
      'userEnteredFormat',
      ['s1', 'C', ''],
    ],
    [
      '"*" writes values',
      [{ userEnteredValue: { formulaValue: '=A1' } }],
      '*',
      ['FORMULA:=A1', 'C', ''],
    ],
  ])('updateCells: %s', (_, values, fields, row) => {
    const sheetId = seed();
    ok(
      batch({
        updateCells: {
          start: { sheetId, rowIndex: 1, columnIndex: 0 },
          rows: [{ values }],
          fields,
        },
      }),
    );
    expect(log()[1]).toEqual(row);
  });

  it('updateCells beyond the grid is a 400', () => {
    const sheetId = seed();
    const answer = batch({
      updateCells: {
        start: { sheetId, rowIndex: 1000, columnIndex: 0 },
        rows: [{ values: [{ userEnteredValue: { stringValue: 'x' } }] }],
        fields: 'userEnteredValue',
      },
    });
    expect(answer.status).toBe(400);
  });

  it.each([
    ['no key', { metadataKey: undefined }],
    ['no visibility', { visibility: undefined }],
    [
      'a range of two rows',
      { location: { dimensionRange: { dimension: 'ROWS', startIndex: 1, endIndex: 3 } } },
    ],
    [
      'a row outside the grid',
      { location: { dimensionRange: { dimension: 'ROWS', startIndex: 1000, endIndex: 1001 } } },
    ],
    ['an id already taken', { metadataId: 1 }],
    ['a negative id', { metadataId: -4 }],
  ])('createDeveloperMetadata with %s is a 400', (_, change) => {
    const sheetId = seed();
    const base = tag(sheetId, 1, 'k', 'v').createDeveloperMetadata as { developerMetadata: Body };
    const developerMetadata: Body = { ...base.developerMetadata, ...change };
    const location = developerMetadata.location as { dimensionRange?: Body };
    if (location.dimensionRange !== undefined)
      location.dimensionRange = { ...location.dimensionRange, sheetId };
    expect(batch({ createDeveloperMetadata: { developerMetadata } }).status).toBe(400);
  });

  it('createDeveloperMetadata on a sheet, the spreadsheet, and twice on one row; ids from a counter or as given', () => {
    const sheetId = seed();
    const reply = ok(
      batch(
        {
          createDeveloperMetadata: {
            developerMetadata: { metadataKey: 'tab', location: { sheetId }, visibility: 'PROJECT' },
          },
        },
        {
          createDeveloperMetadata: {
            developerMetadata: {
              metadataId: 77,
              metadataKey: 'doc',
              metadataValue: 'v1',
              location: { spreadsheet: true },
              visibility: 'DOCUMENT',
            },
          },
        },
        tag(sheetId, 2, 'card', 'A'),
      ),
    );
    expect(
      (reply.replies as Body[]).map(
        (r) => (r.createDeveloperMetadata as { developerMetadata: Body }).developerMetadata,
      ),
    ).toEqual([
      {
        metadataId: 4,
        metadataKey: 'tab',
        location: { locationType: 'SHEET', sheetId },
        visibility: 'PROJECT',
      },
      {
        metadataId: 77,
        metadataKey: 'doc',
        metadataValue: 'v1',
        location: { locationType: 'SPREADSHEET', spreadsheet: true },
        visibility: 'DOCUMENT',
      },
      {
        metadataId: 5,
        metadataKey: 'card',
        metadataValue: 'A',
        location: {
          locationType: 'ROW',
          dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
        },
        visibility: 'DOCUMENT',
      },
    ]);
    const onRow = ok(
      call('POST', '/developerMetadata:search', {
        dataFilters: [{ gridRange: { sheetId, startRowIndex: 2, endRowIndex: 3 } }],
      }),
    );
    expect(
      (onRow.matchedDeveloperMetadata as { developerMetadata: Body }[]).map(
        (m) => m.developerMetadata.metadataKey,
      ),
    ).toEqual(['tab', 'session', 'card']);
  });

  it('deleteDeveloperMetadata answers what it deleted; a filter that matches nothing deletes nothing', () => {
    const sheetId = seed();
    const reply = ok(
      batch(
        { deleteDeveloperMetadata: { dataFilter: lookup('session', 's2') } },
        { deleteDeveloperMetadata: { dataFilter: lookup('nothing') } },
      ),
    );
    expect(reply.replies).toEqual([
      {
        deleteDeveloperMetadata: {
          deletedDeveloperMetadata: [
            {
              metadataId: 2,
              metadataKey: 'session',
              metadataValue: 's2',
              location: {
                locationType: 'ROW',
                dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
              },
              visibility: 'DOCUMENT',
            },
          ],
        },
      },
      { deleteDeveloperMetadata: {} },
    ]);
    expect(model.metadata(ID).map((m) => m.metadataValue)).toEqual(['s1', 's3']);
  });

  it('an unmodelled request is a 400, and updateSpreadsheetProperties renames', () => {
    expect(batch({ sortRange: {} }).status).toBe(400);
    ok(
      batch({
        updateSpreadsheetProperties: { properties: { title: 'Time clock' }, fields: 'title' },
      }),
    );
    expect(model.title(ID)).toBe('Time clock');
  });
});

describe('metadata follows its row', () => {
  const rowOf = (session: string): number | undefined => {
    const found = ok(
      call('POST', '/developerMetadata:search', { dataFilters: [lookup('session', session)] }),
    );
    const [match] = (found.matchedDeveloperMetadata ?? []) as {
      developerMetadata: { location: { dimensionRange: { startIndex: number } } };
    }[];
    return match?.developerMetadata.location.dimensionRange.startIndex;
  };

  it.each([
    [
      'a sort by card, ascending',
      () => {
        model.sortRows(ID, 'Log', 1);
      },
      { s1: 3, s2: 1, s3: 2 },
    ],
    [
      'a sort by card, descending',
      () => {
        model.sortRows(ID, 'Log', 1, true);
      },
      { s1: 1, s2: 3, s3: 2 },
    ],
    [
      'two rows inserted above s2',
      () => {
        model.insertRows(ID, 'Log', 3, 2);
      },
      { s1: 1, s2: 4, s3: 5 },
    ],
    [
      'a row inserted by the API above s1',
      () =>
        ok(
          batch({
            insertDimension: {
              range: { sheetId: sheetIdOf('Log'), dimension: 'ROWS', startIndex: 1, endIndex: 2 },
            },
          }),
        ),
      { s1: 2, s2: 3, s3: 4 },
    ],
    [
      's2 deleted',
      () => {
        model.deleteRow(ID, 'Log', 3);
      },
      { s1: 1, s2: undefined, s3: 2 },
    ],
    [
      'a row inserted below s3',
      () => {
        model.insertRows(ID, 'Log', 5, 1);
      },
      { s1: 1, s2: 2, s3: 3 },
    ],
  ])('after %s', (_, edit, rows) => {
    seed();
    edit();
    expect({ s1: rowOf('s1'), s2: rowOf('s2'), s3: rowOf('s3') }).toEqual(rows);
    // The tagged row still holds its session's values.
    for (const [session, row] of Object.entries(rows))
      if (row !== undefined) expect(log()[row]?.[0]).toBe(session);
  });

  it('a data-filter write never lands in another row after a sort', () => {
    seed();
    model.sortRows(ID, 'Log', 1);
    ok(
      call('POST', '/values:batchUpdateByDataFilter', {
        valueInputOption: 'RAW',
        data: [
          {
            dataFilter: lookup('session', 's1'),
            majorDimension: 'ROWS',
            values: [[null, null, 'out']],
          },
        ],
      }),
    );
    expect(log()).toEqual([
      ['Session', 'Card', 'Out'],
      ['s2', 'A', ''],
      ['s3', 'B', ''],
      ['s1', 'C', 'out'],
    ]);
  });

  it('a person clearing the data rows leaves the rows and their metadata', () => {
    seed();
    model.clearDataRows(ID, 'Log');
    expect(log()).toEqual([['Session', 'Card', 'Out']]);
    expect(rowOf('s3')).toBe(3);
  });
});

describe('values:batchGetByDataFilter', () => {
  it('a lookup on rows gives one whole row per matched row, in row order, with the filters that matched it', () => {
    const sheetId = seed();
    ok(batch(tag(sheetId, 3, 'card', 'B'), tag(sheetId, 1, 'card', 'B')));
    model.sortRows(ID, 'Log', 0, true); // s3, s2, s1
    const filter = lookup('card', 'B');
    const reply = ok(
      call('POST', '/values:batchGetByDataFilter', {
        dataFilters: [filter],
        valueRenderOption: 'UNFORMATTED_VALUE',
        majorDimension: 'ROWS',
      }),
    );
    expect(reply).toEqual({
      spreadsheetId: ID,
      valueRanges: [
        {
          valueRange: { range: 'Log!A2:Z2', majorDimension: 'ROWS', values: [['s3', 'B']] },
          dataFilters: [filter],
        },
        {
          valueRange: { range: 'Log!A4:Z4', majorDimension: 'ROWS', values: [['s1', 'C']] },
          dataFilters: [filter],
        },
      ],
    });
  });

  it('a row matched by two filters is one value range listing both', () => {
    const sheetId = seed();
    ok(batch(tag(sheetId, 2, 'card', 'A')));
    const filters = [lookup('card', 'A'), lookup('session', 's2')];
    const reply = ok(
      call('POST', '/values:batchGetByDataFilter', {
        dataFilters: filters,
        valueRenderOption: 'UNFORMATTED_VALUE',
      }),
    );
    expect(reply.valueRanges).toEqual([
      {
        valueRange: { range: 'Log!A3:Z3', majorDimension: 'ROWS', values: [['s2', 'A']] },
        dataFilters: filters,
      },
    ]);
  });

  it.each([
    [
      'an a1Range',
      { a1Range: 'Log!A2:B3' },
      'Log!A2:B3',
      [
        ['s1', 'C'],
        ['s2', 'A'],
      ],
    ],
    [
      'a gridRange',
      {
        gridRange: {
          sheetId: 1000,
          startRowIndex: 3,
          endRowIndex: 4,
          startColumnIndex: 0,
          endColumnIndex: 2,
        },
      },
      'Log!A4:B4',
      [['s3', 'B']],
    ],
    [
      'a lookup by metadata id',
      { developerMetadataLookup: { metadataId: 1 } },
      'Log!A2:Z2',
      [['s1', 'C']],
    ],
  ])('reads %s', (_, filter, range, values) => {
    seed();
    const reply = ok(
      call('POST', '/values:batchGetByDataFilter', {
        dataFilters: [filter],
        valueRenderOption: 'UNFORMATTED_VALUE',
      }),
    );
    expect(reply.valueRanges).toEqual([
      { valueRange: { range, majorDimension: 'ROWS', values }, dataFilters: [filter] },
    ]);
  });

  it('a filter that matches nothing is no error: the answer has no value ranges', () => {
    seed();
    expect(
      ok(
        call('POST', '/values:batchGetByDataFilter', { dataFilters: [lookup('session', 'gone')] }),
      ),
    ).toEqual({ spreadsheetId: ID });
  });

  it('a lookup on a sheet reads the whole sheet', () => {
    const sheetId = seed();
    ok(
      batch({
        createDeveloperMetadata: {
          developerMetadata: { metadataKey: 'tab', location: { sheetId }, visibility: 'DOCUMENT' },
        },
      }),
    );
    const reply = ok(
      call('POST', '/values:batchGetByDataFilter', {
        dataFilters: [{ developerMetadataLookup: { metadataKey: 'tab' } }],
        valueRenderOption: 'UNFORMATTED_VALUE',
      }),
    );
    expect(reply.valueRanges).toMatchObject([
      {
        valueRange: {
          range: 'Log!A1:Z1000',
          values: [
            ['Session', 'Card', 'Out'],
            ['s1', 'C'],
            ['s2', 'A'],
            ['s3', 'B'],
          ],
        },
      },
    ]);
  });
});

describe('values:batchUpdateByDataFilter', () => {
  const update = (...data: unknown[]): ReturnType<typeof call> =>
    call('POST', '/values:batchUpdateByDataFilter', { valueInputOption: 'RAW', data });

  it('writes from column A of the matched row; a null cell keeps its value', () => {
    const sheetId = seed();
    const filter = lookup('session', 's2');
    const reply = ok(
      update({ dataFilter: filter, majorDimension: 'ROWS', values: [[null, 'Z', 'out']] }),
    );
    expect(log()[2]).toEqual(['s2', 'Z', 'out']);
    expect(reply).toEqual({
      spreadsheetId: ID,
      totalUpdatedRows: 1,
      totalUpdatedColumns: 2,
      totalUpdatedCells: 2,
      totalUpdatedSheets: 1,
      responses: [
        {
          updatedRange: 'Log!A3:C3',
          updatedRows: 1,
          updatedColumns: 2,
          updatedCells: 2,
          dataFilter: filter,
        },
      ],
    });
    expect(sheetId).toBe(1000);
  });

  it('a filter that matches nothing writes nothing and is no error; the others are written', () => {
    seed();
    const before = log();
    expect(ok(update({ dataFilter: lookup('session', 'gone'), values: [['x', 'y']] }))).toEqual({
      spreadsheetId: ID,
    });
    expect(log()).toEqual(before);
    ok(
      update(
        { dataFilter: lookup('session', 'gone'), values: [['x']] },
        { dataFilter: lookup('session', 's3'), values: [[null, null, 'out']] },
      ),
    );
    expect(log()).toEqual([...before.slice(0, 3), ['s3', 'B', 'out']]);
  });

  it('a filter that matches several rows writes each', () => {
    const sheetId = seed();
    ok(batch(tag(sheetId, 1, 'shift', 'night'), tag(sheetId, 3, 'shift', 'night')));
    const reply = ok(
      update({ dataFilter: lookup('shift', 'night'), values: [[null, null, 'auto']] }),
    );
    expect(log().map((r) => r[2])).toEqual(['Out', 'auto', '', 'auto']);
    expect(reply).toMatchObject({ totalUpdatedCells: 2, totalUpdatedRows: 2 });
    expect(reply.responses).toHaveLength(2);
  });

  it('values wider than the matched row (the grid) fail the whole request', () => {
    seed();
    const answer = update(
      { dataFilter: lookup('session', 's1'), values: [['x']] },
      { dataFilter: lookup('session', 's2'), values: [Array.from({ length: 27 }, () => 'w')] },
    );
    expect(answer.status).toBe(400);
    expect(log()[1]).toEqual(['s1', 'C', '']);
  });

  it('an a1Range is written within its bounds; more rows than it holds is a 400', () => {
    seed();
    ok(
      update({
        dataFilter: { a1Range: 'Log!E1:F2' },
        values: [
          ['Status', ''],
          ['Device', 'door'],
        ],
      }),
    );
    expect(log()[1]).toEqual(['s1', 'C', '', '', 'Device', 'door']);
    expect(
      update({ dataFilter: { a1Range: 'Log!E1:F2' }, values: [['a'], ['b'], ['c']] }).status,
    ).toBe(400);
  });
});

describe('developerMetadata:search', () => {
  it('finds metadata by lookup, with its current row, and lists every filter that matched it', () => {
    const sheetId = seed();
    model.insertRows(ID, 'Log', 2, 3);
    const filters = [lookup('session', 's1'), { developerMetadataLookup: { metadataId: 1 } }];
    expect(ok(call('POST', '/developerMetadata:search', { dataFilters: filters }))).toEqual({
      matchedDeveloperMetadata: [
        {
          developerMetadata: {
            metadataId: 1,
            metadataKey: 'session',
            metadataValue: 's1',
            location: {
              locationType: 'ROW',
              dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 4, endIndex: 5 },
            },
            visibility: 'DOCUMENT',
          },
          dataFilters: filters,
        },
      ],
    });
  });

  it('developerMetadata.get answers one entry by id, where it is now; an unknown id is a 404', () => {
    const sheetId = seed();
    model.sortRows(ID, 'Log', 1);
    expect(ok(call('GET', '/developerMetadata/2'))).toEqual({
      metadataId: 2,
      metadataKey: 'session',
      metadataValue: 's2',
      location: {
        locationType: 'ROW',
        dimensionRange: { sheetId, dimension: 'ROWS', startIndex: 1, endIndex: 2 },
      },
      visibility: 'DOCUMENT',
    });
    expect(call('GET', '/developerMetadata/99').status).toBe(404);
  });

  it('a search by key finds every row in row order; one that matches nothing answers {}', () => {
    seed();
    model.sortRows(ID, 'Log', 1);
    const found = ok(
      call('POST', '/developerMetadata:search', { dataFilters: [lookup('session')] }),
    );
    expect(
      (found.matchedDeveloperMetadata as { developerMetadata: Body }[]).map(
        (m) => m.developerMetadata.metadataValue,
      ),
    ).toEqual(['s2', 's3', 's1']);
    expect(
      ok(call('POST', '/developerMetadata:search', { dataFilters: [lookup('nothing')] })),
    ).toEqual({});
  });

  it.each([
    [
      'EXACT_LOCATION on the row',
      {
        locationMatchingStrategy: 'EXACT_LOCATION',
        metadataLocation: {
          dimensionRange: { sheetId: 1000, dimension: 'ROWS', startIndex: 2, endIndex: 3 },
        },
      },
      ['s2'],
    ],
    [
      'INTERSECTING rows 2-3',
      {
        metadataLocation: {
          dimensionRange: { sheetId: 1000, dimension: 'ROWS', startIndex: 2, endIndex: 4 },
        },
      },
      ['s2', 's3'],
    ],
    ['the sheet, intersecting', { metadataLocation: { sheetId: 1000 } }, ['s1', 's2', 's3']],
  ])('a lookup by location: %s', (_, developerMetadataLookup, values) => {
    seed();
    const found = ok(
      call('POST', '/developerMetadata:search', { dataFilters: [{ developerMetadataLookup }] }),
    );
    expect(
      (found.matchedDeveloperMetadata as { developerMetadata: Body }[]).map(
        (m) => m.developerMetadata.metadataValue,
      ),
    ).toEqual(values);
  });
});

describe('sharing, errors and quota', () => {
  it.each([
    ['a stranger reads', 'GET', '', 'stranger@example.com', 403],
    ['a Viewer reads', 'GET', '', VIEWER, 200],
    [
      'a Viewer reads by data filter (a POST that is a read)',
      'POST',
      '/values:batchGetByDataFilter',
      VIEWER,
      200,
    ],
    ['a Viewer searches metadata', 'POST', '/developerMetadata:search', VIEWER, 200],
    ['a Viewer writes', 'POST', ':batchUpdate', VIEWER, 403],
    ['an Editor writes', 'POST', ':batchUpdate', CLOCK, 200],
  ])('%s: %s', (_, method, path, account, status) => {
    expect(call(method, path, {}, {}, account).status).toBe(status);
  });

  it('after unsharing, the account gets 403; sharing it as a Viewer allows reads only', () => {
    model.unshare(ID, CLOCK);
    expect(call('GET', '').body).toEqual({
      error: {
        code: 403,
        message: 'The caller does not have permission',
        status: 'PERMISSION_DENIED',
      },
    });
    model.share(ID, CLOCK, 'viewer');
    expect(call('GET', '').status).toBe(200);
    expect(batch().status).toBe(403);
  });

  it('an unknown spreadsheet is a 404, an unknown route too', () => {
    expect(
      model.request({ method: 'GET', path: '/v4/spreadsheets/nope', account: CLOCK }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 404, status: 'NOT_FOUND' } },
    });
    expect(call('DELETE', '').status).toBe(404);
  });

  it('a per-minute quota answers 429 with Retry-After, counted apart for reads and writes, by the injected clock', () => {
    model.setQuota({ readsPerMinute: 2, writesPerMinute: 1 });
    clock = 60_000 * 10 + 15_000;
    expect(call('GET', '').status).toBe(200);
    expect(call('GET', '').status).toBe(200);
    const refused = call('GET', '');
    expect(refused.status).toBe(429);
    expect(refused.headers).toEqual({ 'retry-after': '45' });
    expect(refused.body).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect(batch().status).toBe(200);
    expect(batch().status).toBe(429);
    expect(call('GET', '', undefined, {}, VIEWER).status).toBe(200); // per account
    clock = 60_000 * 11;
    expect(call('GET', '').status).toBe(200);
    expect(batch().status).toBe(200);
  });

  it('counts the JSON bytes of every answer per call', () => {
    seed();
    const answer = call('POST', '/values:batchGetByDataFilter', {
      dataFilters: [lookup('session')],
    });
    const refused = call('GET', '', undefined, {}, 'stranger@example.com');
    expect(model.bytesOut['values.batchGetByDataFilter']).toBe(JSON.stringify(answer.body).length);
    expect(model.requestsByCall['spreadsheets.get']).toBe(2); // seed() read it once
    expect(model.bytesOut['spreadsheets.get']).toBeGreaterThan(JSON.stringify(refused.body).length);
  });

  it('counts a read by data filters as its JSON, whatever the rows hold, however it reads them and after they change', () => {
    seed();
    const cell = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(''),
    );
    const filter = fc.oneof(
      // A tag by key and value alone, and the same with a location type: both find the row.
      fc.constantFrom('s1', 's2', 's3', 'none').map((value) => ({
        developerMetadataLookup: { metadataKey: 'session', metadataValue: value },
      })),
      fc.constantFrom('s1', 's3').map((value) => lookup('session', value)),
      fc.constantFrom('Log!A:C', 'Log!B2:C4', 'Log!A1:Z9', 'Log').map((a1Range) => ({ a1Range })),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }), cell), {
          maxLength: 4,
        }),
        fc.array(filter, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('UNFORMATTED_VALUE', 'FORMATTED_VALUE'),
        fc.constantFrom('ROWS', 'COLUMNS'),
        (edits, dataFilters, valueRenderOption, majorDimension) => {
          for (const [row, column, value] of edits) model.setCell(ID, 'Log', row, column, value);
          const before = model.bytesOut['values.batchGetByDataFilter'];
          const answer = model.request({
            method: 'POST',
            path: `${BASE}/values:batchGetByDataFilter`,
            body: { dataFilters, valueRenderOption, majorDimension },
            account: CLOCK,
          });
          expect(answer.status).toBe(200);
          expect(model.bytesOut['values.batchGetByDataFilter'] - before).toBe(
            JSON.stringify(answer.body).length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a person editing the sheet', () => {
  it('sorts as Sheets does: numbers, then text without regard to case, then booleans; blanks last; stable', () => {
    model.addTab(ID, 'Log', [
      ['h', 'n'],
      ['b', 1],
      [true, 2],
      ['', 3],
      [10, 4],
      ['A', 5],
      [2, 6],
      [false, 7],
      ['a', 8],
    ]);
    model.sortRows(ID, 'Log', 0);
    expect(log().map((r) => r[1])).toEqual(['n', 6, 4, 5, 8, 1, 7, 2, 3]);
    model.sortRows(ID, 'Log', 0, true);
    expect(log().map((r) => r[1])).toEqual(['n', 2, 7, 1, 5, 8, 4, 6, 3]);
  });

  it('adds a column after the last header, renames a header, sets a cell', () => {
    model.addTab(ID, 'Log', [
      ['Session', 'Card'],
      ['s1', 'C'],
    ]);
    expect(model.addColumn(ID, 'Log', 'Notes')).toBe(2);
    model.renameHeader(ID, 'Log', 1, 'Badge');
    model.setCell(ID, 'Log', 2, 2, 'late');
    expect(log()).toEqual([
      ['Session', 'Badge', 'Notes'],
      ['s1', 'C', 'late'],
    ]);
  });

  it('adding a column past the grid grows it', () => {
    model.addTab(ID, 'Log', [Array.from({ length: 26 }, (_, i) => `h${i}`)]);
    model.addColumn(ID, 'Log', 'extra');
    expect(model.gridSize(ID, 'Log').columnCount).toBe(27);
  });
});

it('is deterministic: the same calls give the same answers', () => {
  const run = (): unknown[] => {
    model = new SpreadsheetModel();
    model.createSpreadsheet(ID, [CLOCK]);
    const out: unknown[] = [];
    seed();
    model.sortRows(ID, 'Log', 1);
    out.push(call('POST', '/developerMetadata:search', { dataFilters: [lookup('session')] }).body);
    out.push(batch(tag(1000, 2, 'x', 'y')).body, model.values(ID, 'Log'));
    return out;
  };
  expect(run()).toEqual(run());
});

describe('row metadata follows its row through any mix of inserts, deletes, tags and sorts', () => {
  type Op =
    | { kind: 'insert'; at: number; count: number }
    | { kind: 'delete'; at: number; count: number }
    | { kind: 'tag'; at: number }
    | { kind: 'untag'; at: number }
    | { kind: 'sort' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(40),
      count: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(40),
      count: fc.integer({ min: 1, max: 2 }),
    }),
    fc.record({ kind: fc.constant('tag' as const), at: fc.nat(40) }),
    fc.record({ kind: fc.constant('untag' as const), at: fc.nat(40) }),
    fc.record({ kind: fc.constant('sort' as const) }),
  );

  it('each tag stays on the row whose first cell names it', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        model = new SpreadsheetModel({ now: () => clock });
        model.createSpreadsheet(ID, [CLOCK]);
        model.addTab(ID, 'Log', [['Session']]);
        const sheetId = sheetIdOf('Log');
        let next = 0;
        for (const o of ops) {
          const rows = model.values(ID, 'Log').length;
          if (o.kind === 'insert') model.insertRows(ID, 'Log', 2 + (o.at % rows), o.count);
          else if (o.kind === 'delete' && rows > 1)
            model.deleteRow(ID, 'Log', 2 + (o.at % (rows - 1)), 1);
          else if (o.kind === 'sort') model.sortRows(ID, 'Log', 0, true);
          else if (o.kind === 'untag') {
            // As the clock moves its tail tag: one entry deleted, the others stay where they are.
            const values = model.metadata(ID).map((m) => String(m.metadataValue));
            const value = values[o.at % Math.max(1, values.length)];
            if (value !== undefined)
              ok(batch({ deleteDeveloperMetadata: { dataFilter: lookup('session', value) } }));
          } else if (o.kind === 'tag') {
            // As the clock adds a session: a row inserted, its cell written and tagged in one batch.
            const row = 1 + (o.at % rows);
            const value = `s${String(next++).padStart(3, '0')}`;
            ok(
              batch(
                {
                  insertDimension: {
                    range: { sheetId, dimension: 'ROWS', startIndex: row, endIndex: row + 1 },
                  },
                },
                {
                  updateCells: {
                    rows: [{ values: [{ userEnteredValue: { stringValue: value } }] }],
                    fields: 'userEnteredValue',
                    start: { sheetId, rowIndex: row, columnIndex: 0 },
                  },
                },
                tag(sheetId, row, 'session', value),
              ),
            );
          }
          const cells = model.values(ID, 'Log');
          for (const meta of model.metadata(ID)) {
            const location = meta.location as { dimensionRange: { startIndex: number } };
            expect(cells[location.dimensionRange.startIndex]?.[0]).toBe(meta.metadataValue);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
