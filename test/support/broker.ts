/**
 * A real Mosquitto broker on 127.0.0.1 for tests of the multi-door MQTT parts
 * (docs/multi-door.md): its own port, config, persistence file and log in a
 * temp dir, stopped, killed and restarted on the same port and database.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface BrokerOptions {
  /** Users and passwords; when given, anonymous access is off and a password file is generated with mosquitto_passwd. */
  readonly users?: Readonly<Record<string, string>>;
  /** ACL lines written verbatim into an acl_file (e.g. 'pattern write badgeclock/+/taps/%u'); only with users. */
  readonly acl?: readonly string[];
  /**
   * Mosquitto's `autosave_interval` in seconds. Default 0: the database is
   * written only when the broker exits on SIGTERM, so `stop()` keeps every
   * session and queued message and `kill()` deterministically loses all since
   * the last `stop()` (a timed autosave would make that depend on timing).
   */
  readonly autosaveSeconds?: number;
}

export interface Broker {
  /** 'mqtt://127.0.0.1:<port>' */
  readonly url: string;
  readonly port: number;
  /** Its temp dir: mosquitto.conf, mosquitto.db, passwd, acl. */
  readonly dir: string;
  /** SIGTERM and wait for the exit (mosquitto writes its database on the way out). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit (nothing is saved). */
  kill(): Promise<void>;
  /** Starts again on the same port and database; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its dir. */
  close(): Promise<void>;
  /** Everything the broker logged so far (all starts), for failure messages. */
  log(): string;
}

const NOT_FOUND = 'mosquitto not found: .ci/run installs it (apt-get install mosquitto)';
const READY_MS = 10_000;
const EXIT_MS = 5_000;
const PORT_ATTEMPTS = 5;

/** Every broker process this test process started, killed if it exits with one still running. */
const running = new Set<ChildProcess>();
/** The dirs of brokers not closed yet, removed if the process exits first. */
const openDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of openDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  openDirs.delete(dir);
}

function findExecutable(name: string, extraDirs: readonly string[]): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The mosquitto binary (Debian puts it in /usr/sbin, often not on a user's PATH), or null when absent. */
export function mosquittoPath(): string | null {
  return findExecutable('mosquitto', ['/usr/sbin', '/usr/local/sbin']);
}

/** A port nothing listens on right now (another process may still take it before mosquitto does). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function writePasswordFile(file: string, users: Readonly<Record<string, string>>): void {
  const tool = findExecutable('mosquitto_passwd', ['/usr/bin', '/usr/local/bin']);
  if (tool === null) throw new Error(NOT_FOUND.replace('mosquitto', 'mosquitto_passwd'));
  writeFileSync(file, '');
  for (const [user, password] of Object.entries(users)) {
    // -b: batch (password on the command line); the default hash is sha512-pbkdf2.
    const result = spawnSync(tool, ['-b', file, user, password], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    if (result.status !== 0) {
      throw new Error(`mosquitto_passwd failed for ${user}: ${result.stderr}${result.stdout}`);
    }
  }
}

function configText(port: number, dir: string, options: BrokerOptions): string {
  const lines = [
    '# Written by test/support/broker.ts',
    // mosquitto 2 opens no listener without this line, and 127.0.0.1 keeps it off the network.
    `listener ${port} 127.0.0.1`,
    'persistence true',
    `persistence_location ${dir}/`,
    'persistence_file mosquitto.db',
    `autosave_interval ${options.autosaveSeconds ?? 0}`,
    'log_dest stderr',
    // 'all' includes debug: the packets and every ACL denial, which is what a failure message needs.
    'log_type all',
    'log_timestamp_format %H:%M:%S',
  ];
  // Run as root (CI containers), mosquitto drops to the 'mosquitto' user, which cannot write this dir.
  if (process.getuid?.() === 0) lines.push('user root');
  if (options.users === undefined) {
    if (options.acl !== undefined) throw new Error('startBroker: acl needs users');
    lines.push('allow_anonymous true');
  } else {
    lines.push('allow_anonymous false', `password_file ${join(dir, 'passwd')}`);
    writePasswordFile(join(dir, 'passwd'), options.users);
    if (options.acl !== undefined) {
      writeFileSync(join(dir, 'acl'), options.acl.map((line) => `${line}\n`).join(''));
      lines.push(`acl_file ${join(dir, 'acl')}`);
    }
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** Resolves once a TCP connection to the port succeeds; false when `stopped()` turns true first or on timeout. */
async function accepting(port: number, stopped: () => boolean): Promise<boolean> {
  const deadline = Date.now() + READY_MS;
  while (!stopped() && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return !stopped();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

class MosquittoBroker implements Broker {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logText = '';
  private starts = 0;
  private closed = false;

  constructor(
    private readonly binary: string,
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  log(): string {
    return this.logText;
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error('broker: start after close');
    if (this.child !== undefined) throw new Error('broker: already running');
    this.starts += 1;
    this.logText += `--- broker start ${this.starts} on port ${this.port} ---\n`;
    const child = spawn(this.binary, ['-c', join(this.dir, 'mosquitto.conf')], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    let exitedWith: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      const done = (why: string): void => {
        if (exitedWith !== undefined) return;
        exitedWith = why;
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      };
      // 'close', not 'exit': it comes after stderr is drained, so log() has the last lines.
      child.once('close', (code, signal) => {
        done(signal === null ? `exit code ${code ?? '?'}` : `signal ${signal}`);
      });
      child.once('error', (error) => {
        this.logText += `spawn error: ${error.message}\n`;
        done(`spawn error ${error.message}`);
      });
    });
    const append = (chunk: Buffer): void => {
      this.logText += chunk.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const ok = await accepting(this.port, () => exitedWith !== undefined);
    if (ok) return;
    if (exitedWith === undefined) await this.kill();
    throw new Error(
      `mosquitto on port ${this.port} did not accept connections within ${READY_MS} ms` +
        ` (${exitedWith ?? 'killed'}); its log:\n${this.logText}`,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    if (await this.exitWithin(EXIT_MS)) return;
    await this.kill();
    throw new Error(
      `mosquitto did not exit within ${EXIT_MS} ms of SIGTERM; its log:\n${this.logText}`,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    if (!(await this.exitWithin(EXIT_MS))) {
      throw new Error(`mosquitto did not exit within ${EXIT_MS} ms of SIGKILL`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.stop();
    } finally {
      removeDir(this.dir);
    }
  }

  private async exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, ms);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts a Mosquitto broker on a free loopback port and resolves once it
 * accepts connections. Throws when mosquitto is not installed, so tests that
 * need it fail rather than skip.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const binary = mosquittoPath();
  if (binary === null) throw new Error(NOT_FOUND);
  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'badgeclock-mosquitto-'));
    openDirs.add(dir);
    try {
      const port = await freePort();
      writeFileSync(join(dir, 'mosquitto.conf'), configText(port, dir, options));
      const broker = new MosquittoBroker(binary, port, dir);
      try {
        await broker.start();
        return broker;
      } catch (error) {
        // Another process took the port between freePort() and mosquitto's bind: try another.
        if (!broker.log().includes('Address already in use')) throw error;
        lastError = error;
      }
    } catch (error) {
      removeDir(dir);
      throw error;
    }
    removeDir(dir);
  }
  throw lastError instanceof Error ? lastError : new Error('startBroker: no free port');
}
