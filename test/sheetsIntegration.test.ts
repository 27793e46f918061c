/**
 * The clock against a Sheets-compatible server on 127.0.0.1, through the real
 * Google client and the built CLI: real HTTP, real SQLite, real processes.
 * Enrolment at the reader and several readers (rules 14 and 15) are written
 * through the real client alone, with the outbox entries the core makes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { toSerial, toSerialDate, toSerialDuration } from '../streams/zoned';
import type { SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { closedEntry, openedEntry } from './support/outboxEntries';
import { Clock, logText, runCli } from './support/runCli';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell, type ServiceAccountKey } from './support/sheetsTestServer';

const SHEET = 'badgeclockTestSheet01';

jest.setTimeout(60_000);

/** Waits (bounded) until the server has had no request for 500 ms and none is in flight. */
async function quiet(server: SheetsTestServer, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let seen = -1;
  for (;;) {
    if (server.requests.length === seen && server.inFlight === 0) return;
    if (Date.now() > deadline) throw new Error('the clock never fell quiet');
    seen = server.requests.length;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the clock and its Google Sheet', () => {
  let dir: string;
  let server: SheetsTestServer;
  let account: ServiceAccountKey;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-sheet-'));
    server = await new SheetsTestServer().start();
    account = server.serviceAccount(dir);
    server.createSpreadsheet(SHEET, [account.email]);
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    BADGECLOCK_SPREADSHEET_ID: SHEET,
    BADGECLOCK_KEY_FILE: account.file,
    BADGECLOCK_SHEETS_ROOT_URL: server.rootUrl,
    BADGECLOCK_SHEETS_TIMEOUT_SECONDS: '2',
    BADGECLOCK_GUARD_SECONDS: '0',
    BADGECLOCK_DEBOUNCE_SECONDS: '0',
    BADGECLOCK_TIME_SYNC: 'off',
    BADGECLOCK_TZ: 'UTC',
    ...extra,
  });
  const start = (extra: NodeJS.ProcessEnv = {}): Clock =>
    new Clock(['run', '--json', '--data-dir', join(dir, 'data')], {
      env: env(extra),
      timeoutMs: 60_000,
    });
  const events = (clock: Clock): Record<string, unknown>[] =>
    clock.stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const log = (): Cell[][] => server.values(SHEET, 'Log');
  const waitForSheet = async (
    predicate: () => boolean,
    clock: Clock,
    ms = 20_000,
  ): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(
          `sheet never got there; log:\n${logText(clock.stderr)}\nLog tab: ${JSON.stringify(log())}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('sets the sheet up and writes a session as it opens and closes, RAW, found by session id', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('C0FFEE00\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    await waitForSheet(() => log().length === 2, clock);
    clock.write('C0FFEE00\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-out"'));
    await waitForSheet(() => log()[1]?.[7] === 'out', clock);
    expect(await clock.stop()).toBe(0);

    expect(server.tabTitles(SHEET)).toEqual(['Log', 'Now', 'People', 'Edits', 'Totals']);
    expect(server.frozenRows(SHEET, 'Log')).toBe(1);
    expect(server.formats(SHEET, 'Log').map((f) => f.pattern)).toEqual([
      'yyyy-mm-dd',
      'yyyy-mm-dd hh:mm',
      'yyyy-mm-dd hh:mm',
      '[h]:mm',
    ]);
    const [header, row] = log();
    expect(header).toEqual([
      'Session',
      'Date',
      'Name',
      'Card',
      'In',
      'Out',
      'Hours',
      'Status',
      'Reader',
    ]);
    const inEvent = events(clock).find((e) => e.type === 'clock-in');
    expect(row?.[0]).toBe(inEvent?.session);
    expect(row?.[3]).toBe('C0FFEE00');
    expect(typeof row?.[4]).toBe('number'); // a serial date-time
    expect(row?.[7]).toBe('out');
    expect(
      server
        .values(SHEET, 'People')
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['C0FFEE00']);
    const writes = server.requests.filter(
      (r) => r.kind === 'write' && r.valueInputOption !== undefined,
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((r) => r.valueInputOption === 'RAW')).toBe(true);
    expect(events(clock).some((e) => e.type === 'synced')).toBe(true);
  });

  it('a slow, failing server never delays a tap, and the sheet ends up with every session once', async () => {
    server.latencyMs = 300;
    server.fail(
      { status: 503 },
      { status: 429, retryAfter: '1' },
      { reset: true },
      { status: 500 },
    );
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    const cards = ['A0000001', 'A0000002', 'A0000003', 'A0000004'];
    for (const card of cards) clock.write(`${card}\n`);
    await clock.waitFor((c) => (c.stdout.match(/"clock-in"/g) ?? []).length === 4, 5_000);
    for (const card of cards.slice(0, 2)) clock.write(`${card}\n`);
    await clock.waitFor((c) => (c.stdout.match(/"clock-out"/g) ?? []).length === 2, 5_000);
    await waitForSheet(
      () => log().length === 5 && log().filter((r) => r[7] === 'out').length === 2,
      clock,
      30_000,
    );
    await clock.stop();
    const ids = log()
      .slice(1)
      .map((r) => r[0]);
    expect(new Set(ids).size).toBe(4);
    const failures = events(clock).filter((e) => e.type === 'sync-failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(
      failures.every((e) => typeof e.reason === 'string' && typeof e.backlog === 'number'),
    ).toBe(true);
  });

  it('a person sorting and deleting rows never makes the clock write into the wrong row, nor bring a row back', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    for (const card of ['B0000001', 'B0000002', 'B0000003']) clock.write(`${card}\n`);
    await waitForSheet(() => log().length === 4, clock);
    // The manager sorts by card, descending, and deletes B0000002's row.
    server.sortRows(SHEET, 'Log', 3, true);
    const deleted = log().findIndex((r) => r[3] === 'B0000002') + 1;
    server.deleteRow(SHEET, 'Log', deleted);
    server.insertRows(SHEET, 'Log', 2, 2);
    for (const card of ['B0000001', 'B0000002', 'B0000003']) clock.write(`${card}\n`);
    await clock.waitFor((c) => (c.stdout.match(/"clock-out"/g) ?? []).length === 3);
    await waitForSheet(() => log().filter((r) => r[7] === 'out').length === 2, clock);
    await new Promise((r) => setTimeout(r, 500));
    await clock.stop();
    const rows = log().filter((r) => r.length > 0);
    expect(rows.map((r) => [r[3], r[7]]).slice(1)).toEqual([
      ['B0000003', 'out'],
      ['B0000001', 'out'],
    ]);
  });

  it('a sort between finding a row and writing it never puts a value into another session row', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    for (const card of ['A7000001', 'A7000002', 'A7000003']) clock.write(`${card}\n`);
    await waitForSheet(() => log().length === 4, clock);
    await quiet(server);
    // The clock-out's first request (finding the row) is answered; its write is held for 2 s,
    // and meanwhile the manager sorts Log by card, descending, and inserts two rows on top.
    const before = server.requests.length;
    server.fail({}, { delayMs: 2_000 });
    clock.write('A7000002\n');
    const deadline = Date.now() + 20_000;
    while (!(server.requests.length > before && server.inFlight > 0)) {
      if (Date.now() > deadline) throw new Error('the write never came');
      await new Promise((r) => setTimeout(r, 10));
    }
    server.sortRows(SHEET, 'Log', 3, true);
    server.insertRows(SHEET, 'Log', 2, 2);
    await waitForSheet(() => log().some((r) => r[3] === 'A7000002' && r[7] === 'out'), clock);
    await quiet(server);
    await clock.stop();
    // No value in another row: every row with an Out or a status is its own session's.
    const written = log()
      .slice(1)
      .filter((r) => (r[5] ?? '') !== '' || (r[7] ?? '') !== '');
    expect(written.map((r) => [r[3], r[7]]).sort()).toEqual([
      ['A7000001', 'in'],
      ['A7000002', 'out'],
      ['A7000003', 'in'],
    ]);
    const byCard = new Map(log().map((r) => [r[3], r]));
    expect(byCard.get('A7000002')?.[7]).toBe('out');
    expect(typeof byCard.get('A7000002')?.[5]).toBe('number');
    for (const card of ['A7000001', 'A7000003']) {
      expect(byCard.get(card)?.[7]).toBe('in');
      expect(byCard.get(card)?.[5] ?? '').toBe('');
    }
  });

  it('a 429 with Retry-After is retried no sooner than the server asked, through the CLI', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    await waitForSheet(() => server.values(SHEET, 'People').length === 1, clock);
    await quiet(server);
    server.fail({ status: 429, retryAfter: '7' });
    clock.write('A7100001\n');
    await clock.waitFor((c) => c.stdout.includes('"sync-failed"'));
    await clock.stop();
    const failed = events(clock).find((e) => e.type === 'sync-failed' && e.what === 'outbox');
    expect(failed?.retryInMs).toBeGreaterThanOrEqual(7_000);
  });

  it('a long outage: taps go on, and on return the backlog drains in order in few requests', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    await waitForSheet(() => server.values(SHEET, 'People').length === 1, clock);
    await quiet(server);
    server.down = true;
    const cards = Array.from({ length: 40 }, (_, i) => `D${String(i).padStart(7, '0')}`);
    clock.write(cards.map((c) => `${c}\n`).join(''));
    // Every tap is answered while the sheet is down.
    await clock.waitFor((c) => (c.stdout.match(/"clock-in"/g) ?? []).length === 40, 10_000);
    await clock.waitFor((c) => c.stdout.includes('"sync-failed"'), 10_000);
    const before = server.requests.length;
    server.down = false;
    await waitForSheet(() => log().length === 41, clock, 40_000);
    await clock.stop();
    expect(
      log()
        .slice(1)
        .map((r) => r[3]),
    ).toEqual(cards);
    // After the outage: one batch — a search of its tags, one insert of the rows with their
    // tags into Log, one append to People.
    const after = server.requests
      .slice(before)
      .filter((r) => r.status === 200 && r.kind === 'write');
    expect(after.filter((r) => r.path.endsWith(':append'))).toHaveLength(1);
    expect(after.filter((r) => r.path.endsWith(':batchUpdate'))).toHaveLength(1);
  });

  it('killed between a write and its acknowledgement, the restarted clock does not duplicate the row', async () => {
    const first = start();
    await first.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    // The setup and People read go through (the clock falls quiet); then the batch's search, its
    // look for the end of Log (no row is tagged as the tail yet) and its read of People pass, and
    // the insert is applied by the server but never answered.
    await waitForSheet(() => server.values(SHEET, 'People').length === 1, first);
    await quiet(server);
    server.fail({}, {}, {}, { hangAfterApplying: true });
    first.write('E0000001\n');
    await waitForSheet(() => log().length === 2, first);
    first.child.kill('SIGKILL');
    await first.exited();
    server.clearFaults();
    const second = start();
    await second.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    await second
      .waitFor((c) => c.stdout.includes('"synced"'), 20_000)
      .catch((e: unknown) => {
        console.log(
          JSON.stringify(server.requests.map((r) => [r.method, r.path, r.status])),
          second.stderr,
        );
        throw e;
      });
    second.write('E0000001\n');
    await waitForSheet(() => log()[1]?.[7] === 'out', second);
    await second.stop();
    expect(log().length).toBe(2);
  });

  it('a sheet not shared with the account is reported with what to do, and the clock keeps clocking', async () => {
    server.createSpreadsheet('notSharedSheet01', []);
    const clock = start({ BADGECLOCK_SPREADSHEET_ID: 'notSharedSheet01' });
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('F0000001\n');
    await clock.waitFor((c) => c.stdout.includes('"sync-failed"'));
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    await clock.stop();
    const failed = events(clock).find((e) => e.type === 'sync-failed');
    expect(String(failed?.reason)).toContain(`add ${account.email} as an Editor`);
  });

  it('a key the Sheets API does not accept is reported as a credentials problem; taps go on', async () => {
    const stranger = server.unknownServiceAccount(dir);
    const clock = start({ BADGECLOCK_KEY_FILE: stranger.file });
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('F0000002\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    await clock.waitFor((c) => /"sync-failed".*credentials/.test(c.stdout), 20_000);
    await clock.stop();
    expect(server.requests.every((r) => r.status !== 200)).toBe(true);
  });

  it('a renamed header is reported and writing goes on; moved columns stop the writes with what to restore', async () => {
    const first = start();
    await first.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    await waitForSheet(() => server.values(SHEET, 'People').length === 1, first);
    await first.stop();
    server.setCell(SHEET, 'Log', 1, 2, 'Person');
    const second = start();
    await second.waitFor(
      (c) => logText(c.stderr).includes('Log!C1: header renamed from "Name" to "Person"'),
      20_000,
    );
    second.write('A5A5A5A5\n');
    await waitForSheet(() => log().length === 2, second);
    await second.stop();
    server.setCell(SHEET, 'Log', 1, 2, 'Card');
    server.setCell(SHEET, 'Log', 1, 3, 'Name');
    const third = start();
    await third.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    third.write('A5A5A5A5\n');
    await third.waitFor((c) => /"sync-failed".*columns were moved/.test(c.stdout), 20_000);
    await third.stop();
    expect(log()[1]?.[7]).toBe('in');
  });

  it('SIGTERM mid-upload lets the request finish, exits 0, and leaves the sheet equal to the store', async () => {
    const clock = start();
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    await waitForSheet(() => server.values(SHEET, 'People').length === 1, clock);
    // Set-up done (the clock falls quiet); then each request of the batch (a search, the end of
    // Log, People, the insert, the People append) takes a second, inside the 10 s grace.
    await quiet(server);
    server.latencyMs = 1_000;
    clock.write('A6A6A6A6\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await clock.stop('SIGTERM')).toBe(0);
    expect(logText(clock.stderr)).toContain('waiting up to 10 s for the sheet request in flight');
    // The request in flight finished before the exit: the sheet has the row the store has.
    const db = new Database(join(dir, 'data', 'badgeclock.db'), { readonly: true });
    const stored = db.prepare('SELECT id FROM sessions').pluck().all();
    db.close();
    expect(
      log()
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(stored);
  });

  it('replay with a sheet writes the replayed sessions and exits once the sheet has them', async () => {
    const file = join(dir, 'old-system.csv');
    writeFileSync(
      file,
      [
        '2026-03-23T08:00:00Z,A7A7A7A7',
        '2026-03-23T16:30:00Z,A7A7A7A7',
        '2026-03-23T09:00:00Z,A8A8A8A8',
        '2026-03-23T17:00:00Z,A8A8A8A8',
      ].join('\n'),
    );
    const result = await runCli(
      ['replay', file, '--json', '--people-file', join(dir, 'none.csv')],
      { env: env(), timeoutMs: 30_000 },
    );
    expect(result.code).toBe(0);
    expect(
      log()
        .slice(1)
        .map((r) => [r[3], r[7]]),
    ).toEqual([
      ['A7A7A7A7', 'out'],
      ['A8A8A8A8', 'out'],
    ]);
    expect(result.stdout).toContain('"synced"');
  });

  it('replay with a sheet says which sessions it leaves open, which the running clock never closes, and when replaying again closes them', async () => {
    const file = join(dir, 'today.csv');
    // Clocked in an hour ago, not out yet when the log was taken: replay stops at now.
    const inAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
    writeFileSync(file, `${inAt.toISOString()},A9A9A9A9\n`);
    const result = await runCli(['replay', file, '--people-file', join(dir, 'none.csv')], {
      env: env(),
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(0);
    expect(
      log()
        .slice(1)
        .map((r) => [r[3], r[7]]),
    ).toEqual([['A9A9A9A9', 'in']]);
    expect(logText(result.stderr)).toMatch(
      /1 session\(s\) are still open where the replay stopped \(.*\): A9A9A9A9 since .*\. They go to the sheet as in, and the running clock does not know them, so nothing closes them there: type their Out in the sheet, or replay the same log again after .*, when the clock's limit closes them as auto \(on the same rows\)/,
    );
  });
});

describe('enrolment at the reader and several readers, in the sheet (the real client)', () => {
  const AT = Date.parse('2026-03-02T08:00:00Z');
  const HEADERS = ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'];
  let dir: string;
  let server: SheetsTestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-enrol-'));
    server = await new SheetsTestServer().start();
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The real client on a fresh spreadsheet whose People tab holds these rows. */
  function clientFor(people: Cell[][]): SheetsClient {
    return testClient(server, dir, SHEET, { tabs: { People: [HEADERS, ...people] } });
  }
  const people = (): Cell[][] => server.values(SHEET, 'People').slice(1);
  const listed = (card: string, at = AT): OutboxEntry => ({
    kind: 'card-listed',
    key: `card:${card}`,
    card,
    at,
  });
  const enrolled = (card: string, name: string, note: string, at = AT): OutboxEntry => ({
    kind: 'card-listed',
    key: `enrol:${card}`,
    card,
    at,
    name,
    note,
  });
  const aliased = (card: string, alias: string): OutboxEntry => ({
    kind: 'alias-added',
    key: `alias:${card}:${alias}`,
    card,
    alias,
  });
  /** Requests since `from`: how many, and how many of them wrote. */
  const since = (from: number): { all: number; writes: number } => {
    const made = server.requests.slice(from).filter((r) => r.status === 200);
    return { all: made.length, writes: made.filter((r) => r.kind === 'write').length };
  };

  it('an enrolled card is appended with its placeholder name and note, RAW, once, though listed blank too', async () => {
    const client = clientFor([['A0000001', 'Ada', 'yes', '', '', '']]);
    await client.setUp();
    const batch = [
      listed('C0000003', AT),
      enrolled('C0000003', '=New 3', 'enrolled at door', AT + 5_000),
      enrolled('A0000001', 'New 4', 'enrolled at door'),
    ];
    await client.writeBatch(batch, AT + 10_000);
    await client.writeBatch(batch, AT + 20_000);
    expect(people()).toEqual([
      ['A0000001', 'Ada', 'yes', '', '', ''],
      ['C0000003', '=New 3', '', '', toSerial(AT, 'UTC'), 'enrolled at door'],
    ]);
    const read = await client.readPeople();
    expect(read.find((p) => p.card === 'C0000003')?.name).toBe('=New 3');
  });

  it("an alias goes into its card's Aliases cell, after what is there, and not twice when the batch is sent again", async () => {
    const client = clientFor([
      ['B0000009', 'Bo', 'yes', '', '', ''],
      ['A0000001', 'Ada', 'yes', '00123456', '', 'kept'],
    ]);
    await client.setUp();
    // The manager sorts People between batches: the row is found by its card, not its number.
    server.sortRows(SHEET, 'People', 1, false);
    let from = server.requests.length;
    const batch = [aliased('A0000001', 'D0000004'), aliased('A0000001', '0099')];
    const requests = await client.writeBatch(batch, AT);
    // One read of People (Card to Aliases), one value write.
    expect(requests).toBe(2);
    expect(since(from)).toEqual({ all: 2, writes: 1 });
    expect(people()).toEqual([
      ['A0000001', 'Ada', 'yes', '00123456, D0000004, 0099', '', 'kept'],
      ['B0000009', 'Bo', 'yes', '', '', ''],
    ]);
    from = server.requests.length;
    expect(await client.writeBatch(batch, AT + 60_000)).toBe(1);
    expect(since(from)).toEqual({ all: 1, writes: 0 });
    expect(people()[0]?.[3]).toBe('00123456, D0000004, 0099');
    const read = await client.readPeople();
    expect(read.find((p) => p.card === 'A0000001')?.aliases).toEqual([
      '00123456',
      'D0000004',
      '0099',
    ]);
  });

  it('an alias for a card with no row appends one (Active yes, blank name); a card listed by the same batch carries it', async () => {
    const client = clientFor([['B0000009', 'Bo', 'yes', '', '', '']]);
    await client.setUp();
    const from = server.requests.length;
    const batch = [
      enrolled('C0000003', 'New 3', 'enrolled at door'),
      aliased('C0000003', 'D0000004'),
      aliased('A0000001', 'D0000005'),
    ];
    // One read of People, one append.
    expect(await client.writeBatch(batch, AT)).toBe(2);
    expect(since(from)).toEqual({ all: 2, writes: 1 });
    await client.writeBatch(batch, AT + 60_000);
    expect(people()).toEqual([
      ['B0000009', 'Bo', 'yes', '', '', ''],
      ['C0000003', 'New 3', '', 'D0000004', toSerial(AT, 'UTC'), 'enrolled at door'],
      ['A0000001', '', 'yes', 'D0000005', '', ''],
    ]);
  });

  it('the name People gives a card enrolled at the reader goes into its rows blank or under its placeholder, not over a typed one', async () => {
    const client = clientFor([]);
    await client.setUp();
    const opened = (inAt: number, name: string | null, card = 'C0000003'): OutboxEntry =>
      openedEntry({ card, name, inAt });
    await client.writeBatch(
      [
        opened(AT, null),
        opened(AT + 3_600_000, 'New 3'),
        opened(AT + 7_200_000, 'New 3'),
        opened(AT, 'New 3', 'C0000004'),
      ],
      AT + 7_200_000,
    );
    // The manager typed a name into one row by hand: it stays as typed.
    server.setCell(SHEET, 'Log', 4, 2, 'Caz');
    await client.writeBatch(
      [
        {
          kind: 'name-filled',
          key: `name:C0000003:Carol:${AT + 8_000_000}`,
          card: 'C0000003',
          name: 'Carol',
          placeholder: 'New 3',
        },
      ],
      AT + 8_000_000,
    );
    const log = server.values(SHEET, 'Log').slice(1);
    expect(log.map((row) => [row[3], row[2]])).toEqual([
      ['C0000003', 'Carol'],
      ['C0000003', 'Carol'],
      ['C0000003', 'Caz'],
      ['C0000004', 'New 3'],
    ]);
  });

  it('a session clocked out at another reader shows both in its Reader cell, RAW', async () => {
    const client = clientFor([]);
    await client.setUp();
    const opened = (card: string, inAt: number): OutboxEntry => openedEntry({ card, inAt });
    const closed = (card: string, inAt: number, readers?: string): OutboxEntry =>
      closedEntry({
        card,
        inAt,
        outAt: inAt + 3_600_000,
        ...(readers === undefined ? {} : { readers }),
      });
    await client.writeBatch([opened('A0000001', AT), opened('A0000002', AT)], AT);
    await client.writeBatch(
      [
        closed('A0000001', AT, 'door → desk'),
        closed('A0000002', AT),
        opened('A0000003', AT),
        closed('A0000003', AT, '=desk → door'),
      ],
      AT + 3_600_000,
    );
    const log = server.values(SHEET, 'Log').slice(1);
    expect(log.map((row) => [row[3], row[7], row[8]])).toEqual([
      ['A0000001', 'out', 'door → desk'],
      ['A0000002', 'out', 'door'],
      ['A0000003', 'out', '=desk → door'],
    ]);
  });
});

describe("a manager's corrections in the sheet (the real client)", () => {
  const AT = Date.parse('2026-03-02T08:00:00Z');
  const HOUR = 3_600_000;
  const SEEN = AT + 24 * HOUR;
  let dir: string;
  let server: SheetsTestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-fix-'));
    server = await new SheetsTestServer().start();
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The real client on a fresh spreadsheet (its tabs made by set-up unless `tabs` are given). */
  function clientFor(timeoutMs = 5_000, tabs: Record<string, Cell[][]> = {}): SheetsClient {
    return testClient(server, dir, SHEET, { timeoutMs, tabs });
  }
  const session = (card: string): string => sessionId(card, AT);
  const opened = (card: string): OutboxEntry => openedEntry({ card, inAt: AT });
  const closed = (card: string): OutboxEntry =>
    closedEntry({ card, inAt: AT, outAt: AT + 8 * HOUR });
  const fixed = (
    card: string,
    inAt: number,
    outAt: number | null,
    status: 'in' | 'out' | 'auto' | 'void',
  ): OutboxEntry => ({
    kind: 'session-fixed',
    key: `fixed:${session(card)}:${SEEN}`,
    session: session(card),
    card,
    inAt,
    outAt,
    status,
  });
  const edit = (
    card: string,
    i: number,
    field: 'in' | 'out' | 'status',
    old: number | string | null,
    now: number | string | null,
    result = 'applied',
  ): OutboxEntry => ({
    kind: 'edit-logged',
    key: `edit:${session(card)}:${SEEN}:${i}`,
    card,
    seenAt: SEEN,
    session: session(card),
    name: 'Ada',
    field,
    old,
    new: now,
    result,
    why: '=forgot to tap',
    source: 'fix',
  });
  const log = (): Cell[][] => server.values(SHEET, 'Log').slice(1);
  const rowOf = (card: string): Cell[] | undefined => log().find((r) => r[0] === session(card));
  const edits = (): Cell[][] => server.values(SHEET, 'Edits').slice(1);
  /** Requests since `from`: how many, and how many of them wrote. */
  const since = (from: number): { all: number; writes: number } => {
    const made = server.requests.slice(from).filter((r) => r.status === 200);
    return { all: made.length, writes: made.filter((r) => r.kind === 'write').length };
  };

  it('a fix rewrites its row after the manager sorted Log (In, Date, Out, Hours, Status), its Edits lines with it', async () => {
    const client = clientFor();
    const cards = ['A0000001', 'A0000002', 'A0000003'];
    await client.writeBatch(cards.map(opened), AT);
    await client.writeBatch(cards.map(closed), AT + 8 * HOUR);
    server.sortRows(SHEET, 'Log', 3, true);
    const inAt = AT - 25 * HOUR;
    const outAt = AT - 20 * HOUR;
    const from = server.requests.length;
    const requests = await client.writeBatch(
      [
        fixed('A0000002', inAt, outAt, 'out'),
        edit('A0000002', 0, 'in', AT, inAt),
        edit('A0000002', 1, 'out', AT + 8 * HOUR, outAt),
      ],
      SEEN,
    );
    // The rows' search, one read of Edits, and one value write for the row and the lines.
    expect(requests).toBe(3);
    expect(since(from)).toEqual({ all: 3, writes: 1 });
    expect(rowOf('A0000002')?.slice(1, 8)).toEqual([
      toSerialDate(inAt, 'UTC'),
      '',
      'A0000002',
      toSerial(inAt, 'UTC'),
      toSerial(outAt, 'UTC'),
      toSerialDuration(5 * HOUR),
      'out',
    ]);
    // The other rows keep the clock's times.
    for (const card of ['A0000001', 'A0000003'])
      expect(rowOf(card)?.slice(4, 8)).toEqual([
        toSerial(AT, 'UTC'),
        toSerial(AT + 8 * HOUR, 'UTC'),
        toSerialDuration(8 * HOUR),
        'out',
      ]);
    expect(edits()).toEqual([
      [
        toSerial(SEEN, 'UTC'),
        session('A0000002'),
        'Ada',
        'in',
        toSerial(AT, 'UTC'),
        toSerial(inAt, 'UTC'),
        'applied',
        '=forgot to tap',
        'fix',
        `edit:${session('A0000002')}:${SEEN}:0`,
      ],
      [
        toSerial(SEEN, 'UTC'),
        session('A0000002'),
        'Ada',
        'out',
        toSerial(AT + 8 * HOUR, 'UTC'),
        toSerial(outAt, 'UTC'),
        'applied',
        '=forgot to tap',
        'fix',
        `edit:${session('A0000002')}:${SEEN}:1`,
      ],
    ]);
    const writes = server.requests.slice(from).filter((r) => r.kind === 'write');
    expect(writes.every((r) => r.valueInputOption === 'RAW')).toBe(true);
  });

  it('a void row says void and keeps its times; a void open session has no Out and no Hours', async () => {
    const client = clientFor();
    await client.writeBatch([opened('A0000001'), opened('A0000002')], AT);
    await client.writeBatch([closed('A0000001')], AT + 8 * HOUR);
    await client.liveUpdate(
      [
        {
          session: session('A0000002'),
          card: 'A0000002',
          name: null,
          inAt: AT,
          openForMs: 9 * HOUR,
        },
      ],
      AT + 9 * HOUR,
      quietHealth,
    );
    await client.writeBatch(
      [
        fixed('A0000001', AT, AT + 8 * HOUR, 'void'),
        edit('A0000001', 0, 'status', 'out', 'void'),
        fixed('A0000002', AT, null, 'void'),
        edit('A0000002', 0, 'status', 'in', 'void'),
      ],
      SEEN,
    );
    expect(rowOf('A0000001')?.slice(4, 8)).toEqual([
      toSerial(AT, 'UTC'),
      toSerial(AT + 8 * HOUR, 'UTC'),
      toSerialDuration(8 * HOUR),
      'void',
    ]);
    expect(rowOf('A0000002')?.slice(4, 8)).toEqual([toSerial(AT, 'UTC'), '', '', 'void']);
    // A status is text in Old and New.
    expect(edits().map((r) => [r[3], r[4], r[5]])).toEqual([
      ['status', 'out', 'void'],
      ['status', 'in', 'void'],
    ]);
    // The minute after: nothing rewrites the void rows (neither is open).
    await client.liveUpdate([], SEEN + 60_000, quietHealth);
    expect(rowOf('A0000001')?.[7]).toBe('void');
    expect(rowOf('A0000002')?.slice(5, 8)).toEqual(['', '', 'void']);
  });

  it('a fix of a row the manager deleted does not bring it back; the Edits line is still kept', async () => {
    const client = clientFor();
    await client.writeBatch([opened('A0000001'), opened('A0000002')], AT);
    server.deleteRow(SHEET, 'Log', 1 + log().findIndex((r) => r[0] === session('A0000001')) + 1);
    await client.writeBatch(
      [fixed('A0000001', AT - HOUR, null, 'in'), edit('A0000001', 0, 'in', AT, AT - HOUR)],
      SEEN,
    );
    expect(log().map((r) => r[0])).toEqual([session('A0000002')]);
    expect(edits().map((r) => [r[1], r[3]])).toEqual([[session('A0000001'), 'in']]);
  });

  it('Edits lines are appended once when the batch is sent twice: the first landed, its answer lost', async () => {
    const client = clientFor(1_000);
    await client.setUp();
    const batch = [
      edit(
        'A0000001',
        0,
        'in',
        AT,
        'half past eight',
        'rejected: "half past eight" in In is not a time',
      ),
    ];
    // The Edits read is answered; the write is applied and never answered.
    server.fail({}, { hangAfterApplying: true });
    await expect(client.writeBatch(batch, SEEN)).rejects.toThrow(/in time|timeout|abort/i);
    expect(edits()).toHaveLength(1);
    const from = server.requests.length;
    // Sent again: the read finds the line's key, and nothing is written.
    expect(await client.writeBatch(batch, SEEN + 60_000)).toBe(1);
    expect(since(from)).toEqual({ all: 1, writes: 0 });
    expect(edits()).toHaveLength(1);
    expect(edits()[0]?.slice(4, 7)).toEqual([
      toSerial(AT, 'UTC'),
      'half past eight',
      'rejected: "half past eight" in In is not a time',
    ]);
  });

  it('Edits lines are appended once when the first attempt lands after the second read the tab', async () => {
    const client = clientFor(1_000);
    await client.setUp();
    await client.writeBatch([edit('A0000009', 0, 'in', AT, AT - HOUR)], SEEN - 1);
    const batch = [edit('A0000001', 0, 'in', AT, AT - HOUR), edit('A0000001', 1, 'out', null, AT)];
    // The first attempt's write is held past the client's timeout, then applied.
    server.fail({}, { delayMs: 2_500 });
    await expect(client.writeBatch(batch, SEEN)).rejects.toThrow(/in time|timeout|abort/i);
    await client.writeBatch(batch, SEEN + 1_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // Both attempts wrote the same lines into the same rows.
    expect(edits().map((r) => r[9])).toEqual([
      `edit:${session('A0000009')}:${SEEN}:0`,
      `edit:${session('A0000001')}:${SEEN}:0`,
      `edit:${session('A0000001')}:${SEEN}:1`,
    ]);
  });

  it('Edits lines go below a note a person typed under the last line, never over it', async () => {
    // Found by an audit: the end of the data was taken from the Seen and Key columns alone.
    const client = clientFor(1_000);
    await client.setUp();
    await client.writeBatch([edit('A0000009', 0, 'in', AT, AT - HOUR)], SEEN - 1);
    server.setCell(SHEET, 'Edits', 3, 7, 'check these with Ann');
    await client.writeBatch([edit('A0000001', 0, 'in', AT, AT - HOUR)], SEEN);
    expect(edits().map((r) => r[9] ?? r[7])).toEqual([
      `edit:${session('A0000009')}:${SEEN}:0`,
      'check these with Ann',
      `edit:${session('A0000001')}:${SEEN}:0`,
    ]);
  });

  it('set-up adds the Edits tab to a sheet that lacks it, leaving the other tabs as they are', async () => {
    const logRows: Cell[][] = [
      ['Session', 'Date', 'Name', 'Card', 'In', 'Out', 'Hours', 'Status', 'Reader'],
      ['old-1', 46000, 'Ada', 'A0000001', 46000.25, 46000.5, 0.25, 'out', 'door'],
    ];
    const nowRows: Cell[][] = [['Name', 'Card', 'In since', 'Hours', 'Updated']];
    const peopleRows: Cell[][] = [
      ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
      ['A0000001', 'Ada', 'yes', '', '', 'a note'],
    ];
    const client = clientFor(5_000, { Log: logRows, Now: nowRows, People: peopleRows });
    await client.setUp();
    expect(server.tabTitles(SHEET)).toEqual(['Log', 'Now', 'People', 'Edits', 'Totals']);
    expect(server.values(SHEET, 'Edits')).toEqual([
      ['Seen', 'Session', 'Name', 'Field', 'Old', 'New', 'Result', 'Why', 'Source', 'Key'],
    ]);
    expect(server.frozenRows(SHEET, 'Edits')).toBe(1);
    expect(server.formats(SHEET, 'Edits').map((f) => [f.column, f.pattern])).toEqual([
      [0, 'yyyy-mm-dd hh:mm'],
      [4, 'yyyy-mm-dd hh:mm'],
      [5, 'yyyy-mm-dd hh:mm'],
    ]);
    expect(server.values(SHEET, 'Log')).toEqual(logRows);
    expect(server.values(SHEET, 'Now')).toEqual(nowRows);
    expect(server.values(SHEET, 'People')).toEqual(peopleRows);
    expect(server.formats(SHEET, 'Log')).toEqual([]);
  });
});
