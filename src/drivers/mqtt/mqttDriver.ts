/**
 * The MQTT driver (docs/multi-door.md): this door's taps out to the broker,
 * every other door's taps in, as reads for the core.
 *
 * Out: this door's own taps, in id order after the cursor the broker last
 * acknowledged (the store is the outbox: nothing waits in memory only), at
 * QoS 1, a window of them in flight; the cursor moves on each PUBACK. After a
 * restart or a refusal, everything after the cursor goes again: receivers drop
 * copies by id.
 *
 * In: a persistent session (a fixed client id, no clean start, a week's
 * session expiry), so the broker keeps what this door misses while it is away.
 * Each message is written to the store's inbox before MQTT.js acknowledges it
 * (`handleMessage` runs before the PUBACK), so a tap the broker counts as
 * delivered is on disk here; copies are dropped by id there. New ones go to the
 * core as reads with their origin; at start, those received and not yet folded.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { defer, finalize, ignoreElements, merge, Observable, tap } from 'rxjs';
import type { CardRead } from '../../../streams/events';
import type { Log } from '../../log';
import { remoteRead, type Store } from '../store/store';
import type { MqttConfig } from './mqttConfig';
import { allStatesTopic, presenceMessage } from './presence';
import { makeReceiver } from './receiver';
import { allTapsTopic, presenceTopic, tapMessage, tapsTopic } from './tapMessages';

/**
 * MQTT.js, loaded when a clock with a broker starts its driver: a single door (most clocks)
 * never pays for loading it (about 90 ms here, more on a Pi).
 */
export function connect(url: string, options: IClientOptions): MqttClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const mqtt = require('mqtt') as typeof import('mqtt');
  return mqtt.connect(url, options);
}

/** A week: how long the broker keeps a door's session (and its missed taps) while it is away. */
export const SESSION_EXPIRY_S = 7 * 24 * 3600;

export interface MqttDriverOptions {
  readonly config: MqttConfig & { readonly mqttUrl: string };
  /** The hub has no taps of its own, and a broker session of its own (one hub per site). */
  readonly role?: 'door' | 'hub';
  readonly store: Store;
  readonly now: () => number;
  readonly log: Log;
  /** How many own taps may wait for their PUBACK at once. */
  readonly window?: number;
  /** After the broker refused a tap (its ACL), how long before trying again. */
  readonly retryMs?: number;
  /** Between two connection attempts. */
  readonly reconnectMs?: number;
  /** How to reach the broker: MQTT.js (`connect` above) unless told; the simulation's broker. */
  readonly connect?: (url: string, options: IClientOptions) => MqttClient;
}

/** MQTT.js's options: a persistent session, the door's will, login and TLS files read now. */
export function clientOptions(
  config: MqttDriverOptions['config'],
  reconnectMs: number,
  role: 'door' | 'hub' = 'door',
): IClientOptions {
  const { site, door } = config;
  const file = (key: 'mqttCaFile' | 'mqttCertFile' | 'mqttKeyFile'): Buffer | undefined => {
    const path = config[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(
        `${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        { cause: error },
      );
    }
  };
  const ca = file('mqttCaFile');
  const cert = file('mqttCertFile');
  const key = file('mqttKeyFile');
  return {
    clientId: role === 'hub' ? `badgeclock-${site}-hub` : `badgeclock-${site}-${door}`,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: SESSION_EXPIRY_S },
    reconnectPeriod: reconnectMs,
    connectTimeout: 30_000,
    ...(config.mqttUsername === undefined ? {} : { username: config.mqttUsername }),
    ...(config.mqttPassword === undefined ? {} : { password: config.mqttPassword }),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    will: {
      topic: presenceTopic(site, door, role),
      payload: Buffer.from(presenceMessage('offline')),
      qos: 1,
      retain: true,
    },
  };
}

/**
 * Options for a side connection of this clock (Home Assistant's, doctor's): the same broker
 * login and TLS files (read now), its own client id, a clean start and no will (it must never
 * say the door is offline).
 */
export function sideClientOptions(
  config: MqttDriverOptions['config'],
  clientId: string,
): IClientOptions {
  const options: IClientOptions = {
    ...clientOptions(config, 5_000),
    clientId,
    clean: true,
    properties: {},
  };
  delete options.will;
  return options;
}

/**
 * The driver: `ownTaps$` says when this door committed taps of its own (each emission: look
 * for more to publish); the result is every other door's tap, as a read with its origin.
 */
export function makeMqttDriver(
  options: MqttDriverOptions,
): (ownTaps$: Observable<unknown>) => Observable<CardRead> {
  const { config, store, now, log } = options;
  const window = options.window ?? 100;
  const retryMs = options.retryMs ?? 60_000;
  const reconnectMs = options.reconnectMs ?? 5_000;
  const { site, door } = config;

  return (ownTaps$) =>
    defer(() => {
      // Before any tap of this run is committed: they are all published, earlier ones not.
      store.publishCursor();
      const client: MqttClient = (options.connect ?? connect)(
        config.mqttUrl,
        clientOptions(config, reconnectMs, options.role),
      );
      // Connected with a backlog: once it is all acknowledged, the door says it caught up.
      let catchingUp = false;
      const presence = presenceTopic(site, door, options.role ?? 'door');
      const publisher = makePublisher({
        client,
        store,
        door,
        topic: tapsTopic(site, door),
        window,
        retryMs,
        log,
        drained: () => {
          if (!catchingUp) return;
          catchingUp = false;
          client.publish(presence, presenceMessage('online', now(), 0), { qos: 1, retain: true });
        },
      });
      const receive = makeReceiver({ site, door, role: options.role ?? 'door', store, now, log });
      const remote$ = new Observable<CardRead>((subscriber) => {
        // Received before a restart, not folded yet: the core takes them first.
        for (const tap of store.inboxWaiting()) subscriber.next(remoteRead(tap));
        client.handleMessage = (packet: IPublishPacket, done: (error?: Error) => void): void => {
          try {
            const read = receive(packet);
            if (read !== null) subscriber.next(read);
            done();
          } catch (error) {
            // Not on disk: no PUBACK, so the broker delivers it again.
            log.error(`mqtt: could not keep a message from ${packet.topic}: ${String(error)}`);
            done(error instanceof Error ? error : new Error(String(error)));
          }
        };
        watchConnection(client, {
          config,
          log,
          now,
          presence,
          backlog: () => store.publishBacklog(),
          connected: (backlog) => {
            catchingUp = backlog > 0;
            publisher.restart();
          },
        });
      });
      // Each of this door's commits with a tap of its own: look for more to publish.
      const pulses$ = ownTaps$.pipe(
        tap(() => {
          publisher.pump();
        }),
        ignoreElements(),
      );
      return merge(remote$, pulses$).pipe(
        finalize(() => {
          publisher.stop();
          // A clean disconnect sends no will: say it, then go (end waits for what is in flight).
          if (client.connected) {
            client.publish(presence, presenceMessage('offline', now()), { qos: 1, retain: true });
          }
          client.end(false);
        }),
      );
    });
}

/**
 * On each connection: subscribe to every door's taps, say this door is online (retained; the
 * will says offline), and publish from the cursor again. Errors are logged when they change,
 * not at every reconnection attempt of a days-long outage.
 */
function watchConnection(
  client: MqttClient,
  o: {
    readonly config: MqttDriverOptions['config'];
    readonly log: Log;
    readonly now: () => number;
    readonly presence: string;
    readonly backlog: () => number;
    readonly connected: (backlog: number) => void;
  },
): void {
  const { site, door, mqttUrl } = o.config;
  let lastError: string | null = null;
  client.on('connect', (connack) => {
    lastError = null;
    o.log.info(`mqtt: connected to ${mqttUrl} as door ${door} of site ${site}`, {
      sessionPresent: connack.sessionPresent,
    });
    client.subscribe(allTapsTopic(site), { qos: 1, nl: true }, (error, granted) => {
      const refused = granted?.find((g) => g.qos >= 0x80);
      if (error === null && refused === undefined) {
        o.log.info(`mqtt: subscribed to ${allTapsTopic(site)}`);
      } else {
        o.log.error(
          `mqtt: cannot subscribe to ${allTapsTopic(site)} (${error?.message ?? `reason ${String(refused?.qos)}`}): this door will not see the other doors' taps. Check the broker's ACL`,
        );
      }
    });
    // Every door's state too: where each stands, for `status` (README's ACL lets doors read it).
    client.subscribe(allStatesTopic(site), { qos: 1, nl: true });
    const backlog = o.backlog();
    client.publish(o.presence, presenceMessage('online', o.now(), backlog), {
      qos: 1,
      retain: true,
    });
    o.connected(backlog);
  });
  client.on('error', (error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    o.log.warn(`mqtt: ${error.message}`);
  });
  client.on('offline', () => {
    if (lastError === 'offline') return;
    lastError = 'offline';
    o.log.warn(`mqtt: broker ${mqttUrl} unreachable; taps wait in the store`);
  });
}

interface PublisherOptions {
  readonly client: MqttClient;
  readonly store: Store;
  readonly door: string;
  readonly topic: string;
  readonly window: number;
  readonly retryMs: number;
  readonly log: Log;
  /** Every tap after the cursor acknowledged. */
  readonly drained: () => void;
}

/**
 * This door's taps to the broker, in id order, `window` at a time. The store's cursor moves
 * only past taps the broker acknowledged, all of them before it too (acks come in order on one
 * connection; the cursor never passes one still in flight).
 */
function makePublisher(o: PublisherOptions): { pump(): void; restart(): void; stop(): void } {
  const inFlight = new Set<number>();
  let sent: number | null = null; // the last seq handed to MQTT.js this connection
  let refusedUntil = 0;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;

  const acked = (seq: number): void => {
    // A copy sent before a restart of the window: the window's own copy moves the cursor.
    if (!inFlight.delete(seq)) return;
    const floor = inFlight.size === 0 ? (sent ?? seq) : Math.min(...inFlight) - 1;
    o.store.published(floor);
    pump();
    if (inFlight.size === 0) o.drained();
  };
  const refused = (seq: number, error: Error): void => {
    o.log.error(
      `mqtt: the broker refused tap ${o.door}:${seq} (${error.message}); trying again in ${o.retryMs / 1000} s. Check the broker's ACL: door ${o.door} must write ${o.topic}`,
    );
    refusedUntil = Date.now() + o.retryMs;
    retry ??= setTimeout(() => {
      retry = null;
      restart();
    }, o.retryMs);
  };
  function pump(): void {
    if (stopped || !o.client.connected || Date.now() < refusedUntil) return;
    while (inFlight.size < o.window) {
      const rows = o.store.tapsToPublish(
        o.window - inFlight.size,
        ...(sent === null ? [] : [sent]),
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        sent = row.seq;
        inFlight.add(row.seq);
        o.client.publish(o.topic, tapMessage(o.door, row), { qos: 1 }, (error) => {
          // MQTT.js passes null, not undefined, for a PUBACK that took it.
          if (error instanceof Error) refused(row.seq, error);
          else acked(row.seq);
        });
      }
    }
  }
  /** From the cursor again (a new connection, or after a refusal): copies are dropped by id. */
  function restart(): void {
    inFlight.clear();
    sent = null;
    refusedUntil = 0;
    pump();
  }
  return {
    pump,
    restart,
    stop: () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
    },
  };
}
