import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  formatDuration,
  formatLocalDateTime,
  formatLocalDateTimeExact,
  formatLocalIso,
  localTime,
  nextLocalTime,
  startOfLocalDay,
  startOfNextLocalDay,
} from '../streams/zoned';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;

/** A UTC instant from a local ISO time with its offset, so the DST offsets are visible. */
function at(isoWithOffset: string): number {
  const ms = Date.parse(isoWithOffset);
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${isoWithOffset}`);
  return ms;
}

describe('startOfLocalDay', () => {
  it('is local midnight, whatever the offset of the instant', () => {
    expect(startOfLocalDay(at('2026-05-12T00:30:00+02:00'), BERLIN)).toBe(
      at('2026-05-12T00:00:00+02:00'),
    );
    expect(startOfLocalDay(at('2026-05-12T23:59:59.999+02:00'), BERLIN)).toBe(
      at('2026-05-12T00:00:00+02:00'),
    );
    // 23:30 UTC on the 11th is already the 12th in Berlin.
    expect(startOfLocalDay(at('2026-05-11T23:30:00Z'), BERLIN)).toBe(
      at('2026-05-12T00:00:00+02:00'),
    );
  });

  it('the spring-forward day in Berlin starts at midnight CET and is 23 hours long', () => {
    const noon = at('2026-03-29T12:00:00+02:00');
    expect(startOfLocalDay(noon, BERLIN)).toBe(at('2026-03-29T00:00:00+01:00'));
    expect(startOfNextLocalDay(noon, BERLIN) - startOfLocalDay(noon, BERLIN)).toBe(23 * HOUR);
  });

  it('the fall-back day in Berlin starts at midnight CEST and is 25 hours long', () => {
    const noon = at('2026-10-25T12:00:00+01:00');
    expect(startOfLocalDay(noon, BERLIN)).toBe(at('2026-10-25T00:00:00+02:00'));
    expect(startOfNextLocalDay(noon, BERLIN) - startOfLocalDay(noon, BERLIN)).toBe(25 * HOUR);
  });

  it('the repeated hour of the fall-back night belongs to the same day both times', () => {
    const firstTwoThirty = at('2026-10-25T02:30:00+02:00');
    const secondTwoThirty = at('2026-10-25T02:30:00+01:00');
    expect(startOfLocalDay(firstTwoThirty, BERLIN)).toBe(at('2026-10-25T00:00:00+02:00'));
    expect(startOfLocalDay(secondTwoThirty, BERLIN)).toBe(at('2026-10-25T00:00:00+02:00'));
  });

  it('a half-hour DST change makes a day of 23.5 or 24.5 hours (Lord Howe Island)', () => {
    const zone = 'Australia/Lord_Howe';
    const spring = at('2026-10-04T12:00:00+11:00');
    const autumn = at('2026-04-05T12:00:00+10:30');
    expect(startOfNextLocalDay(spring, zone) - startOfLocalDay(spring, zone)).toBe(23.5 * HOUR);
    expect(startOfNextLocalDay(autumn, zone) - startOfLocalDay(autumn, zone)).toBe(24.5 * HOUR);
  });

  it('where the clocks skip midnight (Chile), the day starts at 01:00 and the next day at its midnight', () => {
    const zone = 'America/Santiago';
    const noon = at('2026-09-06T12:00:00-03:00');
    expect(formatLocalDateTime(startOfLocalDay(noon, zone), zone)).toBe('2026-09-06 01:00');
    expect(startOfLocalDay(noon, zone)).toBe(at('2026-09-06T00:00:00-04:00'));
    expect(startOfNextLocalDay(noon, zone)).toBe(at('2026-09-07T00:00:00-03:00'));
    expect(startOfNextLocalDay(noon, zone) - startOfLocalDay(noon, zone)).toBe(23 * HOUR);
  });
});

describe('nextLocalTime', () => {
  it('is later the same day when that time is still to come, otherwise the next day', () => {
    expect(nextLocalTime(at('2026-05-12T22:00:00+02:00'), '23:00', BERLIN)).toBe(
      at('2026-05-12T23:00:00+02:00'),
    );
    expect(nextLocalTime(at('2026-05-12T23:30:00+02:00'), '23:00', BERLIN)).toBe(
      at('2026-05-13T23:00:00+02:00'),
    );
  });

  it('is strictly after: at the time itself, it is the next day', () => {
    expect(nextLocalTime(at('2026-05-12T23:00:00+02:00'), '23:00', BERLIN)).toBe(
      at('2026-05-13T23:00:00+02:00'),
    );
    expect(nextLocalTime(at('2026-05-12T22:59:59.999+02:00'), '23:00', BERLIN)).toBe(
      at('2026-05-12T23:00:00+02:00'),
    );
  });

  it('midnight is the start of the next local day, on the eve of either DST change', () => {
    expect(nextLocalTime(at('2026-03-28T22:00:00+01:00'), '00:00', BERLIN)).toBe(
      at('2026-03-29T00:00:00+01:00'),
    );
    expect(nextLocalTime(at('2026-10-24T22:00:00+02:00'), '00:00', BERLIN)).toBe(
      at('2026-10-25T00:00:00+02:00'),
    );
  });

  it('a time after the change on a DST day carries the new offset', () => {
    expect(nextLocalTime(at('2026-03-28T22:00:00+01:00'), '08:00', BERLIN)).toBe(
      at('2026-03-29T08:00:00+02:00'),
    );
    expect(nextLocalTime(at('2026-10-24T22:00:00+02:00'), '08:00', BERLIN)).toBe(
      at('2026-10-25T08:00:00+01:00'),
    );
  });

  it('the next day is a calendar day, not 24 hours on: after 23:30 on the eve of spring-forward, 23:00 is on the 29th', () => {
    expect(nextLocalTime(at('2026-03-28T23:30:00+01:00'), '23:00', BERLIN)).toBe(
      at('2026-03-29T23:00:00+02:00'),
    );
    expect(nextLocalTime(at('2026-10-24T22:30:00+02:00'), '22:00', BERLIN)).toBe(
      at('2026-10-25T22:00:00+01:00'),
    );
  });

  it('a cut-off in the repeated hour of the fall-back night is the first time the clock shows it after the clock-in', () => {
    // Before both 02:30s: the first one (CEST).
    expect(nextLocalTime(at('2026-10-24T22:00:00+02:00'), '02:30', BERLIN)).toBe(
      at('2026-10-25T02:30:00+02:00'),
    );
    // Between them, or in the second pass of the hour before 02:30: the second one (CET).
    expect(nextLocalTime(at('2026-10-25T02:40:00+02:00'), '02:30', BERLIN)).toBe(
      at('2026-10-25T02:30:00+01:00'),
    );
    expect(nextLocalTime(at('2026-10-25T02:10:00+01:00'), '02:30', BERLIN)).toBe(
      at('2026-10-25T02:30:00+01:00'),
    );
    // After both: the next day.
    expect(nextLocalTime(at('2026-10-25T02:40:00+01:00'), '02:30', BERLIN)).toBe(
      at('2026-10-26T02:30:00+01:00'),
    );
  });

  it('a cut-off in the hour the spring-forward night skips is moved forward by the gap', () => {
    expect(nextLocalTime(at('2026-03-28T22:00:00+01:00'), '02:30', BERLIN)).toBe(
      at('2026-03-29T03:30:00+02:00'),
    );
    expect(nextLocalTime(at('2026-03-29T01:59:00+01:00'), '02:00', BERLIN)).toBe(
      at('2026-03-29T03:00:00+02:00'),
    );
  });
});

describe('localTime: a wall-clock time in the zone as an instant', () => {
  const wall = (iso: string): number => Date.parse(`${iso}Z`);

  it('a time that happens once is that instant', () => {
    expect(localTime(wall('2026-07-01T08:00:00'), BERLIN)).toEqual({
      at: at('2026-07-01T08:00:00+02:00'),
      kind: 'exact',
    });
  });

  it('a time that happens twice (the clocks go back) is the earlier of the two', () => {
    expect(localTime(wall('2026-10-25T02:30:00'), BERLIN)).toEqual({
      at: at('2026-10-25T02:30:00+02:00'),
      kind: 'repeated',
      later: at('2026-10-25T02:30:00+01:00'),
    });
  });

  it('a time that never happens (the clocks go forward) is moved forward by the gap', () => {
    expect(localTime(wall('2026-03-29T02:30:00'), BERLIN)).toEqual({
      at: at('2026-03-29T03:30:00+02:00'),
      kind: 'skipped',
      gapMs: HOUR,
    });
    // Lord Howe Island's gap is half an hour.
    expect(localTime(wall('2026-10-04T02:15:00'), 'Australia/Lord_Howe')).toEqual({
      at: at('2026-10-04T02:45:00+11:00'),
      kind: 'skipped',
      gapMs: HOUR / 2,
    });
  });
});

describe('formatting in the zone', () => {
  it('writes the offset only where the wall-clock time happens twice', () => {
    expect(formatLocalDateTimeExact(at('2026-10-25T01:30:00+02:00'), BERLIN)).toBe(
      '2026-10-25 01:30',
    );
    expect(formatLocalDateTimeExact(at('2026-10-25T02:30:00+02:00'), BERLIN)).toBe(
      '2026-10-25 02:30 +02:00',
    );
    expect(formatLocalDateTimeExact(at('2026-10-25T02:30:00+01:00'), BERLIN)).toBe(
      '2026-10-25 02:30 +01:00',
    );
    expect(formatLocalDateTimeExact(at('2026-10-25T03:00:00+01:00'), BERLIN)).toBe(
      '2026-10-25 03:00',
    );
  });

  it('an ISO-8601 local time carries its offset', () => {
    expect(formatLocalIso(at('2026-10-25T02:30:15+01:00'), BERLIN)).toBe(
      '2026-10-25T02:30:15+01:00',
    );
    expect(formatLocalIso(at('2026-01-02T03:04:05Z'), 'America/St_Johns')).toBe(
      '2026-01-01T23:34:05-03:30',
    );
  });
});

describe('whatever the process’s own TZ', () => {
  // Each process zone below is a real case: date-fns/tz reads the host's zone for wall-clock
  // arithmetic (date-fns/tz#40), and a host whose DST changes near the configured zone's got
  // other answers (a Pi in Chile computing Lord Howe days, one in Berlin reading 02:30).
  const HOSTS = [
    'UTC',
    'Europe/Berlin',
    'America/Los_Angeles',
    'America/Santiago',
    'Australia/Lord_Howe',
  ];
  const zoned = resolve(__dirname, '../dist/streams/zoned.js');
  const script = `
    const z = require(${JSON.stringify(zoned)});
    const out = [];
    const cases = [
      ['Europe/Berlin', '2026-10-25'], ['Europe/Berlin', '2026-03-29'],
      ['America/Santiago', '2026-09-06'], ['America/Santiago', '2026-04-05'],
      ['Australia/Lord_Howe', '2026-04-05'], ['Australia/Lord_Howe', '2026-10-04'],
      ['America/Los_Angeles', '2026-11-01'], ['America/Los_Angeles', '2026-03-08'],
    ];
    for (const [zone, day] of cases) {
      const base = Date.parse(day + 'T00:00:00Z') - 36 * 3600e3;
      for (let t = base; t < base + 72 * 3600e3; t += 15 * 60e3) {
        out.push([zone, t, z.formatLocalDateTime(t, zone), z.startOfLocalDay(t, zone),
          z.startOfNextLocalDay(t, zone), z.toSerial(t, zone), z.nextLocalTime(t, '00:00', zone),
          z.nextLocalTime(t, '02:30', zone)].join(' '));
      }
    }
    process.stdout.write(out.join(String.fromCharCode(10)));
  `;
  const under = (host: string): string =>
    execFileSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, TZ: host },
      encoding: 'utf8',
    });

  it('days, cut-offs, serials and formats come out the same under every process zone', () => {
    if (!existsSync(zoned)) throw new Error(`${zoned} is missing: run \`npm run build\` first`);
    const [first = '', ...others] = HOSTS.map(under);
    expect(first.split('\n')).toHaveLength(8 * 288);
    others.forEach((output, i) => {
      expect([HOSTS[i + 1], output]).toEqual([HOSTS[i + 1], first]);
    });
  });
});

describe('formatDuration', () => {
  it('writes hours and two-digit minutes', () => {
    expect(formatDuration(8 * HOUR + 3 * 60_000)).toBe('8h 03m');
    expect(formatDuration(0)).toBe('0h 00m');
    expect(formatDuration(27 * HOUR + 45 * 60_000)).toBe('27h 45m');
  });

  it('rounds down to the whole minute, to the nearest second first', () => {
    expect(formatDuration(8 * HOUR + 3 * 60_000 + 59_000)).toBe('8h 03m');
    expect(formatDuration(59_499)).toBe('0h 00m');
    // A duration that lost a few milliseconds to rounding (hours to the microhour) keeps its minute.
    expect(formatDuration(3 * HOUR + 32 * 60_000 - 2)).toBe('3h 32m');
  });

  it('a negative duration is shown as zero', () => {
    expect(formatDuration(-5 * 60_000)).toBe('0h 00m');
  });

  it('the DST days are 23 and 25 hours long in Berlin, and the nights across them 9 and 11', () => {
    const springDay = at('2026-03-29T12:00:00+02:00');
    const autumnDay = at('2026-10-25T12:00:00+01:00');
    const length = (day: number) =>
      formatDuration(startOfNextLocalDay(day, BERLIN) - startOfLocalDay(day, BERLIN));
    expect(length(springDay)).toBe('23h 00m');
    expect(length(autumnDay)).toBe('25h 00m');
    expect(formatDuration(at('2026-03-29T08:00:00+02:00') - at('2026-03-28T22:00:00+01:00'))).toBe(
      '9h 00m',
    );
    expect(formatDuration(at('2026-10-25T08:00:00+01:00') - at('2026-10-24T22:00:00+02:00'))).toBe(
      '11h 00m',
    );
  });
});
