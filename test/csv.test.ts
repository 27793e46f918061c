/** RFC 4180 CSV as the people file and the tap log use it: what is written reads back the same. */
import { csvField, csvLine, detectDelimiter, parseCsv } from '../src/formats/csv';

const fieldsOf = (text: string): (readonly string[])[] => parseCsv(text).map((r) => r.fields);

describe('parsing CSV', () => {
  it('splits plain records on commas and line breaks, numbering each record by its line', () => {
    expect(parseCsv('card,name\nB0B0B0B0,Bob\n')).toEqual([
      { fields: ['card', 'name'], line: 1 },
      { fields: ['B0B0B0B0', 'Bob'], line: 2 },
    ]);
  });

  it('reads CRLF, LF and lone CR line breaks alike', () => {
    expect(fieldsOf('a,b\r\nc,d\re,f\ng,h')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
      ['g', 'h'],
    ]);
  });

  it('skips blank lines but keeps counting them, so line numbers match an editor', () => {
    expect(parseCsv('\n\na,b\n\r\n\nc,d\n\n')).toEqual([
      { fields: ['a', 'b'], line: 3 },
      { fields: ['c', 'd'], line: 6 },
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    expect(fieldsOf('B0B0B0B0,"Okafor, Bob","say ""hi""","two\r\nlines"\n')).toEqual([
      ['B0B0B0B0', 'Okafor, Bob', 'say "hi"', 'two\r\nlines'],
    ]);
  });

  it('numbers a record after a multi-line quoted field by the line it starts on', () => {
    expect(parseCsv('a,"one\ntwo\nthree"\nb,c\n')).toEqual([
      { fields: ['a', 'one\ntwo\nthree'], line: 1 },
      { fields: ['b', 'c'], line: 4 },
    ]);
  });

  // Found while writing the people file's alias edit: csv-parse counts a CRLF inside quotes as
  // two lines, so every line number after a name Excel saved over two lines was off.
  it('numbers the records after a quoted field with a CRLF inside by the lines an editor shows', () => {
    expect(parseCsv('x,"b\r\nc"\r\nd,e\r\nf,g\r\n\r\nh,i\r\n').map((r) => r.line)).toEqual([
      1, 3, 4, 6,
    ]);
    expect(parseCsv('x,"b\r\nc"\r\nd,"e\r\nbroken\r\nf,g\r\n')).toEqual([
      { fields: ['x', 'b\r\nc'], line: 1 },
      expect.objectContaining({ line: 3, fields: [] }),
      { fields: ['broken'], line: 4 },
      { fields: ['f', 'g'], line: 5 },
    ]);
  });

  it('keeps empty fields, including trailing ones', () => {
    expect(fieldsOf('A1A1A1A1,,yes,\n,\n')).toEqual([
      ['A1A1A1A1', '', 'yes', ''],
      ['', ''],
    ]);
  });

  it('reads a last record without a line break', () => {
    expect(fieldsOf('a,b\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('does not trim spaces: they belong to the field', () => {
    expect(fieldsOf(' a , b \n')).toEqual([[' a ', ' b ']]);
  });

  it('reports a quote never closed on the line it opened, and reads on from the next line', () => {
    expect(parseCsv('a,b\nB0B0B0B0,"Okafor, Bob\nC1C1C1C1,Carol\nD2D2D2D2,Dee\n')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: [], line: 2, error: 'the quote opened on line 2 is never closed' },
      { fields: ['C1C1C1C1', 'Carol'], line: 3 },
      { fields: ['D2D2D2D2', 'Dee'], line: 4 },
    ]);
  });

  it('names the line of a stray quote after a multi-line field, and on a last line', () => {
    expect(parseCsv('a,"x\ny"\nb,"c\r\nd,e\r\n')).toEqual([
      { fields: ['a', 'x\ny'], line: 1 },
      { fields: [], line: 3, error: 'the quote opened on line 3 is never closed' },
      { fields: ['d', 'e'], line: 4 },
    ]);
    expect(parseCsv('f,"g')).toEqual([
      { fields: [], line: 1, error: 'the quote opened on line 1 is never closed' },
    ]);
  });

  it('refuses text after a closing quote, reporting the line the quote opened on', () => {
    expect(parseCsv('a,"b"c\nd,e\n')).toEqual([
      {
        fields: [],
        line: 1,
        error:
          'the quoted field opened on line 1 goes on after its closing quote (is a closing quote missing? a quote inside quotes is written "")',
      },
      { fields: ['d', 'e'], line: 2 },
    ]);
  });

  it('reads nothing from an empty text', () => {
    expect(parseCsv('')).toEqual([]);
  });

  it('keeps a quote inside a field that does not start with one, as people type nicknames', () => {
    expect(fieldsOf('B0B0B0B0,Bob "the boss" Okafor\nC1C1C1C1,Carol\n')).toEqual([
      ['B0B0B0B0', 'Bob "the boss" Okafor'],
      ['C1C1C1C1', 'Carol'],
    ]);
  });

  it('drops the byte order mark a spreadsheet writes at the start of a UTF-8 file', () => {
    expect(fieldsOf('\uFEFFcard,name\nB0B0B0B0,Zoë\n')).toEqual([
      ['card', 'name'],
      ['B0B0B0B0', 'Zoë'],
    ]);
  });
});

describe('separators', () => {
  it('reads a European Excel export, separated by semicolons, with commas inside its fields', () => {
    expect(parseCsv('"2026-03-02 08:00:00";"E0000000"\r\nB0B0B0B0;Okafor, Bob;yes;\r\n')).toEqual([
      { fields: ['2026-03-02 08:00:00', 'E0000000'], line: 1 },
      { fields: ['B0B0B0B0', 'Okafor, Bob', 'yes', ''], line: 2 },
    ]);
  });

  it('reads a tab-separated file', () => {
    expect(fieldsOf('card\tname\nB0B0B0B0\tOkafor, Bob; the boss\n')).toEqual([
      ['card', 'name'],
      ['B0B0B0B0', 'Okafor, Bob; the boss'],
    ]);
  });

  it.each([
    ['card,name,active,aliases\n', ','],
    ['card;name\n', ';'],
    ['card\tname\n', '\t'],
    ['"2026-03-02 08:00:00";"E0000000"\n', ';'],
    // The first column (a card or a timestamp) never holds a separator: the first one found is it.
    ['C1C1C1C1,Carol,,A1;B2;C3;D4;E5\n', ','],
    ['B0B0B0B0;Okafor, Bob;yes\n', ';'],
    ['"a,b";c\n', ';'],
    ['\n\n# people, kept by Bob; edit freely\ncard;name\n', ';'],
    ['B0B0B0B0\n', ','],
    ['', ','],
  ])('finds the separator of %j: %j', (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter);
  });
});

describe('malformed files', () => {
  it('reads 199 lines each with a stray quote without overflowing the stack, naming every line', () => {
    const text = Array.from({ length: 199 }, (_, i) => `"2026-03-02 08:00:00"x,C${i}`).join('\n');
    const records = parseCsv(`card,name\n${text}\nB0B0B0B0,Bob\n`);
    expect(records).toHaveLength(201);
    expect(records[1]).toEqual({
      fields: [],
      line: 2,
      error:
        'the quoted field opened on line 2 goes on after its closing quote (is a closing quote missing? a quote inside quotes is written "")',
    });
    expect(records.filter((r) => r.error !== undefined).map((r) => r.line)).toEqual(
      Array.from({ length: 199 }, (_, i) => i + 2),
    );
    expect(records.at(-1)).toEqual({ fields: ['B0B0B0B0', 'Bob'], line: 201 });
  });

  it('reads lines each opening a quote it never closes, losing only those lines', () => {
    const text = Array.from({ length: 150 }, (_, i) => `C${i},"Okafor, Bob`).join('\n');
    const records = parseCsv(`${text}\nB0B0B0B0,Bob`);
    expect(records).toHaveLength(151);
    // Each quote seems closed by the next line's, which goes on: the line is lost, and named.
    records.slice(0, 149).forEach((r, i) => {
      expect(r.line).toBe(i + 1);
      expect(r.error).toMatch(new RegExp(`^the quoted field opened on line ${i + 1} goes on`));
    });
    // The last has no quote after it.
    expect(records.at(-2)).toEqual({
      fields: [],
      line: 150,
      error: 'the quote opened on line 150 is never closed',
    });
    expect(records.at(-1)).toEqual({ fields: ['B0B0B0B0', 'Bob'], line: 151 });
  });

  it('stops after 200 unreadable lines of 100,000, at once and saying where', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `"C${i}"x,Someone`).join('\n');
    const started = Date.now();
    const records = parseCsv(`card,name\n${text}\n`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(records).toHaveLength(202);
    expect(records.at(-2)?.line).toBe(201);
    expect(records.at(-1)).toEqual({
      fields: [],
      line: 202,
      error:
        'reading stopped here, after 200 lines that could not be read as CSV: is this the right file, saved as CSV?',
    });
  });

  it('reports a record longer than 100,000 characters, and reads on after it', () => {
    const records = parseCsv(`B0B0B0B0,"${'x'.repeat(150_000)}\nC1C1C1C1,Carol\n`);
    expect(records[0]).toEqual({
      fields: [],
      line: 1,
      error:
        'the record starting on line 1 runs over 100000 characters (is a quote opened there never closed?)',
    });
    expect(records[1]).toEqual({ fields: ['C1C1C1C1', 'Carol'], line: 2 });
  });
});
describe('writing CSV', () => {
  it('leaves plain fields as they are', () => {
    expect(csvField('Bob')).toBe('Bob');
    expect(csvField('')).toBe('');
    expect(csvField(' spaced ')).toBe(' spaced ');
  });

  it('quotes a field with a comma, a quote or a line break, doubling its quotes', () => {
    expect(csvField('Okafor, Bob')).toBe('"Okafor, Bob"');
    expect(csvField('the "boss"')).toBe('"the ""boss"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
  });

  it('joins a line of fields without a line break', () => {
    expect(csvLine(['04A3C6CAE26180', '', 'yes', ''])).toBe('04A3C6CAE26180,,yes,');
    expect(csvLine(['card', 'Okafor, Bob'])).toBe('card,"Okafor, Bob"');
  });
});

describe('CSV round trips', () => {
  const awkward = [
    'Bob',
    'Okafor, Bob',
    'the "boss"',
    '"',
    '""',
    ',',
    'two\nlines',
    'cr\ronly',
    'crlf\r\nend',
    ' padded ',
    'Zoë Ünal',
    '=1+1',
    '',
  ];

  it.each(awkward.map((value) => [value]))('a field %j reads back as written', (value) => {
    const line = csvLine(['before', value, 'after']);
    expect(fieldsOf(`${line}\n`)).toEqual([['before', value, 'after']]);
  });

  it('a file of many records with awkward fields reads back record for record', () => {
    const records = awkward.map((value, i) => [
      `CARD${i}`,
      value,
      awkward[(i + 3) % awkward.length] ?? '',
    ]);
    const text = records.map((r) => `${csvLine(r)}\r\n`).join('');
    expect(fieldsOf(text)).toEqual(records);
  });
});
