import { parseArgs, usage } from './sim/args';

describe('npm run simulate: its options', () => {
  it('reads the long run as written in the issue', () => {
    const args = parseArgs(['--seeds', '200', '--days', '120']);
    expect(args.seeds).toHaveLength(200);
    expect(args.seeds[0]).toBe(1);
    expect(args.days).toBe(120);
    expect(args.maxPeople).toBe(300);
  });

  it('refuses an option it does not know, naming it: a typo must not run a different simulation', () => {
    // `--day 120` ran seven days a seed and passed, as if it were the long run.
    expect(() => parseArgs(['--seeds', '200', '--day', '120'])).toThrow(
      /unknown option --day.*--days/s,
    );
    expect(() => parseArgs(['--seeds', '200', '120'])).toThrow(/120.*not an option/);
  });

  it('refuses an option without its value, naming it', () => {
    expect(() => parseArgs(['--days'])).toThrow(/--days needs a value/);
    expect(() => parseArgs(['--seed', '--days', '3'])).toThrow(/--seed needs a value/);
    expect(() => parseArgs(['--days', 'many'])).toThrow(/--days takes a whole number, not many/);
  });

  it('refuses a bad --trace pattern with the option named', () => {
    expect(() => parseArgs(['--seed', '1', '--trace', '('])).toThrow(/--trace: /);
  });

  it('runs the simulation with doors with the options it has, and names those it has not', () => {
    expect(parseArgs(['--doors', '3', '--seeds', '4', '--jobs', '2'])).toMatchObject({
      doors: 3,
      jobs: 2,
      maxPeople: 30,
    });
    expect(() => parseArgs(['--doors', '3', '--ledger', 'x'])).toThrow(/which has no --ledger/);
    expect(() => parseArgs(['--doors', '1'])).toThrow(/--doors takes 2 to 26 doors, not 1/);
  });

  it('answers --help with the usage, which lists every option it reads', () => {
    expect(parseArgs(['--help']).help).toBe(true);
    for (const option of [
      '--seeds',
      '--seed',
      '--days',
      '--from',
      '--people',
      '--events',
      '--jobs',
      '--ledger',
      '--trace',
      '--path',
      '--shrink-seconds',
      '--shrink-runs',
    ])
      expect(usage).toContain(option);
  });
});
