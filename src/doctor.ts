/**
 * `badgeclock doctor`: checks of everything the clock needs, each a pass or
 * fail line with the fix. Read-only: it never changes the store or the sheet.
 * Each check lives in src/doctor/; this module runs them in order.
 */
import type { Config } from './config';
import type { Check, DoctorDeps } from './doctor/check';
import { clockCheck } from './doctor/clockCheck';
import { gpioCheck } from './doctor/gpioCheck';
import { readerChecks } from './doctor/readerChecks';
import { sharingChecks } from './doctor/sharingChecks';
import { sheetChecks } from './doctor/sheetChecks';
import { dataDirCheck, diskSpaceCheck, storeChecks } from './doctor/storeChecks';

export type { Check, DoctorDeps } from './doctor/check';

/** Runs every check in order; never throws. */
export async function runDoctor(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const configuration: Check = {
    name: 'configuration',
    ok: true,
    detail: config.configFile ?? 'defaults and environment',
  };
  const dataDir = dataDirCheck(config.dataDir);
  const store = storeChecks(config.dataDir, dataDir.writable);
  const disk = diskSpaceCheck(config.dataDir);
  const sheet = await sheetChecks(config, deps);
  const sharing = await sharingChecks(config, deps.now ?? Date.now, deps.hub === true);
  const readers = await readerChecks(config, deps);
  const gpio = gpioCheck(config, deps);
  const clock = await clockCheck(config, deps);
  return [
    configuration,
    dataDir.check,
    disk,
    ...store,
    ...sheet,
    ...sharing,
    ...readers,
    gpio,
    clock,
  ];
}

/** The report a person reads: one line per check, the fix under each failure. */
export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((check) => {
      const mark =
        check.ok === true ? '✔' : check.ok === 'skip' ? '·' : check.ok === 'warn' ? '!' : '✖';
      const shown = check.ok === false || check.ok === 'warn';
      const fix = shown && check.fix !== undefined ? `\n    fix: ${check.fix}` : '';
      return `${mark} ${check.name}: ${check.detail}${fix}`;
    })
    .join('\n');
}
