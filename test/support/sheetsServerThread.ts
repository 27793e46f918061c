/**
 * The test Sheets server on 127.0.0.1, run in a worker thread (see
 * sheetsServerWorker.cjs): the same server, but its memory and sockets are not
 * the test process's, so a soak measures the clock alone.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Cell, ServiceAccountKey } from './sheetsTestServer';
import type { CallKind, Quota, SpreadsheetModel } from './spreadsheetModel';

/** The edits a person makes, run by the model in the server thread. */
export type Edit =
  | 'addTab'
  | 'sortRows'
  | 'insertRows'
  | 'deleteRow'
  | 'setCell'
  | 'addColumn'
  | 'renameHeader'
  | 'clearDataRows';

export interface ServerStats {
  /** Requests answered (or failed) so far. */
  readonly requests: number;
  readonly writes: number;
  /** Requests answered with anything but 200. */
  readonly failed: number;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** The server thread's own heap. */
  readonly heapUsed: number;
  /** JSON bytes answered, per REST call. */
  readonly bytesOut: Readonly<Record<CallKind, number>>;
}

interface Reply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** A handle on the server thread; every call is a message round trip. */
export class SheetsServerThread {
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(
    private readonly worker: Worker,
    readonly rootUrl: string,
  ) {}

  /** Starts the thread and the server in it, on a free port of 127.0.0.1. */
  static async start(): Promise<SheetsServerThread> {
    const worker = new Worker(join(__dirname, 'sheetsServerWorker.cjs'));
    const thread = new SheetsServerThread(worker, '');
    worker.on('message', (reply: Reply) => {
      thread.settle(reply);
    });
    worker.on('error', (error) => {
      for (const pending of thread.waiting.values()) pending.reject(error);
      thread.waiting.clear();
    });
    const rootUrl = (await thread.call('start')) as string;
    return Object.assign(thread, { rootUrl });
  }

  serviceAccount(dir: string): Promise<ServiceAccountKey> {
    return this.call('serviceAccount', dir) as Promise<ServiceAccountKey>;
  }

  async createSpreadsheet(id: string, sharedWith: string[]): Promise<void> {
    await this.call('createSpreadsheet', id, sharedWith);
  }

  /** Writes rows from a 1-based row number on, as a person typing them in. */
  async setRows(id: string, title: string, firstRow: number, rows: Cell[][]): Promise<void> {
    await this.call('setRows', id, title, firstRow, rows);
  }

  /** A person edits the sheet (see SpreadsheetModel for each edit). */
  async edit<K extends Edit>(name: K, ...args: Parameters<SpreadsheetModel[K]>): Promise<void> {
    await this.call('edit', name, args);
  }

  /** Sets (or, with undefined, lifts) the per-account, per-minute request budget. */
  async setQuota(quota: Quota | undefined): Promise<void> {
    await this.call('setQuota', quota ?? null);
  }

  values(id: string, title: string): Promise<Cell[][]> {
    return this.call('values', id, title) as Promise<Cell[][]>;
  }

  stats(): Promise<ServerStats> {
    return this.call('stats') as Promise<ServerStats>;
  }

  /** Closes the server (hung requests included) and ends the thread. */
  async close(): Promise<void> {
    try {
      await this.call('close');
    } finally {
      await this.worker.terminate();
    }
  }

  private call(method: string, ...args: unknown[]): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  private settle(reply: Reply): void {
    const pending = this.waiting.get(reply.id);
    if (pending === undefined) return;
    this.waiting.delete(reply.id);
    if (reply.error === undefined) pending.resolve(reply.result);
    else pending.reject(new Error(`sheets server thread: ${reply.error}`));
  }
}
