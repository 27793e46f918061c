/**
 * `badgeclock doctor`: every check of the installation, each with its fix.
 */
import { isatty } from 'node:tty';
import type { Command } from 'commander';

import { formatChecks, runDoctor } from '../doctor';
import { probeMfrc522Spec } from '../drivers/reader/readers';
import { loadServiceAccount } from '../drivers/sheets/serviceAccount';
import {
  configOf,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  withConfigOptions,
  type ConfigOptions,
} from './common';
import { sheetsClientOf, sheetTabTitlesOf } from './sheetsClientOf';

/** Adds `doctor` to the program. */
export function addDoctorCommand(program: Command): void {
  withConfigOptions(
    program
      .command('doctor')
      .description(
        'check configuration, data directory, store, key file, sheet, reader, buzzer/LEDs and clock; each with a fix',
      ),
  )
    .option('--hub', "the site's hub (badgeclock hub): it publishes no taps, so no write probe")
    .action(doctor);
}

/** Runs the checks and writes them to stdout; exits 1 when one failed, 2 on a bad configuration. */
async function doctor(options: ConfigOptions & { hub?: boolean }): Promise<void> {
  const loaded = configOf(options);
  if (!loaded.ok) {
    // The first check failed, and every other one needs a valid configuration.
    const n = loaded.errors.length;
    process.stdout.write(
      `${formatChecks([
        {
          name: 'configuration',
          ok: false,
          detail: `${n} problem${n === 1 ? '' : 's'}:\n${loaded.errors.map((e) => `    - ${e}`).join('\n')}`,
          fix: 'correct each setting named above (README, "Configuration"), then run doctor again',
        },
      ])}\nThe other checks need a valid configuration.\n`,
    );
    process.exit(EXIT_BAD_INPUT);
  }
  const config = loaded.config;
  const sheets = sheetsClientOf(config, () => undefined);
  const checks = await runDoctor(config, {
    sheets,
    tabTitles: sheetTabTitlesOf(config),
    loadServiceAccount,
    probeReader: probeMfrc522Spec,
    hub: options.hub === true,
    // Asked of fd 0: process.stdin.isTTY is undefined, not false, on a pipe or /dev/null.
    stdinIsTTY: isatty(0),
  });
  process.stdout.write(`${formatChecks(checks)}\n`);
  const failed = checks.filter((check) => check.ok === false).length;
  const warned = checks.filter((check) => check.ok === 'warn').length;
  const warnings = warned === 0 ? '' : ` (${warned} warning(s): see ! above)`;
  process.stdout.write(
    failed === 0 ? `All checks passed${warnings}.\n` : `${failed} check(s) failed.\n`,
  );
  process.exitCode = failed === 0 ? 0 : EXIT_FAILURE;
}
