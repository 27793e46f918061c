/**
 * Outbox entries for tests, built the way the reducer builds them (streams/commit.ts):
 * the key from the kind and the session, the session id from the card and the clock-in
 * unless a test names its own. Tests keep their own short wrappers for their own shapes.
 */
import type { OutboxEntry } from '../../streams/commit';
import { sessionId } from '../../streams/sessionIds';

type Opened = Extract<OutboxEntry, { kind: 'session-opened' }>;
type Closed = Extract<OutboxEntry, { kind: 'session-closed' }>;

/** A clock-in's entry: `card` at `inAt`, unnamed, at reader `door`, unless told otherwise. */
export function openedEntry(
  given: Pick<Opened, 'card' | 'inAt'> & Partial<Omit<Opened, 'kind' | 'key'>>,
): OutboxEntry {
  const session = given.session ?? sessionId(given.card, given.inAt);
  return {
    kind: 'session-opened',
    key: `open:${session}`,
    session,
    card: given.card,
    name: given.name ?? null,
    inAt: given.inAt,
    reader: given.reader ?? 'door',
  };
}

/** A clock-out's entry: `card` from `inAt` to `outAt`, status `out`, unless told otherwise. */
export function closedEntry(
  given: Pick<Closed, 'card' | 'inAt' | 'outAt'> & Partial<Omit<Closed, 'kind' | 'key'>>,
): OutboxEntry {
  const session = given.session ?? sessionId(given.card, given.inAt);
  return {
    kind: 'session-closed',
    key: `close:${session}`,
    session,
    card: given.card,
    inAt: given.inAt,
    outAt: given.outAt,
    status: given.status ?? 'out',
    ...(given.readers === undefined ? {} : { readers: given.readers }),
  };
}
