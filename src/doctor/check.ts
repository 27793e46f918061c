/**
 * What a doctor check is (a pass, a fail with its fix, or a skip) and what the
 * checks may be given instead of the real machine, so tests can stand in for it.
 */
import type { InputDeviceCheck } from '../drivers/reader/evdev/inputHelper';
import type { ChipProbe } from '../drivers/reader/mfrc522/mfrc522Reader';
import type { Mfrc522Spec } from '../drivers/reader/readers';
import type { SheetsClient } from '../drivers/sheets/sheetsClient';

export interface Check {
  readonly name: string;
  /** 'warn': works as set, but likely not as meant (shown with its fix; not a failure). */
  readonly ok: boolean | 'skip' | 'warn';
  readonly detail: string;
  /** What to do when it fails. */
  readonly fix?: string;
}

export interface DoctorDeps {
  /** The sheet client when a spreadsheet is configured. */
  readonly sheets?: SheetsClient;
  readonly loadServiceAccount?: (file: string) => { client_email: string };
  /**
   * The spreadsheet's tab titles as they are: Google refuses a tab "Log" beside a "log", so the
   * clock cannot add its own there. Without it, that is not checked.
   */
  readonly tabTitles?: () => Promise<readonly string[]>;
  /** Reads whether the system clock is synchronised; null when it cannot be told. */
  readonly clockSynchronised?: () => Promise<boolean | null>;
  /** Reads an RC522's VersionReg (the mfrc522 readers); without it the chip is not checked. */
  readonly probeReader?: (reader: Mfrc522Spec) => Promise<ChipProbe>;
  /** Where the SPI device is looked for; default: each RC522's own spidev. */
  readonly spiDevicePath?: string;
  /** Opens, checks and grabs an input device (the evdev readers); default: the real helper. */
  readonly checkInput?: (device: string) => Promise<InputDeviceCheck>;
  /** Where gpioset is looked for; default: PATH. */
  readonly gpioSearchPath?: string;
  /** `doctor --hub`: the site's hub, which publishes no taps (no write probe). */
  readonly hub?: boolean;
  /** Whether stdin is a terminal (the keyboard reader's input); not told: not checked. */
  readonly stdinIsTTY?: boolean;
  /** The time, for how long other doors have been silent; default: Date.now. */
  readonly now?: () => number;
}
