/**
 * Doors saying whether they are online (docs/multi-door.md): a retained
 * message on `badgeclock/<site>/doors/<door>/state`, `online` with the door's
 * backlog (its taps the broker has not acknowledged) when it connects and when
 * it has caught up, `offline` as its will. Every door keeps the others' last
 * word in its store, so `status` can say where each door stands.
 */
import { stateTopic } from './tapMessages';

/** Every door's state. */
export const allStatesTopic = (site: string): string => stateTopic(site, '+');

export interface Presence {
  readonly door: string;
  readonly state: 'online' | 'offline';
  /** The door's own time of the message; null for a will (the broker sends it, later). */
  readonly at: number | null;
  /** Taps of that door not yet acknowledged by the broker, when it said. */
  readonly backlog: number | null;
}

/** This door's word: online with its backlog, or the will's offline. */
export function presenceMessage(
  state: 'online' | 'offline',
  at?: number,
  backlog?: number,
): string {
  return JSON.stringify({
    state,
    ...(at === undefined ? {} : { at }),
    ...(backlog === undefined ? {} : { backlog }),
  });
}

/** Another door's word on `topic`, or null when the topic or message is not one. */
export function parsePresence(site: string, topic: string, payload: Buffer): Presence | null {
  const match = new RegExp(`^badgeclock/${site}/doors/([A-Za-z0-9_-]{1,64})/state$`).exec(topic);
  if (match === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.state !== 'online' && m.state !== 'offline') return null;
  const number = (x: unknown): number | null =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : null;
  return { door: match[1] ?? '', state: m.state, at: number(m.at), backlog: number(m.backlog) };
}
