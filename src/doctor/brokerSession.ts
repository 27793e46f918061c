/**
 * The doctor's own short connection to the broker (docs/multi-door.md): MQTT 5,
 * clean start, no session kept, no will, a client id of its own, every step
 * bounded in time. It asks the broker three things (does it answer, does it take
 * this door's login, do its ACLs let the door write and read) and leaves nothing
 * behind: no tap, no retained message, no session.
 */
import type { IClientOptions, MqttClient, Packet } from 'mqtt';
import type { MqttConfig } from '../drivers/mqtt/mqttConfig';
import { connect, sideClientOptions } from '../drivers/mqtt/mqttDriver';

/** How long any one step (connect, probe, subscribe, end) may take. */
export const BROKER_STEP_MS = 5_000;

/** Why there is no connection: a TLS file, the network, the login, or no answer in time. */
export type Connection =
  | { readonly ok: true; readonly client: MqttClient }
  | {
      readonly ok: false;
      readonly stage: 'files' | 'network' | 'refused' | 'timeout';
      readonly message: string;
      /** The CONNACK's reason code when the broker refused. */
      readonly reason?: number;
    };

/** What a step got back: the reason code of the broker's answer, or nothing in time. */
export type Answer = { readonly reason: number } | { readonly reason: null; readonly why: string };

/**
 * The door's login and TLS files (read now, so a missing one is named with its key), but not
 * its session: `badgeclock-<site>-<door>-doctor` so the running door is never taken over (a
 * second connection with the door's own id would kick it off), clean start and a session that
 * ends with the connection, and no will (the door's will says `offline`, retained: a doctor
 * dropping its connection must not say that of a door that runs).
 */
export function doctorClientOptions(
  config: MqttConfig & { readonly mqttUrl: string },
): IClientOptions {
  return {
    ...sideClientOptions(config, `badgeclock-${config.site}-${config.door}-doctor`),
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
    connectTimeout: BROKER_STEP_MS,
  };
}

/** Connects once, within BROKER_STEP_MS; on failure the client is already ended. */
export function connectOnce(
  config: MqttConfig & { readonly mqttUrl: string },
): Promise<Connection> {
  let options: IClientOptions;
  try {
    options = doctorClientOptions(config);
  } catch (error) {
    return Promise.resolve({ ok: false, stage: 'files', message: (error as Error).message });
  }
  return new Promise((resolve) => {
    const client = connect(config.mqttUrl, options);
    let settled = false;
    const settle = (result: Connection): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.ok) client.end(true);
      resolve(result);
    };
    const timer = setTimeout(() => {
      settle({
        ok: false,
        stage: 'timeout',
        message: `no answer within ${BROKER_STEP_MS / 1000} s`,
      });
    }, BROKER_STEP_MS);
    client.once('connect', () => {
      settle({ ok: true, client });
    });
    client.once('error', (error: Error & { code?: string | number }) => {
      // A CONNACK refusal carries its reason code as a number; a socket or TLS error a string.
      settle(
        typeof error.code === 'number'
          ? { ok: false, stage: 'refused', message: error.message, reason: error.code }
          : { ok: false, stage: 'network', message: socketMessage(error) },
      );
    });
    client.once('close', () => {
      settle({
        ok: false,
        stage: 'network',
        message: 'the connection closed before the broker answered',
      });
    });
  });
}

function socketMessage(error: Error & { code?: string | number }): string {
  const code = typeof error.code === 'string' ? error.code : undefined;
  return code === undefined || error.message.includes(code)
    ? error.message
    : `${error.message} (${code})`;
}

/**
 * Whether the broker lets this connection write `topic`, without anything reaching a
 * subscriber: a PUBLISH at QoS 2 with an empty payload, answered by the PUBREC (reason 0, or
 * 135 when the ACL denies it), and never released. Mosquitto (2.0.11, tested) checks the ACL
 * when the PUBLISH arrives and hands a QoS 2 message on only at its PUBREL; without one, the
 * message dies with the session, which ends with this connection (also when the doctor is
 * killed). MQTT.js would send the PUBREL on its own, so the PUBREC is taken before it sees it.
 * The empty payload is not a tap, should a broker ever deliver it: a door would ignore it.
 */
export function writeProbe(client: MqttClient, topic: string): Promise<Answer> {
  return exchange(client, {
    isRequest: (packet) => packet.cmd === 'publish' && packet.topic === topic,
    answerOf: (packet, messageId) => {
      if (packet.cmd !== 'pubrec' || packet.messageId !== messageId) return null;
      // Without its pending entry, MQTT.js ignores the PUBREC: no PUBREL goes out.
      Reflect.deleteProperty(client.outgoing, messageId);
      return { reason: packet.reasonCode ?? 0 };
    },
    send: () => client.publish(topic, Buffer.alloc(0), { qos: 2, retain: false }),
    waitingFor: 'PUBREC',
  });
}

/**
 * The SUBACK's reason code for `filter` at QoS 1 (0x80 and above: refused). Mosquitto 2.0.11
 * (tested, MQTT 5) grants a subscription its ACL denies and then delivers nothing, so a grant
 * does not prove that this door may read; a refusal proves it may not.
 */
export function subscribeProbe(client: MqttClient, filter: string): Promise<Answer> {
  return exchange(client, {
    isRequest: (packet) => packet.cmd === 'subscribe',
    answerOf: (packet, messageId) => {
      if (packet.cmd !== 'suback' || packet.messageId !== messageId) return null;
      const granted: unknown = packet.granted[0];
      return typeof granted === 'number'
        ? { reason: granted }
        : { reason: null, why: 'a SUBACK without a reason code' };
    },
    send: () => client.subscribe(filter, { qos: 1 }, () => undefined),
    waitingFor: 'SUBACK',
  });
}

/**
 * One request and its answer, matched by the message id MQTT.js gave the request as it went
 * out; nothing in BROKER_STEP_MS is an answer too. The listeners go with the answer.
 */
function exchange(
  client: MqttClient,
  o: {
    readonly isRequest: (packet: Packet) => boolean;
    readonly answerOf: (packet: Packet, messageId: number) => Answer | null;
    readonly send: () => void;
    readonly waitingFor: string;
  },
): Promise<Answer> {
  return new Promise((resolve) => {
    let messageId: number | undefined;
    const sent = (packet: Packet): void => {
      if (o.isRequest(packet)) messageId = packet.messageId;
    };
    const received = (packet: Packet): void => {
      if (messageId === undefined) return;
      const answer = o.answerOf(packet, messageId);
      if (answer !== null) done(answer);
    };
    const timer = setTimeout(() => {
      done({ reason: null, why: `no ${o.waitingFor} within ${BROKER_STEP_MS / 1000} s` });
    }, BROKER_STEP_MS);
    const done = (answer: Answer): void => {
      clearTimeout(timer);
      client.off('packetsend', sent);
      client.off('packetreceive', received);
      resolve(answer);
    };
    client.on('packetsend', sent);
    client.on('packetreceive', received);
    o.send();
  });
}

/** Ends the connection with a DISCONNECT (the session goes with it), or drops it after BROKER_STEP_MS. */
export function endConnection(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, BROKER_STEP_MS);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
