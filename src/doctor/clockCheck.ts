/**
 * The doctor's check of the system clock: synchronised (by NTP or the
 * configured command), not yet, or cannot tell, since a tap's time is only as
 * good as the clock's.
 */
import type { Config } from '../config';
import { timeSyncCheckOf } from '../drivers/clock/timeSync';
import type { Check, DoctorDeps } from './check';

/** Whether the system clock is synchronised, the way `timeSync` says to tell. */
export async function clockCheck(config: Config, deps: DoctorDeps): Promise<Check> {
  const check = deps.clockSynchronised ?? timeSyncCheckOf(config);
  const synced = check === undefined ? 'off' : await check();
  const how =
    config.timeSync === 'command' ? `timeSyncCommand: ${config.timeSyncCommand ?? ''}` : 'NTP';
  if (synced === true) return { name: 'system clock', ok: true, detail: `synchronised (${how})` };
  if (synced === false) {
    return {
      name: 'system clock',
      ok: false,
      detail: 'not synchronised: taps are stored but their times may be wrong',
      fix:
        config.timeSync === 'command'
          ? `connect the network; "${config.timeSyncCommand ?? ''}" must exit 0 once the clock is synchronised`
          : 'connect the network and enable time sync: sudo timedatectl set-ntp true',
    };
  }
  if (synced === 'off') {
    return { name: 'system clock', ok: 'skip', detail: 'not checked (timeSync is off)' };
  }
  return {
    name: 'system clock',
    ok: 'skip',
    detail:
      config.timeSync === 'command'
        ? `cannot tell: "${config.timeSyncCommand ?? ''}" did not exit 0 or 1`
        : // timedatectl's failure says no more: missing, or installed where systemd does not run.
          'cannot tell: timedatectl did not answer (not installed, or systemd is not running here)',
  };
}
