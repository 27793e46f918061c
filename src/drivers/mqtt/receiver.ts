/**
 * The MQTT driver's receiving side (mqttDriver.ts): each message kept in the
 * store before MQTT.js acknowledges it, and turned into what the core needs.
 */
import type { IPublishPacket } from 'mqtt';
import type { CardRead } from '../../../streams/events';
import type { Log } from '../../log';
import { remoteRead, type Store } from '../store/store';
import { correctionsTopic, parseCorrectionMessage } from './correctionMessages';
import { parsePresence } from './presence';
import { parseTapMessage, tapsTopic } from './tapMessages';

/**
 * What a message received becomes, kept in the store first: another door's word on its state
 * (noted), another door's new tap (in the inbox, then a read for the core), the hub's
 * correction (kept: `correction`, the driver hands it on once this door has its session), or
 * nothing (a copy seen before, this door's own echoed, or a message that is none, logged).
 */
export function makeReceiver(o: {
  readonly site: string;
  readonly door: string;
  readonly role: 'door' | 'hub';
  /** This clock shares its own corrections (it writes the sheet): it takes none. */
  readonly shares: boolean;
  readonly store: Store;
  readonly now: () => number;
  readonly log: Log;
}): (packet: IPublishPacket) => CardRead | 'correction' | null {
  const own = tapsTopic(o.site, o.door);
  return (packet) => {
    const payload = Buffer.from(packet.payload);
    const presence = parsePresence(o.site, packet.topic, payload);
    if (presence !== null) {
      if (presence.door !== o.door) o.store.notePresence(presence, o.now());
      return null;
    }
    if (packet.topic === correctionsTopic(o.site)) {
      if (o.shares) return null; // its own
      const parsed = parseCorrectionMessage(o.site, packet.topic, payload);
      if (!parsed.ok) {
        o.log.warn(`mqtt: ignored a message on ${packet.topic}: ${parsed.reason}`);
        return null;
      }
      const { origin, session } = parsed.correction;
      o.store.sharedCorrections.receive(origin, session, payload.toString('utf8'), o.now());
      return 'correction';
    }
    // This door's own, echoed. (The hub has none: on a door's Pi, with the same host name for its
    // door name, that door's taps are not its own.)
    if (o.role !== 'hub' && packet.topic === own) return null;
    const parsed = parseTapMessage(o.site, packet.topic, payload);
    if (!parsed.ok) {
      o.log.warn(`mqtt: ignored a message on ${packet.topic}: ${parsed.reason}`);
      return null;
    }
    return o.store.addToInbox(parsed.tap, o.now()) ? remoteRead(parsed.tap) : null;
  };
}
