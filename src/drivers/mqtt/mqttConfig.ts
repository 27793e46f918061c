/**
 * The settings of a site with several doors (docs/multi-door.md): which broker,
 * which site, which door this clock is, and how it logs in. Spread into the
 * config schema like the GPIO settings; every key has its BADGECLOCK_* variable.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

/** A topic level: no MQTT wildcard, no slash, nothing a broker's ACL pattern would misread. */
const TOPIC_LEVEL = /^[A-Za-z0-9_-]{1,64}$/;
const topicLevel = (what: string): z.ZodString =>
  z
    .string()
    .trim()
    .regex(TOPIC_LEVEL, {
      error: `expected a ${what} name of letters, digits, "-" or "_" (at most 64), e.g. "front-door"`,
    });

/** The host name as a door name: what a topic level cannot hold becomes "-". */
export function doorOfHost(host: string = hostname()): string {
  const name = host
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name === '' ? 'door' : name;
}

const brokerUrl = z
  .string()
  .trim()
  .refine(
    (text) => {
      try {
        return ['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { error: 'expected a broker URL such as "mqtt://broker.local:1883" or "mqtts://broker:8883"' },
  );

/** Spread into the config schema: `z.strictObject({ ...mqttConfigShape, ... })`. */
export const mqttConfigShape = {
  /** The broker; without it the clock is a single door and shares nothing. */
  mqttUrl: brokerUrl.optional(),
  /** The site: one record, one sheet; every door of it uses the same name. */
  site: topicLevel('site').default('site'),
  /** This clock's door: its taps' topic and the first half of their ids. */
  door: topicLevel('door').default(() => doorOfHost()),
  mqttUsername: z.string().min(1).optional(),
  mqttPassword: z.string().min(1).optional(),
  /** TLS: the CA that signed the broker's certificate (mqtts://, wss://). */
  mqttCaFile: z.string().min(1).optional(),
  /** TLS client certificate and key, when the broker asks for one. */
  mqttCertFile: z.string().min(1).optional(),
  mqttKeyFile: z.string().min(1).optional(),
  /** Home Assistant MQTT discovery: an "at work" sensor per person, "people in" for the site. */
  homeAssistant: z.boolean().default(false),
};

export type MqttConfig = z.output<z.ZodObject<typeof mqttConfigShape>>;

/** The config keys that are paths, resolved against the working directory. */
export const MQTT_FILE_KEYS = ['mqttCaFile', 'mqttCertFile', 'mqttKeyFile'] as const;

/** What MQTT settings cannot be together; each error names its key. */
export function mqttSettingErrors(config: MqttConfig, where: (key: string) => string): string[] {
  const errors: string[] = [];
  if ((config.mqttCertFile === undefined) !== (config.mqttKeyFile === undefined)) {
    const missing = config.mqttCertFile === undefined ? 'mqttCertFile' : 'mqttKeyFile';
    errors.push(
      `${missing} (${where(missing)}): a TLS client certificate needs both mqttCertFile and mqttKeyFile`,
    );
  }
  if (config.mqttPassword !== undefined && config.mqttUsername === undefined) {
    errors.push(
      `mqttUsername (${where('mqttPassword')}): mqttPassword is set but no user; set BADGECLOCK_MQTT_USERNAME`,
    );
  }
  return errors;
}

/**
 * The TLS files the clock will hand to the broker connection, each one it cannot read named
 * by its key: checked before a clock or hub starts, so a mistyped path is a configuration
 * error (exit 2), not a crash at the first connection.
 */
export function mqttFileErrors(config: MqttConfig, where: (key: string) => string): string[] {
  if (config.mqttUrl === undefined) return [];
  return MQTT_FILE_KEYS.flatMap((key) => {
    const file = config[key];
    if (file === undefined) return [];
    try {
      readFileSync(file);
      return [];
    } catch (error) {
      return [`${key} (${where(key)}): cannot read ${file}: ${whyUnreadable(error)}`];
    }
  });
}

/** Why a file could not be read, with what to do where there is something to do. */
export function whyUnreadable(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file; check the path';
    case 'ENOTDIR':
      return 'a folder on its path is a file; check the path';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return "permission denied; make it readable by the clock's user (chmod/chown)";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
