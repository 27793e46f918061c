/**
 * The simulated broker of the simulation with doors (test/sim/doors/simBroker.ts):
 * the MQTT behaviour the doors' driver relies on, in virtual time.
 */
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { SimBroker } from './sim/doors/simBroker';
import { makeRandom } from './sim/random';
import { SimScheduler } from './sim/simClock';

const TOPIC = 'badgeclock/site/taps/a';

function world(maxInflight?: number): {
  broker: SimBroker;
  scheduler: SimScheduler;
  run: (until: number) => void;
  client: (id: string, will?: IClientOptions['will']) => MqttClient;
} {
  const scheduler = new SimScheduler();
  const broker = new SimBroker({
    scheduler,
    random: makeRandom(1),
    latencyMs: { min: 5, max: 5 },
    ...(maxInflight === undefined ? {} : { maxInflight }),
    record: () => undefined,
  });
  const connect = broker.connector(() => undefined);
  return {
    broker,
    scheduler,
    run: (until) => {
      while (scheduler.runNext(until));
      scheduler.advanceTo(until);
    },
    client: (id, will) => {
      const options: IClientOptions = { clientId: id, clean: false, reconnectPeriod: 1000 };
      return connect('mqtt://sim', will === undefined ? options : { ...options, will });
    },
  };
}

/** Messages a client hands to the driver, acknowledged (or not) as `ack` says; subscribed on connect. */
function received(client: MqttClient, ack = true, filter = 'badgeclock/site/#'): string[] {
  client.on('connect', () => {
    client.subscribe(filter, { qos: 1, nl: true });
  });
  const seen: string[] = [];
  client.handleMessage = (packet: IPublishPacket, done: (error?: Error) => void): void => {
    seen.push(String(packet.payload));
    if (ack) done();
    else done(new Error('not kept'));
  };
  return seen;
}

describe('the simulated broker', () => {
  it('keeps a persistent session’s messages while it is away, and delivers them on its return', () => {
    const { broker, run, client } = world();
    const door = client('door-b');
    const seen = received(door);
    const other = client('door-a');
    run(100);
    broker.setLink('door-b', false);
    other.publish(TOPIC, 'one', { qos: 1 });
    other.publish(TOPIC, 'two', { qos: 1 });
    run(500);
    expect(seen).toEqual([]);
    broker.setLink('door-b', true);
    run(5_000);
    expect(seen).toEqual(['one', 'two']);
  });

  it('sends a backlog a window at a time: the next message as a PUBACK comes back', () => {
    const { broker, run, client, scheduler } = world(2);
    const door = client('door-b');
    const arrived: [string, number][] = [];
    door.on('connect', () => {
      door.subscribe('badgeclock/site/#', { qos: 1, nl: true });
    });
    door.handleMessage = (packet: IPublishPacket, done: (error?: Error) => void): void => {
      arrived.push([String(packet.payload), scheduler.now()]);
      done();
    };
    const other = client('door-a');
    run(100);
    broker.setLink('door-b', false);
    for (const payload of ['one', 'two', 'three', 'four'])
      other.publish(TOPIC, payload, { qos: 1 });
    run(500);
    broker.setLink('door-b', true);
    run(5_000);
    expect(arrived.map(([payload]) => payload)).toEqual(['one', 'two', 'three', 'four']);
    // Two at once; each later one a round trip (5 ms each way) after the PUBACK it waited for.
    const [one, two, three, four] = arrived.map(([, at]) => at) as [number, number, number, number];
    expect(two).toBe(one);
    expect(three - one).toBe(10);
    expect(four - two).toBe(10);
  });

  it('holds the rest of the backlog behind a full window until the connection is made again', () => {
    const { broker, run, client } = world(1);
    const door = client('door-b');
    const seen = received(door, false);
    const other = client('door-a');
    run(100);
    other.publish(TOPIC, 'one', { qos: 1 });
    other.publish(TOPIC, 'two', { qos: 1 });
    run(1_000);
    expect(seen).toEqual(['one']);
    broker.setLink('door-b', false);
    broker.setLink('door-b', true);
    run(5_000);
    expect(seen).toEqual(['one', 'one']);
  });

  it('delivers again a message whose PUBACK never reached it', () => {
    const { broker, run, client } = world();
    const door = client('door-b');
    const seen = received(door, false);
    run(100);
    client('door-a').publish(TOPIC, 'one', { qos: 1 });
    run(500);
    expect(seen).toEqual(['one']);
    broker.setLink('door-b', false);
    broker.setLink('door-b', true);
    run(5_000);
    expect(seen).toEqual(['one', 'one']);
  });

  it('sends a publish again after a reconnection when its PUBACK was lost, and calls back once', () => {
    const { broker, run, client, scheduler } = world();
    const watcher = client('watcher');
    const seen = received(watcher);
    const door = client('door-a');
    run(100);
    const acked: number[] = [];
    door.publish(TOPIC, 'one', { qos: 1 }, () => acked.push(scheduler.now()));
    // The publish reaches the broker (5 ms); the link goes before its PUBACK is back (10 ms).
    run(107);
    broker.setLink('door-a', false);
    broker.setLink('door-a', true);
    run(5_000);
    expect(seen).toEqual(['one', 'one']);
    expect(acked).toHaveLength(1);
    expect(broker.counts.resent).toBe(1);
  });

  it('does not send a no-local subscriber its own messages, and publishes the will of one that died', () => {
    const { broker, run, client } = world();
    const watcher = client('watcher');
    const seen = received(watcher);
    const door = client('door-a');
    const own = received(door);
    run(100);
    door.publish(TOPIC, 'tap', { qos: 1 });
    run(200);
    expect(own).toEqual([]);
    expect(seen).toEqual(['tap']);
    client('door-c', {
      topic: 'badgeclock/site/doors/c/state',
      payload: Buffer.from('offline'),
      qos: 1,
      retain: true,
    });
    run(300);
    broker.setLink('door-c', false);
    run(400);
    expect(seen).toEqual(['tap', 'offline']);
  });
});
