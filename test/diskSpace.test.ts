/**
 * The free space on the disk holding the data directory: what counts as low and nearly full,
 * the running clock's warnings as it changes, and what `doctor`, `status` and `run` say on a
 * real small file system (a tmpfs; those tests need root to mount one and are skipped without).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import {
  describeSpace,
  diskLevel,
  diskWatcher,
  formatBytes,
  LOW_DISK_BYTES,
  NEARLY_FULL_BYTES,
  type DiskSpace,
} from '../src/diskSpace';
import { runDoctor } from '../src/doctor';
import { Store } from '../src/drivers/store/store';
import { Clock, logText, requireBuiltCli, runCli } from './support/runCli';
import { mountTmpfs, tmpfsAvailable, type Tmpfs } from './support/store-tmpfs';
import { useTempDir } from './support/useTempDir';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };

describe('how full a disk is', () => {
  it('is low below 512 MiB free and nearly full below 64 MiB, whatever its size', () => {
    const level = (free: number, total = 32 * GIB) => diskLevel({ free, total });
    expect(LOW_DISK_BYTES).toBe(512 * MIB);
    expect(NEARLY_FULL_BYTES).toBe(64 * MIB);
    expect(level(20 * GIB)).toBe('ok');
    expect(level(512 * MIB)).toBe('ok');
    expect(level(512 * MIB - 1)).toBe('low');
    expect(level(64 * MIB)).toBe('low');
    expect(level(64 * MIB - 1)).toBe('nearly full');
    expect(level(0)).toBe('nearly full');
    // A small disk with all its room free is still judged by the room, not the share.
    expect(level(400 * MIB, 400 * MIB)).toBe('low');
  });

  it('shows sizes in MiB below a GiB and in GiB above, as a person reads them', () => {
    expect(formatBytes(0)).toBe('0 MiB');
    expect(formatBytes(300 * MIB + 5)).toBe('300 MiB');
    expect(formatBytes(GIB)).toBe('1.0 GiB');
    expect(formatBytes(29.14 * GIB)).toBe('29.1 GiB');
    expect(formatBytes(1863 * GIB)).toBe('1863 GiB');
    expect(describeSpace({ free: 1.2 * GIB, total: 29.1 * GIB })).toBe('1.2 GiB free of 29.1 GiB');
  });
});

describe('the running clock watching its disk', () => {
  /** A watcher over a disk whose space the test sets, and what it logged. */
  function watching() {
    let space: DiskSpace | null = { free: 10 * GIB, total: 32 * GIB };
    const logged: string[] = [];
    const watcher = diskWatcher(
      '/var/lib/badgeclock',
      {
        info: (message) => logged.push(`info ${message}`),
        warn: (message) => logged.push(`warn ${message}`),
      },
      () => space,
    );
    return {
      logged,
      check: (free: number | null) => {
        space = free === null ? null : { free, total: 32 * GIB };
        return watcher.check();
      },
    };
  }

  it('says nothing while there is room, warns once when the disk runs low, again when it is nearly full, and says when there is room again', () => {
    const { logged, check } = watching();
    expect(check(10 * GIB)).toBe('ok');
    expect(logged).toEqual([]);
    expect(check(400 * MIB)).toBe('low');
    expect(check(390 * MIB)).toBe('low');
    expect(check(60 * MIB)).toBe('nearly full');
    expect(check(55 * MIB)).toBe('nearly full');
    expect(check(2 * GIB)).toBe('ok');
    expect(logged).toEqual([
      'warn disk space low: 400 MiB free of 32.0 GiB; free some space on the disk holding /var/lib/badgeclock: ' +
        "old logs (sudo journalctl --vacuum-size=100M), old backups, apt's cache (sudo apt-get clean); " +
        'or move the data directory to a larger disk. On a full disk the clock stops rather than take a tap it cannot store',
      expect.stringMatching(
        /^warn disk space nearly full: 60 MiB free of 32\.0 GiB; free some space/,
      ),
      'info disk space: 2.0 GiB free of 32.0 GiB again',
    ]);
  });

  it('hovering at a threshold is one warning: room again only 10% above it', () => {
    const { logged, check } = watching();
    for (const free of [511, 513, 510, 540, 509, 562]) expect(check(free * MIB)).toBe('low');
    expect(check(564 * MIB)).toBe('ok');
    expect(check(63 * MIB)).toBe('nearly full');
    expect(check(70 * MIB)).toBe('nearly full');
    expect(check(71 * MIB)).toBe('low');
    expect(logged.map((line) => line.slice(0, 30))).toEqual([
      'warn disk space low: 511 MiB f',
      'info disk space: 564 MiB free ',
      'warn disk space nearly full: 6',
      'warn disk space low: 71 MiB fr',
    ]);
  });

  it('says nothing of a disk it cannot read, and warns when it can again and it is low', () => {
    const { logged, check } = watching();
    expect(check(null)).toBeNull();
    expect(logged).toEqual([]);
    expect(check(100 * MIB)).toBe('low');
    expect(logged).toEqual([expect.stringMatching(/^warn disk space low: 100 MiB/)]);
  });
});

(tmpfsAvailable() ? describe : describe.skip)(
  'on a real small disk (needs root to mount a tmpfs)',
  () => {
    const mounted: Tmpfs[] = [];
    beforeAll(requireBuiltCli);
    // Before the temp directory's own hook: jest runs them in order, and a mount is not removable.
    afterEach(() => {
      for (const tmpfs of mounted.splice(0)) tmpfs.unmount();
    });
    const dir = useTempDir('disk');

    /** A data directory on a fresh tmpfs of `mib` MiB. */
    function dataDirOn(mib: number): string {
      const path = join(dir(), `disk-${mib}`);
      mkdirSync(path);
      const tmpfs = mountTmpfs(path, mib * 1024);
      if (tmpfs === null) throw new Error('could not mount a tmpfs');
      mounted.push(tmpfs);
      const data = join(path, 'data');
      mkdirSync(data);
      return data;
    }

    async function diskCheckOf(data: string) {
      const loaded = loadConfig({
        env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_DATA_DIR: data, ...QUIET },
        cwd: dir(),
      });
      if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
      const checks = await runDoctor(loaded.config, {});
      return checks.find((check) => check.name === 'disk space');
    }

    it('doctor passes a roomy disk, warns of a low one and fails a nearly full one, each with the fix', async () => {
      const roomy = dataDirOn(2048);
      expect(await diskCheckOf(roomy)).toEqual({
        name: 'disk space',
        ok: true,
        detail: `2.0 GiB free of 2.0 GiB on the disk holding ${roomy}`,
      });
      const low = dataDirOn(300);
      expect(await diskCheckOf(low)).toEqual({
        name: 'disk space',
        ok: 'warn',
        detail: `300 MiB free of 300 MiB on the disk holding ${low}: low`,
        fix: expect.stringContaining(`free some space on the disk holding ${low}`) as unknown,
      });
      const full = dataDirOn(40);
      expect(await diskCheckOf(full)).toMatchObject({
        ok: false,
        detail: `40 MiB free of 40 MiB on the disk holding ${full}: nearly full`,
      });
    });

    it('status shows the free space, and says what to do when it is low', async () => {
      const low = dataDirOn(300);
      Store.open(join(low, 'badgeclock.db')).close();
      const result = await runCli(['status', '--data-dir', low, '--tz', 'UTC'], { env: QUIET });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(
          `\\nDisk: 29\\d MiB free of 300 MiB: LOW; free some space on the disk holding ${low}:`,
        ),
      );
      const roomy = dataDirOn(2048);
      Store.open(join(roomy, 'badgeclock.db')).close();
      const fine = await runCli(['status', '--data-dir', roomy, '--tz', 'UTC'], { env: QUIET });
      expect(fine.stdout).toMatch(/\nDisk: 2\.0 GiB free of 2\.0 GiB\n/);
    });

    it('run warns in its log at start when the disk is low, and takes taps as ever', async () => {
      const low = dataDirOn(300);
      const clock = new Clock(['run', '--data-dir', low, '--tz', 'UTC'], { env: QUIET });
      await clock.started();
      await clock.waitFor((c) => logText(c.stderr).includes('disk space low'));
      clock.write('A11CE000\n');
      await clock.waitFor((c) => c.lines().some((line) => line.includes('A11CE000')));
      expect(await clock.stop()).toBe(0);
      expect(logText(clock.stderr)).toMatch(
        new RegExp(
          `disk space low: 29\\d MiB free of 300 MiB; free some space on the disk holding ${low}`,
        ),
      );
    });

    it('status, report, verify and run on a full disk, and on one mounted read-only, say so, not only in SQLite’s words', async () => {
      const full = dataDirOn(8);
      Store.open(join(full, 'badgeclock.db')).close();
      mounted.at(-1)?.fill();
      for (const command of ['status', 'report', 'verify', 'run']) {
        const result = await runCli([command, '--data-dir', full, '--tz', 'UTC'], { env: QUIET });
        expect(result.code).toBe(1);
        // SQLite says "disk I/O error": it cannot make the store's -shm file beside it.
        expect(logText(result.stderr)).toContain(
          `The disk holding ${full} is nearly full (0 MiB free of 8 MiB): SQLite needs room beside the store even to read it; free some space`,
        );
      }
      // Large enough not to be nearly full: what is wrong here is that it cannot be written.
      const readOnly = dataDirOn(100);
      Store.open(join(readOnly, 'badgeclock.db')).close();
      mounted.at(-1)?.remountReadOnly();
      for (const command of ['status', 'report', 'verify']) {
        const result = await runCli([command, '--data-dir', readOnly, '--tz', 'UTC'], {
          env: QUIET,
        });
        expect(result.code).toBe(1);
        expect(logText(result.stderr)).toContain(
          `The disk holding ${readOnly} is mounted read-only (the kernel does that to an SD card after errors: see sudo dmesg)`,
        );
      }
      const doctor = await runCli(['doctor', '--data-dir', readOnly, '--tz', 'UTC'], {
        env: QUIET,
      });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain(
        `    fix: the disk holding ${readOnly} is mounted read-only (the kernel does that to an SD card after errors: see sudo dmesg): copy the data directory to another disk`,
      );
    });
  },
);
