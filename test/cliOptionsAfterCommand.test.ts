/**
 * The built CLI given its options before the command (`badgeclock --data-dir X status`): named,
 * with the command line that works, instead of handed to run as "too many arguments".
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

/** A fixed reader name, and no asking timedatectl. */
const ENV = { BADGECLOCK_READER_NAME: 'front', BADGECLOCK_TIME_SYNC: 'off' };

describe('badgeclock with options before the command', () => {
  const dir = useTempDir('cli-options-first');
  beforeAll(requireBuiltCli);

  /** Runs the CLI and expects exit 2 with the line that works, touching no data directory. */
  async function expectLine(args: readonly string[], fixed: string): Promise<void> {
    const result = await runCli([...args], { cwd: dir(), env: ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: options go after the command: ${fixed}`);
    expect(result.stderr).not.toContain('too many arguments');
    expect(existsSync(join(dir(), 'data'))).toBe(false);
  }

  it('names the command with the options moved after it, quoted for the shell, exit 2', async () => {
    await expectLine(['--data-dir', 'my data', 'status'], "badgeclock status --data-dir 'my data'");
    await expectLine(['-cclock.json', 'run'], 'badgeclock run -cclock.json');
    await expectLine(['--tz', 'UTC', 'help'], 'badgeclock help --tz UTC');
  });

  it('moves the options after a subcommand too: `reader` takes no --tz, `reader test` does', async () => {
    await expectLine(['--tz', 'UTC', 'reader', 'test'], 'badgeclock reader test --tz UTC');
    await expectLine(['--tz', 'UTC', 'help', 'report'], 'badgeclock help report --tz UTC');
  });

  it("leaves out and names an option of run's the command does not take, not a line that fails", async () => {
    await expectLine(
      ['--json', '--tz=UTC', 'report', '--csv'],
      'badgeclock report --tz=UTC --csv (report takes no --json)',
    );
    await expectLine(
      ['--new-install', '--tz', 'UTC', 'status'],
      'badgeclock status --tz UTC (status takes no --new-install)',
    );
  });

  // `--` ends the options, so the word after it went to run as an argument: "too many arguments
  // for 'run'". A command there is still the command; `--` is left out of the line that works.
  it('takes a command after `--` as the command, with or without options before it', async () => {
    await expectLine(['--tz', 'UTC', '--', 'status'], 'badgeclock status --tz UTC');
    // After `--`, an option is an argument of the command: "too many arguments for 'status'".
    await expectLine(['--', 'status', '--json'], 'badgeclock status --json');
    // With nothing to move, commander runs it, as it always did.
    const alone = await runCli(['--', 'status'], { cwd: dir(), env: ENV });
    expect(alone.stderr).not.toContain('error: options go after the command');
    expect(alone.stderr).toContain('no database at');
    const typo = await runCli(['--tz', 'UTC', '--', 'reprot'], { cwd: dir(), env: ENV });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown command 'reprot' (did you mean report?)");
  });

  it('still names a mistyped command after options as unknown', async () => {
    const typo = await runCli(['--tz', 'UTC', 'reprot'], { cwd: dir(), env: ENV });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown command 'reprot' (did you mean report?)");
    expect(existsSync(join(dir(), 'data'))).toBe(false);
  });
});
