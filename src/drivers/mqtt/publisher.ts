/**
 * Publishing from a table of the store to one topic (mqttDriver.ts): a door's
 * own taps, the hub's corrections. In seq order after the cursor the broker
 * last acknowledged, at QoS 1, `window` of them in flight; the cursor moves
 * only past messages the broker acknowledged, all of them before it too (acks
 * come in order on one connection; the cursor never passes one still in
 * flight). After a restart or a refusal, everything after the cursor goes
 * again: receivers drop copies by id.
 */
import type { MqttClient } from 'mqtt';
import type { Log } from '../../log';

export interface PublisherOptions {
  readonly client: MqttClient;
  readonly topic: string;
  readonly window: number;
  readonly retryMs: number;
  readonly log: Log;
  /** The messages after the cursor (or after `after`), oldest first, at most `limit`. */
  readonly rows: (limit: number, after?: number) => { seq: number; message: string }[];
  /** The broker acknowledged every message up to `seq`: the cursor moves there. */
  readonly published: (seq: number) => void;
  /** How a refused message is named in the log, and what the ACL must allow. */
  readonly refusal: (seq: number) => { readonly what: string; readonly fix: string };
  /** Every message after the cursor acknowledged. */
  readonly drained?: () => void;
}

export interface Publisher {
  /** Look for more to publish (something was committed). */
  pump(): void;
  /** From the cursor again (a new connection, or after a refusal). */
  restart(): void;
  stop(): void;
}

export function makePublisher(o: PublisherOptions): Publisher {
  const inFlight = new Set<number>();
  let sent: number | null = null; // the last seq handed to MQTT.js this connection
  let refusedUntil = 0;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;

  const acked = (seq: number): void => {
    // A copy sent before a restart of the window: the window's own copy moves the cursor.
    if (!inFlight.delete(seq)) return;
    const floor = inFlight.size === 0 ? (sent ?? seq) : Math.min(...inFlight) - 1;
    o.published(floor);
    pump();
    if (inFlight.size === 0) o.drained?.();
  };
  const refused = (seq: number, error: Error): void => {
    const { what, fix } = o.refusal(seq);
    o.log.error(
      `mqtt: the broker refused ${what} (${error.message}); trying again in ${o.retryMs / 1000} s. ${fix}`,
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
      const rows = o.rows(o.window - inFlight.size, ...(sent === null ? [] : [sent]));
      if (rows.length === 0) return;
      for (const row of rows) {
        sent = row.seq;
        inFlight.add(row.seq);
        o.client.publish(o.topic, row.message, { qos: 1 }, (error) => {
          // MQTT.js passes null, not undefined, for a PUBACK that took it.
          if (error instanceof Error) refused(row.seq, error);
          else acked(row.seq);
        });
      }
    }
  }
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
