/**
 * `report --period`: the pay period asked for, `current`, `previous`, or the
 * one that contains a date.
 */
import {
  periodAt,
  periodLabel,
  previousPeriod,
  type PayPeriod,
  type PeriodBounds,
} from '../../streams/payPeriod';
import { parseLocalDate } from './dates';

export interface ChosenPeriod extends PeriodBounds {
  /** `2026-03-26 – 2026-04-25`. */
  readonly label: string;
}

/** The period `which` names at `now`, or null when it is not current, previous or a date. */
export function choosePeriod(
  which: string,
  period: PayPeriod,
  zone: string,
  now: number,
): ChosenPeriod | null {
  const text = which.trim().toLowerCase();
  const date = text === 'current' || text === 'previous' ? null : parseLocalDate(text, zone);
  if (text !== 'current' && text !== 'previous' && date === null) return null;
  const bounds =
    text === 'previous' ? previousPeriod(now, period, zone) : periodAt(date ?? now, period, zone);
  return { ...bounds, label: periodLabel(bounds, zone) };
}
