/**
 * The Mosquitto fixture against a real broker and the real MQTT.js client:
 * what the multi-door design (docs/multi-door.md) relies on Mosquitto for —
 * queued QoS 1 messages for persistent sessions, across a broker restart, and
 * per-door write ACLs.
 */
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';

import { connect, ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';

import { startBroker, type Broker, type BrokerOptions } from './support/broker';
import { until } from './support/until';

const TEST_MS = 15_000;

interface Received {
  readonly topic: string;
  readonly payload: string;
}

interface Connected {
  readonly client: MqttClient;
  /** Every message the client received, from its CONNACK on (queued messages arrive before any subscribe). */
  readonly messages: Received[];
  readonly sessionPresent: boolean;
}

describe('a Mosquitto broker on loopback', () => {
  let brokers: Broker[] = [];
  let clients: MqttClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    clients = [];
    await Promise.all(brokers.map((broker) => broker.close()));
    brokers = [];
  });

  async function broker(options?: BrokerOptions): Promise<Broker> {
    const started = await startBroker(options);
    brokers.push(started);
    return started;
  }

  /** Connects once (no reconnects, so a refusal is an error) and records what arrives. */
  async function connected(url: string, options: IClientOptions = {}): Promise<Connected> {
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    clients.push(client);
    const messages: Received[] = [];
    client.on('message', (topic, payload) => {
      messages.push({ topic, payload: payload.toString('utf8') });
    });
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => {
        resolve(connack.sessionPresent);
      });
      client.on('error', reject);
      client.once('close', () => {
        reject(new Error(`connection to ${url} closed before CONNACK`));
      });
    });
    return { client, messages, sessionPresent };
  }

  async function received(
    connection: Connected,
    count: number,
    from: Broker,
  ): Promise<readonly Received[]> {
    await until(() => connection.messages.length >= count, {
      ms: 5_000,
      everyMs: 10,
      what: `${count} message(s); broker log:\n${from.log()}`,
    });
    return connection.messages;
  }

  /** Subscribes with a persistent session (clean: false, QoS 1), then disconnects it. */
  async function leavePersistentSession(url: string, clientId: string, topic: string) {
    const { client } = await connected(url, { clientId, clean: false });
    await client.subscribeAsync(topic, { qos: 1 });
    await client.endAsync();
  }

  async function publishAll(url: string, topic: string, payloads: readonly string[]) {
    const { client } = await connected(url);
    // In order, each acknowledged: a PUBACK means the broker holds the message.
    for (const payload of payloads) await client.publishAsync(topic, payload, { qos: 1 });
    await client.endAsync();
  }

  test(
    'a message published on a topic reaches a subscriber',
    async () => {
      const mosquitto = await broker();
      expect(mosquitto.url).toBe(`mqtt://127.0.0.1:${mosquitto.port}`);
      const subscriber = await connected(mosquitto.url);
      await subscriber.client.subscribeAsync('badgeclock/site/taps/+', { qos: 1 });
      await publishAll(mosquitto.url, 'badgeclock/site/taps/front', ['{"id":"front:1"}']);

      expect(await received(subscriber, 1, mosquitto)).toEqual([
        { topic: 'badgeclock/site/taps/front', payload: '{"id":"front:1"}' },
      ]);
    },
    TEST_MS,
  );

  test(
    'a persistent session receives, in order, the QoS 1 messages published while it was away',
    async () => {
      const mosquitto = await broker();
      await leavePersistentSession(mosquitto.url, 'door-back', 'taps/#');
      await publishAll(mosquitto.url, 'taps/front', ['1', '2', '3']);

      const back = await connected(mosquitto.url, { clientId: 'door-back', clean: false });

      expect(back.sessionPresent).toBe(true);
      expect((await received(back, 3, mosquitto)).map((m) => m.payload)).toEqual(['1', '2', '3']);
    },
    TEST_MS,
  );

  test(
    'the queued messages survive a stop and start of the broker on the same port',
    async () => {
      const mosquitto = await broker();
      await leavePersistentSession(mosquitto.url, 'door-back', 'taps/#');
      await publishAll(mosquitto.url, 'taps/front', ['1', '2']);

      await mosquitto.stop();
      await expect(connected(mosquitto.url)).rejects.toThrow();
      await mosquitto.start();
      const back = await connected(mosquitto.url, { clientId: 'door-back', clean: false });

      expect(back.sessionPresent).toBe(true);
      expect((await received(back, 2, mosquitto)).map((m) => m.payload)).toEqual(['1', '2']);
      expect(mosquitto.log()).toContain('Saving in-memory database');
    },
    TEST_MS,
  );

  test(
    'a killed broker forgets the sessions and messages since it last stopped cleanly',
    async () => {
      const mosquitto = await broker();
      await leavePersistentSession(mosquitto.url, 'door-back', 'taps/#');
      await publishAll(mosquitto.url, 'taps/front', ['1']);

      await mosquitto.kill();
      await mosquitto.start();
      const back = await connected(mosquitto.url, { clientId: 'door-back', clean: false });

      expect(back.sessionPresent).toBe(false);
      // Subscribed again, it gets what comes next, and nothing before it: '1' is gone.
      await back.client.subscribeAsync('taps/#', { qos: 1 });
      await publishAll(mosquitto.url, 'taps/front', ['2']);
      expect((await received(back, 1, mosquitto)).map((m) => m.payload)).toEqual(['2']);
    },
    TEST_MS,
  );

  describe('with users and a write ACL per user', () => {
    const options: BrokerOptions = {
      users: { a: 'secret-a', b: 'secret-b', hub: 'secret-hub' },
      acl: ['pattern write t/%u', 'user hub', 'topic read t/#'],
    };

    test(
      'MQTT 3.1.1: a publish outside the user’s topic is acknowledged and silently dropped',
      async () => {
        const mosquitto = await broker(options);
        const hub = await connected(mosquitto.url, { username: 'hub', password: 'secret-hub' });
        await hub.client.subscribeAsync('t/#', { qos: 1 });
        const a = await connected(mosquitto.url, { username: 'a', password: 'secret-a' });

        // Resolves: 3.1.1's PUBACK has no reason code, so the publisher cannot tell.
        // Published first: had it been delivered, it would arrive before t/a.
        await a.client.publishAsync('t/b', 'forged', { qos: 1 });
        await a.client.publishAsync('t/a', 'own', { qos: 1 });

        expect(await received(hub, 1, mosquitto)).toEqual([{ topic: 't/a', payload: 'own' }]);
        expect(mosquitto.log()).toMatch(/Denied PUBLISH .*'t\/b'/);
      },
      TEST_MS,
    );

    test(
      'MQTT 5: a publish outside the user’s topic gets PUBACK reason 135, not authorized',
      async () => {
        const mosquitto = await broker(options);
        const hub = await connected(mosquitto.url, {
          username: 'hub',
          password: 'secret-hub',
          protocolVersion: 5,
        });
        await hub.client.subscribeAsync('t/#', { qos: 1 });
        const a = await connected(mosquitto.url, {
          username: 'a',
          password: 'secret-a',
          protocolVersion: 5,
        });

        const denied = a.client.publishAsync('t/b', 'forged', { qos: 1 });
        await expect(denied).rejects.toBeInstanceOf(ErrorWithReasonCode);
        await expect(denied).rejects.toMatchObject({ code: 135 });
        await a.client.publishAsync('t/a', 'own', { qos: 1 });

        expect(await received(hub, 1, mosquitto)).toEqual([{ topic: 't/a', payload: 'own' }]);
      },
      TEST_MS,
    );

    test(
      'a wrong password, an unknown user and no user are refused at CONNACK',
      async () => {
        const mosquitto = await broker(options);
        const refusals = [
          { username: 'a', password: 'secret-b' },
          { username: 'nobody', password: 'secret-a' },
          {},
        ];
        // Mosquitto 2.0 answers "not authorized" to all three: 5 in 3.1.1, 135 in MQTT 5.
        for (const [protocolVersion, code] of [
          [4, 5],
          [5, 135],
        ] as const) {
          for (const credentials of refusals) {
            await expect(
              connected(mosquitto.url, { ...credentials, protocolVersion }),
            ).rejects.toMatchObject({ code });
          }
        }
        await connected(mosquitto.url, { username: 'a', password: 'secret-a' });
      },
      TEST_MS,
    );
  });

  test(
    'close stops the broker and removes its directory',
    async () => {
      const mosquitto = await broker();
      await mosquitto.close();

      expect(existsSync(mosquitto.dir)).toBe(false);
      const refused = await new Promise<boolean>((resolve) => {
        const socket = tcpConnect({ port: mosquitto.port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => {
          resolve(true);
        });
      });
      expect(refused).toBe(true);
      await mosquitto.close(); // a second close is harmless
    },
    TEST_MS,
  );
});
