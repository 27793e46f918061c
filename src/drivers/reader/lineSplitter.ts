/**
 * Splits a byte stream into bounded lines. A line longer than `maxLength`
 * is not buffered: its bytes are counted and dropped until its newline, so a
 * 10 MB line costs no more memory than a short one and cannot stall the clock.
 */
export type Line =
  | { readonly kind: 'line'; readonly bytes: Buffer; readonly number: number }
  | { readonly kind: 'tooLong'; readonly length: number; readonly number: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private overflowing = false;
  private lineNumber = 0;

  constructor(private readonly maxLength: number) {}

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return lines;
      lines.push(this.finish());
      start = newline + 1;
    }
  }

  /** Ends the input: a last line without a newline still counts. */
  end(): Line[] {
    return this.length > 0 || this.overflowing ? [this.finish()] : [];
  }

  private take(bytes: Buffer): void {
    this.length += bytes.length;
    if (this.overflowing) return;
    if (this.length > this.maxLength) {
      this.overflowing = true;
      this.parts = [];
      return;
    }
    if (bytes.length > 0) this.parts.push(Buffer.from(bytes));
  }

  private finish(): Line {
    this.lineNumber += 1;
    const line: Line = this.overflowing
      ? { kind: 'tooLong', length: this.length, number: this.lineNumber }
      : { kind: 'line', bytes: Buffer.concat(this.parts), number: this.lineNumber };
    this.parts = [];
    this.length = 0;
    this.overflowing = false;
    return line;
  }
}
