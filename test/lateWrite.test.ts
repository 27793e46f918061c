/**
 * A write that the sheet finishes after the client has timed out, and that
 * the client has meanwhile sent again, must not leave a session on two rows
 * (issue 15, item 2): the real client over HTTP to the test server, the
 * server holding the first insert past the client's timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import type { SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { SheetsTestServer } from './support/sheetsTestServer';
import { until } from './support/until';
import { closedEntry, openedEntry } from './support/outboxEntries';
import { quietHealth, testClient } from './support/sheetFixtures';

jest.setTimeout(60_000);

const SHEET = 'lateWriteSheet001';
const AT = Date.parse('2026-03-02T08:00:00Z');

function opened(card: string, inAt: number): OutboxEntry {
  return openedEntry({ card, inAt });
}

/** The clock's close of a session: out at `outAt`. */
function closed(session: string, card: string, inAt: number, outAt: number): OutboxEntry {
  return closedEntry({ session, card, inAt, outAt });
}

let dir: string;
let server: SheetsTestServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'badgeclock-late-'));
  server = await new SheetsTestServer().start();
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The real client over HTTP to a fresh spreadsheet shared with it, with this request timeout;
 * `now` is the clock its batches and minutes are stamped with.
 */
function clientFor(timeoutMs: number, now?: () => number): SheetsClient {
  return testClient(server, dir, SHEET, { timeoutMs, ...(now === undefined ? {} : { now }) });
}

describe('a write that lands after the client gave up on it', () => {
  it('leaves the session on one row: the late second row is marked a duplicate a minute later', async () => {
    const client = clientFor(1_000);
    await client.writeBatch([opened('A0000001', AT - 60_000)], AT);
    const late = opened('A0000002', AT);
    if (late.kind !== 'session-opened') throw new Error('unreachable');
    // The batch's search is answered; its insert is held 2.5 s, past the client's 1 s timeout,
    // and then applied.
    server.fail({}, { delayMs: 2_500 });
    await expect(client.writeBatch([late], AT)).rejects.toThrow(/in time|timeout|abort/i);
    // Sent again at once: the held insert has not landed yet, so the row is inserted again.
    await client.writeBatch([late], AT + 1_000);
    const rowsOf = (id: string): number =>
      server.values(SHEET, 'Log').filter((row) => row[0] === id).length;
    await until(() => rowsOf(late.session) === 2, {
      ms: 10_000,
      everyMs: 20,
      what: 'the late insert',
    });
    // The live update once the first attempt would have landed (two timeouts and a minute) finds
    // the second row and marks it.
    await client.liveUpdate(openAt(late, AT + 63_000), AT + 63_000, quietHealth);
    expect(rowsOf(late.session)).toBe(1);
    expect(rowsOf(`${late.session} (duplicate)`)).toBe(1);
    // Later writes reach the one row left.
    await client.writeBatch(
      [closed(late.session, late.card, late.inAt, late.inAt + 3_600_000)],
      AT + 3_600_000,
    );
    const log = server.values(SHEET, 'Log');
    expect(log.find((row) => row[0] === late.session)?.[7]).toBe('out');
    const duplicate = log.find((row) => row[0] === `${late.session} (duplicate)`);
    expect(duplicate?.[7]).toBe('duplicate');
    // No In, Out or Hours on it: a sum of the Hours column counts the session once (audit).
    expect(duplicate?.slice(4, 7).every((cell) => cell === '')).toBe(true);
  });
});

describe('a Log tab renamed to archive it', () => {
  it('is left as it is: the next minute makes a new Log, and new sessions go there, without a restart', async () => {
    const client = clientFor(5_000);
    const first = opened('A0000001', AT - 60_000);
    await client.writeBatch([first], AT);
    server.model.renameTab(SHEET, 'Log', 'Log 2025');
    await client.liveUpdate([], AT + 60_000, quietHealth);
    const next = opened('A0000002', AT + 120_000);
    await client.writeBatch([next], AT + 120_000);
    expect(server.values(SHEET, 'Log').map((row) => row[0])).toEqual([
      'Session',
      next.kind === 'session-opened' ? next.session : '',
    ]);
    expect(server.values(SHEET, 'Log 2025').map((row) => row[0])).toEqual([
      'Session',
      first.kind === 'session-opened' ? first.session : '',
    ]);
  });
});

describe('two attempts of one insert that both land late', () => {
  it('a third attempt that finds the row still has the session looked at: the slower insert lands after it (simulation seed 5, 120 days)', async () => {
    const client = clientFor(1_000);
    await client.writeBatch([opened('A0000001', AT - 60_000)], AT);
    const late = opened('A0000002', AT);
    if (late.kind !== 'session-opened') throw new Error('unreachable');
    // First attempt: its insert is held 3 s (lands after everything below). Second attempt: its
    // insert is applied at once but never answered. Both time out on the client.
    server.fail({}, { delayMs: 3_000 }, {}, { hangAfterApplying: true });
    await expect(client.writeBatch([late], AT)).rejects.toThrow(/in time|timeout|abort/i);
    await expect(client.writeBatch([late], AT + 1_000)).rejects.toThrow(/in time|timeout|abort/i);
    // Third attempt: the second attempt's row is there, so nothing is inserted; it succeeds.
    await client.writeBatch([late], AT + 2_000);
    const rowsOf = (id: string): number =>
      server.values(SHEET, 'Log').filter((row) => row[0] === id).length;
    // Then the first attempt's insert lands: two rows.
    await until(() => rowsOf(late.session) === 2, {
      ms: 10_000,
      everyMs: 20,
      what: 'the first attempt landing',
    });
    // A minute and a timeout after the last attempt, the live update looks and marks one.
    await client.liveUpdate(openAt(late, AT + 63_000), AT + 63_000, quietHealth);
    expect(rowsOf(late.session)).toBe(1);
    expect(rowsOf(`${late.session} (duplicate)`)).toBe(1);
  });
});

/** A session opened at AT and written, by a client whose clock `at` moves on (from AT). */
async function sessionWritten(): Promise<{
  client: SheetsClient;
  session: string;
  card: string;
  at: (now: number) => void;
}> {
  let clock = AT;
  const client = clientFor(1_000, () => clock);
  const first = opened('A0000001', AT);
  if (first.kind !== 'session-opened') throw new Error('unreachable');
  await client.writeBatch([first], AT);
  return {
    client,
    session: first.session,
    card: first.card,
    at: (now) => {
      clock = now;
    },
  };
}

/**
 * A session open at AT whose live update at AT + 60 s fails (its read answered, its write not):
 * the failure comes at `failedAt` on the client's clock, which `at` moves on.
 */
async function liveUpdateFailed(failedAt: number): ReturnType<typeof sessionWritten> {
  const written = await sessionWritten();
  const { client, session, card, at } = written;
  server.fail({}, { status: 500 });
  at(failedAt);
  await expect(
    client.liveUpdate(
      [{ session, card, name: null, inAt: AT, openForMs: 60_000 }],
      AT + 60_000,
      quietHealth,
    ),
  ).rejects.toThrow();
  return written;
}

describe("a manager's fix after a close that a failed live update could still overwrite", () => {
  it('is not undone: the close is not written again over the fixed row once no live update can land', async () => {
    // The live update's write fails: it may still land for a minute and a timeout, so the close
    // written meanwhile is kept, to be written again after that.
    const { client, session, card, at } = await liveUpdateFailed(AT + 60_000);
    const outAt = AT + 8 * 3_600_000;
    await client.writeBatch([closed(session, card, AT, outAt)], AT + 70_000);
    // Later, the manager voids the session: no failed live update can land any more.
    const fixed: OutboxEntry = {
      kind: 'session-fixed',
      key: `fixed:${session}:${AT + 200_000}`,
      session,
      card,
      inAt: AT,
      outAt: AT + 3_600_000,
      status: 'void',
    };
    at(AT + 200_000);
    await client.writeBatch([fixed], AT + 200_000);
    at(AT + 240_000);
    await client.liveUpdate([], AT + 240_000, quietHealth);
    const row = server.values(SHEET, 'Log').find((r) => r[0] === session);
    expect(row?.[7]).toBe('void');
    expect(row?.[6]).toBeCloseTo(1 / 24, 9);
  });
});

describe('a close written a minute and a timeout after a failed live update’s minute', () => {
  it('is written again: the update’s write went out after its minute’s read, and can land later (long run, seed 101)', async () => {
    // The minute at AT + 60 s: its read is slow, its write goes out and fails 5 s after the
    // minute; sent then, it may land until a timeout and a minute after that.
    const { client, session, card, at } = await liveUpdateFailed(AT + 65_000);
    // The close, a minute and a timeout and a second after the minute, before the write could
    // no longer land.
    const outAt = AT + 8 * 3_600_000;
    at(AT + 122_000);
    await client.writeBatch([closed(session, card, AT, outAt)], AT + 122_000);
    // The failed write lands now, with the Hours of its minute.
    const rowNumber = server.values(SHEET, 'Log').findIndex((r) => r[0] === session) + 1;
    server.model.setCell(SHEET, 'Log', rowNumber, 6, 60_000 / 86_400_000);
    // The next minute after it could land writes the close again: Hours is Out - In.
    at(AT + 127_000);
    await client.liveUpdate([], AT + 127_000, quietHealth);
    const row = server.values(SHEET, 'Log').find((r) => r[0] === session);
    expect(row?.[7]).toBe('out');
    expect(row?.[6]).toBeCloseTo(8 / 24, 9);
  });
});

describe('a batch that lands after the next batch rewrote the same row', () => {
  it('does not leave the row as it wrote it: the next live update once it cannot land writes the newer one again (simulation with doors, seed 6805)', async () => {
    const { client, session, card, at } = await sessionWritten();
    // The clock's close: its search is answered, its write held 2.5 s, past the 1 s timeout.
    server.fail({}, { delayMs: 2_500 });
    let clock = AT + 3_600_000;
    at(clock);
    const outAt = AT + 3_600_000;
    await expect(client.writeBatch([closed(session, card, AT, outAt)], clock)).rejects.toThrow(
      /in time|timeout|abort/i,
    );
    // Sent again with what came since (a manager's void) before the held write lands.
    clock += 1_000;
    at(clock);
    const voided: OutboxEntry = {
      kind: 'session-fixed',
      key: `fixed:${session}:${clock}`,
      session,
      card,
      inAt: AT,
      outAt,
      status: 'void',
    };
    await client.writeBatch([closed(session, card, AT, outAt), voided], clock);
    const status = (): unknown => server.values(SHEET, 'Log').find((r) => r[0] === session)?.[7];
    expect(status()).toBe('void');
    // The held write lands: the row says `out` again.
    await until(() => status() === 'out', { ms: 10_000, everyMs: 20, what: 'the held write' });
    // The first live update once no failed write can land writes the void again.
    clock += 62_000;
    at(clock);
    await client.liveUpdate([], clock, quietHealth);
    expect(status()).toBe('void');
  });
});

/** The live update's list of open sessions at `at`: the one session, open since its clock-in. */
function openAt(
  session: { readonly session: string; readonly card: string; readonly inAt: number },
  at: number,
): { session: string; card: string; name: null; inAt: number; openForMs: number }[] {
  return [
    {
      session: session.session,
      card: session.card,
      name: null,
      inAt: session.inAt,
      openForMs: at - session.inAt,
    },
  ];
}
