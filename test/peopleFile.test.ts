/**
 * The local People directory: a CSV file the manager edits by hand, read back
 * by the clock, which appends the cards it has not seen. Real files in a temp dir.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, Subject, type Observable } from 'rxjs';
import {
  addAlias,
  appendCard,
  listCard,
  makePeopleFileDriver,
  parsePeople,
  PEOPLE_HEADER,
  readPeopleFile,
} from '../src/drivers/directory/peopleFile';
import type { AddAlias, DirectoryLoaded, ListCard } from '../streams/events';
import { record } from './support/record';
import { useTempDir } from './support/useTempDir';
import { until } from './support/until';

/** `text` matched literally inside a RegExp. */
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const FILE = '/srv/badgeclock/people.csv';

/**
 * Saves `content` as `path` in one step (written beside it, then renamed over it), so the
 * watcher never sees it half-written.
 */
function save(path: string, content: string | Buffer): void {
  writeFileSync(`${path}.saving`, content);
  renameSync(`${path}.saving`, path);
}

/** `text` in UTF-16, little- or big-endian, with a byte order mark unless `bom` is false. */
function utf16(text: string, endian: 'LE' | 'BE', bom = true): Buffer {
  const bytes = Buffer.from(`${bom ? '\ufeff' : ''}${text}`, 'utf16le');
  return endian === 'LE' ? bytes : bytes.swap16();
}

/** Excel's "Unicode Text": tab-separated UTF-16 LE with a byte order mark. */
const UNICODE_TEXT = utf16('card\tname\r\nB0B0B0B0\tBob Okafor\r\nC0C0C0C0\tCarol Jones\r\n', 'LE');

/** The start of an .xlsx (a ZIP archive), as a workbook saved under the CSV's name begins. */
const XLSX = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00]),
  Buffer.from('[Content_Types].xml'),
  Buffer.alloc(32),
  Buffer.from([0xed, 0x93, 0xcb, 0x6e, 0x0a, 0x00, 0x10, 0x85, 0xf7, 0x0a, 0x00, 0x7f, 0x01]),
]);

/** The fix every refusal names, for Excel and for LibreOffice. */
const FIX =
  /as CSV UTF-8 \(in Excel: .*"CSV UTF-8 \(Comma delimited\)".*in LibreOffice: .*"Unicode \(UTF-8\)"\)/;

describe('parsing the people file', () => {
  it('reads card, name, active and aliases under a header', () => {
    const text = [
      'card,name,active,aliases',
      '04A3C6CAE26180,Alice Martin,yes,0012345678',
      'B0B0B0B0,Bob,no,',
    ].join('\n');
    expect(parsePeople(text, FILE)).toEqual({
      people: [
        { card: '04A3C6CAE26180', name: 'Alice Martin', active: true, aliases: ['0012345678'] },
        { card: 'B0B0B0B0', name: 'Bob', active: false, aliases: [] },
      ],
      problems: [],
    });
  });

  it('needs no header, and a header may be in any case with fewer columns', () => {
    const people = [{ card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] }];
    expect(parsePeople('B0B0B0B0,Bob\n', FILE)).toEqual({ people, problems: [] });
    expect(parsePeople('Card,Name\nB0B0B0B0,Bob\n', FILE)).toEqual({ people, problems: [] });
  });

  it('takes just a card id on a line: no name yet, active', () => {
    expect(parsePeople('card,name\nCAFE0001\n', FILE).people).toEqual([
      { card: 'CAFE0001', name: '', active: true, aliases: [] },
    ]);
  });

  it('reads quoted names holding commas and quotes', () => {
    const text = 'B0B0B0B0,"Okafor, Bob"\nC0C0C0C0,"Carol ""CJ"" Jones",yes\n';
    expect(parsePeople(text, FILE).people.map((p) => p.name)).toEqual([
      'Okafor, Bob',
      'Carol "CJ" Jones',
    ]);
  });

  it('reports a quote never closed with its file and line, and still loads the lines after it', () => {
    const text = 'card,name\nB0B0B0B0,"Okafor, Bob\nC0C0C0C0,Carol\nD0D0D0D0,Dee\n';
    expect(parsePeople(text, FILE)).toEqual({
      people: [
        { card: 'C0C0C0C0', name: 'Carol', active: true, aliases: [] },
        { card: 'D0D0D0D0', name: 'Dee', active: true, aliases: [] },
      ],
      problems: [`${FILE}:2: the quote opened on line 2 is never closed`],
    });
  });

  it('loses only the line of a stray quote even when a later field is quoted', () => {
    const text = [
      'card,name',
      '04AABBCC,"O\'Brien, Pat',
      'A1A1A1A1,Alice',
      'B2B2B2B2,"Smith, John"',
      'D4D4D4D4,Dora',
    ].join('\n');
    const { people, problems } = parsePeople(text, FILE);
    expect(people.map((p) => p.name)).toEqual(['Alice', 'Smith, John', 'Dora']);
    expect(problems).toEqual([
      `${FILE}:2: the quoted field opened on line 2 goes on after its closing quote (is a closing quote missing? a quote inside quotes is written "")`,
    ]);
  });

  it('normalises card ids as the reader does, so a typed id matches a scanned one', () => {
    const text = '04:a3:c6:ca:e2:61:80,Alice\n0xb0b0b0b0,Bob\n  c0c0c0c0  ,  Carol  \n';
    expect(parsePeople(text, FILE).people.map((p) => [p.card, p.name])).toEqual([
      ['04A3C6CAE26180', 'Alice'],
      ['B0B0B0B0', 'Bob'],
      ['C0C0C0C0', 'Carol'],
    ]);
  });

  it.each([
    ['yes', true],
    ['YES', true],
    ['y', true],
    ['true', true],
    ['1', true],
    ['active', true],
    ['', true],
    ['no', false],
    ['No', false],
    ['n', false],
    ['false', false],
    ['0', false],
    ['inactive', false],
    ['off', false],
  ])('reads active %j as %s', (active, expected) => {
    expect(parsePeople(`B0B0B0B0,Bob,${active}\n`, FILE).people[0]?.active).toBe(expected);
  });

  it('reads "admin" in the active column as an admin card, which is active', () => {
    const text =
      'card,name,active\nAD000001,Manager,admin\nB0B0B0B0,Bob,yes\nC0C0C0C0,Deputy,Admin\n';
    expect(parsePeople(text, FILE)).toEqual({
      people: [
        { card: 'AD000001', name: 'Manager', active: true, aliases: [], admin: true },
        { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] },
        { card: 'C0C0C0C0', name: 'Deputy', active: true, aliases: [], admin: true },
      ],
      problems: [],
    });
    expect(parsePeople(text, FILE).people[1]).not.toHaveProperty('admin');
  });

  it('reads aliases separated by spaces or semicolons, each in canonical form', () => {
    const text =
      'card,name,active,aliases\n04A3C6CAE26180,Alice,yes,"0012345678; 04:a3:c6:ca  deadbeef"\n';
    expect(parsePeople(text, FILE).people[0]?.aliases).toEqual([
      '0012345678',
      '04A3C6CA',
      'DEADBEEF',
    ]);
  });

  it('skips comment lines starting with #', () => {
    const text = 'card,name\n# the night shift\nB0B0B0B0,Bob\n#C0C0C0C0,Carol\n';
    expect(parsePeople(text, FILE)).toEqual({
      people: [{ card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] }],
      problems: [],
    });
  });

  it('reports each bad line with file:line and what is wrong, skips it, and loads the rest', () => {
    const text = [
      'card,name,active,aliases',
      'B0B0B0B0,Bob,yes,',
      'not a card,Mallory,yes,',
      'C0C0C0C0,Carol,sometimes,',
      '',
      'D0D0D0D0,Dave,no,',
      'B0B0B0B0,Bob again,yes,',
      '"E0E0E0E0","Eve, with a',
      'line break",yes,',
      'F0F0F0F0,Frank,yes,',
    ].join('\n');
    const { people, problems } = parsePeople(text, FILE);
    expect(people.map((p) => p.name)).toEqual(['Bob', 'Dave', 'Eve, with a\nline break', 'Frank']);
    expect(problems).toEqual([
      `${FILE}:3: not a card id: "not a card" (expected hex or decimal digits)`,
      `${FILE}:4: active must be yes, no or admin, got "sometimes"`,
      `${FILE}:7: card B0B0B0B0 is listed again; the first listing is used`,
    ]);
  });

  it('keeps a person whose alias is bad, reporting the alias', () => {
    const { people, problems } = parsePeople('B0B0B0B0,Bob,yes,0012345678 ABC\n', FILE);
    expect(people).toEqual([
      { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: ['0012345678'] },
    ]);
    expect(problems).toEqual([
      `${FILE}:1: alias "ABC": hex card id has an odd number of digits (3)`,
    ]);
  });

  it("refuses a line whose card is another line's alias, naming both lines, and keeps the rest", () => {
    const text = [
      'card,name,active,aliases',
      'AABBCCDD,Eve,yes,04A3C6CA',
      '04A3C6CA,Alice,yes,',
      'B0B0B0B0,Bob,yes,',
    ].join('\n');
    const { people, problems } = parsePeople(text, FILE);
    expect(people.map((p) => p.name)).toEqual(['Eve', 'Bob']);
    expect(problems).toEqual([
      `${FILE}:3: card 04A3C6CA is already an alias on line 2 (Eve); this line is not used`,
    ]);
  });

  it("leaves out an alias that is another line's card or alias, naming that line, and keeps its person", () => {
    const text = [
      '04A3C6CA,Alice,yes,',
      'AABBCCDD,Eve,yes,04A3C6CA 0012345678',
      'B0B0B0B0,,yes,0012345678;C0C0C0C0',
      'C0C0C0C0,Carol,yes,B0B0B0B0 C0C0C0C0',
    ].join('\n');
    const { people, problems } = parsePeople(text, FILE);
    expect(people).toEqual([
      { card: '04A3C6CA', name: 'Alice', active: true, aliases: [] },
      { card: 'AABBCCDD', name: 'Eve', active: true, aliases: ['0012345678'] },
      { card: 'B0B0B0B0', name: '', active: true, aliases: ['C0C0C0C0'] },
    ]);
    expect(problems).toEqual([
      `${FILE}:2: alias 04A3C6CA is already the card on line 1 (Alice); it is left out here`,
      `${FILE}:3: alias 0012345678 is already an alias on line 2 (Eve); it is left out here`,
      `${FILE}:4: card C0C0C0C0 is already an alias on line 3; this line is not used`,
    ]);
  });

  it('reads a file saved with CRLF line ends and a byte-order mark, as a spreadsheet exports it', () => {
    const text = '\ufeffcard,name,active\r\nB0B0B0B0,"Okafor, Bob",yes\r\n';
    expect(parsePeople(text, FILE)).toEqual({
      people: [{ card: 'B0B0B0B0', name: 'Okafor, Bob', active: true, aliases: [] }],
      problems: [],
    });
  });
});

describe('the people file on disk', () => {
  const dir = useTempDir('people');
  const file = (): string => join(dir(), 'people.csv');

  it('is an empty directory while the file does not exist', () => {
    expect(readPeopleFile(file())).toEqual({ people: [], problems: [] });
  });

  it('reports bad lines naming the real file and line', () => {
    writeFileSync(file(), 'card,name\nB0B0B0B0,Bob\nxyz,Nobody\n');
    expect(readPeopleFile(file()).problems).toEqual([
      `${file()}:3: not a card id: "xyz" (expected hex or decimal digits)`,
    ]);
  });

  describe('appending a card', () => {
    it('creates the file, and its folder, with the header', () => {
      const nested = join(dir(), 'data', 'people.csv');
      appendCard(nested, 'CAFE0001');
      expect(readFileSync(nested, 'utf8')).toBe(`${PEOPLE_HEADER.join(',')}\nCAFE0001,,yes,\n`);
    });

    it('writes the header into an empty file', () => {
      writeFileSync(file(), '');
      appendCard(file(), 'CAFE0001');
      expect(readFileSync(file(), 'utf8')).toBe('card,name,active,aliases\nCAFE0001,,yes,\n');
    });

    it("writes the new line with the file's own separator, so a semicolon export reads back", () => {
      writeFileSync(file(), 'card;name\nB0B0B0B0;Bob\n');
      appendCard(file(), 'CAFE0001');
      expect(readFileSync(file(), 'utf8')).toBe('card;name\nB0B0B0B0;Bob\nCAFE0001;;yes;\n');
      expect(readPeopleFile(file()).people.map((p) => p.card)).toEqual(['B0B0B0B0', 'CAFE0001']);
    });

    it('adds a line after the existing ones, leaving them byte for byte', () => {
      const before = 'card,name\r\nB0B0B0B0,"Okafor, Bob"\r\n';
      writeFileSync(file(), before);
      appendCard(file(), 'CAFE0001');
      expect(readFileSync(file(), 'utf8')).toBe(`${before}CAFE0001,,yes,\n`);
    });

    it('never joins its line onto a last line without a newline', () => {
      writeFileSync(file(), 'card,name\nB0B0B0B0,Bob');
      appendCard(file(), 'CAFE0001');
      expect(readFileSync(file(), 'utf8')).toBe('card,name\nB0B0B0B0,Bob\nCAFE0001,,yes,\n');
      expect(readPeopleFile(file())).toEqual({
        people: [
          { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] },
          { card: 'CAFE0001', name: '', active: true, aliases: [] },
        ],
        problems: [],
      });
    });

    it('appends several cards in order, each reading back unnamed and active', () => {
      for (const card of ['CAFE0001', '0012345678', 'CAFE0002']) appendCard(file(), card);
      expect(readPeopleFile(file())).toEqual({
        people: ['CAFE0001', '0012345678', 'CAFE0002'].map((card) => ({
          card,
          name: '',
          active: true,
          aliases: [],
        })),
        problems: [],
      });
    });
  });

  describe('listing a card', () => {
    it('appends an enrolled card with its placeholder name', () => {
      writeFileSync(file(), 'card,name\nB0B0B0B0,Bob\n');
      listCard(file(), 'CAFE0001', 'New 3');
      expect(readFileSync(file(), 'utf8')).toBe('card,name\nB0B0B0B0,Bob\nCAFE0001,New 3,yes,\n');
    });

    it('fills the placeholder into the blank name of a card listed before, keeping every other byte', () => {
      const before =
        '\ufeffcard;name;active\r\nB0B0B0B0;"Okafor; Bob";yes\r\nCAFE0001;;yes\r\n\r\nD0D0D0D0;Dee\r\n';
      writeFileSync(file(), before);
      listCard(file(), 'CAFE0001', 'New 3');
      expect(readFileSync(file(), 'utf8')).toBe(
        before.replace('CAFE0001;;yes', 'CAFE0001;New 3;yes'),
      );
    });

    it('never lists a card twice, and never renames a card that has a name', () => {
      const before = 'card,name\nCAFE0001,Carol\nCAFE0002\n';
      writeFileSync(file(), before);
      listCard(file(), 'CAFE0001', 'New 4');
      listCard(file(), 'CAFE0002');
      expect(readFileSync(file(), 'utf8')).toBe(before);
    });
  });

  describe('adding an alias', () => {
    const person = (card: string) => readPeopleFile(file()).people.find((p) => p.card === card);

    it("writes the alias into the card's empty aliases field, and it reads back", () => {
      writeFileSync(file(), 'card,name,active,aliases\nB0B0B0B0,Bob,yes,\nC0C0C0C0,Carol,no,\n');
      addAlias(file(), 'B0B0B0B0', '0012345678');
      expect(readFileSync(file(), 'utf8')).toBe(
        'card,name,active,aliases\nB0B0B0B0,Bob,yes,0012345678\nC0C0C0C0,Carol,no,\n',
      );
      expect(person('B0B0B0B0')?.aliases).toEqual(['0012345678']);
    });

    it('adds to the aliases already there, in the separator that field uses', () => {
      writeFileSync(
        file(),
        'B0B0B0B0,Bob,yes,0012345678\nC0C0C0C0,Carol,yes,"0000000001;DEADBEEF"\n',
      );
      addAlias(file(), 'B0B0B0B0', '04A3C6CA');
      addAlias(file(), 'C0C0C0C0', '04A3C6CB');
      expect(readFileSync(file(), 'utf8')).toBe(
        'B0B0B0B0,Bob,yes,0012345678 04A3C6CA\nC0C0C0C0,Carol,yes,0000000001;DEADBEEF;04A3C6CB\n',
      );
      expect(person('C0C0C0C0')?.aliases).toEqual(['0000000001', 'DEADBEEF', '04A3C6CB']);
    });

    it('keeps every other line byte for byte: CRLF, quotes, a name over two lines, comments, blank lines', () => {
      const head =
        'card;name;active;aliases\r\n# the night shift\r\n"A0A0A0A0";"Ann, ""the boss""";yes;\r\n';
      const eve = '"E0E0E0E0";"Eve, with a\r\nline break";yes;\r\n\r\n';
      const tail = 'F0F0F0F0;Frank;no;\r\n';
      writeFileSync(file(), `${head}${eve}B0B0B0B0;Bob\r\n${tail}`);
      addAlias(file(), 'B0B0B0B0', '0012345678');
      expect(readFileSync(file(), 'utf8')).toBe(`${head}${eve}B0B0B0B0;Bob;;0012345678\r\n${tail}`);
      // The changed line itself is written anew, quoted only where it must be.
      addAlias(file(), 'E0E0E0E0', '0000000005');
      expect(readFileSync(file(), 'utf8')).toBe(
        `${head}E0E0E0E0;"Eve, with a\r\nline break";yes;0000000005\r\n\r\nB0B0B0B0;Bob;;0012345678\r\n${tail}`,
      );
      expect(readPeopleFile(file()).problems).toEqual([]);
      expect(person('B0B0B0B0')).toEqual({
        card: 'B0B0B0B0',
        name: 'Bob',
        active: true,
        aliases: ['0012345678'],
      });
    });

    it('keeps the byte order mark when the card is on the first line, and a last line without a newline', () => {
      writeFileSync(file(), '\ufeffB0B0B0B0,Bob\nC0C0C0C0,Carol');
      addAlias(file(), 'B0B0B0B0', '0012345678');
      addAlias(file(), 'C0C0C0C0', '0000000002');
      expect(readFileSync(file(), 'utf8')).toBe(
        '\ufeffB0B0B0B0,Bob,,0012345678\nC0C0C0C0,Carol,,0000000002',
      );
    });

    it('keeps another line that is not UTF-8 byte for byte, and will not rewrite such a line itself', () => {
      // "Zoë" saved as Latin-1: one byte, 0xEB, that UTF-8 would read as a replacement character.
      const zoe = Buffer.from([...Buffer.from('D0D0D0D0,Zo'), 0xeb, 0x0a]);
      writeFileSync(file(), Buffer.concat([Buffer.from('B0B0B0B0,Bob\n'), zoe]));
      addAlias(file(), 'B0B0B0B0', '0012345678');
      expect(readFileSync(file())).toEqual(
        Buffer.concat([Buffer.from('B0B0B0B0,Bob,,0012345678\n'), zoe]),
      );
      expect(() => {
        addAlias(file(), 'D0D0D0D0', '0000000004');
      }).toThrow(/^the line of D0D0D0D0 is not UTF-8 text; save the file as CSV UTF-8/);
    });

    it('appends a line with the alias for a card that has none', () => {
      writeFileSync(file(), 'card;name\nB0B0B0B0;Bob\n');
      addAlias(file(), 'CAFE0001', '0012345678');
      expect(readFileSync(file(), 'utf8')).toBe(
        'card;name\nB0B0B0B0;Bob\nCAFE0001;;yes;0012345678\n',
      );
      addAlias(join(dir(), 'new', 'people.csv'), 'CAFE0001', '0012345678');
      expect(readFileSync(join(dir(), 'new', 'people.csv'), 'utf8')).toBe(
        'card,name,active,aliases\nCAFE0001,,yes,0012345678\n',
      );
    });

    it('adds nothing the line already has, and finds a card that is itself an alias', () => {
      const before = 'B0B0B0B0,Bob,yes,0012345678\n';
      writeFileSync(file(), before);
      addAlias(file(), 'B0B0B0B0', '0012345678');
      addAlias(file(), 'B0B0B0B0', 'B0B0B0B0');
      expect(readFileSync(file(), 'utf8')).toBe(before);
      addAlias(file(), '0012345678', '04A3C6CA');
      expect(readFileSync(file(), 'utf8')).toBe('B0B0B0B0,Bob,yes,0012345678 04A3C6CA\n');
    });

    it('replaces the file in one step: a new file renamed over it, with its mode, and no temporary file left', () => {
      writeFileSync(file(), 'B0B0B0B0,Bob\n');
      chmodSync(file(), 0o640);
      const before = statSync(file()).ino;
      addAlias(file(), 'B0B0B0B0', '0012345678');
      expect(statSync(file()).ino).not.toBe(before);
      expect(statSync(file()).mode & 0o777).toBe(0o640);
      expect(readdirSync(dir())).toEqual(['people.csv']);
    });

    it('writes nothing to a file that is not UTF-8 text, and says how to fix it', () => {
      writeFileSync(file(), UNICODE_TEXT);
      expect(() => {
        addAlias(file(), 'B0B0B0B0', '0012345678');
      }).toThrow(
        /^it is saved as UTF-16 LE, not UTF-8; save it as CSV UTF-8 .*, then add the alias by hand$/,
      );
      expect(readFileSync(file())).toEqual(UNICODE_TEXT);
    });
  });

  describe('the people-file driver', () => {
    const warnings: string[] = [];
    const warn = (message: string): void => {
      warnings.push(message);
    };
    beforeEach(() => {
      warnings.length = 0;
    });

    /** The driver's directory$ with a quick poll, and the subject its commands come from. */
    const driver = (
      path: string,
    ): { directory$: Observable<DirectoryLoaded>; commands$: Subject<ListCard | AddAlias> } => {
      const commands$ = new Subject<ListCard | AddAlias>();
      const directory$ = makePeopleFileDriver({ file: path, now: () => 7, warn, pollMs: 10 })(
        commands$,
      );
      return { directory$, commands$ };
    };

    it('loads the directory at once on subscribe, warning about bad lines', async () => {
      writeFileSync(file(), 'card,name\nB0B0B0B0,Bob\nnope,Nobody\n');
      const { directory$ } = driver(file());
      await expect(firstValueFrom(directory$, { defaultValue: null })).resolves.toEqual({
        type: 'directoryLoaded',
        at: 7,
        people: [{ card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] }],
      });
      expect(warnings).toEqual([
        `${file()}:3: not a card id: "nope" (expected hex or decimal digits)`,
      ]);
    });

    /**
     * Node's file watcher takes its first look at the file in the background: an edit made
     * before that look is its starting point and goes unnoticed. Watching a file that does not
     * exist yet reports that look at once (a second load, with nobody in it), so these tests
     * start from a missing file and wait for that second load before changing anything.
     */
    const watch = async (path: string) => {
      const { directory$, commands$ } = driver(path);
      const { values: loads, subscription } = record(directory$);
      await until(() => loads.length === 2, { everyMs: 5 });
      return { loads, commands$, subscription };
    };
    const namesOf = (loads: DirectoryLoaded[]): string[][] =>
      loads.map((d) => d.people.map((p) => p.name));

    it('loads again when the manager creates and then edits the file', async () => {
      const { loads, subscription } = await watch(file());
      writeFileSync(file(), 'card,name\nCAFE0001,\n');
      await until(() => loads.length === 3, { everyMs: 5 });
      writeFileSync(file(), 'card,name\nCAFE0001,Carol the new hire\n');
      await until(() => loads.length === 4, { everyMs: 5 });
      subscription.unsubscribe();
      expect(namesOf(loads)).toEqual([[], [], [''], ['Carol the new hire']]);
    });

    it('a file that cannot be read any more is reported, and the directory keeps its last good value', async () => {
      const { loads, subscription } = await watch(file());
      writeFileSync(file(), 'card,name\nCAFE0001,Carol\n');
      await until(() => loads.length === 3, { everyMs: 5 });
      // The file is replaced by a folder: reading it throws inside the watcher's callback.
      rmSync(file());
      mkdirSync(file());
      await until(() => warnings.length > 0, { everyMs: 5, what: 'a warning' });
      expect(warnings[0]).toMatch(new RegExp(`^could not read ${escape(file())}: .*EISDIR`));
      // The watcher lives on: a good file again is loaded again.
      rmSync(file(), { recursive: true });
      writeFileSync(file(), 'card,name\nCAFE0001,Carol the new hire\n');
      await until(() => loads.length === 4, { everyMs: 5 });
      subscription.unsubscribe();
      expect(namesOf(loads)).toEqual([[], [], ['Carol'], ['Carol the new hire']]);
    });

    it('appends listed cards in order, and the directory then lists them', async () => {
      const { loads, commands$, subscription } = await watch(file());
      commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
      commands$.next({ type: 'listCard', at: 2, card: 'CAFE0002' });
      await until(() => loads.at(-1)?.people.length === 2, { everyMs: 5 });
      subscription.unsubscribe();
      expect(loads.at(-1)?.people.map((p) => p.card)).toEqual(['CAFE0001', 'CAFE0002']);
      expect(readFileSync(file(), 'utf8')).toBe(
        'card,name,active,aliases\nCAFE0001,,yes,\nCAFE0002,,yes,\n',
      );
    });

    it('lists an enrolled card with its placeholder and ties an alias to a card, in order, and the directory then has both', async () => {
      const { loads, commands$, subscription } = await watch(file());
      commands$.next({ type: 'listCard', at: 1, card: 'B0B0B0B0' });
      commands$.next({ type: 'listCard', at: 2, card: 'CAFE0001', name: 'New 1', note: 'door' });
      commands$.next({ type: 'addAlias', at: 3, card: 'B0B0B0B0', alias: '0012345678' });
      commands$.next({ type: 'addAlias', at: 4, card: 'CAFE0001', alias: '04A3C6CA' });
      await until(() => loads.at(-1)?.people.filter((p) => p.aliases.length > 0).length === 2, {
        everyMs: 5,
      });
      subscription.unsubscribe();
      expect(loads.at(-1)?.people).toEqual([
        { card: 'B0B0B0B0', name: '', active: true, aliases: ['0012345678'] },
        { card: 'CAFE0001', name: 'New 1', active: true, aliases: ['04A3C6CA'] },
      ]);
      expect(readFileSync(file(), 'utf8')).toBe(
        'card,name,active,aliases\nB0B0B0B0,,yes,0012345678\nCAFE0001,New 1,yes,04A3C6CA\n',
      );
      expect(warnings).toEqual([]);
    });

    it('warns when an alias cannot be added, writes nothing, and keeps going', () => {
      writeFileSync(file(), UNICODE_TEXT);
      const { directory$, commands$ } = driver(file());
      const { subscription, error } = record(directory$);
      commands$.next({ type: 'addAlias', at: 1, card: 'B0B0B0B0', alias: '0012345678' });
      commands$.next({ type: 'listCard', at: 2, card: 'CAFE0001' });
      subscription.unsubscribe();
      expect(error()).toBeUndefined();
      expect(warnings.slice(1)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^could not add alias 0012345678 of card B0B0B0B0 to ${escape(file())}: it is saved as UTF-16 LE, not UTF-8; .*, then add the alias by hand$`,
          ),
        ),
        expect.stringMatching(/^could not add card CAFE0001 to /),
      ]);
      expect(readFileSync(file())).toEqual(UNICODE_TEXT);
    });

    it('warns when a card cannot be added, and keeps going', () => {
      writeFileSync(join(dir(), 'blocker'), 'a file where a folder should be');
      const { directory$, commands$ } = driver(join(dir(), 'blocker', 'people.csv'));
      const { values: loads, subscription, error } = record(directory$);
      commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
      commands$.next({ type: 'listCard', at: 2, card: 'CAFE0002' });
      subscription.unsubscribe();
      expect(error()).toBeUndefined();
      expect(loads).toHaveLength(1);
      expect(warnings).toEqual([
        expect.stringMatching(/^could not add card CAFE0001 to .*blocker\/people.csv: /),
        expect.stringMatching(/^could not add card CAFE0002 to /),
      ]);
      expect(existsSync(join(dir(), 'blocker', 'people.csv'))).toBe(false);
    });

    it('starts with nobody named, and does not stop, when the file cannot be read at start; it is read once it can be', async () => {
      // A folder where the file should be: reading it throws.
      mkdirSync(file());
      const { directory$ } = driver(file());
      const { values: loads, subscription, error } = record(directory$);
      expect(error()).toBeUndefined();
      expect(loads).toEqual([]);
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^could not read ${escape(file())}: .*EISDIR.*; nobody is named until it can be read$`,
          ),
        ),
      ]);
      rmSync(file(), { recursive: true });
      // The watcher takes its first look at the path in the background: the file is saved
      // again until that look is behind it and the save is seen.
      await until(
        () => {
          save(file(), 'card,name\nB0B0B0B0,Bob\n');
          return loads.length > 0;
        },
        { everyMs: 20, what: 'the file read once it can be' },
      );
      subscription.unsubscribe();
      expect(error()).toBeUndefined();
      expect(namesOf(loads.slice(0, 1))).toEqual([['Bob']]);
    });

    it.each([
      [
        'UTF-16 LE with a byte order mark (Excel\'s "Unicode Text")',
        UNICODE_TEXT,
        'is saved as UTF-16 LE, not UTF-8',
      ],
      [
        'UTF-16 BE with a byte order mark',
        utf16('card,name\nB0B0B0B0,Bob\n', 'BE'),
        'is saved as UTF-16 BE, not UTF-8',
      ],
      [
        'UTF-16 LE without one',
        utf16('card,name\nB0B0B0B0,Bob\n', 'LE', false),
        'is saved as UTF-16 LE, not UTF-8',
      ],
      [
        'UTF-16 BE without one',
        utf16('card,name\nB0B0B0B0,Bob\n', 'BE', false),
        'is saved as UTF-16 BE, not UTF-8',
      ],
      [
        'an Excel workbook (.xlsx) saved under its name',
        XLSX,
        'is a ZIP archive (an .xlsx or .ods workbook?), not CSV text',
      ],
      [
        'binary data',
        Buffer.from([
          0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x0a, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0,
        ]),
        'holds binary data (NUL bytes), not CSV text',
      ],
    ])(
      'a file in %s is refused in one message naming it, what it is and the fix; no card is added to it',
      (_, bytes, found) => {
        writeFileSync(file(), bytes);
        const { directory$, commands$ } = driver(file());
        const { values: loads, subscription, error } = record(directory$);
        commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
        subscription.unsubscribe();
        expect(error()).toBeUndefined();
        expect(loads).toEqual([]);
        expect(warnings).toHaveLength(2);
        expect(warnings[0]).toMatch(
          new RegExp(
            `^could not read ${escape(file())}: it ${escape(found)}; nobody is named until it is `,
          ),
        );
        expect(warnings[0]).toMatch(FIX);
        expect(warnings[1]).toMatch(
          new RegExp(`^could not add card CAFE0001 to ${escape(file())}: it ${escape(found)}; `),
        );
        expect(warnings[1]).toMatch(FIX);
        expect(warnings[1]).toMatch(/, then add the card by hand$/);
        expect(readFileSync(file())).toEqual(bytes);
      },
    );

    it('reads a UTF-8 file with a byte order mark, and adds a card after its lines with no second mark', async () => {
      const { loads, commands$, subscription } = await watch(file());
      save(file(), '\ufeffcard;name\r\nB0B0B0B0;Bob\r\n');
      await until(() => loads.at(-1)?.people.length === 1, { everyMs: 5 });
      commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
      await until(() => loads.at(-1)?.people.length === 2, { everyMs: 5 });
      subscription.unsubscribe();
      expect(loads.at(-1)?.people.map((p) => p.card)).toEqual(['B0B0B0B0', 'CAFE0001']);
      expect(readFileSync(file(), 'utf8')).toBe(
        '\ufeffcard;name\r\nB0B0B0B0;Bob\r\nCAFE0001;;yes;\n',
      );
      expect(warnings).toEqual([]);
    });

    it('keeps the people list loaded before while the file is saved as UTF-16, adds no card to it, and reads it again once it is UTF-8', async () => {
      const { loads, commands$, subscription } = await watch(file());
      save(file(), 'card,name\nB0B0B0B0,Bob Okafor\n');
      await until(() => loads.length === 3, { everyMs: 5 });
      save(file(), UNICODE_TEXT);
      await until(() => warnings.length > 0, { everyMs: 5, what: 'the refusal' });
      commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
      expect(readFileSync(file())).toEqual(UNICODE_TEXT);
      save(file(), 'card,name\nB0B0B0B0,Bob Okafor\nC0C0C0C0,Carol Jones\n');
      await until(() => loads.at(-1)?.people.length === 2, { everyMs: 5 });
      subscription.unsubscribe();
      expect(namesOf(loads)).toEqual([[], [], ['Bob Okafor'], ['Bob Okafor', 'Carol Jones']]);
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^could not read ${escape(file())}: it is saved as UTF-16 LE, not UTF-8; the people list loaded before is kept until it is saved as CSV UTF-8 \\(`,
          ),
        ),
        expect.stringMatching(
          /^could not add card CAFE0001 to .*: it is saved as UTF-16 LE, not UTF-8; save it as CSV UTF-8 \(/,
        ),
      ]);
    });

    it('reports a problem once for as long as it lasts, and again if it comes back', async () => {
      const { loads, commands$, subscription } = await watch(file());
      const twice = 'card,name\nB0B0B0B0,Bob\nB0B0B0B0,Bob again\n';
      const again = `${file()}:3: card B0B0B0B0 is listed again; the first listing is used`;
      save(file(), twice);
      await until(() => loads.length === 3, { everyMs: 5 });
      expect(warnings).toEqual([again]);
      // The clock adds a card at the end: the file is read again, and its line 3 is as it was.
      commands$.next({ type: 'listCard', at: 1, card: 'CAFE0001' });
      await until(() => loads.at(-1)?.people.length === 2, { everyMs: 5 });
      expect(warnings).toEqual([again]);
      // Fixed, then listed twice again: a problem that came back.
      save(file(), 'card,name\nB0B0B0B0,Bob\n');
      await until(() => loads.at(-1)?.people.length === 1, { everyMs: 5 });
      save(file(), twice);
      await until(() => warnings.length === 2, { everyMs: 5, what: 'the problem reported again' });
      subscription.unsubscribe();
      expect(warnings).toEqual([again, again]);
    });
  });
});
