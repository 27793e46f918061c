/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */

export interface CsvRecord {
  readonly fields: readonly string[];
  /** 1-based line on which the record starts, for error messages. */
  readonly line: number;
}

/** Parses CSV text into records; blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let sawAnything = false;
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
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
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
