/**
 * Where settings come from, in rising precedence: the config file, the
 * BADGECLOCK_* environment, the flags. Each value remembers its source, so a
 * problem can be named by where it was set; an unreadable file or an unknown
 * name is collected as an error, never thrown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configKeys, type ConfigKey } from './configSchema';
import { jsonErrorAt } from './jsonErrorAt';
import { suggest } from './suggest';

export const DEFAULT_CONFIG_FILE = 'badgeclock.config.json';

export interface ConfigSources {
  /** `--config`: a file that must exist. Without it `./badgeclock.config.json` is read if present. */
  readonly configFile?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Flag values by config key, as commander parsed them (strings). */
  readonly flags?: Partial<Record<string, string | undefined>>;
  readonly cwd?: string;
  /**
   * The command connects to the broker (run, hub): then the MQTT TLS files must be readable.
   * Other commands (report, status…) never open them, so a bad path does not stop them.
   */
  readonly connects?: boolean;
}

/** The sources merged, later ones overriding earlier ones, before validation. */
export interface GatheredSettings {
  /** The config file looked for (named when it holds an unknown key). */
  readonly file: string;
  /** The config file read, or null when there was none. */
  readonly configFile: string | null;
  /** The values by key, as the sources gave them. */
  readonly raw: Record<string, unknown>;
  /** Where each key's value came from: the file, a variable's name, a flag. */
  readonly origin: Record<string, string>;
  /** What was wrong while reading: a file that cannot be read, an unknown name. */
  readonly errors: readonly string[];
}

/** One source's settings as [key, value, where], and what was wrong in it. */
interface SourceSettings {
  readonly settings: readonly (readonly [key: string, value: unknown, origin: string])[];
  readonly errors: readonly string[];
}

/** `guardSeconds` → `BADGECLOCK_GUARD_SECONDS`. */
export function envName(key: string): string {
  return `BADGECLOCK_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `guardSeconds` → `--guard-seconds`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Reads the file, the environment and the flags, in that order of precedence. */
export function gatherSettings(sources: ConfigSources, cwd: string): GatheredSettings {
  const explicit = sources.configFile ?? sources.env.BADGECLOCK_CONFIG;
  const namedBy =
    sources.configFile !== undefined
      ? '--config'
      : explicit === undefined
        ? null
        : 'BADGECLOCK_CONFIG';
  const file = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  const fromFile =
    explicit?.trim() === ''
      ? { configFile: null, settings: [], errors: [noConfigFileNamed(namedBy)] }
      : fileSettings(file, namedBy);
  const read = [fromFile, envSettings(sources.env), flagSettings(sources.flags ?? {})];
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const { settings } of read) {
    for (const [key, value, where] of settings) {
      raw[key] = value;
      origin[key] = where;
    }
  }
  return {
    file,
    configFile: fromFile.configFile,
    raw,
    origin,
    errors: read.flatMap((source) => source.errors),
  };
}

/** The config file's settings: read when it was named, or when the default one exists. */
function fileSettings(
  file: string,
  namedBy: string | null,
): SourceSettings & { readonly configFile: string | null } {
  if (namedBy === null && !existsSync(file)) return { configFile: null, settings: [], errors: [] };
  const read = readConfigFile(file, namedBy ?? 'the default path');
  if (!read.ok) return { configFile: null, settings: [], errors: [read.error] };
  const settings = Object.entries(read.value).map(([key, value]) => [key, value, file] as const);
  return { configFile: file, settings, errors: [] };
}

/** Environment variables that are not config keys but are allowed. */
const OTHER_ENV = new Set(['BADGECLOCK_CONFIG', 'BADGECLOCK_LOG_LEVEL']);

/** The BADGECLOCK_* variables; an unknown one is an error with a suggestion. */
function envSettings(env: NodeJS.ProcessEnv): SourceSettings {
  const settings: [string, unknown, string][] = [];
  const errors: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('BADGECLOCK_') || value === undefined || OTHER_ENV.has(name)) continue;
    const key = configKeys.find((k) => envName(k) === name);
    if (key === undefined) {
      errors.push(`${name}: unknown setting (${suggest(name, configKeys.map(envName))})`);
      continue;
    }
    const notJson = kinds[key] === 'json' ? jsonProblem(value) : null;
    if (notJson !== null) errors.push(`${key} (${name}): ${notJson}, got ${JSON.stringify(value)}`);
    else settings.push([key, fromText(key, value), name]);
  }
  const level = env.BADGECLOCK_LOG_LEVEL?.trim().toLowerCase() ?? '';
  if (level !== '' && !LOG_LEVELS.includes(level)) {
    errors.push(
      `BADGECLOCK_LOG_LEVEL: expected ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.BADGECLOCK_LOG_LEVEL)}`,
    );
  }
  return { settings, errors };
}

/** The levels BADGECLOCK_LOG_LEVEL takes (read by the log itself, checked here with the rest). */
const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/**
 * Why a JSON variable's text is not JSON, at its line and column, or null: said as such,
 * not as the text being the wrong type ("expected array, received string").
 */
function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch {
    const at = jsonErrorAt(text);
    return `not valid JSON${at === null ? '' : ` at line ${at.line}, column ${at.column}`}`;
  }
}

/** The flags commander parsed, by config key. */
function flagSettings(flags: Partial<Record<string, string | undefined>>): SourceSettings {
  const settings: [string, unknown, string][] = [];
  const errors: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const key = configKeys.find((k) => k === name);
    if (key === undefined) {
      errors.push(`${flagName(name)}: unknown option`);
      continue;
    }
    settings.push([key, fromText(key, value), flagName(key)]);
  }
  return { settings, errors };
}

type Kind = 'string' | 'number' | 'nullable' | 'boolean' | 'json' | 'list';
/** What text from a variable or flag becomes for each key. */
const kinds: Record<ConfigKey, Kind> = {
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
  adminCards: 'list',
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
  payPeriod: 'string',
  payroll: 'json',
  mqttUrl: 'string',
  site: 'string',
  door: 'string',
  mqttUsername: 'string',
  mqttPassword: 'string',
  mqttCaFile: 'string',
  mqttCertFile: 'string',
  mqttKeyFile: 'string',
  homeAssistant: 'boolean',
};

const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** Text from an environment variable or flag, turned into the JSON type its key expects. */
function fromText(key: ConfigKey, text: string): unknown {
  switch (kinds[key]) {
    case 'number':
      // Decimal only: Number() would also take "0x10" (16), "0b1", "0o7" and "Infinity".
      return DECIMAL.test(text) ? Number(text) : text;
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
    case 'list':
      // Comma-separated; blanks (a trailing comma, an empty variable) are no entry.
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'string':
      return text;
  }
}

/** `--config ""` or an empty BADGECLOCK_CONFIG: no file is named, and the folder is no file. */
function noConfigFileNamed(namedBy: string | null): string {
  return namedBy === 'BADGECLOCK_CONFIG'
    ? `BADGECLOCK_CONFIG is empty: set it to the config file's path, or unset it to read ./${DEFAULT_CONFIG_FILE} if present`
    : `--config "" names no file: give the config file's path`;
}

/** The config file as an object of settings; `namedBy` (the flag or variable) names where it was given. */
function readConfigFile(
  file: string,
  namedBy: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let text: string;
  try {
    // A byte order mark (Notepad's "UTF-8 with BOM") is no part of the JSON.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? `it is a directory, not a file (from ${namedBy}): name the JSON file itself`
            : String(error);
    return { ok: false, error: `config file ${file}: ${why}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = jsonErrorAt(text);
    const where = at === null ? '' : ` at line ${at.line}, column ${at.column}`;
    return {
      ok: false,
      error: `config file ${file}: not valid JSON${where} (${(error as Error).message})`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `config file ${file}: expected a JSON object of settings` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
