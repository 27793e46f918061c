/**
 * `badgeclock status`: what the store and the clock say, in a few lines.
 */
import type { Command } from 'commander';

import { version } from '../../package.json';
import { formatDuration, formatLocalDateTimeExact } from '../../streams/zoned';
import type { Config } from '../config';
import { describeSpace, diskAdvice, diskLevel, diskSpaceOf } from '../diskSpace';
import { timeSyncCheckOf } from '../drivers/clock/timeSync';
import { readerSpecsOf } from '../drivers/reader/readers';
import type { SharingStatus, StoreStatus } from '../drivers/store/store';
import {
  closeAtOf,
  configOrExit,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

/** Adds `status` to the program. */
export function addStatusCommand(program: Command): void {
  withConfigOptions(
    program
      .command('status')
      .description(
        'device, version, open sessions, outbox, last tap, last sync, clock synchronisation and database size',
      ),
  ).action(showStatus);
}

/** Writes the status to stdout. */
async function showStatus(options: ConfigOptions): Promise<void> {
  const config = configOrExit(options);
  const check = timeSyncCheckOf(config);
  // timeSync off: nothing was asked, so nothing is claimed (doctor says the same).
  const synced = check === undefined ? 'off' : await check();
  const store = storeOrExit(config, true, false, true);
  const status = store.status();
  const sharing = config.mqttUrl === undefined ? null : store.sharingStatus();
  store.close();
  const now = Date.now();
  const lines = statusLines(config, status, now);
  if (sharing !== null) lines.push(...doorLines(config, sharing, now));
  lines.push(clockLine(config, synced) + behindLine(status, config.tz, now));
  lines.push(`Database: ${store.file}, ${(status.bytes / 1024).toFixed(0)} KiB`);
  lines.push(diskLine(config.dataDir));
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The device, open sessions, outbox, last tap, last sync and what the sheet set aside. A time
 * in the repeated hour of a fall-back night carries its offset, as in report.
 */
function statusLines(config: Config, status: StoreStatus, now: number): string[] {
  const zone = config.tz;
  const lines = [`Device: ${config.readerName} (badgeclock ${version}, ${readersOf(config)})`];
  lines.push(`Open sessions: ${status.open.length}`);
  const closeAt = closeAtOf(config);
  for (const s of status.open) {
    const due = closeAt(s);
    lines.push(
      due < now
        ? `  ${(s.name ?? s.card).padEnd(20)}  since ${formatLocalDateTimeExact(s.inAt, zone)}  past its limit: closed as auto at ${formatLocalDateTimeExact(due, zone)} (${formatDuration(due - s.inAt)}) when the clock runs`
        : `  ${(s.name ?? s.card).padEnd(20)}  since ${formatLocalDateTimeExact(s.inAt, zone)}  for ${s.inAt > now + AHEAD_MS ? `?: that is ${formatDuration(s.inAt - now)} after this machine's time (see Clock)` : formatDuration(now - s.inAt)}`,
    );
  }
  lines.push(
    status.outboxDepth === 0
      ? 'Outbox: empty'
      : `Outbox: ${status.outboxDepth} pending, oldest from ${formatLocalDateTimeExact(status.oldestPendingAt ?? now, zone)} (${ago(status.oldestPendingAt ?? now, now)})`,
  );
  lines.push(
    status.lastTap === null
      ? 'Last tap: none yet'
      : `Last tap: ${formatLocalDateTimeExact(status.lastTap.at, zone)}  ${status.lastTap.card}  ${status.lastTap.outcome}`,
  );
  lines.push(
    config.spreadsheetId === undefined
      ? 'Last sync: the sheet is off'
      : `Last sync: ${status.lastSyncAt === null ? 'never' : `${formatLocalDateTimeExact(status.lastSyncAt, zone)} (${ago(status.lastSyncAt, now)})`}`,
  );
  return [...lines, ...setAsideLines(status, zone)];
}

/** A site's doors (docs/multi-door.md): this door's backlog, late taps, what each other door sent. */
function doorLines(config: Config, sharing: SharingStatus, now: number): string[] {
  const zone = config.tz;
  const lines = [
    `Doors: site ${config.site}, this door ${config.door}, broker ${config.mqttUrl ?? ''}`,
    sharing.backlog === 0
      ? '  Backlog: none (every tap of this door reached the broker)'
      : `  Backlog: ${sharing.backlog} tap(s) of this door not yet acknowledged by the broker`,
  ];
  if (sharing.late > 0) {
    lines.push(
      `  Late: ${sharing.late} tap(s) of other doors came after a later one of the same person; kept, not yet folded`,
    );
  }
  const { added, changed, superseded } = sharing.merged;
  if (added + changed + superseded > 0) {
    lines.push(
      `  Refolded after late taps: ${added} session(s) added, ${changed} changed, ${superseded} superseded (answers the merged taps corrected)`,
    );
  }
  const { toShare, received, waiting } = sharing.corrections;
  if (toShare > 0) {
    lines.push(
      `  Corrections to share: ${toShare} applied here, not yet acknowledged by the broker`,
    );
  }
  if (received > 0) {
    lines.push(
      `  The hub's corrections: ${received} received${waiting > 0 ? `, ${waiting} waiting for their session to reach this door` : ', all applied'}`,
    );
  }
  if (sharing.doors.length === 0) lines.push('  No tap from another door yet');
  for (const d of sharing.doors) {
    const taps =
      d.lastTapAt === null || d.lastReceivedAt === null
        ? 'no tap yet'
        : `last tap ${formatLocalDateTimeExact(d.lastTapAt, zone)}, last heard ${formatLocalDateTimeExact(d.lastReceivedAt, zone)} (${formatDuration(Math.max(0, now - d.lastReceivedAt))} ago), ${d.taps} tap(s)`;
    const p = d.presence;
    const said =
      p === null
        ? ''
        : p.state === 'offline'
          ? `; offline since ${formatLocalDateTimeExact(p.receivedAt, zone)}`
          : `; online, backlog ${p.backlog === null ? '?' : String(p.backlog)} as of ${formatLocalDateTimeExact(p.receivedAt, zone)}`;
    lines.push(`  ${d.door.padEnd(20)}  ${taps}${said}`);
  }
  return lines;
}

/** The changes the sheet refused for good, newest first; none when there are none. */
function setAsideLines(status: StoreStatus, zone: string): string[] {
  if (status.setAsideCount === 0) return [];
  const lines = [
    `Set aside: ${status.setAsideCount} change(s) the sheet refused for good, not retried (newest first):`,
  ];
  for (const entry of status.setAside) {
    lines.push(
      `  ${formatLocalDateTimeExact(entry.createdAt, zone)}  ${entry.kind}  ${entry.key}: ${entry.failure}`,
    );
  }
  if (status.setAsideCount > status.setAside.length) {
    lines.push(`  … and ${status.setAsideCount - status.setAside.length} more`);
  }
  return lines;
}

/**
 * How far a time may be after this machine's before status says the clock is behind it: a tap
 * of another door a few seconds ahead is clock skew, not a clock set back.
 */
const AHEAD_MS = 60_000;

/** How long ago `at` was, or how far after this machine's time it is. */
function ago(at: number, now: number): string {
  return at > now + AHEAD_MS
    ? `${formatDuration(at - now)} after this machine's time`
    : `${formatDuration(now - at)} ago`;
}

/**
 * When this machine's time is behind the newest tap (or clock-in) the store holds, how far: its
 * clock was set back, or was ahead when the tap was taken. Empty when it is not.
 */
function behindLine(status: StoreStatus, zone: string, now: number): string {
  const newest = Math.max(status.lastTap?.at ?? -Infinity, ...status.open.map((s) => s.inAt));
  if (!(newest > now + AHEAD_MS)) return '';
  return `; and this machine's time is ${formatDuration(newest - now)} behind the newest tap (${formatLocalDateTimeExact(newest, zone)}): it was set back, or was ahead when the tap was taken`;
}

/** Whether the system clock is synchronised, as the configured check tells; 'off': not asked. */
function clockLine(config: Config, synced: boolean | null | 'off'): string {
  if (synced === 'off') return 'Clock: not checked (timeSync is off)';
  return `Clock: ${synced === true ? 'synchronised' : synced === false ? 'NOT synchronised (taps are marked and corrected later)' : `cannot tell (${config.timeSync === 'command' ? 'the check did not exit 0 or 1' : 'timedatectl did not answer: not installed, or systemd is not running here'})`}`;
}

/** The free space on the disk holding the data directory, and what to do when it is low. */
function diskLine(dir: string): string {
  const space = diskSpaceOf(dir);
  if (space === null) return 'Disk: cannot tell';
  const level = diskLevel(space);
  const line = `Disk: ${describeSpace(space)}`;
  return level === 'ok' ? line : `${line}: ${level.toUpperCase()}; ${diskAdvice(dir)}`;
}

/** `keyboard reader`, or with a `readers` list each reader's name and kind (config.reader is then unused). */
function readersOf(config: Config): string {
  if (config.readers === undefined) return `${config.reader} reader`;
  const specs = readerSpecsOf(config);
  return `${specs.length} readers: ${specs.map((spec) => `${spec.name} (${spec.kind})`).join(', ')}`;
}
