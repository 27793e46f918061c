/**
 * The configuration keys of GPIO feedback, as zod schemas to spread into the
 * config schema, and how they become the driver's options. Lines are BCM GPIO
 * numbers (GPIO17, the line offset on the chip), not header pin numbers.
 */
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import type { Log } from '../../../log';
import type { GpioFeedbackOptions } from './gpioFeedbackDriver';

const line = z
  .number()
  .int()
  .min(0)
  .max(1023, { error: 'expected a GPIO number such as 17 (BCM numbering, not the header pin)' });

/** Spread into the config schema: `z.strictObject({ ...gpioConfigShape, ... })`. */
export const gpioConfigShape = {
  /** The GPIO chip by name, number or path; `gpiochip0` is the 40-pin header on every Pi. */
  gpioChip: z.string().trim().min(1).default('gpiochip0'),
  buzzerGpio: line.optional(),
  greenLedGpio: line.optional(),
  redLedGpio: line.optional(),
  /** `low` when a line is on at 0 V (LED from 3V3 to the pin, low-triggered buzzer module). */
  gpioActive: z.enum(['high', 'low']).default('high'),
};

export type GpioConfig = z.output<z.ZodObject<typeof gpioConfigShape>>;

/** True when any feedback line is configured (otherwise the driver need not be wired at all). */
export function gpioFeedbackConfigured(config: GpioConfig): boolean {
  return (
    config.buzzerGpio !== undefined ||
    config.greenLedGpio !== undefined ||
    config.redLedGpio !== undefined
  );
}

/** The lines the config names: what the driver drives and doctor checks. */
export function gpioLinesOf(
  config: GpioConfig,
): Pick<GpioFeedbackOptions, 'chip' | 'buzzer' | 'green' | 'red' | 'activeLow'> {
  return {
    chip: config.gpioChip,
    buzzer: config.buzzerGpio,
    green: config.greenLedGpio,
    red: config.redLedGpio,
    activeLow: config.gpioActive === 'low',
  };
}

/** The driver's options from the config. */
export function gpioFeedbackOptions(
  config: GpioConfig,
  scheduler: SchedulerLike,
  log: Pick<Log, 'info' | 'warn'>,
): GpioFeedbackOptions {
  return { ...gpioLinesOf(config), scheduler, log };
}
