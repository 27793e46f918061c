/**
 * Session ids: made of the UTC clock-in instant and the card (`20260323T080000.000Z-A11CE000`),
 * so a session has the same id in a replay, after a restart and in the sheet. Two sessions must
 * never share one (the store's key would stop the clock), though a wall clock stepped back can
 * bring a card's tap onto the very millisecond of one of its earlier clock-ins.
 */
import type { CardMemory } from './sessionState';

/** The id of the session `card` clocked in at `inAt`. */
export function sessionId(card: string, inAt: number): string {
  return `${new Date(inAt).toISOString().replace(/[-:]/g, '')}-${card}`;
}

/** Length of an id's instant and its dash: `20260323T080000.000Z-`. */
const INSTANT = 21;

/** The card and instant an id was made with, or null when it is no session id. */
export function idParts(id: string): { card: string; at: number } | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z-/.exec(id);
  if (m === null || id.length <= INSTANT) return null;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number);
  const at = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0, ms ?? 0);
  return { card: id.slice(INSTANT), at };
}

/** The card and instant each id was made with; what is no session id is left out. */
export function idInstants(ids: readonly string[]): { card: string; at: number }[] {
  return ids.flatMap((id) => idParts(id) ?? []);
}

/**
 * The instant a card's clock-in takes: the tap's, or a millisecond later for each id of the
 * card's that instant would repeat. What the reducer remembers counts: the ids of the card's
 * sessions of the last days (voided and corrected ones too: an id stays as it was made), the
 * recent spans and a session a manager closed. A wall clock stepped back further than that is
 * left to the store's key.
 */
export function freeInstant(at: number, memory: CardMemory): number {
  const taken = new Set([...(memory.idAts ?? []), ...memory.recent.map((span) => span.inAt)]);
  if (memory.fixClosed !== undefined) taken.add(memory.fixClosed.inAt);
  let inAt = at;
  while (taken.has(inAt)) inAt += 1;
  return inAt;
}

/** How far back the ids are remembered: as far as a restart reads them (readSnapshot.ts). */
export const ID_MEMORY_MS = 15 * 24 * 3_600_000;

/** The memory with the instant of a new clock-in's id, without those older than ID_MEMORY_MS. */
export function withIdAt(memory: CardMemory, inAt: number): CardMemory {
  const idAts = (memory.idAts ?? []).filter((t) => t >= inAt - ID_MEMORY_MS);
  return { ...memory, idAts: [...idAts, inAt] };
}
