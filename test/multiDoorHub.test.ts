/**
 * A site: three door processes and a hub on a real Mosquitto, the hub the one
 * writer of the Google Sheet (the Sheets test server, through the real Google
 * client). After each story every door's store, the hub's store and the sheet
 * hold the sessions one clock computes from the merged tap log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from './support/broker';
import {
  comparedOf,
  converged,
  eventsOf,
  oneClock,
  README_ACL,
  restartDoor,
  startDoor,
  storeOf,
  type Door,
} from './support/doors';
import { killLeftoverClocks, requireBuiltCli, runCli } from './support/runCli';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';
import { until } from './support/until';

jest.setTimeout(90_000);

const SHEET = 'badgeclockSiteSheet01';
const ALICE = 'A11CE001';
const BOB = 'B0B00002';
const CAROL = 'CA401003';
const DAVE = 'DA4E0004';

describe('a site: three doors and a hub that writes the sheet', () => {
  let root: string;
  let broker: Broker;
  let server: SheetsTestServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    requireBuiltCli();
  });
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'badgeclock-site-'));
    broker = await startBroker();
    server = await new SheetsTestServer().start();
    const account = server.serviceAccount(root);
    server.createSpreadsheet(SHEET, [account.email]);
    env = {
      BADGECLOCK_SPREADSHEET_ID: SHEET,
      BADGECLOCK_KEY_FILE: account.file,
      BADGECLOCK_SHEETS_ROOT_URL: server.rootUrl,
      BADGECLOCK_SHEETS_TIMEOUT_SECONDS: '2',
    };
  });
  afterEach(async () => {
    await killLeftoverClocks();
    await broker.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const startSite = async (): Promise<{ hub: Door; doors: Door[] }> => {
    // The hub runs beside the front door, on its Pi: the same door name (the host name).
    const hub = await startDoor(
      'hub',
      broker.url,
      root,
      { ...env, BADGECLOCK_DOOR: 'front' },
      'hub',
    );
    const doors = [
      await startDoor('front', broker.url, root),
      await startDoor('back', broker.url, root),
      await startDoor('side', broker.url, root),
    ];
    return { hub, doors };
  };
  const log = (): Cell[][] => server.values(SHEET, 'Log').slice(1);
  /**
   * What one clock computes from the merged log is what the hub holds, and what the sheet shows:
   * one row per session (Session id and Status), every other row marked superseded.
   */
  const asOneClock = async (hub: Door): Promise<void> => {
    const expected = await oneClock(hub);
    expect(comparedOf(hub)).toEqual(expected);
    await until(
      () =>
        JSON.stringify(
          log()
            .filter((row) => row[7] !== 'superseded')
            .map((row) => [row[0], row[7]])
            .sort(),
        ) === JSON.stringify(expected.map((e) => [e.id, e.status]).sort()),
      { ms: 30_000, everyMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\nLog: ${JSON.stringify(log())}\nexpected: ${JSON.stringify(expected)}`,
      );
    });
  };
  /** The Log rows of `card`: [In, Out, Status] as the sheet shows them. */
  const rowsOf = (card: string): (Cell | undefined)[][] =>
    log()
      .filter((row) => row[3] === card)
      .map((row) => [row[4], row[5], row[7]]);

  it('clocks in at one door and out at another; the hub writes the one row', async () => {
    const { hub, doors } = await startSite();
    const [front, back, side] = doors as [Door, Door, Door];
    front.clock.write(`${ALICE}\n`);
    side.clock.write(`${BOB}\n`);
    await converged([hub, ...doors], 2);
    back.clock.write(`${ALICE}\n`);
    await until(() => storeOf(hub).sessions.some((s) => s.card === ALICE && s.status === 'out'), {
      ms: 20_000,
      everyMs: 50,
    });
    await converged([hub, ...doors], 2);
    await until(() => rowsOf(ALICE)[0]?.[2] === 'out' && rowsOf(BOB).length === 1, {
      ms: 30_000,
      everyMs: 100,
    });
    expect(rowsOf(ALICE)).toHaveLength(1);
    expect(rowsOf(BOB)[0]?.[2]).toBe('in');
    // The doors never wrote the sheet: every row came from the hub.
    expect(log()).toHaveLength(2);
    await asOneClock(hub);
  });

  it('a late tap: the hub supersedes the row it wrote and writes what the merged log says', async () => {
    const { hub, doors } = await startSite();
    const [front, back] = doors as [Door, Door, Door];
    await broker.stop();
    front.clock.write(`${CAROL}\n`);
    await until(() => storeOf(front).sessions.length === 1);
    back.clock.write(`${CAROL}\n`);
    await until(() => storeOf(back).sessions.length === 1);
    const inAt = storeOf(front).sessions[0]?.in_at;
    const outAt = storeOf(back).sessions[0]?.in_at;
    // Back's tap reaches the hub first: it writes an open session; front's comes late.
    await front.clock.stop();
    await broker.start();
    await until(() => rowsOf(CAROL)[0]?.[2] === 'in', { ms: 30_000, everyMs: 100 });
    await restartDoor(front, broker.url, root);
    await converged([hub, ...doors], 1, 30_000);
    expect(storeOf(hub).sessions[0]).toMatchObject({ in_at: inAt, out_at: outAt, status: 'out' });
    expect(storeOf(hub).merges.map((m) => m.change)).toEqual(['superseded', 'added']);
    await until(
      () =>
        rowsOf(CAROL).length === 2 &&
        rowsOf(CAROL).some((r) => r[2] === 'out') &&
        rowsOf(CAROL).some((r) => r[2] === 'superseded'),
      { ms: 30_000, everyMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\nLog: ${JSON.stringify(log())}\nhub: ${hub.clock.stderr.slice(-4000)}`,
      );
    });
    // The row the hub wrote first stays, marked; the session one clock computes is one row.
    const [superseded] = rowsOf(CAROL).filter((r) => r[2] === 'superseded');
    const [out] = rowsOf(CAROL).filter((r) => r[2] === 'out');
    expect(superseded?.[1]).toBe('');
    expect(out?.[0]).not.toEqual(superseded?.[0]);
    await asOneClock(hub);
  });

  it('a second late tap makes again the session the first superseded: its row comes back', async () => {
    const { hub, doors } = await startSite();
    const [front, back, side] = doors as [Door, Door, Door];
    await broker.stop();
    // Carol at front, then back, then side; the hub hears them the other way round.
    for (const door of [front, back, side]) {
      door.clock.write(`${CAROL}\n`);
      await until(() => storeOf(door).sessions.length === 1);
    }
    const lastAt = storeOf(side).sessions[0]?.in_at;
    await front.clock.stop();
    await back.clock.stop();
    await broker.start();
    // Side's tap: the hub writes the open row. Back's, late: that row is superseded.
    await until(() => rowsOf(CAROL)[0]?.[2] === 'in', { ms: 30_000, everyMs: 100 });
    await restartDoor(back, broker.url, root);
    await until(() => rowsOf(CAROL).some((r) => r[2] === 'superseded'), {
      ms: 30_000,
      everyMs: 100,
    });
    // Front's, late too: side's tap is a clock-in again, the session the first refold superseded.
    await restartDoor(front, broker.url, root);
    await converged([hub, ...doors], 2, 30_000);
    expect(storeOf(hub).sessions.find((s) => s.status === 'in')?.in_at).toBe(lastAt);
    expect(storeOf(hub).merges.map((m) => m.change)).toEqual([
      'superseded',
      'added',
      'superseded',
      'changed',
      'added',
    ]);
    await asOneClock(hub);
  });

  it('the hub down: doors keep working, and the sheet catches up when it is back', async () => {
    const { hub, doors } = await startSite();
    const [front] = doors as [Door, Door, Door];
    await hub.clock.stop();
    front.clock.write(`${DAVE}\n`);
    await converged(doors, 1);
    expect(rowsOf(DAVE)).toEqual([]);
    await restartDoor(hub, broker.url, root, env, 'hub');
    await converged([hub, ...doors], 1);
    await until(() => rowsOf(DAVE).length === 1, { ms: 30_000, everyMs: 100 });
    expect(rowsOf(DAVE)[0]?.[2]).toBe('in');
    await asOneClock(hub);
  });

  it("a manager's close at the hub reaches every door: the person's next tap clocks in there (README's ACL)", async () => {
    const secured = await startBroker({
      users: { front: 'f-pass', back: 'b-pass', hub: 'h-pass' },
      acl: README_ACL,
    });
    const login = (user: 'front' | 'back' | 'hub'): NodeJS.ProcessEnv => ({
      BADGECLOCK_MQTT_USERNAME: user,
      BADGECLOCK_MQTT_PASSWORD: `${user.charAt(0)}-pass`,
    });
    try {
      const hubEnv = { ...env, BADGECLOCK_DOOR: 'front', ...login('hub') };
      const hub = await startDoor('hub', secured.url, root, hubEnv, 'hub');
      const front = await startDoor('front', secured.url, root, login('front'));
      const back = await startDoor('back', secured.url, root, login('back'));
      front.clock.write(`${ALICE}\n`);
      await converged([hub, front, back], 1);
      const opened = storeOf(hub).sessions[0]?.id ?? '';
      // Alice went home without tapping out; the manager gives her an Out a second later.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const fix = await runCli(
        ['fix', opened, '--out', new Date().toISOString(), '--why', 'forgot to tap out'].concat([
          '--data-dir',
          hub.dataDir,
        ]),
        { env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_TIME_SYNC: 'off' }, timeoutMs: 30_000 },
      );
      expect(fix.stdout).toBe(`✔ session ${opened} corrected\n`);
      // Every door closes it as the manager did, at the Out given.
      await converged([hub, front, back], 1);
      expect(storeOf(back).sessions[0]).toMatchObject({ id: opened, status: 'out' });
      const status = await runCli(['status', '--data-dir', back.dataDir, '--tz', 'UTC'], {
        env: { BADGECLOCK_MQTT_URL: secured.url, BADGECLOCK_SITE: 'test', BADGECLOCK_DOOR: 'back' },
      });
      expect(status.stdout).toContain("The hub's corrections: 1 received, all applied");
      // Her next tap, at the back door: in, as the hub has it, not out.
      back.clock.write(`${ALICE}\n`);
      await converged([hub, front, back], 2);
      const events = eventsOf(back).map((e) => e.type);
      const afterFix = events.slice(events.indexOf('correction') + 1);
      expect(afterFix).toContain('clock-in');
      expect(events).not.toContain('clock-out');
      expect(storeOf(hub).sessions.map((s) => s.status)).toEqual(['out', 'in']);
      await Promise.all([hub.clock.stop(), front.clock.stop(), back.clock.stop()]);
    } finally {
      await secured.close();
    }
  });
});
