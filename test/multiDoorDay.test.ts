/**
 * A door cut off for a day and then back (docs/multi-door.md), on a real
 * Mosquitto: its day of taps, stamped yesterday, arrives at once at doors that
 * took taps of the same people today. Every door must end with exactly the
 * sessions one clock computes from the merged tap log: `badgeclock replay` of
 * that log is the one clock here, compared session by session.
 */
import { connectAsync } from 'mqtt';
import { comparedOf, oneClock, startDoor, storeOf, type Door } from './support/doors';
import { until } from './support/until';
import { useBroker } from './support/useBroker';
import { useTempDir } from './support/useTempDir';

jest.setTimeout(90_000);

const HOUR = 3_600_000;
const PEOPLE = Array.from({ length: 24 }, (_, i) => `DA70${String(i).padStart(4, '0')}`);

describe('a door cut off for a day, then back', () => {
  const root = useTempDir('doors-day');
  const broker = useBroker();

  it('every door ends with the sessions one clock computes from the merged log', async () => {
    const front = await startDoor('front', broker().url, root());
    const back = await startDoor('back', broker().url, root());
    // Today: everyone clocks in at the front; half of them are still in, half went out at the back.
    front.clock.write(PEOPLE.map((card) => `${card}\n`).join(''));
    await until(() => storeOf(back).sessions.length === PEOPLE.length, { ms: 20_000, everyMs: 50 });
    back.clock.write(
      PEOPLE.slice(0, 12)
        .map((card) => `${card}\n`)
        .join(''),
    );
    await until(() => storeOf(front).sessions.filter((s) => s.status === 'out').length === 12, {
      ms: 20_000,
      everyMs: 50,
    });

    // East was cut off yesterday: in at 07:00-ish, out 8 h later (some forgot), all sent now.
    const now = Date.now();
    const yesterday = now - 30 * HOUR;
    const east = PEOPLE.flatMap((card, i) => {
      const inAt = yesterday + i * 60_000;
      return i % 5 === 4
        ? [{ card, at: inAt }]
        : [
            { card, at: inAt },
            { card, at: inAt + 8 * HOUR },
          ];
    });
    const client = await connectAsync(broker().url, {
      clientId: 'badgeclock-test-east',
      protocolVersion: 5,
    });
    try {
      for (const [i, tap] of east.entries()) {
        const seq = i + 1;
        const message = {
          v: 1,
          id: `east:${seq}`,
          door: 'east',
          seq,
          card: tap.card,
          reader: 'east',
          at: tap.at,
        };
        await client.publishAsync('badgeclock/test/taps/east', JSON.stringify(message), { qos: 1 });
      }
    } finally {
      await client.endAsync();
    }
    const folded = (door: Door): boolean =>
      storeOf(door)
        .inbox.filter((r) => r.id.startsWith('east:'))
        .every((r) => r.folded_at !== null) &&
      storeOf(door).inbox.filter((r) => r.id.startsWith('east:')).length === east.length;
    await until(() => folded(front) && folded(back), { ms: 30_000, everyMs: 100 });

    // The merged log, as one clock would take it: every tap of the store (own and shared).
    expect(storeOf(front).taps).toHaveLength(PEOPLE.length + 12 + east.length);
    const expected = await oneClock(front);
    expect(comparedOf(front)).toEqual(expected);
    expect(comparedOf(back)).toEqual(expected);
    // Yesterday's sessions were added by refolds, each on record; today's answers stood.
    const yesterdays = expected.filter((s) => s.in_at < now - 2 * HOUR).map((s) => s.id);
    expect(yesterdays).toHaveLength(PEOPLE.length);
    for (const door of [front, back]) {
      const merges = storeOf(door).merges;
      expect(new Set(merges.filter((m) => m.change === 'added').map((m) => m.session))).toEqual(
        new Set(yesterdays),
      );
      expect(merges.filter((m) => m.change === 'superseded')).toEqual([]);
    }
    await Promise.all([front.clock.stop(), back.clock.stop()]);
  });
});
