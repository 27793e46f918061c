/**
 * Feedback at the reader: the short console line a person reads for each
 * event, and the --json line a program reads; and the driver that writes them.
 */
import { PassThrough } from 'node:stream';
import { from, lastValueFrom } from 'rxjs';
import { makeFeedbackDriver } from '../src/drivers/feedback/feedbackDriver';
import { formatFeedback, formatJson } from '../src/drivers/feedback/formatFeedback';
import type { Log } from '../src/log';
import type { DomainEvent } from '../streams/events';

const ZONE = 'Europe/Berlin';
const ALICE = '04A3C6CAE26180';
const ADMIN = 'AD000001';
const SESSION = '20260323T075900.000Z-04A3C6CAE26180';
/** Monday 23 March 2026, 08:59 in Berlin (CET, UTC+1). */
const IN = Date.parse('2026-03-23T07:59:00Z');
/** 17:02 the same day: 8 h 03 min later. */
const OUT = Date.parse('2026-03-23T16:02:00Z');

const events = {
  tap: { type: 'tap', at: IN, card: ALICE, name: 'Alice', reader: 'front' },
  clockIn: {
    type: 'clock-in',
    at: IN,
    card: ALICE,
    name: 'Alice',
    session: SESSION,
    reader: 'front',
  },
  clockOut: {
    type: 'clock-out',
    at: OUT,
    card: ALICE,
    name: 'Alice',
    session: SESSION,
    reader: 'front',
    inAt: IN,
    hours: 8.05,
    todayHours: 8.05,
    weekHours: 32.166667,
  },
  autoOut: {
    type: 'auto-out',
    at: IN + 12 * 3_600_000,
    card: 'CAFE0001',
    name: null,
    session: '20260323T075900.000Z-CAFE0001',
    inAt: IN,
    hours: 12,
    reason: 'limit',
  },
  doubleTap: {
    type: 'ignored',
    at: IN + 20_000,
    card: ALICE,
    name: 'Alice',
    reason: 'double-tap',
    reader: 'front',
  },
  inactive: {
    type: 'ignored',
    at: IN,
    card: 'D0D0D0D0',
    name: 'Dave',
    reason: 'inactive',
    reader: 'front',
  },
  unknown: {
    type: 'unknown',
    at: IN,
    card: ALICE,
    name: null,
    policy: 'accept',
    reader: 'front',
  },
  refusedUid: {
    type: 'unknown',
    at: IN,
    card: '08A1B2C3',
    name: null,
    policy: 'accept',
    reader: 'front',
    reason: 'a random id (a phone or a privacy-mode card), not a badge',
  },
  opened: { type: 'enrol', at: IN, card: ADMIN, name: 'Manager', reader: 'door', step: 'opened' },
  listed: {
    type: 'enrol',
    at: IN,
    card: '04A1B2C3',
    name: 'New 3',
    reader: 'door',
    step: 'listed',
  },
  chosen: { type: 'enrol', at: IN, card: ALICE, name: 'Alice', reader: 'door', step: 'chosen' },
  aliased: {
    type: 'enrol',
    at: IN,
    card: '0012345678',
    name: 'Alice',
    reader: 'door',
    step: 'aliased',
    target: ALICE,
  },
  refused: {
    type: 'enrol',
    at: IN,
    card: '04A1B2C3',
    name: null,
    reader: 'door',
    step: 'refused',
    reason: 'card 04A1B2C3 is already Bob’s',
  },
  closed: {
    type: 'enrol',
    at: IN + 60_000,
    card: ADMIN,
    name: 'Manager',
    reader: 'door',
    step: 'closed',
    reason: 'no card for 30 s',
  },
  fault: {
    type: 'reader-fault',
    at: IN,
    reader: 'front',
    reason: 'line 3: empty line; type or scan a card id and press Enter',
  },
  synced: { type: 'synced', at: IN, what: 'outbox', count: 3, backlog: 0 },
  failed: {
    type: 'sync-failed',
    at: IN,
    what: 'outbox',
    reason: 'HTTP 503',
    backlog: 4,
    retryInMs: 1_500,
  },
} satisfies Record<string, DomainEvent>;

const text = (event: DomainEvent, zone = ZONE): string | null =>
  formatFeedback(event, zone)?.text ?? null;

describe('console feedback', () => {
  it('shows a clock-in with the local time, the name and "in"', () => {
    expect(formatFeedback(events.clockIn, ZONE)).toEqual({
      stream: 'stdout',
      text: '✔ 08:59  Alice  in',
    });
  });

  it('shows a clock-out with the time worked, the day’s total and the week’s', () => {
    expect(text({ ...events.clockOut, todayHours: 11.5 })).toBe(
      '✔ 17:02  Alice  out  8h 03m (today 11h 30m, week 32h 10m)',
    );
  });

  it('shows the card id where there is no name yet', () => {
    expect(text({ ...events.clockIn, name: null })).toBe(`✔ 08:59  ${ALICE}  in`);
  });

  it('shows times in the configured zone, whatever the machine’s zone', () => {
    expect(text(events.clockIn, 'UTC')).toBe('✔ 07:59  Alice  in');
    expect(text(events.clockIn, 'America/New_York')).toBe('✔ 03:59  Alice  in');
  });

  it('shows real elapsed time across the spring DST change', () => {
    // 01:30 CET to 04:30 CEST on 29 March 2026 is two hours, not three.
    const inAt = Date.parse('2026-03-29T00:30:00Z');
    const at = Date.parse('2026-03-29T02:30:00Z');
    expect(text({ ...events.clockOut, inAt, at, todayHours: 2, weekHours: 2 })).toBe(
      '✔ 04:30  Alice  out  2h 00m (today 2h 00m, week 2h 00m)',
    );
  });

  it('marks taps taken before the clock was synchronised', () => {
    expect(text({ ...events.clockIn, unsynced: true })).toBe(
      '✔ 08:59  Alice  in  (clock not synchronised yet: time will be corrected)',
    );
    expect(text({ ...events.clockOut, unsynced: true })).toMatch(
      /^✔ 17:02 {2}Alice {2}out {2}8h 03m \(today 8h 03m, week 32h 10m\) {2}\(clock not synchronised/,
    );
  });

  it('shows an ignored double tap, and a deactivated card', () => {
    expect(text(events.doubleTap)).toBe('· 08:59  Alice  ignored double tap');
    expect(text(events.inactive)).toBe('· 08:59  Dave  ignored: card deactivated in People');
  });

  it('shows an unknown card with its id and what happens to it under each policy', () => {
    expect(text(events.unknown)).toBe(
      `? unknown card ${ALICE} (clocked in under its id; add a name in People)`,
    );
    expect(text({ ...events.unknown, policy: 'reject' })).toBe(
      `? unknown card ${ALICE} (not clocked; add a name in People to use it)`,
    );
  });

  it('shows a card that cannot be a badge as refused, with why, whatever the policy', () => {
    const why = 'a random id (a phone or a privacy-mode card), not a badge';
    expect(text(events.refusedUid)).toBe(`? card 08A1B2C3 refused: ${why}`);
    expect(text({ ...events.refusedUid, policy: 'reject' })).toBe(
      `? card 08A1B2C3 refused: ${why}`,
    );
  });

  it('shows each step of enrolment at the reader, with what to do next', () => {
    expect(text(events.opened)).toBe(
      "⚙ 08:59  enrolment open at door: tap a new card to list it, or a person's card and then the card to tie to it (30 s)",
    );
    expect(text(events.listed)).toBe(
      '✚ 08:59  card 04A1B2C3 listed in People as New 3: rename it there',
    );
    expect(text(events.chosen)).toBe('⚙ 08:59  Alice chosen: tap the card to tie to Alice');
    expect(text(events.aliased)).toBe('✚ 08:59  card 0012345678 is now an alias of Alice');
    expect(text(events.refused)).toBe('✖ 08:59  not enrolled: card 04A1B2C3 is already Bob’s');
    expect(text(events.closed)).toBe('⚙ 09:00  enrolment closed (no card for 30 s)');
  });

  it('shows enrolment steps without a name by the card id', () => {
    expect(text({ ...events.chosen, name: null })).toBe(
      `⚙ 08:59  ${ALICE} chosen: tap the card to tie to ${ALICE}`,
    );
    expect(text({ ...events.aliased, name: null })).toBe(
      `✚ 08:59  card 0012345678 is now an alias of ${ALICE}`,
    );
    expect(text({ ...events.listed, name: null })).toBe(
      '✚ 08:59  card 04A1B2C3 listed in People: name it there',
    );
    expect(text({ ...events.closed, reason: undefined })).toBe('⚙ 09:00  enrolment closed');
  });

  it('writes enrolment to stdout, for the manager at the reader', () => {
    for (const event of [events.opened, events.listed, events.closed]) {
      expect(formatFeedback(event, ZONE)?.stream).toBe('stdout');
    }
  });

  it('shows an automatic clock-out with why and how long', () => {
    expect(text(events.autoOut)).toBe(
      '⏱ 20:59  CAFE0001  out automatically at the time limit  12h 00m (forgot to clock out?)',
    );
    expect(text({ ...events.autoOut, reason: 'cutoff', at: IN + 3_600_000 })).toBe(
      '⏱ 09:59  CAFE0001  out automatically at the daily cut-off  1h 00m (forgot to clock out?)',
    );
  });

  it('prints nothing for the bare tap: its outcome follows', () => {
    expect(formatFeedback(events.tap, ZONE)).toBeNull();
  });

  it('sends reader faults and sheet news to the log, not to the person at the reader', () => {
    expect(formatFeedback(events.fault, ZONE)).toEqual({
      stream: 'log',
      level: 'warn',
      text: 'reader front: line 3: empty line; type or scan a card id and press Enter',
    });
    expect(formatFeedback(events.synced, ZONE)).toEqual({
      stream: 'log',
      level: 'info',
      text: 'sheet: 3 change(s) written, backlog 0',
    });
    expect(formatFeedback(events.failed, ZONE)).toEqual({
      stream: 'log',
      level: 'warn',
      text: 'sheet: write failed: HTTP 503; backlog 4, retrying in 2 s',
    });
    expect(text({ ...events.failed, what: 'live', retryInMs: null })).toBe(
      'sheet: live update failed: HTTP 503; backlog 4',
    );
    expect(formatFeedback({ ...events.synced, what: 'live' }, ZONE)).toBeNull();
  });
});

describe('--json lines', () => {
  const json = (event: DomainEvent): unknown => {
    const line = formatJson(event);
    expect(line.stream).toBe('stdout');
    expect(line.text).not.toContain('\n');
    return JSON.parse(line.text);
  };

  it('a tap: type, ISO-8601 UTC time, card, name, reader', () => {
    expect(json(events.tap)).toEqual({
      type: 'tap',
      at: '2026-03-23T07:59:00.000Z',
      card: ALICE,
      name: 'Alice',
      reader: 'front',
    });
  });

  it('a clock-in carries its session', () => {
    expect(json(events.clockIn)).toEqual({
      type: 'clock-in',
      at: '2026-03-23T07:59:00.000Z',
      card: ALICE,
      name: 'Alice',
      session: SESSION,
      reader: 'front',
    });
  });

  it('a clock-out carries its session, hours, when it began and the day’s and the week’s hours', () => {
    expect(json(events.clockOut)).toEqual({
      type: 'clock-out',
      at: '2026-03-23T16:02:00.000Z',
      card: ALICE,
      name: 'Alice',
      session: SESSION,
      hours: 8.05,
      in: '2026-03-23T07:59:00.000Z',
      todayHours: 8.05,
      weekHours: 32.166667,
      reader: 'front',
    });
  });

  it('a clock-out at another reader than the clock-in names that one too', () => {
    expect(json({ ...events.clockOut, reader: 'back', inReader: 'front' })).toEqual(
      expect.objectContaining({ reader: 'back', inReader: 'front' }),
    );
  });

  it('an automatic clock-out says why; a missing name is null', () => {
    expect(json(events.autoOut)).toEqual({
      type: 'auto-out',
      at: '2026-03-23T19:59:00.000Z',
      card: 'CAFE0001',
      name: null,
      session: '20260323T075900.000Z-CAFE0001',
      hours: 12,
      in: '2026-03-23T07:59:00.000Z',
      reason: 'limit',
    });
  });

  it('ignored and unknown taps say why', () => {
    expect(json(events.doubleTap)).toEqual({
      type: 'ignored',
      at: '2026-03-23T07:59:20.000Z',
      card: ALICE,
      name: 'Alice',
      reason: 'double-tap',
      reader: 'front',
    });
    expect(json(events.unknown)).toEqual({
      type: 'unknown',
      at: '2026-03-23T07:59:00.000Z',
      card: ALICE,
      name: null,
      policy: 'accept',
      reader: 'front',
    });
  });

  it('an unknown card refused as no badge carries why', () => {
    expect(json(events.refusedUid)).toEqual({
      type: 'unknown',
      at: '2026-03-23T07:59:00.000Z',
      card: '08A1B2C3',
      name: null,
      policy: 'accept',
      reader: 'front',
      reason: 'a random id (a phone or a privacy-mode card), not a badge',
    });
    expect(json(events.unknown)).not.toHaveProperty('reason');
  });

  it('an enrolment step carries its step and reader, and its target or reason when it has one', () => {
    expect(json(events.opened)).toEqual({
      type: 'enrol',
      at: '2026-03-23T07:59:00.000Z',
      card: ADMIN,
      name: 'Manager',
      step: 'opened',
      reader: 'door',
    });
    expect(json(events.aliased)).toEqual({
      type: 'enrol',
      at: '2026-03-23T07:59:00.000Z',
      card: '0012345678',
      name: 'Alice',
      step: 'aliased',
      reader: 'door',
      target: ALICE,
    });
    expect(json(events.closed)).toEqual({
      type: 'enrol',
      at: '2026-03-23T08:00:00.000Z',
      card: ADMIN,
      name: 'Manager',
      step: 'closed',
      reader: 'door',
      reason: 'no card for 30 s',
    });
    expect(json(events.listed)).toEqual({
      type: 'enrol',
      at: '2026-03-23T07:59:00.000Z',
      card: '04A1B2C3',
      name: 'New 3',
      step: 'listed',
      reader: 'door',
    });
  });

  it('flags taps taken on an unsynchronised clock', () => {
    expect(json({ ...events.clockIn, unsynced: true })).toMatchObject({ clockSynced: false });
    expect(json(events.clockIn)).not.toHaveProperty('clockSynced');
  });

  it('sheet events are JSON lines too', () => {
    expect(json(events.synced)).toEqual({
      type: 'synced',
      at: '2026-03-23T07:59:00.000Z',
      what: 'outbox',
      count: 3,
      backlog: 0,
    });
    expect(json(events.failed)).toEqual({
      type: 'sync-failed',
      at: '2026-03-23T07:59:00.000Z',
      what: 'outbox',
      reason: 'HTTP 503',
      backlog: 4,
      retryInMs: 1_500,
    });
  });

  it('a reader fault stays a log line, so stdout holds only events of cards and the sheet', () => {
    expect(formatJson(events.fault)).toEqual({
      stream: 'log',
      level: 'warn',
      text: 'reader front: line 3: empty line; type or scan a card id and press Enter',
    });
  });

  it('keeps a name with quotes and commas intact', () => {
    expect(json({ ...events.clockIn, name: 'Okafor, "Bob"' })).toMatchObject({
      name: 'Okafor, "Bob"',
    });
  });
});

describe('the feedback driver', () => {
  const run = async (
    json: boolean,
    input: DomainEvent[],
  ): Promise<{ stdout: string; log: string[] }> => {
    const stdout = new PassThrough();
    let written = '';
    stdout.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
    const logged: string[] = [];
    const log: Log = {
      debug: (m) => logged.push(`debug ${m}`),
      info: (m) => logged.push(`info ${m}`),
      warn: (m) => logged.push(`warn ${m}`),
      error: (m) => logged.push(`error ${m}`),
    };
    const driver = makeFeedbackDriver({ json, zone: ZONE, stdout, log });
    await lastValueFrom(driver(from(input)), { defaultValue: undefined });
    return { stdout: written, log: logged };
  };

  const day: DomainEvent[] = [
    events.tap,
    events.clockIn,
    events.fault,
    events.tap,
    events.doubleTap,
    events.clockOut,
  ];

  it('writes one console line per event a person should see, and faults to the log', async () => {
    const { stdout, log } = await run(false, day);
    expect(stdout).toBe(
      [
        '✔ 08:59  Alice  in',
        '· 08:59  Alice  ignored double tap',
        '✔ 17:02  Alice  out  8h 03m (today 8h 03m, week 32h 10m)',
        '',
      ].join('\n'),
    );
    expect(log).toEqual([
      'warn reader front: line 3: empty line; type or scan a card id and press Enter',
    ]);
  });

  it('with --json writes one JSON object per line and nothing else to stdout', async () => {
    const { stdout, log } = await run(true, day);
    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual([
      'tap',
      'clock-in',
      'tap',
      'ignored',
      'clock-out',
    ]);
    expect(log).toEqual([expect.stringMatching(/^warn reader front: line 3/)]);
  });

  it('with --json a failed sheet write is also said on stderr, where a person watching the log sees it', async () => {
    const refused: DomainEvent = {
      type: 'sync-failed',
      at: Date.parse('2026-03-02T08:00:00Z'),
      what: 'outbox',
      reason: 'open:x was set aside, not written to the sheet: 400',
      backlog: 0,
      retryInMs: null,
    };
    const { stdout, log } = await run(true, [refused]);
    expect((JSON.parse(stdout) as { type: string }).type).toBe('sync-failed');
    expect(log).toEqual([expect.stringMatching(/^warn sheet: write failed: open:x was set aside/)]);
  });

  it('emits nothing itself: its output is the side effect', async () => {
    const driver = makeFeedbackDriver({
      json: false,
      zone: ZONE,
      stdout: new PassThrough(),
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
    const emitted: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      driver(from(day)).subscribe({
        next: (value) => emitted.push(value),
        error: reject,
        complete: resolve,
      });
    });
    expect(emitted).toEqual([]);
  });
});
