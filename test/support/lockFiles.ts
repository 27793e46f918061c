/** Lock files as a clock writes them (src/dataDirLock.ts), for the tests of the lock and its readers. */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { processStartTicks, readBootIdOrNull, type LockHolder } from '../../src/dataDirLock';

/** The lock `pid` would write on this host, in this boot: a live clock while `pid` runs. */
export function holderOf(pid: number, fields: Partial<LockHolder> = {}): LockHolder {
  return {
    pid,
    startedAt: '2026-03-02T08:00:00.000Z',
    host: hostname(),
    bootId: readBootIdOrNull(),
    procStart: processStartTicks(pid),
    ...fields,
  };
}

/** Writes `holder` to the lock file `file`, as lockDataDir does. */
export function writeLock(file: string, holder: LockHolder): void {
  writeFileSync(file, `${JSON.stringify(holder)}\n`);
}

/** A pid no process has here (above Linux's pid_max default of 2^22): a clock that is gone. */
export const GONE_PID = 2 ** 22 + 1;
