/**
 * Configuration: defaults < config file < BADGECLOCK_* environment < flags.
 * Everything is validated with zod at start-up; every problem is collected and
 * named by its key and where the value came from, and the program refuses to
 * start on any (exit code 2).
 *
 * The parts are in src/config/: the schema, the sources, and the errors;
 * `loadConfig` runs them in turn.
 */
import { resolve } from 'node:path';
import type { Rules } from '../streams/rules';
import { weekStart } from '../streams/payPeriod';
import { configErrorsOf } from './config/configErrors';
import { configSchema, type ParsedConfig } from './config/configSchema';
import { gatherSettings, type ConfigSources } from './config/configSources';
import { MQTT_FILE_KEYS, mqttFileErrors } from './drivers/mqtt/mqttConfig';

export {
  configSchema,
  isTimeZone,
  type ConfigInput,
  type ReaderEntry,
} from './config/configSchema';
export { DEFAULT_CONFIG_FILE, envName, flagName, type ConfigSources } from './config/configSources';

export interface Config extends Omit<ParsedConfig, 'peopleFile'> {
  /** Resolved: defaults to `<dataDir>/people.csv`. */
  readonly peopleFile: string;
  /** Where the configuration came from, for the start-up line. */
  readonly configFile: string | null;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Reads, merges and validates the configuration; never throws for bad input. */
export function loadConfig(sources: ConfigSources): ConfigResult {
  const cwd = sources.cwd ?? process.cwd();
  const gathered = gatherSettings(sources, cwd);
  const parsed = configSchema.safeParse(gathered.raw);
  const errors = configErrorsOf(parsed, gathered);
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  const config = resolvedConfig(parsed.data, cwd, gathered.configFile);
  const fileErrors =
    sources.connects === true
      ? mqttFileErrors(config, (key) => gathered.origin[key] ?? 'default')
      : [];
  return fileErrors.length > 0 ? { ok: false, errors: fileErrors } : { ok: true, config };
}

/** The paths resolved against the working directory; the people file defaults into dataDir. */
function resolvedConfig(config: ParsedConfig, cwd: string, configFile: string | null): Config {
  const dataDir = resolve(cwd, config.dataDir);
  return {
    ...config,
    dataDir,
    peopleFile: resolve(cwd, config.peopleFile ?? resolve(dataDir, 'people.csv')),
    keyFile: config.keyFile === undefined ? undefined : resolve(cwd, config.keyFile),
    ...Object.fromEntries(
      MQTT_FILE_KEYS.flatMap((key) => {
        const file = config[key];
        return file === undefined ? [] : [[key, resolve(cwd, file)]];
      }),
    ),
    configFile,
  };
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
    adminCards: config.adminCards,
    weekStartsOn: weekStart(config.payPeriod),
  };
}
