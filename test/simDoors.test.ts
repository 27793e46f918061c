/**
 * The simulation with doors (test/sim/doors/, rule 15): doors and a hub, each
 * the real clock with its own store and the real MQTT driver, sharing taps
 * through a simulated broker in virtual time, with link cuts, broker outages,
 * kills mid-publish and restarts. A fixed set of seeds runs here; `npm run
 * simulate -- --doors 3` runs any number of them.
 */
import { runDoors, type DoorsPlan } from './sim/doors/doorsWorld';
import { topicMatches } from './sim/doors/simBroker';

jest.setTimeout(120_000);

/** Seeds x days here: together they supersede sessions, resend and redeliver (checked below). */
const SEEDS = [5, 6, 7];
const plan = (seed: number): DoorsPlan => ({ seed, days: 3, doors: 3, people: 25, hub: true });

describe('the simulation with doors', () => {
  it('gives the same run, event for event, for the same seed', async () => {
    const small: DoorsPlan = { seed: 11, days: 1, doors: 2, people: 8, hub: true };
    const first = await runDoors(small);
    const second = await runDoors(small);
    expect(first.stats.taps).toBeGreaterThan(0);
    expect(second.traceHash).toBe(first.traceHash);
  });

  it('finds every door, the hub, its sheet and the manager’s corrections as the merged tap log makes them', async () => {
    const totals = {
      superseded: 0,
      madeAgain: 0,
      redelivered: 0,
      resent: 0,
      partitions: 0,
      kills: 0,
      fixesApplied: 0,
    };
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const result = await runDoors(plan(seed));
      for (const key of Object.keys(totals) as (keyof typeof totals)[])
        totals[key] += result.stats[key];
      failures.push(...result.violations.map((v) => `seed ${seed}: ${v}`));
    }
    expect(failures).toEqual([]);
    // The seeds reach what the check is for: late taps refolded (sessions superseded, and made
    // again by a later refold), copies dropped, faults.
    expect(totals.superseded).toBeGreaterThan(0);
    expect(totals.madeAgain).toBeGreaterThan(0);
    expect(totals.redelivered).toBeGreaterThan(0);
    expect(totals.resent).toBeGreaterThan(0);
    expect(totals.partitions).toBeGreaterThan(0);
    expect(totals.kills).toBeGreaterThan(0);
    expect(totals.fixesApplied).toBeGreaterThan(0);
  });
});

describe('the simulated broker', () => {
  it('matches topic filters as MQTT does', () => {
    expect(topicMatches('badgeclock/site/taps/+', 'badgeclock/site/taps/door-a')).toBe(true);
    expect(topicMatches('badgeclock/site/taps/+', 'badgeclock/site/taps')).toBe(false);
    expect(topicMatches('badgeclock/site/taps/+', 'badgeclock/site/taps/a/b')).toBe(false);
    expect(topicMatches('badgeclock/site/#', 'badgeclock/site/doors/a/state')).toBe(true);
    expect(topicMatches('badgeclock/other/#', 'badgeclock/site/taps/a')).toBe(false);
  });
});
