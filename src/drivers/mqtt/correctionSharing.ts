/**
 * The MQTT driver's side of a manager's corrections (mqttDriver.ts,
 * docs/multi-door.md): the hub publishes each one it applied; a door hands
 * each one it received to the core once it has the session.
 */
import type { MqttClient } from 'mqtt';
import type { CorrectionJudged } from '../../../streams/events';
import type { Log } from '../../log';
import type { Store } from '../store/store';
import { correctionMessage, correctionsTopic, parseCorrectionMessage } from './correctionMessages';
import { makePublisher, type Publisher } from './publisher';

/** The hub's publisher of the corrections it applied (sharedCorrections.ts). */
export function correctionsPublisher(
  client: MqttClient,
  store: Store,
  site: string,
  window: number,
  retryMs: number,
  log: Log,
): Publisher {
  const shared = store.sharedCorrections;
  // Before any correction of this run is applied: they are all published, earlier ones not.
  shared.cursor();
  return makePublisher({
    client,
    topic: correctionsTopic(site),
    window,
    retryMs,
    log,
    rows: (limit, after) =>
      shared
        .toPublish(limit, after)
        .map(({ seq, payload }) => ({ seq, message: correctionMessage(seq, payload) })),
    published: (seq) => {
      shared.published(seq);
    },
    refusal: (seq) => ({
      what: `correction hub:${seq}`,
      fix: `Check the broker's ACL: the hub must write ${correctionsTopic(site)}`,
    }),
  });
}

/**
 * Hands the core each correction received whose session this door has, once (a later pulse
 * may find it again before the step that applies it is committed).
 */
export function releaser(
  store: Store,
  site: string,
  log: Log,
  next: (correction: CorrectionJudged) => void,
): () => void {
  const handed = new Set<string>();
  return () => {
    for (const { id, payload } of store.sharedCorrections.ready()) {
      if (handed.has(id)) continue;
      handed.add(id);
      const parsed = parseCorrectionMessage(site, correctionsTopic(site), Buffer.from(payload));
      if (parsed.ok) next(parsed.correction);
      else log.error(`mqtt: correction ${id} as kept cannot be read (${parsed.reason}); skipped`);
    }
  };
}
