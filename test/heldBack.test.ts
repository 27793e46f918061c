/**
 * Which outbox entries wait with one held back (streams/heldBack.ts): those
 * that build on it, and nothing else.
 */
import type { OutboxEntry } from '../streams/commit';
import { heldBack } from '../streams/heldBack';
import { closedEntry, openedEntry } from './support/outboxEntries';

const opened = (card: string): OutboxEntry => openedEntry({ card, session: card, inAt: 0 });
const closed = (card: string): OutboxEntry =>
  closedEntry({ card, session: card, inAt: 0, outAt: 1 });
const listed = (card: string): OutboxEntry => ({
  kind: 'card-listed',
  key: `card:${card}`,
  card,
  at: 0,
});
const named = (card: string): OutboxEntry => ({
  kind: 'name-filled',
  key: `name:${card}`,
  card,
  name: 'Ada',
});
const aliased = (card: string): OutboxEntry => ({
  kind: 'alias-added',
  key: `alias:${card}`,
  card,
  alias: 'ALIAS001',
});
const keys = (entries: readonly OutboxEntry[]): string[] => entries.map((entry) => entry.key);

describe('entries held back', () => {
  it('a close waits with its session’s clock-in; another session’s close goes', () => {
    const entries = [opened('B'), closed('A'), closed('B')];
    const split = heldBack(entries, (entry) => entry.key === 'open:B');
    expect(keys(split.wait)).toEqual(['open:B', 'close:B']);
    expect(keys(split.go)).toEqual(['close:A']);
  });

  it('a name waits with its card’s clock-in, an alias with its card’s listing; a clock-in of a card whose listing waits goes', () => {
    const entries = [opened('B'), listed('C'), named('B'), aliased('C'), opened('C'), named('D')];
    const split = heldBack(entries, (entry) => entry.key === 'open:B' || entry.key === 'card:C');
    expect(keys(split.wait)).toEqual(['open:B', 'card:C', 'name:B', 'alias:C']);
    expect(keys(split.go)).toEqual(['open:C', 'name:D']);
  });

  it('nothing held, everything goes, in order', () => {
    const entries = [opened('A'), closed('A'), listed('B')];
    expect(keys(heldBack(entries, () => false).go)).toEqual(keys(entries));
  });
});
