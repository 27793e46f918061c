/**
 * Doors of one site as real processes: the built CLI, each with its own data
 * directory, sharing taps through a real broker (test/support/broker.ts). What
 * each door's store holds is read straight from its SQLite file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Clock, logText, runCli } from './runCli';
import { until } from './until';

/** The ACL README's "Set up a site" gives, line for line (without the Home Assistant lines). */
export const README_ACL: readonly string[] = [
  'pattern write badgeclock/+/taps/%u',
  'pattern read badgeclock/+/taps/+',
  'pattern readwrite badgeclock/+/doors/%u/state',
  'pattern read badgeclock/+/doors/+/state',
  'pattern read badgeclock/+/corrections',
  'user hub',
  'topic readwrite badgeclock/+/hub/state',
  'topic write badgeclock/+/corrections',
];

export interface Door {
  readonly name: string;
  readonly dataDir: string;
  clock: Clock;
}

/** Starts door `name` of site `site` on `brokerUrl`; taps are lines on its stdin. */
export async function startDoor(
  name: string,
  brokerUrl: string,
  root: string,
  env: NodeJS.ProcessEnv = {},
  command: 'run' | 'hub' = 'run',
): Promise<Door> {
  const door: Door = {
    name,
    dataDir: join(root, name),
    clock: spawnDoor(name, brokerUrl, root, env, command),
  };
  await subscribed(door.clock);
  return door;
}

/** The same door again, on the same data directory (after a stop or a kill). */
export async function restartDoor(
  door: Door,
  brokerUrl: string,
  root: string,
  env: NodeJS.ProcessEnv = {},
  command: 'run' | 'hub' = 'run',
): Promise<void> {
  door.clock = spawnDoor(door.name, brokerUrl, root, env, command);
  await subscribed(door.clock);
}

/** Started, and subscribed to every door's taps (what is published before that, it never gets). */
async function subscribed(clock: Clock): Promise<void> {
  await clock.started();
  await clock.waitFor((c) => logText(c.stderr).includes('mqtt: subscribed to'));
}

export function spawnDoor(
  name: string,
  brokerUrl: string,
  root: string,
  env: NodeJS.ProcessEnv,
  command: 'run' | 'hub' = 'run',
): Clock {
  const { args, env: doorEnv } = doorCommand(name, brokerUrl, root, env, command);
  return new Clock(args, { env: doorEnv, timeoutMs: 60_000 });
}

/**
 * The CLI arguments and environment of door `name` (or the hub), for a caller that runs the
 * process itself (the bench: doors that live for minutes, their output timed as it arrives).
 */
export function doorCommand(
  name: string,
  brokerUrl: string,
  root: string,
  env: NodeJS.ProcessEnv,
  command: 'run' | 'hub' = 'run',
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [command, '--json', '--data-dir', join(root, name), '--tz', 'UTC'],
    env: {
      BADGECLOCK_MQTT_URL: brokerUrl,
      BADGECLOCK_SITE: 'test',
      BADGECLOCK_DOOR: name,
      BADGECLOCK_READER_NAME: name,
      BADGECLOCK_TIME_SYNC: 'off',
      // Every line is a tap that counts: no debounce, no guard.
      BADGECLOCK_DEBOUNCE_SECONDS: '0',
      BADGECLOCK_GUARD_SECONDS: '0',
      BADGECLOCK_LOG_LEVEL: 'debug',
      ...env,
    },
  };
}

export interface StoredSession {
  readonly id: string;
  readonly card: string;
  readonly in_at: number;
  readonly out_at: number | null;
  readonly status: string;
}

/** What a door's store holds: its sessions (not superseded), its taps (with their origin), its inbox. */
export function storeOf(door: Door): {
  sessions: StoredSession[];
  taps: {
    id: number;
    at: number;
    card: string;
    reader: string;
    outcome: string;
    origin: string | null;
  }[];
  inbox: { id: string; folded_at: number | null; late_at: number | null }[];
  /** Other doors' last word on their state topics. */
  doors: { door: string; state: string; backlog: number | null }[];
  /** What refolds changed: the answers the merged log contradicted. */
  merges: { session: string; change: string }[];
  /** The last own tap the broker acknowledged (null before the first connection). */
  published: number | null;
} {
  const db = new Database(join(door.dataDir, 'badgeclock.db'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    return {
      sessions: db
        .prepare(
          'SELECT id, card, in_at, out_at, status FROM sessions WHERE superseded_at IS NULL ORDER BY id',
        )
        .all() as StoredSession[],
      taps: db
        .prepare('SELECT id, at, card, reader, outcome, origin FROM taps ORDER BY id')
        .all() as ReturnType<typeof storeOf>['taps'],
      doors: db.prepare('SELECT door, state, backlog FROM mqtt_doors ORDER BY door').all() as {
        door: string;
        state: string;
        backlog: number | null;
      }[],
      merges: db.prepare('SELECT session, change FROM merge_changes ORDER BY id').all() as {
        session: string;
        change: string;
      }[],
      published:
        (db.prepare('SELECT published FROM mqtt_cursor').get() as { published: number } | undefined)
          ?.published ?? null,
      inbox: db
        .prepare('SELECT id, folded_at, late_at FROM mqtt_inbox ORDER BY id')
        .all() as ReturnType<typeof storeOf>['inbox'],
    };
  } finally {
    db.close();
  }
}

/** The JSON feedback lines a door printed, parsed. */
export function eventsOf(
  door: Door,
): { type: string; card?: string; origin?: string; session?: string }[] {
  return door.clock
    .lines()
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; card?: string; origin?: string });
}

/** A session as compared between replicas and the one clock. */
export interface ComparedSession {
  readonly id: string;
  readonly in_at: number;
  readonly out_at: number | null;
  readonly status: string;
}

/** What a door holds, as compared: its sessions (not superseded), by id. */
export const comparedOf = (door: Door): ComparedSession[] =>
  storeOf(door).sessions.map(({ id, in_at, out_at, status }) => ({ id, in_at, out_at, status }));

/**
 * The sessions one clock computes from the merged tap log: every tap `door` holds (its own and
 * the other doors', which after convergence is the whole log), fed to `badgeclock replay --json`
 * with the doors' rules, up to `until`.
 */
export async function oneClock(door: Door, until = Date.now()): Promise<ComparedSession[]> {
  const log = join(door.dataDir, '..', `${door.name}-merged.csv`);
  const taps = storeOf(door).taps;
  writeFileSync(
    log,
    taps.map((t) => `${new Date(t.at).toISOString()},${t.card},${t.reader}`).join('\n') + '\n',
  );
  const result = await runCli(
    ['replay', log, '--json', '--tz', 'UTC', '--until', new Date(until).toISOString()],
    { env: { BADGECLOCK_GUARD_SECONDS: '0', BADGECLOCK_DEBOUNCE_SECONDS: '0' }, timeoutMs: 30_000 },
  );
  if (result.code !== 0) throw new Error(`replay failed: ${result.stderr}`);
  const sessions = new Map<string, ComparedSession>();
  for (const line of result.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const e = JSON.parse(line) as { type: string; at: string; session?: string };
    const at = Date.parse(e.at);
    if (e.session === undefined) continue;
    if (e.type === 'clock-in') {
      sessions.set(e.session, { id: e.session, in_at: at, out_at: null, status: 'in' });
    } else if (e.type === 'clock-out' || e.type === 'auto-out') {
      const s = sessions.get(e.session);
      if (s !== undefined) {
        sessions.set(e.session, {
          ...s,
          out_at: at,
          status: e.type === 'clock-out' ? 'out' : 'auto',
        });
      }
    }
  }
  return [...sessions.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Waits until every door holds the same sessions, `n` of them: one read per door, so the count
 * and the comparison are of the same rows. A failure shows what each door holds, and its log.
 */
export async function converged(doors: readonly Door[], n: number, ms = 15_000): Promise<void> {
  await until(
    () => {
      const all = doors.map((door) => storeOf(door).sessions);
      const same = all.map((rows) => JSON.stringify(rows));
      return all[0]?.length === n && same.every((x) => x === same[0]);
    },
    { ms, everyMs: 50, what: `${n} sessions on every door` },
  ).catch((error: unknown) => {
    throw new Error(
      `${String(error)}\n${doors.map((d) => `${d.name}: ${JSON.stringify(storeOf(d).sessions)}\n${d.clock.stderr.slice(-3000)}`).join('\n')}`,
    );
  });
}
