/**
 * Configuration: defaults < config file < BADGECLOCK_* environment < flags.
 * Everything is validated with zod at start-up; every problem is collected and
 * named by its key and where the value came from, and the program refuses to
 * start on any (exit code 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Rules } from '../streams/rules';
import { gpioConfigShape } from './drivers/feedback/gpio/gpioConfig';

export const DEFAULT_CONFIG_FILE = 'badgeclock.config.json';

/** True when `zone` is an IANA zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

function systemZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

const spiDeviceSchema = z
  .string()
  .regex(/^\/dev\/spidev\d+\.\d+$/, { error: 'expected a spidev path such as /dev/spidev0.0' });
const softSpiPinsSchema = z.string().regex(/^\d+,\d+,\d+,\d+$/, {
  error: 'expected four header pin numbers "clock,mosi,miso,chip-select", e.g. "23,19,21,24"',
});
const pollMsSchema = z.number().int().min(20).max(5000);
const chipVersionsSchema = z
  .string()
  .regex(/^\s*0x[0-9a-fA-F]{2}(\s*,\s*0x[0-9a-fA-F]{2})*\s*$/, {
    error: 'expected VersionReg values in hex, e.g. "0x91,0x92,0x88"',
  })
  .transform((list) => list.split(',').map((v) => parseInt(v.trim(), 16)));
const readerNameSchema = z.string().trim().min(1).max(100);
const inputDeviceSchema = z.string().trim().startsWith('/', {
  error: 'expected the path of an input device, e.g. /dev/input/by-id/usb-…-event-kbd',
});

/** One entry of `readers`: its kind, its name, and the settings of that kind (else the top-level ones). */
const readerEntrySchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('keyboard'), name: readerNameSchema }),
    z.strictObject({
      kind: z.literal('mfrc522'),
      name: readerNameSchema,
      spiDevice: spiDeviceSchema.optional(),
      softSpiPins: softSpiPinsSchema.optional(),
      pollMs: pollMsSchema.optional(),
      chipVersions: chipVersionsSchema.optional(),
    }),
    z.strictObject({
      kind: z.literal('evdev'),
      name: readerNameSchema,
      inputDevice: inputDeviceSchema,
      inputGrab: z.boolean().default(true),
    }),
  ],
  { error: 'expected kind "keyboard", "mfrc522" or "evdev"' },
);

export type ReaderEntry = z.output<typeof readerEntrySchema>;

/** The schema of the config file; environment variables and flags use the same keys. */
export const configSchema = z.strictObject({
  tz: z
    .string()
    .refine(isTimeZone, { error: 'not an IANA time zone name (e.g. "Europe/Berlin", "UTC")' })
    .default(systemZone),
  reader: z.enum(['keyboard', 'mfrc522', 'evdev']).default('keyboard'),
  spiDevice: spiDeviceSchema.default('/dev/spidev0.0'),
  softSpiPins: softSpiPinsSchema.optional(),
  pollMs: pollMsSchema.default(100),
  chipVersions: chipVersionsSchema.default([0x91, 0x92]),
  readerName: readerNameSchema.default(() => hostname()),
  inputDevice: inputDeviceSchema.optional(),
  inputGrab: z.boolean().default(true),
  readers: z.array(readerEntrySchema).min(1).optional(),
  dataDir: z.string().min(1).default('./data'),
  peopleFile: z.string().min(1).optional(),
  debounceSeconds: z.number().min(0).max(60).default(3),
  guardSeconds: z.number().min(0).max(3600).default(60),
  autoClockOutHours: z
    .number()
    .gt(0)
    .max(24 * 7)
    .default(12),
  dailyCutoff: z
    .string()
    .regex(hhmm, { error: 'expected a local time "HH:mm", e.g. "23:00"' })
    .nullable()
    .default(null),
  unknownCards: z.enum(['accept', 'reject']).default('accept'),
  spreadsheetId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{10,}$/, {
      error: 'expected the spreadsheet id from its URL (…/spreadsheets/d/<id>/edit)',
    })
    .optional(),
  keyFile: z.string().min(1).optional(),
  sheetsRootUrl: z
    .url({ error: 'expected a URL such as https://sheets.googleapis.com/' })
    .default('https://sheets.googleapis.com/'),
  sheetsTimeoutSeconds: z.number().gt(0).max(600).default(30),
  sheetBatchSize: z.number().int().min(1).max(500).default(500),
  timeSync: z.enum(['timedatectl', 'command', 'off']).default('timedatectl'),
  timeSyncCommand: z.string().trim().min(1).optional(),
  timeSyncSeconds: z.number().int().min(1).max(3600).default(30),
  ...gpioConfigShape,
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

export interface Config extends Omit<Parsed, 'peopleFile'> {
  /** Resolved: defaults to `<dataDir>/people.csv`. */
  readonly peopleFile: string;
  /** Where the configuration came from, for the start-up line. */
  readonly configFile: string | null;
}

type Key = keyof Parsed;
const keys = Object.keys(configSchema.shape) as Key[];
type Kind = 'string' | 'number' | 'nullable' | 'boolean' | 'json';
const kinds: Record<Key, Kind> = {
  tz: 'string',
  reader: 'string',
  spiDevice: 'string',
  softSpiPins: 'string',
  pollMs: 'number',
  chipVersions: 'string',
  readerName: 'string',
  inputDevice: 'string',
  inputGrab: 'boolean',
  readers: 'json',
  dataDir: 'string',
  peopleFile: 'string',
  debounceSeconds: 'number',
  guardSeconds: 'number',
  autoClockOutHours: 'number',
  dailyCutoff: 'nullable',
  unknownCards: 'string',
  spreadsheetId: 'string',
  keyFile: 'string',
  sheetsRootUrl: 'string',
  sheetsTimeoutSeconds: 'number',
  sheetBatchSize: 'number',
  timeSync: 'string',
  timeSyncCommand: 'string',
  timeSyncSeconds: 'number',
  gpioChip: 'string',
  buzzerGpio: 'number',
  greenLedGpio: 'number',
  redLedGpio: 'number',
  gpioActive: 'string',
};

/** `guardSeconds` → `BADGECLOCK_GUARD_SECONDS`. */
export function envName(key: string): string {
  return `BADGECLOCK_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `guardSeconds` → `--guard-seconds`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Levenshtein distance, case-insensitive: how far a typo is from a known name. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(
        Math.min(
          (previous[j] ?? 0) + 1,
          (row[j - 1] ?? 0) + 1,
          (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
        ),
      );
    }
    previous = row;
  }
  return previous[y.length] ?? 0;
}

/** "did you mean X?" for a near miss, else the list of known names. */
function suggest(name: string, known: readonly string[]): string {
  const [best] = [...known].sort((a, b) => distance(name, a) - distance(name, b));
  return best !== undefined && distance(name, best) <= Math.max(2, Math.floor(best.length / 4))
    ? `did you mean ${best}?`
    : `known: ${known.join(', ')}`;
}

/** Environment variables that are not config keys but are allowed. */
const OTHER_ENV = new Set(['BADGECLOCK_CONFIG', 'BADGECLOCK_LOG_LEVEL']);

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface ConfigSources {
  /** `--config`: a file that must exist. Without it `./badgeclock.config.json` is read if present. */
  readonly configFile?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Flag values by config key, as commander parsed them (strings). */
  readonly flags?: Partial<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/** Text from an environment variable or flag, turned into the JSON type its key expects. */
function fromText(key: Key, text: string): unknown {
  switch (kinds[key]) {
    case 'number': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : text;
    }
    case 'nullable':
      return text.trim() === '' || text === 'null' || text === 'off' ? null : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'json':
      try {
        const value: unknown = JSON.parse(text);
        return value;
      } catch {
        return text;
      }
    case 'string':
      return text;
  }
}

/** Reads, merges and validates the configuration; never throws for bad input. */
export function loadConfig(sources: ConfigSources): ConfigResult {
  const cwd = sources.cwd ?? process.cwd();
  const errors: string[] = [];
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};

  const explicit = sources.configFile ?? sources.env.BADGECLOCK_CONFIG;
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  let configFile: string | null = null;
  if (explicit !== undefined || existsSync(file)) {
    const read = readConfigFile(file);
    if (read.ok) {
      configFile = file;
      for (const [key, value] of Object.entries(read.value)) {
        raw[key] = value;
        origin[key] = file;
      }
    } else {
      errors.push(read.error);
    }
  }

  for (const [name, value] of Object.entries(sources.env)) {
    if (!name.startsWith('BADGECLOCK_') || value === undefined || OTHER_ENV.has(name)) continue;
    const key = keys.find((k) => envName(k) === name);
    if (key === undefined) {
      errors.push(`${name}: unknown setting (${suggest(name, keys.map(envName))})`);
      continue;
    }
    raw[key] = fromText(key, value);
    origin[key] = name;
  }

  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    if (!keys.includes(key as Key)) {
      errors.push(`${flagName(key)}: unknown option`);
      continue;
    }
    raw[key] = fromText(key as Key, value);
    origin[key] = flagName(key);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          errors.push(`${key} (${file}): unknown setting (${suggest(key, keys)})`);
        }
        continue;
      }
      const key = String(issue.path[0] ?? '');
      const where = origin[key] ?? 'default';
      // Inside a list (readers), the entry and its setting: readers[1].spiDevice.
      const inner = issue.path
        .slice(1)
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      const shown = key in raw && inner === '' ? `, got ${JSON.stringify(raw[key])}` : '';
      errors.push(`${key}${inner} (${where}): ${issue.message}${shown}`);
    }
  }
  if (
    parsed.success &&
    parsed.data.spreadsheetId !== undefined &&
    parsed.data.keyFile === undefined
  ) {
    errors.push(
      `keyFile (${origin.spreadsheetId ?? 'default'}): a spreadsheet id is set but no service-account key file; set BADGECLOCK_KEY_FILE`,
    );
  }
  if (
    parsed.success &&
    parsed.data.timeSync === 'command' &&
    parsed.data.timeSyncCommand === undefined
  ) {
    errors.push(
      `timeSyncCommand (${origin.timeSync ?? 'default'}): timeSync is "command" but no command is set; set BADGECLOCK_TIME_SYNC_COMMAND (exit 0: synchronised, 1: not yet)`,
    );
  }
  if (parsed.success) errors.push(...readerErrors(parsed.data, raw, origin));
  if (parsed.success) {
    // One GPIO line cannot be both the buzzer and an LED.
    const lines = (['buzzerGpio', 'greenLedGpio', 'redLedGpio'] as const).filter(
      (key) => parsed.data[key] !== undefined,
    );
    lines.forEach((key, i) => {
      const same = lines.slice(0, i).find((other) => parsed.data[other] === parsed.data[key]);
      if (same !== undefined) {
        errors.push(
          `${key} (${origin[key] ?? 'default'}): GPIO ${parsed.data[key]} is already ${same} (${origin[same] ?? 'default'}); each part needs its own line`,
        );
      }
    });
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };

  const config = parsed.data;
  const dataDir = resolve(cwd, config.dataDir);
  return {
    ok: true,
    config: {
      ...config,
      dataDir,
      peopleFile: resolve(cwd, config.peopleFile ?? resolve(dataDir, 'people.csv')),
      keyFile: config.keyFile === undefined ? undefined : resolve(cwd, config.keyFile),
      configFile,
    },
  };
}

/** What the reader settings cannot be together: each error named by its key. */
function readerErrors(
  config: Parsed,
  raw: Record<string, unknown>,
  origin: Record<string, string>,
): string[] {
  const errors: string[] = [];
  const where = (key: string): string => origin[key] ?? 'default';
  if (config.readers === undefined) {
    if (config.reader === 'evdev' && config.inputDevice === undefined) {
      errors.push(
        `inputDevice (${where('reader')}): the evdev reader needs its device; set BADGECLOCK_INPUT_DEVICE to its /dev/input/by-id/…-event-kbd path (ls -l /dev/input/by-id/)`,
      );
    }
    return errors;
  }
  if ('reader' in raw) {
    errors.push(
      `readers (${where('readers')}): reader (${where('reader')}) is set too; use one: reader for a single reader, readers for several`,
    );
  }
  const seen = new Map<string, string>();
  config.readers.forEach((entry, i) => {
    const at = `readers[${i}]`;
    const claim = (thing: string, setting: string): void => {
      const other = seen.get(thing);
      if (other === undefined) seen.set(thing, at);
      else errors.push(`${at}.${setting} (${where('readers')}): ${thing} is already ${other}'s`);
    };
    claim(`the name "${entry.name}"`, 'name');
    switch (entry.kind) {
      case 'keyboard':
        claim('standard input', 'kind');
        return;
      case 'evdev':
        claim(entry.inputDevice, 'inputDevice');
        return;
      case 'mfrc522':
        if (entry.softSpiPins !== undefined) {
          // rpi-softspi's GPIO library (rpio) loads once per process: one reader can use it.
          claim('software SPI', 'softSpiPins');
        } else claim(entry.spiDevice ?? config.spiDevice, 'spiDevice');
        return;
    }
  });
  return errors;
}

function readConfigFile(
  file: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : String(error);
    return { ok: false, error: `config file ${file}: ${why}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: `config file ${file}: not valid JSON (${(error as Error).message})`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `config file ${file}: expected a JSON object of settings` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** The rules the core needs, from a validated config. */
export function rulesOf(config: Config): Rules {
  return {
    zone: config.tz,
    debounceMs: config.debounceSeconds * 1000,
    guardMs: config.guardSeconds * 1000,
    limitMs: config.autoClockOutHours * 3_600_000,
    dailyCutoff: config.dailyCutoff,
    unknownCards: config.unknownCards,
  };
}
