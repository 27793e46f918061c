/**
 * The systemd unit and its install script, checked by the tools that will
 * read them: systemd-analyze (where this machine has it) and bash.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDir } from './support/useTempDir';

const unit = join(__dirname, '..', 'deploy', 'badgeclock.service');
const script = join(__dirname, '..', 'deploy', 'install-service.sh');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/', () => {
  const dir = useTempDir('deploy');

  (hasSystemdAnalyze ? it : it.skip)(
    'the unit passes systemd-analyze verify with nothing to say (a typo is only a warning there)',
    () => {
      const copy = join(dir(), 'badgeclock.service');
      copyFileSync(unit, copy);
      const result = spawnSync('systemd-analyze', ['verify', copy], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      // Warnings about the ExecStart binary only: /usr/bin/node may not exist on a build machine.
      const said = `${result.stdout}${result.stderr}`
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.includes('/usr/bin/node'));
      expect(said).toEqual([]);
      expect([0, 1]).toContain(result.status);
    },
  );

  it('the unit stops node alone, lets it turn the GPIO off, and restarts it on failure', () => {
    const text = readFileSync(unit, 'utf8');
    for (const setting of [
      'KillSignal=SIGTERM',
      'KillMode=mixed',
      'Restart=on-failure',
      'User=badgeclock',
      'StateDirectory=badgeclock',
      'StandardError=journal',
    ]) {
      expect(text.split('\n')).toContain(setting);
    }
  });

  it('gives the service the input group for a USB reader on /dev/input, beside spi and gpio', () => {
    expect(readFileSync(unit, 'utf8').split('\n')).toContain('SupplementaryGroups=spi gpio input');
    expect(readFileSync(script, 'utf8')).toMatch(/^for group in spi gpio input; do$/m);
  });

  it('the install script starts the service only once a reader a service can use is set', () => {
    const fn = /^reader_set\(\) \{\n[^]*?\n\}$/m.exec(readFileSync(script, 'utf8'))?.[0];
    expect(fn).toBeDefined();
    const readerSet = (env: string): boolean => {
      const file = join(dir(), 'badgeclock.env');
      writeFileSync(file, env);
      return spawnSync('bash', ['-c', `${fn ?? ''}\nreader_set "$1"`, 'bash', file]).status === 0;
    };
    // What the script writes: every reader commented out, so the keyboard reader, deaf under systemd.
    expect(readerSet('# BADGECLOCK_READER=mfrc522\n# BADGECLOCK_READER=evdev\n')).toBe(false);
    expect(readerSet('BADGECLOCK_READER=keyboard\n')).toBe(false);
    expect(readerSet('BADGECLOCK_READER=mfrc522\n')).toBe(true);
    expect(readerSet('  BADGECLOCK_READER="evdev"\n')).toBe(true);
    expect(readerSet('BADGECLOCK_READERS=\'[{"kind":"mfrc522","name":"a"}]\'\n')).toBe(true);
  });

  it('the install script is valid bash', () => {
    const result = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
