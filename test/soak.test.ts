/**
 * Soak in virtual time: 30 days of 200 people through the one reducer and the
 * real store (minute ticks and all), checking that what the clock keeps in
 * memory stays flat — it must run for months on a Pi.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommit } from '../streams/commit';
import type { ClockEvent } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, type ClockState } from '../streams/sessions';
import { Store } from '../src/drivers/store/store';

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const PEOPLE = Array.from({ length: 200 }, (_, i) => ({
  card: `50AC${String(i).padStart(4, '0')}`,
  name: `Person ${i}`,
  active: true,
  aliases: [],
}));

/** How much the reducer holds, whatever the history: the things that could grow. */
function footprint(state: ClockState): number {
  let spans = 0;
  for (const memory of state.cards.values()) spans += memory.recent.length;
  return (
    state.open.size +
    state.reads.size +
    state.cards.size +
    spans +
    state.listed.size +
    state.unnamed.size
  );
}

describe('a month of use', () => {
  it('30 days of 200 people leave the clock holding no more than after the first days', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badgeclock-soak-'));
    const store = Store.open(join(dir, 'badgeclock.db'));
    const reduce = makeReducer(defaultRules('Europe/Berlin'));
    let state: ClockState = initialState;
    const apply = (event: ClockEvent): void => {
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), event.at);
    };
    apply({ type: 'directoryLoaded', at: START, people: PEOPLE });
    const footprints: number[] = [];
    let taps = 0;
    for (let day = 0; day < 30; day++) {
      const dayStart = START + day * DAY;
      // Everyone comes in around 07:00-08:40 UTC and leaves 8-9 h later; one in ten forgets.
      const reads: ClockEvent[] = [];
      PEOPLE.forEach((person, i) => {
        const inAt = dayStart + 7 * 3_600_000 + ((i * 37 + day * 11) % 100) * 60_000;
        reads.push({ type: 'cardRead', at: inAt, card: person.card, reader: 'door' });
        reads.push({ type: 'cardRead', at: inAt + 1_500, card: person.card, reader: 'door' }); // held
        if ((i + day) % 10 !== 0) {
          reads.push({
            type: 'cardRead',
            at: inAt + 8 * 3_600_000 + (i % 60) * 60_000,
            card: person.card,
            reader: 'door',
          });
        }
      });
      const ticks: ClockEvent[] = Array.from({ length: 1440 }, (_, m) => ({
        type: 'minuteElapsed',
        at: dayStart + (m + 1) * 60_000,
      }));
      for (const event of [...reads, ...ticks].sort((a, b) => a.at - b.at)) {
        if (event.type === 'cardRead') taps += 1;
        apply(event);
      }
      footprints.push(footprint(state));
    }
    const counts = store.counts();
    expect(store.integrityCheck()).toBe('ok');
    store.close();
    rmSync(dir, { recursive: true, force: true });
    expect(taps).toBeGreaterThan(15_000);
    expect(counts.sessions).toBe(30 * 200);
    // After the first days the footprint is flat: each card keeps the spans of the last eight days
    // or so (the week's total at the reader), so days 11-30 never exceed the high-water mark of
    // days 1-10 by more than a person's worth.
    const settled = Math.max(...footprints.slice(0, 10));
    expect(Math.max(...footprints.slice(10))).toBeLessThanOrEqual(settled + 5);
  }, 120_000);
});
