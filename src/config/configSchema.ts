/**
 * The schema of the configuration (zod): every key, its type, its default and
 * what a bad value is told. The config file, the BADGECLOCK_* environment and
 * the flags all use these keys.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { normaliseCardId } from '../../streams/cardId';
import { DEFAULT_PAY_PERIOD } from '../../streams/payPeriod';
import { gpioConfigShape } from '../drivers/feedback/gpio/gpioConfig';
import { mqttConfigShape } from '../drivers/mqtt/mqttConfig';
import { payPeriodSchema, payrollSchema } from './payrollSchema';

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

/** A card id as a reader gives it: normalised as every card id is; a bad one is named with its value. */
const cardIdSchema = z.string().transform((raw, ctx) => {
  const id = normaliseCardId(raw);
  if (id.ok) return id.card;
  // The value is in the message: inside a list, the error names the entry, not the whole value.
  const shown = JSON.stringify(raw);
  ctx.issues.push({
    code: 'custom',
    input: raw,
    message: id.reason.includes(shown) ? id.reason : `${shown}: ${id.reason}`,
  });
  return z.NEVER;
});

/** Admin cards (rule 14): a list of card ids, each once. */
const adminCardsSchema = z
  .array(cardIdSchema, {
    error: 'expected a list of card ids, e.g. ["04A3C6CA", "0012345678"]',
  })
  .transform((cards) => [...new Set(cards)]);

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
  adminCards: adminCardsSchema.default([]),
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
  payPeriod: payPeriodSchema.default(DEFAULT_PAY_PERIOD),
  payroll: payrollSchema.optional(),
  ...gpioConfigShape,
  ...mqttConfigShape,
});

export type ConfigInput = z.input<typeof configSchema>;
/** The settings as the schema gives them back, before paths are resolved. */
export type ParsedConfig = z.output<typeof configSchema>;
export type ConfigKey = keyof ParsedConfig;
/** Every config key, in the schema's order. */
export const configKeys = Object.keys(configSchema.shape) as ConfigKey[];
