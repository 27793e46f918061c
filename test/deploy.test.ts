/**
 * The systemd unit and its install script, checked by the tools that will
 * read them: systemd-analyze (where this machine has it) and bash.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/drivers/store/store';
import { CLI, requireBuiltCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

const unit = join(__dirname, '..', 'deploy', 'badgeclock.service');
const backupUnit = join(__dirname, '..', 'deploy', 'badgeclock-backup.service');
const backupTimer = join(__dirname, '..', 'deploy', 'badgeclock-backup.timer');
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

  (hasSystemdAnalyze ? it : it.skip)(
    'the nightly backup and its timer pass systemd-analyze verify with nothing to say',
    () => {
      for (const file of [backupUnit, backupTimer])
        copyFileSync(file, join(dir(), file.slice(file.lastIndexOf('/') + 1)));
      const result = spawnSync(
        'systemd-analyze',
        [
          'verify',
          join(dir(), 'badgeclock-backup.service'),
          join(dir(), 'badgeclock-backup.timer'),
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
      const said = `${result.stdout}${result.stderr}`
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.includes('/usr/bin/node'));
      expect(said).toEqual([]);
      expect([0, 1]).toContain(result.status);
    },
  );

  it("the nightly backup runs as the clock's user, every night, making up a night the Pi was off", () => {
    const lines = readFileSync(backupUnit, 'utf8').split('\n');
    for (const setting of [
      'Type=oneshot',
      'User=badgeclock',
      'Environment=BACKUP_DIR=/var/backups/badgeclock',
      'Environment=BACKUP_KEEP=14',
      'EnvironmentFile=-/etc/badgeclock/badgeclock.env',
      'EnvironmentFile=-/etc/badgeclock/backup.env',
      'UMask=0077',
    ]) {
      expect(lines).toContain(setting);
    }
    const timer = readFileSync(backupTimer, 'utf8').split('\n');
    expect(timer).toContain('Persistent=true');
    expect(timer).toContain('WantedBy=timers.target');
    const install = readFileSync(script, 'utf8');
    expect(install).toMatch(/^ {2}enable_backup_once "\$ETC_DIR\/\.backup-timer-enabled"$/m);
    expect(install).toMatch(/^chown badgeclock:badgeclock "\$BACKUP_DIR"$/m);
  });

  it('the install script enables the nightly backup once: on the first install or the upgrade that brings it, never again after a site turned it off', () => {
    const fn = /^enable_backup_once\(\) \{\n[^]*?\n\}$/m.exec(readFileSync(script, 'utf8'))?.[0];
    expect(fn).toBeDefined();
    // systemctl as a stub that notes what it was asked.
    const bin = join(dir(), 'bin');
    mkdirSync(bin);
    const asked = join(dir(), 'asked');
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${asked}\n`, { mode: 0o755 });
    const marker = join(dir(), '.backup-timer-enabled');
    const run = () =>
      spawnSync(
        'bash',
        ['-c', `set -euo pipefail\n${fn ?? ''}\nenable_backup_once "$1"`, 'bash', marker],
        {
          encoding: 'utf8',
          env: { PATH: `${bin}:${process.env.PATH ?? ''}`, BACKUP_DIR: '/var/backups/badgeclock' },
        },
      );
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(
      'a copy of its store goes to /var/backups/badgeclock every night',
    );
    expect(readFileSync(asked, 'utf8')).toBe('enable --now badgeclock-backup.timer\n');
    // The site turns the timer off; an upgrade runs the script again.
    const again = run();
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(readFileSync(asked, 'utf8')).toBe('enable --now badgeclock-backup.timer\n');
  });

  it("the nightly backup's command line, as systemd expands it, writes a dated copy of the store", () => {
    requireBuiltCli();
    const lines = readFileSync(backupUnit, 'utf8').split('\n');
    const exec = lines.find((line) => line.startsWith('ExecStart='))?.slice('ExecStart='.length);
    const [node, cli, ...args] = (exec ?? '').split(' ');
    expect([node, cli]).toEqual(['/usr/bin/node', '/opt/badgeclock/dist/src/cli.js']);
    const data = join(dir(), 'data');
    const backups = join(dir(), 'backups');
    mkdirSync(data);
    mkdirSync(backups);
    Store.open(join(data, 'badgeclock.db')).close();
    // ${BACKUP_DIR} and ${BACKUP_KEEP}, as the unit's Environment= lines set them (another folder here).
    const env: Record<string, string> = { BACKUP_DIR: backups, BACKUP_KEEP: '14' };
    const expanded = args.map((arg) =>
      arg.replace(/^\$\{(\w+)\}$/, (_, name: string) => env[name] ?? arg),
    );
    const result = spawnSync(process.execPath, [CLI, ...expanded], {
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        PATH: process.env.PATH,
        BADGECLOCK_DATA_DIR: data,
        BADGECLOCK_DOOR: 'front',
        BADGECLOCK_TIME_SYNC: 'off',
        BADGECLOCK_TZ: 'UTC',
      },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(backups)).toEqual([
      expect.stringMatching(/^badgeclock-front-\d{8}T\d{6}Z\.db$/),
    ]);
  });

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
