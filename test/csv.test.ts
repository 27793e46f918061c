/** RFC 4180 CSV as the people file and the tap log use it: what is written reads back the same. */
import { csvField, csvLine, parseCsv } from '../src/formats/csv';

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
