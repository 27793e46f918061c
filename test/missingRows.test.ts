/** The Edits notice for a session whose Log row is gone (rule 13): one per session, keyed. */
import type { OutboxEntry } from '../streams/commit';
import { missingRowNotices } from '../streams/missingRows';

const NOW = Date.parse('2026-03-23T18:00:00Z');

describe('the notice for a session whose row is gone', () => {
  it('is one line per session, keyed by it, with how to void it; entries not about a session give none', () => {
    const dropped: OutboxEntry[] = [
      {
        kind: 'session-closed',
        key: 'close:s1',
        session: 's1',
        card: 'C1',
        inAt: 0,
        outAt: 1,
        status: 'out',
      },
      { kind: 'card-followed', key: 'follow:s1:C2', session: 's1', card: 'C2' },
      { kind: 'card-listed', key: 'card:C3', card: 'C3', at: 0 },
      {
        kind: 'session-opened',
        key: 'open:s2',
        session: 's2',
        card: 'C4',
        name: 'Ada',
        inAt: 0,
        reader: 'door',
      },
    ];
    const lines = missingRowNotices(dropped, NOW);
    expect(lines.map((l) => [l.key, l.session, l.name, l.new])).toEqual([
      ['gone:s1', 's1', null, 'row missing'],
      ['gone:s2', 's2', 'Ada', 'row missing'],
    ]);
    expect(lines[0]?.result).toMatch(/still counts; to take it out: badgeclock fix s1 --void/);
    expect(lines[0]?.seenAt).toBe(NOW);
  });
});
