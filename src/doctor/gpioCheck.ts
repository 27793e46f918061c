/** The doctor's check of the buzzer and LEDs: chip, permission and gpioset, without touching a line. */
import type { Config } from '../config';
import { gpioLinesOf } from '../drivers/feedback/gpio/gpioConfig';
import { checkGpio } from '../drivers/feedback/gpio/gpioFeedbackDriver';
import type { Check, DoctorDeps } from './check';

/** The buzzer and LEDs: chip, permission and gpioset, without touching a line. */
export function gpioCheck(config: Config, deps: DoctorDeps): Check {
  const check = checkGpio({
    ...gpioLinesOf(config),
    ...(deps.gpioSearchPath === undefined ? {} : { searchPath: deps.gpioSearchPath }),
  });
  if (check === null) {
    return { name: 'buzzer and LEDs', ok: 'skip', detail: 'no GPIO line configured' };
  }
  return check.ok
    ? { name: 'buzzer and LEDs', ok: true, detail: check.detail }
    : {
        name: 'buzzer and LEDs',
        ok: false,
        detail: check.detail,
        fix: 'see the README, "Buzzer and LEDs"; the clock runs without them meanwhile',
      };
}
