/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */

export interface CsvRecord {
  readonly fields: readonly string[];
  /** 1-based line on which the record starts, for error messages. */
  readonly line: number;
  /** Why this record could not be read (its fields are then empty). */
  readonly error?: string;
}

/**
 * Parses CSV text into records; blank lines are skipped. A stray quote would
 * swallow every line up to the next quote (or the end of the file) into one
 * field: instead, a quoted field that never closes, or whose closing quote is
 * not the end of the field, is returned as a record with an error naming the
 * line the quote opened on, and parsing carries on with the next line. One
 * stray quote loses one line, and says so.
 */
export function parseCsv(text: string, firstLine = 1): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let quoteLine = firstLine;
  let quoteAt = 0;
  let line = firstLine;
  let recordLine = firstLine;
  let sawAnything = false;
  // The record whose quote opened on quoteLine is broken: report it, read on from the next line.
  const broken = (error: string): CsvRecord[] => {
    records.push({ fields: [], line: recordLine, error });
    const lineEnd = text.slice(quoteAt).search(/\r\n|\n|\r/);
    if (lineEnd === -1) return records;
    const rest = text.slice(quoteAt + lineEnd).replace(/^(\r\n|\n|\r)/, '');
    return records.concat(parseCsv(rest, quoteLine + 1));
  };
  const endRecord = (): void => {
    fields.push(field);
    if (sawAnything) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    sawAnything = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        const next = text[i + 1];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          return broken(
            `the quoted field opened on line ${quoteLine} goes on after its closing quote (is a closing quote missing? a quote inside quotes is written "")`,
          );
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      if (!sawAnything) recordLine = line;
      quoted = true;
      quoteLine = line;
      quoteAt = i;
      sawAnything = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      sawAnything = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (!sawAnything) recordLine = line;
      field += c;
      sawAnything = true;
    }
  }
  if (quoted) return broken(`the quote opened on line ${quoteLine} is never closed`);
  endRecord();
  return records;
}

/** One CSV field, quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line (without the line break). */
export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',');
}
