/**
 * Which outbox entries must wait with others held back: a later entry must not
 * reach the sheet before an earlier one it builds on. A close before its
 * session's row is written would be taken for a row a person deleted, and
 * dropped; a name before the card's row, or an alias before the card's People
 * row, would find nothing to write into.
 */
import type { OutboxEntry } from './commit';

/** The session an entry is about, if any. */
const sessionOf = (entry: OutboxEntry): string | null =>
  'session' in entry ? entry.session : null;

/**
 * Splits entries, in order, into those that may go and those that wait: an entry waits when
 * `holds` says so, or when it is about the session of an earlier entry that waits, or (a
 * name, an alias, a card listed: entries of a card, not of a session) about its card.
 */
export function heldBack(
  entries: readonly OutboxEntry[],
  holds: (entry: OutboxEntry) => boolean,
): { readonly go: OutboxEntry[]; readonly wait: OutboxEntry[] } {
  const sessions = new Set<string>();
  const cards = new Set<string>();
  const go: OutboxEntry[] = [];
  const wait: OutboxEntry[] = [];
  for (const entry of entries) {
    const session = sessionOf(entry);
    const follows = session === null ? cards.has(entry.card) : sessions.has(session);
    if (!holds(entry) && !follows) {
      go.push(entry);
      continue;
    }
    wait.push(entry);
    cards.add(entry.card);
    if (session !== null) sessions.add(session);
  }
  return { go, wait };
}
