/**
 * Card ids from key presses, as a USB keyboard-wedge reader types them: hex
 * digits (the number row, the keypad, A-F with or without shift), then Enter
 * or keypad Enter. Key codes are the kernel's (linux/input-event-codes.h).
 */
import { EV_KEY, type InputEvent } from './inputEvents';

export type KeyOutcome =
  | { readonly kind: 'id'; readonly text: string }
  | { readonly kind: 'rejected'; readonly reason: string };

const KEY_ENTER = 28;
const KEY_KPENTER = 96;
const SHIFTS = new Set([42, 54]);

const PRESS = 1;
const RELEASE = 0;

/** Key code → its character on a US layout, per row (the names in messages come from here too). */
const ROWS: readonly (readonly [number, string])[] = [
  [2, '1234567890-='],
  [16, 'qwertyuiop[]'],
  [30, "asdfghjkl;'`"],
  [44, 'zxcvbnm,./'],
];
const KEYPAD: Readonly<Record<number, string>> = {
  71: '7',
  72: '8',
  73: '9',
  75: '4',
  76: '5',
  77: '6',
  79: '1',
  80: '2',
  81: '3',
  82: '0',
};
const NAMED: Readonly<Record<number, string>> = {
  1: 'Esc',
  14: 'Backspace',
  15: 'Tab',
  29: 'Ctrl',
  43: '\\',
  55: 'keypad *',
  56: 'Alt',
  57: 'Space',
  58: 'Caps Lock',
  69: 'Num Lock',
  74: 'keypad -',
  78: 'keypad +',
  83: 'keypad .',
  97: 'Ctrl',
  98: 'keypad /',
  100: 'Alt',
};

function rowChar(code: number): string | undefined {
  for (const [first, chars] of ROWS) {
    if (code >= first && code < first + chars.length) return chars[code - first];
  }
  return undefined;
}

/** What a person calls the key: `G`, `Tab`, `shift+1`, or `key code 183`. */
function keyName(code: number, shift: boolean): string {
  const char = rowChar(code);
  if (char !== undefined) return `${shift ? 'shift+' : ''}${char.toUpperCase()}`;
  return NAMED[code] ?? `key code ${code}`;
}

/** The card id character a key types, or null when it types something else. */
function idChar(code: number, shift: boolean): string | null {
  const keypad = KEYPAD[code];
  if (keypad !== undefined) return keypad;
  const char = rowChar(code);
  if (char === undefined) return null;
  if (/[0-9]/.test(char)) return shift ? null : char; // shift+1 is "!"
  return /[a-f]/.test(char) ? char.toUpperCase() : null;
}

export interface KeyIdOptions {
  /** The longest id; a longer run of keys is garbage. */
  readonly maxLength: number;
  /** Keys further apart than this (by the kernel's timestamps) are not one id: a reader types an id in well under a second. */
  readonly gapMs: number;
}

/**
 * Key events in, ids and rejections out. Releases and autorepeat (a key held
 * down: value 2) type nothing. A key that is not part of an id is reported
 * once and the id dropped up to its Enter; an id left half-typed (a pause
 * longer than `gapMs`, or the device gone) is reported and dropped.
 */
export class KeyIdAssembler {
  private text = '';
  private shift = false;
  /** Set while the rest of a spoilt id is skipped up to its Enter. */
  private dropping = false;
  private lastKeyMs: number | null = null;

  constructor(private readonly options: KeyIdOptions) {}

  /** Feeds one input event; returns what it completed. */
  push(event: InputEvent): KeyOutcome[] {
    if (event.type !== EV_KEY) return [];
    if (SHIFTS.has(event.code)) {
      if (event.value === PRESS) this.shift = true;
      if (event.value === RELEASE) this.shift = false;
      return [];
    }
    if (event.value !== PRESS) return [];
    const out: KeyOutcome[] = [];
    if (this.lastKeyMs !== null && event.ms - this.lastKeyMs > this.options.gapMs) {
      const seconds = ((event.ms - this.lastKeyMs) / 1000).toFixed(1);
      out.push(...this.abandon(`then no key for ${seconds} s`));
    }
    this.lastKeyMs = event.ms;
    if (event.code === KEY_ENTER || event.code === KEY_KPENTER) {
      if (!this.dropping) {
        out.push(
          this.text === ''
            ? { kind: 'rejected', reason: 'Enter with no card id before it; ignored' }
            : { kind: 'id', text: this.text },
        );
      }
      this.reset();
      return out;
    }
    if (this.dropping) return out;
    const char = idChar(event.code, this.shift);
    if (char === null) {
      out.push({
        kind: 'rejected',
        reason: `key ${keyName(event.code, this.shift)} is not part of a card id${this.after()}; the id is dropped`,
      });
      this.text = '';
      this.dropping = true;
      return out;
    }
    this.text += char;
    if (this.text.length > this.options.maxLength) {
      out.push({
        kind: 'rejected',
        reason: `more than ${this.options.maxLength} keys without Enter is not a card id; dropped`,
      });
      this.text = '';
      this.dropping = true;
    }
    return out;
  }

  /** The input ended (the device went away): a half-typed id is reported and dropped. */
  end(why: string): KeyOutcome[] {
    const out = this.abandon(why);
    this.lastKeyMs = null;
    this.shift = false;
    return out;
  }

  private abandon(why: string): KeyOutcome[] {
    const out: KeyOutcome[] =
      this.text === '' || this.dropping
        ? []
        : [{ kind: 'rejected', reason: `half-typed card id "${this.text}", ${why}; dropped` }];
    this.reset();
    return out;
  }

  private after(): string {
    return this.text === '' ? '' : ` (after "${this.text}")`;
  }

  private reset(): void {
    this.text = '';
    this.dropping = false;
  }
}
