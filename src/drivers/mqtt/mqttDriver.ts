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
 *
 * A manager's corrections (the hub's, applied there) go the same way: the hub
 * publishes each, in order after its own cursor; a door keeps each one received
 * and hands it to the core, as the hub judged it, once it has the session (at
 * once, or when another door's tap or a refold makes it here).
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { defer, finalize, ignoreElements, merge, Observable, tap } from 'rxjs';
import type { CardRead, CorrectionJudged } from '../../../streams/events';
import type { Log } from '../../log';
import { remoteRead, type Store } from '../store/store';
import { correctionsTopic } from './correctionMessages';
import { correctionsPublisher, releaser } from './correctionSharing';
import type { MqttConfig } from './mqttConfig';
import { allStatesTopic, presenceMessage } from './presence';
import { makePublisher, type Publisher } from './publisher';
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
  /**
   * This clock writes the sheet (the hub, or a door that is the hub instead): it shares the
   * corrections it applies, and takes none. By default, the hub does.
   */
  readonly sharesCorrections?: boolean;
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

/** What a commit of this clock asks of the driver. */
export interface DriverPulse {
  /** It has a tap of this door's own: publish it. */
  readonly ownTaps: boolean;
  /** It applied a correction of this clock's own (the hub's): publish it. */
  readonly corrections: boolean;
  /** It made sessions (a clock-in, a refold): a correction received may have its session now. */
  readonly sessions: boolean;
}

/**
 * The driver: `pulses$` says what this clock committed; the result is every other door's tap,
 * as a read with its origin, and, at a door, the hub's corrections, as the hub judged them.
 */
export function makeMqttDriver(
  options: MqttDriverOptions,
): (pulses$: Observable<DriverPulse>) => Observable<CardRead | CorrectionJudged> {
  const { config, store, now, log } = options;
  const window = options.window ?? 100;
  const retryMs = options.retryMs ?? 60_000;
  const reconnectMs = options.reconnectMs ?? 5_000;
  const role = options.role ?? 'door';
  const shares = options.sharesCorrections ?? role === 'hub';
  const { site, door } = config;

  return (pulses$) =>
    defer(() => {
      // Before any tap of this run is committed: they are all published, earlier ones not.
      store.publishCursor();
      const client: MqttClient = (options.connect ?? connect)(
        config.mqttUrl,
        clientOptions(config, reconnectMs, role),
      );
      // Connected with a backlog: once it is all acknowledged, the door says it caught up.
      let catchingUp = false;
      const presence = presenceTopic(site, door, role);
      const taps = tapsPublisher(client, store, { site, door, window, retryMs, log }, () => {
        if (!catchingUp) return;
        catchingUp = false;
        client.publish(presence, presenceMessage('online', now(), 0), { qos: 1, retain: true });
      });
      // The hub (the sheet's writer) shares the corrections it applies; a door takes them.
      const corrections: Publisher | null = shares
        ? correctionsPublisher(client, store, site, window, retryMs, log)
        : null;
      const receive = makeReceiver({ site, door, role, shares, store, now, log });
      // A door's hand-over of the corrections received (set once subscribed, run on each pulse).
      let release = (): void => {};
      const remote$ = new Observable<CardRead | CorrectionJudged>((subscriber) => {
        // Received before a restart, not taken in yet: the core takes them first.
        for (const tap of store.inboxWaiting()) subscriber.next(remoteRead(tap));
        release = releaser(store, site, log, (c) => {
          subscriber.next(c);
        });
        release();
        client.handleMessage = keeper(
          receive,
          release,
          (read) => {
            subscriber.next(read);
          },
          log,
        );
        watchConnection(client, {
          config,
          shares,
          log,
          now,
          presence,
          backlog: () => store.publishBacklog(),
          connected: (backlog) => {
            catchingUp = backlog > 0;
            taps.restart();
            corrections?.restart();
          },
        });
      });
      // Each of this clock's commits: look for more to publish, and for corrections to apply.
      const pulses = pulses$.pipe(
        tap((pulse) => {
          if (pulse.ownTaps) taps.pump();
          if (pulse.corrections) corrections?.pump();
          if (pulse.sessions) release();
        }),
        ignoreElements(),
      );
      return merge(remote$, pulses).pipe(
        finalize(() => {
          for (const publisher of [taps, corrections]) publisher?.stop();
          goodbye(client, presence, now());
        }),
      );
    });
}

/** A clean disconnect sends no will: say it, then go (end waits for what is in flight). */
function goodbye(client: MqttClient, presence: string, at: number): void {
  if (client.connected) {
    client.publish(presence, presenceMessage('offline', at), { qos: 1, retain: true });
  }
  client.end(false);
}

/** This door's own taps to the broker (publisher.ts); `drained` when all are acknowledged. */
function tapsPublisher(
  client: MqttClient,
  store: Store,
  o: { site: string; door: string; window: number; retryMs: number; log: Log },
  drained: () => void,
): Publisher {
  const topic = tapsTopic(o.site, o.door);
  return makePublisher({
    ...{ client, topic, window: o.window, retryMs: o.retryMs, log: o.log, drained },
    rows: (limit, after) =>
      store
        .tapsToPublish(limit, after)
        .map((row) => ({ ...row, message: tapMessage(o.door, row) })),
    published: (seq) => {
      store.published(seq);
    },
    refusal: (seq) => ({
      what: `tap ${o.door}:${seq}`,
      fix: `Check the broker's ACL: door ${o.door} must write ${topic}`,
    }),
  });
}

/**
 * MQTT.js's hook for each message, run before its PUBACK: kept in the store (`receive`), then
 * handed on. Not kept (an error): no PUBACK, so the broker delivers it again.
 */
function keeper(
  receive: ReturnType<typeof makeReceiver>,
  release: () => void,
  next: (read: CardRead) => void,
  log: Log,
): (packet: IPublishPacket, done: (error?: Error) => void) => void {
  return (packet, done) => {
    try {
      const read = receive(packet);
      if (read === 'correction') release();
      else if (read !== null) next(read);
      done();
    } catch (error) {
      log.error(`mqtt: could not keep a message from ${packet.topic}: ${String(error)}`);
      done(error instanceof Error ? error : new Error(String(error)));
    }
  };
}

/** Subscribes to `topic` at QoS 1, and says whether the broker took it. */
function subscribeLogged(client: MqttClient, topic: string, log: Log, what: string): void {
  client.subscribe(topic, { qos: 1, nl: true }, (error, granted) => {
    const refused = granted?.find((g) => g.qos >= 0x80);
    if (error === null && refused === undefined) {
      log.info(`mqtt: subscribed to ${topic}`);
    } else {
      log.error(
        `mqtt: cannot subscribe to ${topic} (${error?.message ?? `reason ${String(refused?.qos)}`}): this door will not see ${what}. Check the broker's ACL`,
      );
    }
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
    readonly shares: boolean;
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
    subscribeLogged(client, allTapsTopic(site), o.log, "the other doors' taps");
    // Every door's state too: where each stands, for `status` (README's ACL lets doors read it).
    client.subscribe(allStatesTopic(site), { qos: 1, nl: true });
    // A door takes the hub's corrections (its ACL must let it read them); the hub shares them.
    if (!o.shares) {
      subscribeLogged(client, correctionsTopic(site), o.log, "the hub's corrections");
    }
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
