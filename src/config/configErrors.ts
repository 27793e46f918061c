/**
 * What is wrong with the gathered settings, as lines a person can act on:
 * each names its key and where the value came from. First the schema's
 * issues, then what valid settings cannot be together.
 */
import type { z } from 'zod';
import { configKeys, type ParsedConfig } from './configSchema';
import type { GatheredSettings } from './configSources';
import { suggest } from './suggest';
import { mqttSettingErrors } from '../drivers/mqtt/mqttConfig';

type Sourced = Pick<GatheredSettings, 'raw' | 'origin'>;

/**
 * Every problem, in the order a person reads them: the sources' (unreadable
 * file, unknown names), then the schema's, or, when the schema passed, what
 * the settings cannot be together.
 */
export function configErrorsOf(
  parsed: z.ZodSafeParseResult<ParsedConfig>,
  gathered: GatheredSettings,
): string[] {
  return [
    ...gathered.errors,
    ...(parsed.success
      ? settingsErrors(parsed.data, gathered)
      : schemaErrors(parsed.error.issues, gathered)),
  ];
}

/** The schema's issues: an unknown key with a suggestion, else key, source, message and value. */
function schemaErrors(
  issues: z.ZodError['issues'],
  { file, raw, origin }: Pick<GatheredSettings, 'file' | 'raw' | 'origin'>,
): string[] {
  const errors: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length > 0) {
      // Inside an object setting (payroll.rounding): the key that is not one of that object's.
      const at = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('')
        .slice(1);
      const key = String(issue.path[0]);
      for (const unknown of issue.keys) {
        errors.push(`${at}.${unknown} (${origin[key] ?? 'default'}): unknown key`);
      }
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push(`${key} (${file}): unknown setting (${suggest(key, configKeys)})`);
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
  return errors;
}

/** What valid settings cannot be together: a sheet without a key, readers, GPIO lines. */
function settingsErrors(config: ParsedConfig, sourced: Sourced): string[] {
  return [
    ...neededSettingErrors(config, sourced),
    ...readerErrors(config, sourced),
    ...gpioErrors(config, sourced),
    ...mqttSettingErrors(config, (key) => sourced.origin[key] ?? 'default'),
  ];
}

/** A spreadsheet id needs a key file; timeSync "command" needs its command. */
function neededSettingErrors(config: ParsedConfig, { origin }: Sourced): string[] {
  const errors: string[] = [];
  if (config.spreadsheetId !== undefined && config.keyFile === undefined) {
    errors.push(
      `keyFile (${origin.spreadsheetId ?? 'default'}): a spreadsheet id is set but no service-account key file; set BADGECLOCK_KEY_FILE`,
    );
  }
  if (config.timeSync === 'command' && config.timeSyncCommand === undefined) {
    errors.push(
      `timeSyncCommand (${origin.timeSync ?? 'default'}): timeSync is "command" but no command is set; set BADGECLOCK_TIME_SYNC_COMMAND (exit 0: synchronised, 1: not yet)`,
    );
  }
  return errors;
}

/** What the reader settings cannot be together: each error named by its key. */
function readerErrors(config: ParsedConfig, { raw, origin }: Sourced): string[] {
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

/** One GPIO line cannot be both the buzzer and an LED. */
function gpioErrors(config: ParsedConfig, { origin }: Sourced): string[] {
  const errors: string[] = [];
  const lines = (['buzzerGpio', 'greenLedGpio', 'redLedGpio'] as const).filter(
    (key) => config[key] !== undefined,
  );
  lines.forEach((key, i) => {
    const same = lines.slice(0, i).find((other) => config[other] === config[key]);
    if (same !== undefined) {
      errors.push(
        `${key} (${origin[key] ?? 'default'}): GPIO ${config[key]} is already ${same} (${origin[same] ?? 'default'}); each part needs its own line`,
      );
    }
  });
  return errors;
}
