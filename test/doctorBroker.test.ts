/**
 * `badgeclock doctor` on a door of a site: the broker reachable, the door's login taken, its
 * ACL letting it write its taps and read every door's, and each other door's silence, against
 * a real Mosquitto with a password file and the README's ACL. The probe of the door's taps
 * topic must reach no one, and the doctor must not take over the running door's session.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig, type Config } from '../src/config';
import { runDoctor, type Check } from '../src/doctor';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import { startBroker, type Broker } from './support/broker';
import { requireBuiltCli, runCli } from './support/runCli';
import { HOUR, MINUTE, player, read } from './support/store-fixtures';
import { useTempDir } from './support/useTempDir';
import { README_ACL } from './support/doors';

const USERS = { front: 'front-pw', back: 'back-pw', admin: 'admin-pw', hub: 'hub-pw' };
/** The README's ACL ("Set up a site"), and a user who reads everything to watch for leaks. */
const ACL = [...README_ACL, 'user admin', 'topic read #'];

/** A clean-start MQTT 5 client; resolves once connected. */
function client(url: string, user: keyof typeof USERS, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      protocolVersion: 5,
      username: user,
      password: USERS[user],
      clientId,
      reconnectPeriod: 0,
    });
    c.once('connect', () => {
      resolve(c);
    });
    c.once('error', reject);
  });
}

describe('badgeclock doctor on a door of a site (real Mosquitto)', () => {
  const dir = useTempDir('doctor-broker');
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ users: USERS, acl: ACL });
  });
  afterAll(async () => {
    await broker.close();
  });

  const env = (more: Record<string, string> = {}): Record<string, string> => ({
    BADGECLOCK_DATA_DIR: join(dir(), 'data'),
    BADGECLOCK_TZ: 'UTC',
    BADGECLOCK_TIME_SYNC: 'off',
    BADGECLOCK_MQTT_URL: broker.url,
    BADGECLOCK_SITE: 's',
    BADGECLOCK_DOOR: 'front',
    BADGECLOCK_MQTT_USERNAME: 'front',
    BADGECLOCK_MQTT_PASSWORD: USERS.front,
    ...more,
  });
  const configOf = (more: Record<string, string> = {}): Config => {
    const result = loadConfig({ env: env(more), cwd: dir() });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    return result.config;
  };
  const doctor = async (
    config: Config,
    now?: number,
    hub = false,
  ): Promise<Record<string, Check>> => {
    const checks = await runDoctor(config, {
      clockSynchronised: () => Promise.resolve(true),
      ...(now === undefined ? {} : { now: () => now }),
      hub,
    });
    return Object.fromEntries(checks.map((check) => [check.name, check]));
  };

  it('says nothing of a broker on a single door', async () => {
    const single = { ...env() };
    delete single.BADGECLOCK_MQTT_URL;
    const result = loadConfig({ env: single, cwd: dir() });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const checks = await doctor(result.config);
    expect(Object.keys(checks).filter((name) => /broker|door /.test(name))).toEqual([]);
  });

  it('fails a broker nothing listens for, naming its URL, within the bound', async () => {
    const down = await startBroker();
    const url = down.url;
    await down.close(); // its port now has nothing on it
    const started = Date.now();
    const checks = await doctor(configOf({ BADGECLOCK_MQTT_URL: url }));
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(checks.broker).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        new RegExp(`^${url} cannot be reached: .*ECONNREFUSED`),
      ) as unknown,
      fix: expect.stringContaining(`BADGECLOCK_MQTT_URL (${url})`) as unknown,
    });
    expect(checks['broker write']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not checked') as unknown,
    });
  });

  it('fails a wrong password through the built CLI, naming the user and where the password comes from', async () => {
    requireBuiltCli();
    const result = await runCli(['doctor'], {
      env: env({ BADGECLOCK_MQTT_PASSWORD: 'wrong' }),
      timeoutMs: 15_000,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `✖ broker: ${broker.url} refused the login of user front: .*\\(reason 13[45]\\)\\n {4}fix: check user front's password: BADGECLOCK_MQTT_PASSWORD`,
      ),
    );
  });

  it('fails a TLS file it cannot read, naming its key and path', async () => {
    const missing = join(dir(), 'ca.pem');
    const checks = await doctor(configOf({ BADGECLOCK_MQTT_CA_FILE: missing }));
    expect(checks.broker).toMatchObject({
      ok: false,
      detail: `mqttCaFile: cannot read ${missing} (ENOENT)`,
    });
  });

  it("fails a door whose ACL denies its taps' topic, naming the topic", async () => {
    // The ACL grants each user badgeclock/+/taps/<user>: a door named other than its user is denied.
    const checks = await doctor(configOf({ BADGECLOCK_DOOR: 'side' }));
    expect(checks.broker).toMatchObject({ ok: true });
    expect(checks['broker write']).toMatchObject({
      ok: false,
      detail: expect.stringContaining(
        "door side's taps on badgeclock/s/taps/side (PUBREC reason 135, not authorized)",
      ) as unknown,
      fix: expect.stringContaining('BADGECLOCK_DOOR (side)') as unknown,
    });
  });

  it('on the hub (--hub): its corrections probed, its own login and ACL taken', async () => {
    const checks = await doctor(
      configOf({ BADGECLOCK_MQTT_USERNAME: 'hub', BADGECLOCK_MQTT_PASSWORD: USERS.hub }),
      undefined,
      true,
    );
    expect(checks.broker).toMatchObject({ ok: true });
    expect(checks['broker write']).toMatchObject({
      ok: true,
      detail: expect.stringContaining(
        "the hub may publish a manager's corrections on badgeclock/s/corrections",
      ) as unknown,
    });
    expect(checks['broker read']?.ok).not.toBe(false);
  });

  it('fails a hub whose ACL denies its corrections, naming the topic and the ACL line', async () => {
    // A door's login as the hub: the README's ACL lets only user hub write the corrections.
    const checks = await doctor(configOf(), undefined, true);
    expect(checks['broker write']).toMatchObject({
      ok: false,
      detail: expect.stringContaining(
        "the broker refuses the hub's corrections on badgeclock/s/corrections (PUBREC reason 135, not authorized)",
      ) as unknown,
      fix: expect.stringContaining(
        '"topic write badgeclock/+/corrections" under "user hub"',
      ) as unknown,
    });
  });

  it('passes a door the broker takes, leaving no message and the running door connected', async () => {
    const watcher = await client(broker.url, 'admin', 'watcher');
    const seen: string[] = [];
    watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await watcher.subscribeAsync('#', { qos: 2 });
    // The door itself, running: the doctor must not take over its session.
    const door = await client(broker.url, 'front', 'badgeclock-s-front');
    let doorClosed = false;
    door.on('close', () => (doorClosed = true));
    try {
      const checks = await doctor(configOf());
      expect(checks.broker).toMatchObject({
        ok: true,
        detail: `${broker.url} takes door front of site s (user front, MQTT 5)`,
      });
      expect(checks['broker write']).toMatchObject({ ok: true });
      // Mosquitto grants the subscription whatever its ACL says: with no other door heard, not proven.
      expect(checks['broker read']).toMatchObject({
        ok: 'skip',
        detail: expect.stringMatching(/^not proven/) as unknown,
      });
      expect(checks['broker read corrections']).toMatchObject({
        ok: 'skip',
        detail: expect.stringMatching(
          /^not proven: .*"pattern read badgeclock\/\+\/corrections"/,
        ) as unknown,
      });
      expect(checks.doors).toMatchObject({ ok: 'skip' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([]);
      expect(doorClosed).toBe(false);
      expect(door.connected).toBe(true);
    } finally {
      await Promise.all([watcher.endAsync(), door.endAsync()]);
    }
    expect(broker.log()).toContain('Received PUBLISH from badgeclock-s-front-doctor (d0, q2, r0');
  });

  it('flags a door silent for a working day, but not over a weekend nobody tapped', async () => {
    const now = Date.UTC(2026, 2, 9, 9, 0); // a Monday, 9:00
    mkdirSync(join(dir(), 'data'));
    const store = Store.open(join(dir(), 'data', DB_FILE_NAME));
    const tap = (door: string, seq: number, at: number) => ({
      id: `${door}:${seq}`,
      door,
      seq,
      card: 'A1B2C3D4',
      reader: door,
      at,
    });
    store.addToInbox(tap('back', 1, now - 50 * HOUR), now - 50 * HOUR); // Saturday 7:00
    player(store).play(read(now - 49 * HOUR, 'C0FFEE01')); // this door, Saturday 8:00
    store.close();
    const weekend = await doctor(configOf(), now);
    expect(weekend['door back']).toMatchObject({
      ok: true,
      detail: 'last heard 2 d 2 h ago (1 of its taps in this store)',
    });

    const working = Store.open(join(dir(), 'data', DB_FILE_NAME));
    working.addToInbox(tap('side', 1, now - 5 * MINUTE), now - 5 * MINUTE); // Monday 8:55
    working.close();
    const checks = await doctor(configOf(), now);
    expect(checks['door back']).toMatchObject({
      ok: false,
      detail:
        'silent: last heard 2 d 2 h ago (1 of its taps in this store), while the site took taps until 5 min ago',
      fix: expect.stringMatching(/^check door back: its service/) as unknown,
    });
    expect(checks['door side']).toMatchObject({
      ok: true,
      detail: 'last heard 5 min ago (1 of its taps in this store)',
    });
    expect(checks['broker read']).toMatchObject({
      ok: true,
      detail:
        'badgeclock/s/taps/+ granted, and taps of 2 other door(s) reached this store (the last 5 min ago)',
    });
  });

  it("passes a door's read of the hub's corrections once one has reached its store", async () => {
    mkdirSync(join(dir(), 'data'));
    const store = Store.open(join(dir(), 'data', DB_FILE_NAME));
    store.sharedCorrections.receive('hub:1:0123456789abcdef', 'session', '{}', Date.now());
    store.close();
    const checks = await doctor(configOf());
    expect(checks['broker read corrections']).toMatchObject({
      ok: true,
      detail: "badgeclock/s/corrections granted, and 1 of the hub's corrections reached this store",
    });
    // The hub takes none: no such check there.
    const hub = await doctor(
      configOf({ BADGECLOCK_MQTT_USERNAME: 'hub', BADGECLOCK_MQTT_PASSWORD: USERS.hub }),
      undefined,
      true,
    );
    expect(hub['broker read corrections']).toBeUndefined();
  });
});
