/**
 * CSV as the people file and the tap log use it (RFC 4180: quoted fields,
 * doubled quotes, separators and line breaks inside quotes), read by csv-parse
 * and written by csv-stringify. Accepted: UTF-8 with or without a byte order
 * mark; fields separated by `,` `;` (a European Excel) or a tab, found from
 * the first line; CRLF, LF and lone CR line breaks, mixed. Refused as a whole,
 * by `encodingProblem`: UTF-16 and UTF-32, a workbook, binary data.
 */
import { CsvError, parse, type Options } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export interface CsvRecord {
  readonly fields: readonly string[];
  /** 1-based line on which the record starts, for error messages. */
  readonly line: number;
  /** Why this record could not be read (its fields are then empty). */
  readonly error?: string;
}

/** The field separators a file may use. */
export type CsvDelimiter = ',' | ';' | '\t';

/** The longest record read, in characters: a quote never closed is reported after this much, not at the end of the file. */
export const MAX_RECORD_CHARS = 100_000;

/**
 * After this many unreadable records, reading stops with one more record saying so: each
 * costs csv-parse a restart (0.1 to 1 ms), and a file this broken is not the CSV it was
 * meant to be. A running clock reloading such a people file stays answering taps.
 */
export const MAX_BAD_RECORDS = 200;

const BASE_OPTIONS: Options = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  record_delimiter: ['\r\n', '\n', '\r'],
  max_record_size: MAX_RECORD_CHARS,
};

/** How to save a file the clock can read, for the end of a message refusing one. */
export const CSV_UTF8 =
  'CSV UTF-8 (in Excel: File > Save As, "CSV UTF-8 (Comma delimited)"; in LibreOffice: File > Save As, "Text CSV", character set "Unicode (UTF-8)")';

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((byte, i) => bytes[i] === byte);

/**
 * Why CSV input is not UTF-8 text, said after its name ("is saved as UTF-16
 * LE, not UTF-8"); undefined when it is. Read as UTF-8, such a file turns
 * every line into a bad one (and a line the clock adds would be in another
 * encoding): it is refused as a whole instead, named. Found from a byte order
 * mark, a workbook's signature, or NUL bytes, which UTF-8 text never holds:
 * in every other byte, UTF-16 without a mark (Excel's "Unicode Text" has
 * one); elsewhere, binary data. Text already read as UTF-8 (a mark then lost)
 * is told by its NUL bytes, which that reading keeps in place.
 */
export function encodingProblem(input: Uint8Array | string): string | undefined {
  if (typeof input === 'string') {
    // Everything refused holds NUL bytes, but for a mark, which reading as UTF-8 has replaced.
    return input.includes('\0') ? encodingProblem(Buffer.from(input, 'utf8')) : undefined;
  }
  const bytes = startsWith(input, [0xef, 0xbb, 0xbf]) ? input.subarray(3) : input;
  const savedAs = (encoding: string): string => `is saved as ${encoding}, not UTF-8`;
  if (startsWith(bytes, [0xff, 0xfe, 0, 0])) return savedAs('UTF-32 LE');
  if (startsWith(bytes, [0, 0, 0xfe, 0xff])) return savedAs('UTF-32 BE');
  if (startsWith(bytes, [0xff, 0xfe])) return savedAs('UTF-16 LE');
  if (startsWith(bytes, [0xfe, 0xff])) return savedAs('UTF-16 BE');
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]))
    return 'is a ZIP archive (an .xlsx or .ods workbook?), not CSV text';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
    return 'is an Excel 97-2003 workbook (.xls), not CSV text';
  const firstNul = bytes.indexOf(0);
  if (firstNul === -1) return undefined;
  // UTF-16 writes each ASCII character as it and a NUL: the NUL after it (LE) or before (BE).
  // A character outside Latin-1 has no NUL, so a tenth as many on the other side is allowed.
  let even = 0;
  let odd = 0;
  for (let i = firstNul; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  const pairs = Math.floor(bytes.length / 2);
  if (odd >= pairs / 4 && even <= odd / 10) return savedAs('UTF-16 LE');
  if (even >= pairs / 4 && odd <= even / 10) return savedAs('UTF-16 BE');
  // A power cut while a line is added can leave NUL bytes at the very end: that is one bad
  // line, reported as such, and the rest of the file still reads.
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d))
    end--;
  return firstNul < end ? 'holds binary data (NUL bytes), not CSV text' : undefined;
}

/**
 * The field separator of a CSV text: the first `,` `;` or tab outside quotes
 * on its first line that is neither blank nor a `#` comment; `,` when there is
 * none. The first column (a card, a timestamp, or its header) never holds one,
 * so the first found is the separator, whatever the other fields hold.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  let start = 0;
  while (start < text.length) {
    const end = nextLineBreak(text, start);
    const line = text.slice(start, end).replace(/^\uFEFF/, '');
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) {
      let quoted = false;
      for (const c of line) {
        if (c === '"') quoted = !quoted;
        else if (!quoted && (c === ',' || c === ';' || c === '\t')) return c;
      }
      return ',';
    }
    start = end + (text.startsWith('\r\n', end) ? 2 : 1);
  }
  return ',';
}

function nextLineBreak(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  if (lf === -1) return cr === -1 ? text.length : cr;
  return cr === -1 ? lf : Math.min(lf, cr);
}

/** Where each line of `bytes` starts, and whether it is empty (CRLF, LF or CR ends a line). */
function lineTable(bytes: Buffer): { starts: number[]; empty: boolean[] } {
  const starts = [0];
  const empty: boolean[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x0a && b !== 0x0d) continue;
    empty.push(i === start);
    if (b === 0x0d && bytes[i + 1] === 0x0a) i++;
    start = i + 1;
    starts.push(start);
  }
  empty.push(start >= bytes.length);
  return { starts, empty };
}

/** The 0-based line the byte at `offset` is on, given where each line starts. */
function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((starts[middle] ?? Infinity) <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** What a csv-parse error means for the person who wrote the file. */
function explainError(error: unknown, line: number): string {
  if (!(error instanceof CsvError)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `the quote opened on line ${line} is never closed`;
    case 'CSV_MAX_RECORD_SIZE':
      return `the record starting on line ${line} runs over ${MAX_RECORD_CHARS} characters (is a quote opened there never closed?)`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `the quoted field opened on line ${line} goes on after its closing quote (is a closing quote missing? a quote inside quotes is written "")`;
    default:
      return `line ${line} cannot be read as CSV: ${error.message}`;
  }
}

/**
 * Parses CSV text into records; blank lines are skipped, the separator is
 * found by `detectDelimiter`. A stray quote would swallow every line up to the
 * next quote (or the end of the file) into one field: instead, a quoted field
 * that never closes, or whose closing quote is not the end of the field, is
 * returned as a record with an error naming its line, and parsing carries on
 * with the next line. One stray quote loses one line, and says so. A loop, not
 * recursion, carries on after each: no file, however broken, can overflow the
 * stack, and each line is read about once. After `MAX_BAD_RECORDS` unreadable
 * records, a last one says where reading stopped.
 */
export function parseCsv(text: string, firstLine = 1): CsvRecord[] {
  const delimiter = detectDelimiter(text);
  const bytes = Buffer.from(text, 'utf8');
  const { starts, empty } = lineTable(bytes);
  const records: CsvRecord[] = [];
  // 0-based index of the first line not yet read, and of the last line a record ended on.
  let next = 0;
  let lastEnd = -1;
  let bad = 0;
  const firstFilled = (from: number): number => {
    let i = from;
    while (i < starts.length && empty[i] === true) i++;
    return i;
  };
  // Reads records from line `from` up to (not including) line `to`, or to the end.
  const readFrom = (from: number, relaxQuotes: boolean, to?: number): void => {
    lastEnd = from - 1;
    parse(bytes.subarray(starts[from], to === undefined ? undefined : starts[to]), {
      ...BASE_OPTIONS,
      delimiter,
      relax_quotes: relaxQuotes,
      on_record: (fields: string[], context) => {
        records.push({ fields, line: firstLine + firstFilled(lastEnd + 1) });
        // By bytes, not csv-parse's line count: that counts a CRLF inside quotes (a name typed
        // over two lines in Excel) as two lines, and every line number after it would be off.
        lastEnd = lineOf(starts, (starts[from] ?? 0) + context.bytes - 1);
        return null;
      },
    });
  };
  while (next < starts.length) {
    try {
      readFrom(next, false);
      break;
    } catch (error) {
      const at = firstFilled(lastEnd + 1);
      if (at >= starts.length) break;
      next = at + 1;
      // A quote inside a field that does not start with one (`Bob "the boss" Okafor`) is kept,
      // as people type it: that one line is read again with such quotes allowed.
      if (error instanceof CsvError && error.code === 'INVALID_OPENING_QUOTE') {
        try {
          readFrom(at, true, at + 1);
          continue;
        } catch {
          // Broken in another way too: reported below.
        }
      }
      records.push({
        fields: [],
        line: firstLine + at,
        error: explainError(error, firstLine + at),
      });
      bad++;
      const rest = firstFilled(next);
      if (bad >= MAX_BAD_RECORDS && rest < starts.length) {
        records.push({
          fields: [],
          line: firstLine + rest,
          error: `reading stopped here, after ${bad} lines that could not be read as CSV: is this the right file, saved as CSV?`,
        });
        break;
      }
    }
  }
  return records;
}

/** One CSV field, quoted when it must be. */
export function csvField(value: string): string {
  return csvLine([value]);
}

/** One CSV line (without the line break), separated by `delimiter` (`,` unless given). */
export function csvLine(values: readonly string[], delimiter: CsvDelimiter = ','): string {
  // A lone CR is a line break when read back: quote it too (csv-stringify quotes only LF).
  return stringify([values], { delimiter, eof: false, quoted_match: '\r' });
}
