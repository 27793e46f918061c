/**
 * The options of `npm run simulate` (cli.ts), read strictly: an option it does
 * not know, or one without its value, is an error that names it. A typo such
 * as `--day 120` would otherwise run the default seven days a seed and pass,
 * as if it were the long run.
 */

export const usage = `npm run simulate -- [options]

  --seeds N           run seeds FROM..FROM+N-1 (default 10)
  --from N            the first seed of --seeds (default 1)
  --seed N            run one seed (a repro)
  --days N            simulated days a seed (default 7); the long run is --seeds 200 --days 120
  --people N          most people in a plan (default 300)
  --events N          most plan events a day (default 2)
  --path P            run exactly the shrunk plan a failure printed (with --seed)
  --shrink-seconds N  how long to shrink a failure (default 120; 0 = no shrinking)
  --shrink-runs N     a bound on shrinking runs instead of time (the same repro on any machine)
  --jobs N            run seeds in N processes (default 1)
  --trace REGEX       print the matching lines of the run's trace (the failing plan's, or the seed's)
  --ledger FILE       append each finished seed to FILE as a JSON line, and skip the seeds FILE
                      records as passed for the same days, people and events
  --doors N           the simulation with doors instead: N doors and a hub sharing taps through a
                      simulated broker (with --seed(s), --from, --days, --people, --jobs, --trace)
  --help              this text
`;

/** A command line that cannot be run: said in one line, without a stack. */
export class UsageError extends Error {}

export interface Args {
  seeds: number[];
  days: number;
  maxPeople: number;
  eventsPerDay: number;
  shrinkMs: number;
  shrinkRuns: number;
  path: string | undefined;
  jobs: number;
  /** This process is a worker of another (`--jobs`). */
  worker: boolean;
  /** With one seed: print the lines of its trace that match (the failing plan's, if it failed). */
  trace: RegExp | undefined;
  /** Where finished seeds are recorded, and which of them need not run again. */
  ledger: string | undefined;
  /** `--help`: print the usage and run nothing. */
  help: boolean;
  /** `--doors N`: the simulation with doors (test/sim/doors/), N doors and a hub; 0: one clock. */
  doors: number;
}

/** Options with a value (`--seed-list` is how the parent hands a worker its seeds). */
const withValue = [
  'seed',
  'seeds',
  'from',
  'days',
  'people',
  'events',
  'path',
  'shrink-seconds',
  'shrink-runs',
  'jobs',
  'trace',
  'ledger',
  'seed-list',
  'doors',
] as const;
const flags = ['worker', 'help'] as const;

/** The options as given, each checked to be known and to have its value. */
function optionsOf(argv: readonly string[]): Map<string, string> {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--'))
      throw new UsageError(`${arg} is not an option (options start with --; see --help)`);
    const name = arg.slice(2);
    if ((flags as readonly string[]).includes(name)) {
      given.set(name, '');
    } else if ((withValue as readonly string[]).includes(name)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`${arg} needs a value`);
      given.set(name, value);
      i += 1;
    } else {
      const known = [...withValue, ...flags].filter((o) => o !== 'seed-list');
      throw new UsageError(
        `unknown option ${arg} (known: ${known.map((o) => `--${o}`).join(', ')})`,
      );
    }
  }
  return given;
}

export function parseArgs(argv: readonly string[]): Args {
  const given = optionsOf(argv);
  const value = (name: string): string | undefined => given.get(name);
  const number = (name: string, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new UsageError(`--${name} takes a whole number, not ${text}`);
    return n;
  };
  const list = value('seed-list');
  const from = number('from', 1);
  const seeds =
    list !== undefined
      ? list.split(',').map(Number)
      : value('seed') !== undefined
        ? [number('seed', 0)]
        : Array.from({ length: number('seeds', 10) }, (_, i) => from + i);
  return {
    seeds,
    days: Math.max(1, number('days', 7)),
    // With doors, every person taps at them all: 30 is a site's worth.
    maxPeople: Math.max(1, number('people', given.has('doors') ? 30 : 300)),
    eventsPerDay: number('events', 2),
    shrinkMs: number('shrink-seconds', 120) * 1000,
    shrinkRuns: value('shrink-runs') === undefined ? Infinity : number('shrink-runs', 0),
    path: value('path'),
    jobs: Math.max(1, number('jobs', 1)),
    worker: given.has('worker'),
    trace: traceOf(value('trace')),
    ledger: value('ledger'),
    help: given.has('help'),
    doors: doorsOf(given, number('doors', 0)),
  };
}

/** What `--doors` runs with: the options that simulation has, and at least two doors. */
function doorsOf(given: ReadonlyMap<string, string>, doors: number): number {
  if (!given.has('doors')) return 0;
  if (doors < 2 || doors > 26) throw new UsageError(`--doors takes 2 to 26 doors, not ${doors}`);
  const other = ['events', 'path', 'shrink-seconds', 'shrink-runs', 'ledger'].filter((o) =>
    given.has(o),
  );
  if (other.length > 0)
    throw new UsageError(
      `--doors runs the simulation with doors, which has no ${other.map((o) => `--${o}`).join(', ')}`,
    );
  return doors;
}

function traceOf(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new UsageError(`--trace: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
