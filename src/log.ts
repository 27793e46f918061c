/**
 * Logs: structured JSON lines (pino) on stderr, with levels — what journald
 * keeps under systemd. At a terminal the same records print as short text
 * lines. Human feedback at the reader stays on stdout. No secret ever reaches
 * a log line: messages are scrubbed of bearer tokens, JWTs and private keys.
 */
import pino from 'pino';
import { formatLocalIso } from '../streams/zoned';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRETS: readonly [RegExp, string][] = [
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    '[private key redacted]',
  ],
  [/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, '[token redacted]'],
  [/"private_key"\s*:\s*"[^"]*"/g, '"private_key":"[redacted]"'],
];

/** Removes anything that looks like a credential from a text. */
export function scrub(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * A sink for pino that prints each record as `HH:MM:SS LEVEL message` (for a
 * terminal): in the configured zone once it is known, in the process's before.
 */
function prettyStream(
  write: (text: string) => void,
  zone: () => string | null,
): { write: (line: string) => void } {
  const names: Record<string, string> = { warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };
  return {
    write(line: string) {
      try {
        const record = JSON.parse(line) as { level: string; time: number; msg: string };
        const configured = zone();
        const time =
          configured === null
            ? new Date(record.time).toTimeString().slice(0, 8)
            : formatLocalIso(record.time, configured).slice(11, 19);
        write(`${time} ${names[record.level] ?? record.level} ${record.msg}\n`);
      } catch {
        write(line);
      }
    },
  };
}

export interface LogOptions {
  /** Short text lines instead of JSON (a person at a terminal). */
  readonly pretty: boolean;
  readonly level?: Level;
  /** Where lines go; stderr by default. */
  readonly write?: (text: string) => void;
}

/** The program's log, which learns the configured zone once the configuration is read. */
export interface ProgramLog extends Log {
  /** Text lines at a terminal show times in this zone from now on (JSON lines carry epoch ms). */
  useZone(zone: string): void;
}

/** Makes the program's logger. Writes are synchronous, so nothing is lost at exit. */
export function makeLog(options: LogOptions): ProgramLog {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  let zone: string | null = null;
  const destination = options.pretty ? prettyStream(write, () => zone) : { write };
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { name: 'badgeclock' },
      redact: {
        paths: [
          'private_key',
          '*.private_key',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const at =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logger[level](fields ?? {}, scrub(message));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    useZone: (configured) => {
      zone = configured;
    },
  };
}
