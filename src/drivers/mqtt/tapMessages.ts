/**
 * Taps as they travel between doors: the topics of a site, and the message of
 * one tap (JSON, `v` 1), built here and checked here. A message that is not a
 * tap of the door whose topic it came on is refused with what is wrong.
 */
import { normaliseCardId } from '../../../streams/cardId';
import type { SharedTap } from '../store/store';

/** Every door's taps: `badgeclock/<site>/taps/<door>`. */
export const tapsTopic = (site: string, door: string): string => `badgeclock/${site}/taps/${door}`;
/** What a door subscribes to: every door's taps. */
export const allTapsTopic = (site: string): string => `badgeclock/${site}/taps/+`;
/** A door's state, retained: `online` while connected, `offline` its will. */
export const stateTopic = (site: string, door: string): string =>
  `badgeclock/${site}/doors/${door}/state`;

/** The hub's state, retained, as a door's. */
export const hubStateTopic = (site: string): string => `badgeclock/${site}/hub/state`;

/** Where a door (or the hub) says whether it is online. */
export const presenceTopic = (site: string, door: string, role: 'door' | 'hub'): string =>
  role === 'hub' ? hubStateTopic(site) : stateTopic(site, door);

/** The message of one of this door's taps (`seq` is its row in this door's taps table). */
export function tapMessage(
  door: string,
  tap: { seq: number; card: string; reader: string; at: number },
): string {
  const { seq, card, reader, at } = tap;
  return JSON.stringify({ v: 1, id: `${door}:${seq}`, door, seq, card, reader, at });
}

export type Parsed =
  { readonly ok: true; readonly tap: SharedTap } | { readonly ok: false; readonly reason: string };

/** A message's fields, when it is a JSON object of version 1 (every message between doors). */
export function messageOf(
  payload: Buffer,
):
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not an object' };
  const fields = value as Record<string, unknown>;
  if (fields.v !== 1) return { ok: false, reason: `unknown version ${JSON.stringify(fields.v)}` };
  return { ok: true, fields };
}

/** The tap a message on `topic` carries, or why it is none. */
export function parseTapMessage(site: string, topic: string, payload: Buffer): Parsed {
  const prefix = `badgeclock/${site}/taps/`;
  if (!topic.startsWith(prefix)) return { ok: false, reason: 'not a taps topic of this site' };
  const door = topic.slice(prefix.length);
  const message = messageOf(payload);
  if (!message.ok) return message;
  const m = message.fields;
  if (m.door !== door)
    return { ok: false, reason: `door ${JSON.stringify(m.door)} on ${door}'s topic` };
  if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 1) {
    return { ok: false, reason: 'seq is not a positive integer' };
  }
  if (m.id !== `${door}:${m.seq}`)
    return { ok: false, reason: `id ${JSON.stringify(m.id)} is not "${door}:${m.seq}"` };
  const card = typeof m.card === 'string' ? normaliseCardId(m.card) : null;
  if (card === null || !card.ok || card.card !== m.card) {
    return { ok: false, reason: 'card is not a card id as a door gives it' };
  }
  if (typeof m.reader !== 'string' || m.reader.trim() === '' || m.reader.length > 100) {
    return { ok: false, reason: 'reader is not a reader name' };
  }
  // A time a Date can hold: the feedback and the store write it as a date.
  if (typeof m.at !== 'number' || !Number.isSafeInteger(m.at) || m.at <= 0 || m.at > 8.64e15) {
    return { ok: false, reason: 'at is not a time in milliseconds' };
  }
  return {
    ok: true,
    tap: { id: m.id, door, seq: m.seq, card: card.card, reader: m.reader, at: m.at },
  };
}
