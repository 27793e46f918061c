/**
 * Splits a byte stream into bounded lines. A line ends at LF, at CR (a
 * reader or terminal set to send CR alone) or at CRLF (one end, not two). A
 * line longer than `maxLength` is not buffered: its bytes are counted and
 * dropped until its end, so a 10 MB line costs no more memory than a short
 * one and cannot stall the clock.
 */
export type Line =
  | { readonly kind: 'line'; readonly bytes: Buffer; readonly number: number }
  | { readonly kind: 'tooLong'; readonly length: number; readonly number: number };

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private overflowing = false;
  private lineNumber = 0;
  /** The last chunk ended in CR: an LF first in the next is that CR's. */
  private afterCr = false;

  constructor(private readonly maxLength: number) {}

  /** Feeds a chunk; returns the lines it completed (a line is given at its CR, not held for an LF). */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    if (this.afterCr && chunk.length > 0) {
      // The LF of a CRLF split over two chunks ends nothing more.
      if (chunk[0] === LF) start = 1;
      this.afterCr = false;
    }
    // Each found once per chunk and looked up again only once passed: many short lines stay linear.
    let lf = chunk.indexOf(LF, start);
    let cr = chunk.indexOf(CR, start);
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      this.take(chunk.subarray(start, end === -1 ? chunk.length : end));
      if (end === -1) return lines;
      lines.push(this.finish());
      start = end + 1;
      if (chunk[end] === CR) {
        if (start === chunk.length) this.afterCr = true;
        else if (chunk[start] === LF) start += 1;
      }
    }
  }

  /** Whether part of a line came and its end has not. */
  get pending(): boolean {
    return this.length > 0 || this.overflowing;
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
