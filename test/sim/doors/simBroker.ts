/**
 * The broker of the simulation with doors: an in-process MQTT 5 broker in
 * virtual time, and the client each door's real MQTT driver talks to instead
 * of MQTT.js (`AppIo.mqttConnect`). What it keeps of MQTT is what the driver
 * relies on, and what a real broker does to it:
 *
 * - persistent sessions (`clean: false`): a session's subscriptions and its
 *   undelivered QoS 1 messages outlive its connection; a new connection with
 *   the same client id takes the session over (the old one is dropped);
 * - QoS 1 both ways: a message stays in a session's queue until the client's
 *   PUBACK reaches the broker, so a connection lost before it brings the
 *   message again (a copy); a publish the broker got whose PUBACK was lost is
 *   sent again by the client after it reconnects (another copy);
 * - no-local subscriptions, `+` and `#` filters, retained messages (sent on
 *   subscribe), the will on a connection lost without DISCONNECT;
 * - an inflight window (`maxInflight`, Mosquitto's `max_inflight_messages`):
 *   at most that many messages sent on a connection and not acknowledged yet,
 *   the next sent as a PUBACK comes back, so a backlog arrives a window at a
 *   time, not at once;
 * - links: a door cut off from the broker loses its connection and tries again
 *   every `reconnectPeriod` until the link is back. Every packet travels for a
 *   drawn latency; packets of one connection arrive in the order sent.
 *
 * Not modelled: session expiry (partitions stay under a week), QoS 2, ACL
 * refusals, the broker's own restarts (its sessions are persisted).
 */
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Random } from '../random';
import type { SimScheduler } from '../simClock';

interface Message {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
}

interface Subscription {
  readonly filter: string;
  readonly noLocal: boolean;
}

interface Session {
  readonly clientId: string;
  readonly subscriptions: Subscription[];
  /** Messages routed to it and not acknowledged yet, in order. */
  readonly queue: Message[];
  connection: Connection | null;
}

/** One network connection between a client and the broker. */
interface Connection {
  readonly client: SimMqttClient;
  /** False once dropped: packets in flight on it are lost. */
  open: boolean;
  /** When the last packet each way arrives: a later one arrives no earlier (one TCP stream). */
  toBrokerAt: number;
  toClientAt: number;
  /** Queue messages already sent on this connection (each is sent once a connection). */
  readonly sent: Set<number>;
  /** Of those, how many wait for their PUBACK (the inflight window's count). */
  inflight: number;
}

/** `filter` matches `topic` by MQTT's rules (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export interface SimBrokerOptions {
  readonly scheduler: SimScheduler;
  readonly random: Random;
  /** One-way latency of a packet, ms. */
  readonly latencyMs: { readonly min: number; readonly max: number };
  /** Messages sent on a connection and not acknowledged, at most (none: no window). */
  readonly maxInflight?: number;
  readonly record: (line: string) => void;
}

export class SimBroker {
  private readonly sessions = new Map<string, Session>();
  private readonly retained = new Map<string, Message>();
  /** Client ids whose link to the broker is down. */
  private readonly cut = new Set<string>();
  private nextId = 1;
  /** Messages routed, and copies delivered again after a lost PUBACK (for the summary). */
  readonly counts = { routed: 0, redelivered: 0, resent: 0 };

  constructor(private readonly o: SimBrokerOptions) {}

  get scheduler(): SimScheduler {
    return this.o.scheduler;
  }

  /**
   * The function a door's driver connects with (`AppIo.mqttConnect`); `made` hears of each
   * client, so the world can kill it with its process.
   */
  connector(
    made: (client: SimMqttClient) => void,
  ): (url: string, options: IClientOptions) => MqttClient {
    return (_url, options) => {
      const client = new SimMqttClient(this, options);
      made(client);
      return client as unknown as MqttClient;
    };
  }

  /** Cuts a client's link (its connection drops now) or brings it back. */
  setLink(clientId: string, up: boolean): void {
    if (up) {
      this.cut.delete(clientId);
      return;
    }
    this.cut.add(clientId);
    const connection = this.sessions.get(clientId)?.connection;
    if (connection) this.drop(connection, true);
  }

  linkUp(clientId: string): boolean {
    return !this.cut.has(clientId);
  }

  /** When a packet sent now on `connection` arrives, one way or the other. */
  private arrival(connection: Connection, way: 'toBrokerAt' | 'toClientAt'): number {
    const { min, max } = this.o.latencyMs;
    const at = Math.max(this.o.scheduler.now() + this.o.random.int(min, max), connection[way]);
    connection[way] = at;
    return at;
  }

  /** Runs `work` when a packet sent now arrives, if its connection is still open then. */
  send(connection: Connection, way: 'toBroker' | 'toClient', work: () => void): void {
    const at = this.arrival(connection, way === 'toBroker' ? 'toBrokerAt' : 'toClientAt');
    this.o.scheduler.schedule(() => {
      if (connection.open) work();
    }, at - this.o.scheduler.now());
  }

  /** A CONNECT that reached the broker: the session taken over or made, then the CONNACK. */
  connect(client: SimMqttClient, clean: boolean, will: Message | null): Connection | null {
    const clientId = client.clientId;
    if (this.cut.has(clientId)) return null;
    let session = this.sessions.get(clientId);
    const present = session !== undefined && !clean;
    if (session?.connection) this.drop(session.connection, false);
    if (session === undefined || clean) {
      session = { clientId, subscriptions: [], queue: [], connection: null };
      this.sessions.set(clientId, session);
    }
    const connection: Connection = {
      client,
      open: true,
      toBrokerAt: 0,
      toClientAt: 0,
      sent: new Set(),
      inflight: 0,
    };
    session.connection = connection;
    client.will = will;
    this.o.record(`broker: ${clientId} connected (session ${present ? 'present' : 'new'})`);
    this.send(connection, 'toClient', () => {
      client.connacked(connection, present);
      this.flush(session);
    });
    return connection;
  }

  /** A connection lost: the client hears it, and the will goes out unless it said goodbye. */
  drop(connection: Connection, withWill: boolean): void {
    if (!connection.open) return;
    connection.open = false;
    const client = connection.client;
    const session = this.sessions.get(client.clientId);
    if (session?.connection === connection) session.connection = null;
    this.o.record(`broker: ${client.clientId} lost its connection`);
    if (withWill && client.will !== null) this.publish(client.clientId, client.will);
    client.lost(connection);
  }

  /** DISCONNECT: a clean goodbye (no will). */
  disconnect(connection: Connection): void {
    connection.client.will = null;
    this.drop(connection, false);
  }

  subscribe(connection: Connection, filter: string, noLocal: boolean): void {
    const session = this.sessions.get(connection.client.clientId);
    if (session === undefined) return;
    if (!session.subscriptions.some((s) => s.filter === filter))
      session.subscriptions.push({ filter, noLocal });
    for (const message of this.retained.values())
      if (topicMatches(filter, message.topic)) session.queue.push(message);
    this.flush(session);
  }

  /** A PUBLISH that reached the broker: kept if retained, routed to every matching session. */
  publish(from: string, message: Omit<Message, 'id'>): void {
    const routed: Message = { ...message, id: this.nextId++ };
    if (message.retain) {
      if (message.payload.length === 0) this.retained.delete(message.topic);
      else this.retained.set(message.topic, routed);
    }
    for (const session of this.sessions.values()) {
      const matching = session.subscriptions.filter((s) => topicMatches(s.filter, message.topic));
      if (matching.length === 0 || matching.every((s) => s.noLocal && session.clientId === from))
        continue;
      session.queue.push(routed);
      this.counts.routed += 1;
      this.flush(session);
    }
  }

  /**
   * Sends a session's queue on its connection: each message once a connection, in order, as
   * many as the inflight window has room for; each PUBACK makes room for the next.
   */
  private flush(session: Session): void {
    const connection = session.connection;
    if (connection === null) return;
    const window = this.o.maxInflight ?? Infinity;
    for (const message of session.queue) {
      if (connection.inflight >= window) return;
      if (connection.sent.has(message.id)) continue;
      connection.sent.add(message.id);
      connection.inflight += 1;
      this.send(connection, 'toClient', () => {
        connection.client.deliver(connection, message, () => {
          this.send(connection, 'toBroker', () => {
            const i = session.queue.findIndex((m) => m.id === message.id);
            if (i >= 0) session.queue.splice(i, 1);
            connection.inflight -= 1;
            this.flush(session);
          });
        });
      });
    }
  }

  /** Counts a message sent to a session again on a new connection. */
  noteRedelivery(): void {
    this.counts.redelivered += 1;
  }
}

type Listener = (...args: unknown[]) => void;

interface Outgoing {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly callback: ((error?: Error | null) => void) | undefined;
}

/**
 * What a door's driver holds instead of an MQTT.js client: `connected`, `on`, `publish`,
 * `subscribe`, `end` and the `handleMessage` hook, with MQTT.js's reconnection (every
 * `reconnectPeriod`) and its outgoing store (QoS 1 publishes not acknowledged go again after a
 * reconnection, and their callbacks run when they are).
 */
export class SimMqttClient {
  readonly clientId: string;
  connected = false;
  will: Message | null = null;
  private connection: Connection | null = null;
  private ended = false;
  private connecting = false;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly outgoing = new Map<number, Outgoing>();
  private nextPacketId = 1;
  /** Messages already handed to `handleMessage` on some connection (to count copies). */
  private readonly seen = new Set<number>();

  handleMessage: (packet: IPublishPacket, done: (error?: Error) => void) => void = (_p, done) => {
    done();
  };

  constructor(
    private readonly broker: SimBroker,
    private readonly options: IClientOptions,
  ) {
    this.clientId = options.clientId ?? 'anonymous';
    this.attempt(0);
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }

  /** Tries to connect after `delay` (the first attempt at once, then every reconnectPeriod). */
  private attempt(delay: number): void {
    if (this.ended || this.connecting) return;
    this.connecting = true;
    this.broker.scheduler.schedule(() => {
      this.connecting = false;
      if (this.ended || this.connected) return;
      const will = this.options.will;
      const connection = this.broker.connect(
        this,
        this.options.clean !== false,
        will === undefined
          ? null
          : {
              id: 0,
              topic: will.topic,
              payload: Buffer.from(will.payload),
              retain: will.retain === true,
            },
      );
      if (connection === null) {
        this.emit('offline');
        this.attempt(this.options.reconnectPeriod ?? 1000);
      } else this.connection = connection;
    }, delay);
  }

  /** The CONNACK arrived. */
  connacked(connection: Connection, sessionPresent: boolean): void {
    this.connected = true;
    this.emit('connect', { sessionPresent });
    // MQTT.js's outgoing store: what was not acknowledged goes again.
    for (const out of [...this.outgoing.values()]) {
      this.broker.counts.resent += 1;
      this.transmit(connection, out);
    }
  }

  /** The connection was lost (the broker dropped it, or this client ended it). */
  lost(connection: Connection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    const was = this.connected;
    this.connected = false;
    if (was) this.emit('offline');
    this.emit('close');
    this.attempt(this.options.reconnectPeriod ?? 1000);
  }

  publish(
    topic: string,
    payload: string | Buffer,
    opts: { qos?: number; retain?: boolean } = {},
    callback?: (error?: Error | null) => void,
  ): this {
    const out: Outgoing = {
      id: this.nextPacketId++,
      topic,
      payload: Buffer.from(payload),
      retain: opts.retain === true,
      callback,
    };
    this.outgoing.set(out.id, out);
    if (this.connection !== null && this.connected) this.transmit(this.connection, out);
    return this;
  }

  private transmit(connection: Connection, out: Outgoing): void {
    this.broker.send(connection, 'toBroker', () => {
      this.broker.publish(this.clientId, {
        topic: out.topic,
        payload: out.payload,
        retain: out.retain,
      });
      // The PUBACK.
      this.broker.send(connection, 'toClient', () => {
        if (!this.outgoing.delete(out.id)) return;
        out.callback?.(null);
      });
    });
  }

  subscribe(
    filter: string,
    opts: { qos?: number; nl?: boolean } = {},
    callback?: (error: Error | null, granted: { topic: string; qos: number }[]) => void,
  ): this {
    const connection = this.connection;
    // The driver subscribes on 'connect'; anything else is a misuse this model does not queue.
    if (connection === null || !this.connected)
      throw new Error(`SimMqttClient ${this.clientId}: subscribe while not connected`);
    this.broker.send(connection, 'toBroker', () => {
      this.broker.subscribe(connection, filter, opts.nl === true);
      this.broker.send(connection, 'toClient', () => {
        callback?.(null, [{ topic: filter, qos: opts.qos ?? 0 }]);
      });
    });
    return this;
  }

  /** A message the broker sent on `connection`: handed to the driver; its PUBACK on `done`. */
  deliver(connection: Connection, message: Message, acknowledged: () => void): void {
    if (this.connection !== connection) return;
    if (this.seen.has(message.id)) this.broker.noteRedelivery();
    this.seen.add(message.id);
    const packet = {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: 1,
      retain: message.retain,
      dup: false,
      messageId: message.id,
    } as IPublishPacket;
    this.handleMessage(packet, (error) => {
      if (error === undefined) acknowledged();
    });
  }

  /** A clean goodbye (`end(false)`, the driver's only call): what is in flight finishes first. */
  end(): this {
    this.ended = true;
    const connection = this.connection;
    if (connection !== null)
      this.broker.send(connection, 'toBroker', () => {
        this.broker.disconnect(connection);
      });
    return this;
  }

  /** The process died: the connection is left to the broker to notice (at once, here). */
  kill(): void {
    this.ended = true;
    const connection = this.connection;
    if (connection !== null) this.broker.drop(connection, true);
  }
}
