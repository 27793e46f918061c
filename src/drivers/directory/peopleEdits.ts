/**
 * What the clock writes into the local People file: a card appended at the
 * end, a placeholder name filled into a card's blank line, an alias added to
 * a card's line (enrolment at the reader, rule 14). The manager owns the
 * file: every other line is kept byte for byte, a line is written with the
 * file's own separator, and a file that is not UTF-8 text is never written.
 * A change inside the file is written beside it and renamed over it, so a
 * power cut leaves the old file or the new one, never half of each.
 *
 * An enrolment's note (where and when the card was enrolled) is not written
 * here: the file has no note column, a fifth field on a line would stand
 * under no header in the manager's spreadsheet, and a column only new files
 * had would make two shapes of one file for words the clock never reads. The
 * enrolment is kept in the store and shown in the log; the sheet's People tab
 * has its Note column.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { normaliseCardId } from '../../../streams/cardId';
import {
  CSV_UTF8,
  csvLine,
  detectDelimiter,
  encodingProblem,
  parseCsv,
  type CsvDelimiter,
} from '../../formats/csv';

export const PEOPLE_HEADER = ['card', 'name', 'active', 'aliases'];

/** The columns of a line, by position. */
const NAME = 1;
const ALIASES = 3;

/** The file as read for a change: its bytes, its text and its separator. */
interface PeopleBytes {
  readonly bytes: Buffer;
  readonly text: string;
  readonly delimiter: CsvDelimiter;
}

/** Reads the file for a change; throws, naming the fix, when it is not UTF-8 text. */
function readForEdit(file: string, what: string): PeopleBytes {
  const bytes = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const refused = encodingProblem(bytes);
  if (refused !== undefined) {
    throw new Error(`it ${refused}; save it as ${CSV_UTF8}, then add the ${what} by hand`);
  }
  const text = bytes.toString('utf8');
  return { bytes, text, delimiter: bytes.length === 0 ? ',' : detectDelimiter(text) };
}

/**
 * Appends a card's line (blank name unless given), creating the file with its
 * header if needed. Throws, writing nothing, when the file is not UTF-8 text:
 * a UTF-8 line added to it would leave it in two encodings.
 */
export function appendCard(file: string, card: string, name = '', aliases = ''): void {
  mkdirSync(dirname(file), { recursive: true });
  const { bytes, text, delimiter } = readForEdit(file, aliases === '' ? 'card' : 'alias');
  const fresh = bytes.length === 0;
  const needsNewline = !fresh && !text.endsWith('\n');
  // The new line uses the file's own separator (a `;` export stays readable).
  appendFileSync(
    file,
    `${fresh ? `${csvLine(PEOPLE_HEADER)}\n` : needsNewline ? '\n' : ''}${csvLine([card, name, 'yes', aliases], delimiter)}\n`,
  );
}

/** A card's line in the file: where its bytes are, and its fields as read. */
interface PersonLine {
  readonly start: number;
  readonly end: number;
  readonly fields: readonly string[];
}

/** The aliases in a line's aliases field, canonical. */
function aliasesOf(fields: readonly string[]): string[] {
  return (fields[ALIASES] ?? '').split(/[\s;]+/).flatMap((alias) => {
    const id = normaliseCardId(alias);
    return id.ok ? [id.card] : [];
  });
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const isBreak = (byte: number | undefined): boolean => byte === LF || byte === CR;

/** Where each record of the file is, in bytes, up to (not including) its line break. */
interface RecordSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The records of the file as byte ranges, found as parseCsv reads them (RFC
 * 4180: a quote opens a field only at its start; a line break inside quotes
 * is part of the field; blank lines are none), and, like parseCsv, a quoted
 * field that never closes, or goes on after its closing quote, is one bad
 * line. Found here rather than from parseCsv's line numbers, which drift
 * after a quoted line break saved as CRLF.
 */
function recordSpans(bytes: Buffer, delimiter: number): RecordSpan[] {
  const spans: RecordSpan[] = [];
  const n = bytes.length;
  const afterBreak = (j: number): number =>
    bytes[j] === CR && bytes[j + 1] === LF ? j + 2 : j + 1;
  const lineEnd = (from: number): number => {
    let j = from;
    while (j < n && !isBreak(bytes[j])) j++;
    return j;
  };
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < n) {
    if (isBreak(bytes[i])) {
      i = afterBreak(i);
      continue;
    }
    const end = recordEnd(bytes, i, delimiter) ?? lineEnd(i);
    spans.push({ start: i, end });
    i = end < n ? afterBreak(end) : n;
  }
  return spans;
}

/** Where the record starting at `start` ends (before its line break); null if it is a bad one. */
function recordEnd(bytes: Buffer, start: number, delimiter: number): number | null {
  const n = bytes.length;
  let j = start;
  let fieldStart = true;
  while (j < n && !isBreak(bytes[j])) {
    if (!fieldStart || bytes[j] !== QUOTE) {
      fieldStart = bytes[j] === delimiter;
      j++;
      continue;
    }
    // A quoted field: to its closing quote ("" is a quote inside it), which ends the field.
    j++;
    for (;;) {
      if (j >= n) return null;
      if (bytes[j] === QUOTE && bytes[j + 1] === QUOTE) j += 2;
      else if (bytes[j] === QUOTE) break;
      else j++;
    }
    j++;
    if (j < n && !isBreak(bytes[j]) && bytes[j] !== delimiter) return null;
    fieldStart = false;
  }
  return j;
}

/**
 * The line of `card`: the first that lists it (the one the clock reads), else
 * the first that has it among its aliases; null when none does. Each record is
 * read by parseCsv on its own: one that does not read as one record is not used.
 */
function findLine({ bytes, delimiter }: PeopleBytes, card: string): PersonLine | null {
  const lines = recordSpans(bytes, delimiter.charCodeAt(0)).flatMap((span) => {
    const records = parseCsv(bytes.subarray(span.start, span.end).toString('utf8'));
    const [record] = records;
    if (records.length !== 1 || record === undefined || record.error !== undefined) return [];
    return [{ ...span, fields: record.fields }];
  });
  const own = lines.find((l) => {
    const id = normaliseCardId(l.fields[0] ?? '');
    return id.ok && id.card === card;
  });
  return own ?? lines.find((l) => aliasesOf(l.fields).includes(card)) ?? null;
}

/**
 * Writes `fields` as the line at `at`, keeping every other byte of the file:
 * written beside the file and renamed over it. A line that is not UTF-8 is not
 * rewritten (its other fields would change): that throws, writing nothing.
 */
function rewriteLine(file: string, read: PeopleBytes, at: PersonLine, fields: string[]): void {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(read.bytes.subarray(at.start, at.end));
  } catch {
    throw new Error(
      `the line of ${at.fields[0] ?? ''} is not UTF-8 text; save the file as ${CSV_UTF8}`,
    );
  }
  const line = Buffer.from(csvLine(fields, read.delimiter), 'utf8');
  replaceFile(
    file,
    Buffer.concat([read.bytes.subarray(0, at.start), line, read.bytes.subarray(at.end)]),
  );
}

/** Replaces the file with `bytes` in one step: a temporary file beside it, synced, renamed over it. */
function replaceFile(file: string, bytes: Buffer): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const mode = statSync(file).mode & 0o7777;
  const fd = openSync(temp, 'w', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, file);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // Closed already.
    }
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(dirname(file));
}

/** Makes a rename in `folder` durable; where a folder cannot be synced, the rename still stands. */
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every system syncs a folder: the file itself is already synced.
  }
}

/** `fields` with blanks added up to `count`. */
function padded(fields: readonly string[], count: number): string[] {
  return [...fields, ...Array<string>(Math.max(0, count - fields.length)).fill('')];
}

/**
 * Lists a card the clock saw: appends its line (with `name`, the placeholder
 * of an enrolment, or blank). A card already in the file is not listed again;
 * its line gets `name` only if its name is blank (a card listed unnamed, then
 * enrolled). Throws, writing nothing, when the file is not UTF-8 text.
 */
export function listCard(file: string, card: string, name = ''): void {
  const read = readForEdit(file, 'card');
  const at = read.bytes.length === 0 ? null : findLine(read, card);
  if (at === null) {
    appendCard(file, card, name);
    return;
  }
  if (name === '' || (at.fields[NAME] ?? '').trim() !== '') return;
  const fields = padded(at.fields, NAME + 1);
  fields[NAME] = name;
  rewriteLine(file, read, at, fields);
}

/**
 * Adds `alias` to the aliases of `card`'s line, in the separator that field
 * already uses; a card with no line gets one, with the alias. An alias already
 * there is not added again. Throws, writing nothing, when the file is not UTF-8 text.
 */
export function addAlias(file: string, card: string, alias: string): void {
  const read = readForEdit(file, 'alias');
  const at = read.bytes.length === 0 ? null : findLine(read, card);
  if (at === null) {
    appendCard(file, card, '', alias);
    return;
  }
  const id = normaliseCardId(at.fields[0] ?? '');
  if ((id.ok && id.card === alias) || aliasesOf(at.fields).includes(alias)) return;
  const fields = padded(at.fields, ALIASES + 1);
  const before = (fields[ALIASES] ?? '').trimEnd();
  const separator = before.includes(';') ? ';' : ' ';
  fields[ALIASES] = before.trim() === '' ? alias : `${before}${separator}${alias}`;
  rewriteLine(file, read, at, fields);
}
