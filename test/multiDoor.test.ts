/**
 * Doors of one site sharing taps through a real Mosquitto broker on loopback
 * (docs/multi-door.md): real door processes (the built CLI), each with its own
 * SQLite store. After each story every door's store holds the same sessions,
 * each tap once (its own, or another door's with its site-wide id).
 */
import { connectAsync } from 'mqtt';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import type { CorrectionJudged } from '../streams/events';
import { sessionId } from '../streams/sessions';
import {
  README_ACL,
  comparedOf,
  converged,
  eventsOf,
  oneClock,
  restartDoor,
  spawnDoor,
  startDoor,
  storeOf,
  type Door,
} from './support/doors';
import { logText, runCli } from './support/runCli';
import { player } from './support/store-fixtures';
import { until } from './support/until';
import { useBroker } from './support/useBroker';
import { useTempDir } from './support/useTempDir';

jest.setTimeout(60_000);

const ALICE = 'A11CE001';
const BOB = 'B0B00002';

describe('doors sharing taps through a broker', () => {
  const root = useTempDir('doors');
  const broker = useBroker();

  it('clocks in at one door and out at another; both doors hold the one session', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    front.clock.write(`${ALICE}\n`);
    await converged([front, back], 1);
    back.clock.write(`${ALICE}\n`);
    await until(() => storeOf(front).sessions[0]?.status === 'out', { ms: 15_000, everyMs: 50 });
    await converged([front, back], 1);
    const [session] = storeOf(back).sessions;
    expect(session).toMatchObject({ card: ALICE, status: 'out' });
    expect(comparedOf(front)).toEqual(await oneClock(front));
    // Each door answered its own tap, and saw the other's with its site-wide id.
    // Feedback lines follow their commits: wait for them rather than race them.
    await front.clock.waitFor((c) => c.stdout.includes('"type":"clock-out"'));
    expect(eventsOf(front).filter((e) => e.type === 'clock-out')).toHaveLength(1);
    expect(eventsOf(front).find((e) => e.type === 'tap' && e.origin !== undefined)?.origin).toMatch(
      /^back:\d+$/,
    );
    const frontTaps = storeOf(front).taps;
    expect(frontTaps.map((t) => [t.reader, t.origin === null ? 'own' : 'shared'])).toEqual([
      ['front', 'own'],
      ['back', 'shared'],
    ]);
    const status = await runCli(['status', '--data-dir', front.dataDir, '--tz', 'UTC'], {
      env: { BADGECLOCK_MQTT_URL: broker().url, BADGECLOCK_SITE: 'test', BADGECLOCK_DOOR: 'front' },
    });
    expect(status.stdout).toContain(`Doors: site test, this door front, broker ${broker().url}`);
    expect(status.stdout).toContain('Backlog: none');
    expect(status.stdout).toMatch(
      /^ {2}back {16} {2}last tap .*, 1 tap\(s\)(; online, backlog \d+ as of .*)?$/m,
    );
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });

  it('keeps taps while the broker is down, and sends them in order when it is back', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    await broker().stop();
    front.clock.write(`${ALICE}\n`);
    back.clock.write(`${BOB}\n`);
    await until(() => storeOf(front).sessions.length === 1 && storeOf(back).sessions.length === 1);
    front.clock.write(`${ALICE}\n`);
    await until(() => storeOf(front).sessions[0]?.status === 'out');
    await broker().start();
    await converged([front, back], 2, 30_000);
    expect(storeOf(back).sessions.find((s) => s.card === ALICE)?.status).toBe('out');
    // Each door came back with a backlog of one tap, and said when it had caught up.
    await until(() => storeOf(back).doors.some((d) => d.door === 'front' && d.backlog === 0), {
      ms: 10_000,
      everyMs: 50,
    });
    expect(await statusOf(back)).toMatch(/^ {2}front .*; online, backlog 0 as of /m);
    expect(comparedOf(back)).toEqual(await oneClock(back));
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });

  it('folds a tap that arrives late into its place: both doors end with what one clock computes', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    await broker().stop();
    // Cut off from each other: Alice in at the front, then (each door thinks) in at the back.
    front.clock.write(`${ALICE}\n`);
    await until(() => storeOf(front).sessions.length === 1);
    back.clock.write(`${ALICE}\n`);
    await until(() => storeOf(back).sessions.length === 1);
    const [inAtFront] = storeOf(front).sessions;
    const [inAtBack] = storeOf(back).sessions;
    await broker().start();
    // One clock folding both taps in time order: in at the front, out at the back.
    await converged([front, back], 1, 30_000);
    expect(comparedOf(back)).toEqual(await oneClock(back));
    expect(storeOf(front).sessions).toEqual([
      { ...inAtFront, out_at: inAtBack?.in_at, status: 'out' },
    ]);
    // Front took back's tap in order; back's answer ("in") was contradicted, and is on record.
    expect(storeOf(front).merges).toEqual([]);
    expect(storeOf(back).merges).toEqual([
      { session: inAtBack?.id, change: 'superseded' },
      { session: inAtFront?.id, change: 'added' },
    ]);
    // The feedback line follows the commit: wait for it rather than race it.
    await back.clock.waitFor((c) => c.stdout.includes('"type":"refolded"'));
    expect(eventsOf(back).find((e) => e.type === 'refolded')).toMatchObject({
      superseded: [inAtBack?.id],
    });
    const status = await runCli(['status', '--data-dir', back.dataDir, '--tz', 'UTC'], {
      env: { BADGECLOCK_MQTT_URL: broker().url, BADGECLOCK_SITE: 'test', BADGECLOCK_DOOR: 'back' },
    });
    expect(status.stdout).toContain(
      'Refolded after late taps: 1 session(s) added, 0 changed, 1 superseded',
    );
    const [late] = storeOf(back).inbox;
    expect(typeof late?.late_at).toBe('number');
    expect(typeof late?.folded_at).toBe('number');
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });

  it('Home Assistant: discovery for each person seen and the site, states retained as they change', async () => {
    const watcher = await connectAsync(broker().url, {
      clientId: 'home-assistant',
      protocolVersion: 5,
    });
    const seen = new Map<string, string>();
    watcher.on('message', (topic, payload) => {
      seen.set(topic, payload.toString());
    });
    try {
      await watcher.subscribeAsync(
        ['homeassistant/#', 'badgeclock/test/people/#', 'badgeclock/test/people_in'],
        { qos: 1 },
      );
      const front = await startDoor('front', broker().url, root(), {
        BADGECLOCK_HOME_ASSISTANT: 'true',
      });
      await until(() => seen.get('badgeclock/test/people_in') === '0', { ms: 10_000, everyMs: 20 });
      front.clock.write(`${ALICE}\n`);
      await until(() => seen.get(`badgeclock/test/people/${ALICE}/at_work`) === 'ON', {
        ms: 10_000,
        everyMs: 20,
      });
      await until(() => seen.get('badgeclock/test/people_in') === '1', { ms: 10_000, everyMs: 20 });
      const config = JSON.parse(
        seen.get(`homeassistant/binary_sensor/badgeclock_test_${ALICE}/config`) ?? '{}',
      ) as Record<string, unknown>;
      expect(config).toMatchObject({
        unique_id: `badgeclock_test_${ALICE}`,
        state_topic: `badgeclock/test/people/${ALICE}/at_work`,
        device_class: 'occupancy',
      });
      expect(
        JSON.parse(seen.get('homeassistant/sensor/badgeclock_test_people_in/config') ?? '{}'),
      ).toMatchObject({
        state_topic: 'badgeclock/test/people_in',
      });
      front.clock.write(`${ALICE}\n`);
      await until(() => seen.get(`badgeclock/test/people/${ALICE}/at_work`) === 'OFF', {
        ms: 10_000,
        everyMs: 20,
      });
      await until(() => seen.get('badgeclock/test/people_in') === '0', { ms: 10_000, everyMs: 20 });
      await front.clock.stop();
    } finally {
      await watcher.endAsync();
    }
  });

  /** `badgeclock status` of a door, as a person at it would run it. */
  const statusOf = async (door: Door): Promise<string> =>
    (
      await runCli(['status', '--data-dir', door.dataDir, '--tz', 'UTC'], {
        env: {
          BADGECLOCK_MQTT_URL: broker().url,
          BADGECLOCK_SITE: 'test',
          BADGECLOCK_DOOR: door.name,
        },
      })
    ).stdout;

  it('gets the taps a door missed while it was stopped (the broker keeps its session)', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    await back.clock.stop();
    // Back said so on its way out; front's status shows it.
    await until(
      () => storeOf(front).doors.some((d) => d.door === 'back' && d.state === 'offline'),
      {
        ms: 10_000,
        everyMs: 50,
      },
    );
    expect(await statusOf(front)).toMatch(/^ {2}back +no tap yet; offline since /m);
    front.clock.write(`${ALICE}\n${BOB}\n`);
    // Acknowledged by the broker while back is away: only its persistent session can have them.
    await until(() => storeOf(front).published === 2, { ms: 10_000, everyMs: 20 });
    await restartDoor(back, broker().url, root());
    await converged([front, back], 2);
    expect(comparedOf(back)).toEqual(await oneClock(back));
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });

  it('drops a tap delivered twice, and refuses one that is not a tap, naming why', async () => {
    const front = await startDoor('front', broker().url, root());
    const other = await connectAsync(broker().url, { clientId: 'side-door', protocolVersion: 5 });
    try {
      const message = JSON.stringify({
        v: 1,
        id: 'side:7',
        door: 'side',
        seq: 7,
        card: BOB,
        reader: 'side',
        at: Date.now(),
      });
      await other.publishAsync('badgeclock/test/taps/side', message, { qos: 1 });
      await other.publishAsync('badgeclock/test/taps/side', message, { qos: 1 });
      await other.publishAsync(
        'badgeclock/test/taps/side',
        JSON.stringify({
          v: 1,
          id: 'front:1',
          door: 'front',
          seq: 1,
          card: BOB,
          reader: 'x',
          at: 1,
        }),
        { qos: 1 },
      );
      await until(
        () => front.clock.stderr.includes('ignored a message on badgeclock/test/taps/side'),
        { ms: 10_000, everyMs: 50 },
      );
      await until(() => storeOf(front).sessions.length === 1, { ms: 10_000, everyMs: 50 });
      expect(storeOf(front).taps.map((t) => t.origin)).toEqual(['side:7']);
      expect(storeOf(front).inbox.map((r) => r.id)).toEqual(['side:7']);
      expect(front.clock.stderr).toContain('door \\"front\\" on side\'s topic');
    } finally {
      await other.endAsync();
    }
    await front.clock.stop();
  });

  it('publishes again after kill -9 in the middle of publishing; the others hold each tap once', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    const cards = Array.from({ length: 40 }, (_, i) => `CA4D${String(i).padStart(4, '0')}`);
    front.clock.write(cards.map((c) => `${c}\n`).join(''));
    await until(() => storeOf(front).taps.length >= 10, { ms: 10_000, everyMs: 5 });
    await front.clock.stop('SIGKILL');
    const kept = storeOf(front).taps.length;
    await restartDoor(front, broker().url, root());
    await converged([front, back], kept, 20_000);
    expect(comparedOf(back)).toEqual(await oneClock(back));
    const origins = storeOf(back).taps.map((t) => t.origin);
    expect(new Set(origins).size).toBe(origins.length);
    expect(origins).toHaveLength(kept);
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });
});

describe("a door stopped between a hub's correction and the refold it asked", () => {
  const root = useTempDir('doors-shared-refold');
  const broker = useBroker();

  it('asks the refold again at its next start, and ends with what the hub has', async () => {
    const HOUR = 3_600_000;
    const t0 = Date.now() - 12 * HOUR;
    // The back door's store as a kill -9 left it: Alice in at the front door at t0, out here at
    // t0 + 11 h (this door was cut off); the hub's close of her session at t0 + 10 h (Out
    // t0 + 9 h) applied, and its refold asked, not yet run.
    mkdirSync(join(root(), 'back'));
    const store = Store.open(join(root(), 'back', DB_FILE_NAME), { newInstall: true });
    const session = sessionId(ALICE, t0);
    const hubClose: CorrectionJudged = {
      type: 'correctionJudged',
      ...{ at: t0 + 10 * HOUR, session, card: ALICE, name: null, source: 'fix', why: 'forgot' },
      applied: true,
      changes: [{ field: 'out', old: null, new: t0 + 9 * HOUR }],
      ...{ inAt: t0, outAt: t0 + 9 * HOUR, voided: false, status: 'out', closes: true },
      origin: 'hub:1:0123456789abcdef',
    };
    store.sharedCorrections.receive(hubClose.origin ?? '', session, '{}', t0 + 11.5 * HOUR);
    player(store).play(
      { type: 'cardRead', at: t0, card: ALICE, reader: 'front', origin: 'front:1' },
      { type: 'cardRead', at: t0 + 11 * HOUR, card: ALICE, reader: 'back' },
      hubClose,
    );
    // Closed by her tap here, and by the manager: one session, until the refold.
    expect(store.allSessions().map((s) => [s.inAt, s.status])).toEqual([[t0, 'out']]);
    expect(store.sharedCorrections.refoldsWaiting()).toHaveLength(1);
    store.close();

    const back = await startDoor('back', broker().url, root());
    // Her 11 h tap came after the manager's close: a clock-in, as the hub has it.
    await until(() => storeOf(back).sessions.length === 2, { ms: 15_000, everyMs: 50 });
    expect(storeOf(back).sessions.map((s) => [s.in_at, s.out_at, s.status])).toEqual([
      [t0, t0 + 9 * HOUR, 'out'],
      [t0 + 11 * HOUR, null, 'in'],
    ]);
    await back.clock.stop();
  });
});

describe("doors on a broker with users and the README's ACL", () => {
  const root = useTempDir('doors-acl');
  const broker = useBroker({
    users: { front: 'f-pass', back: 'b-pass', hub: 'h-pass' },
    acl: README_ACL,
  });
  const login = (user: string, password: string): NodeJS.ProcessEnv => ({
    BADGECLOCK_MQTT_USERNAME: user,
    BADGECLOCK_MQTT_PASSWORD: password,
  });

  it("shares taps between doors, and a door cannot write another door's topic", async () => {
    const front = await startDoor('front', broker().url, root(), login('front', 'f-pass'));
    const back = await startDoor('back', broker().url, root(), login('back', 'b-pass'));
    front.clock.write(`${ALICE}\n`);
    await converged([front, back], 1);
    back.clock.write(`${ALICE}\n`);
    await until(() => storeOf(front).sessions[0]?.status === 'out', { ms: 15_000, everyMs: 50 });
    // Back pretending to be front: the broker refuses it (MQTT 5: reason 135), nobody folds it.
    const forger = await connectAsync(broker().url, {
      clientId: 'forger',
      protocolVersion: 5,
      username: 'back',
      password: 'b-pass',
    });
    try {
      const forged = JSON.stringify({
        v: 1,
        id: 'front:99',
        door: 'front',
        seq: 99,
        card: BOB,
        reader: 'x',
        at: Date.now(),
      });
      await expect(
        forger.publishAsync('badgeclock/test/taps/front', forged, { qos: 1 }),
      ).rejects.toMatchObject({ code: 135 });
    } finally {
      await forger.endAsync();
    }
    expect(storeOf(back).taps.map((t) => t.origin)).toEqual(['front:1', null]);
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });

  it('says a wrong password is refused, and the door keeps taking taps for when it is right', async () => {
    const clock = spawnDoor('front', broker().url, root(), login('front', 'wrong'));
    await clock.started();
    await clock.waitFor((c) => /mqtt: .*[Nn]ot authorized/.test(logText(c.stderr)));
    clock.write(`${ALICE}\n`);
    const door = { name: 'front', dataDir: join(root(), 'front'), clock };
    await until(() => storeOf(door).sessions.length === 1, { ms: 10_000, everyMs: 50 });
    expect(storeOf(door).published).toBe(0);
    await clock.stop();
  });
});
