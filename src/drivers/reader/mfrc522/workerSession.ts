/**
 * One life of an MFRC522's worker thread, as an observable: its sightings,
 * its chip's health and its faults, then an error when it ends (so the reader
 * restarts it). Unsubscribing asks it to stop, and terminates it if it will not.
 */
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import { isWorkerMessage, type StopMessage, type WorkerConfig } from './protocol';

export type SessionEvent =
  | { readonly kind: 'seen'; readonly uid: string; readonly lagMs: number }
  | { readonly kind: 'collision'; readonly lagMs: number }
  | { readonly kind: 'healthy' }
  | { readonly kind: 'fault'; readonly reason: string };

/** How long a worker told to stop may take before it is terminated. */
const STOP_GRACE_MS = 1_000;

/** One worker's life: its messages, then an error when it ends (so it is restarted). */
export function workerSession(script: string, config: WorkerConfig): Observable<SessionEvent> {
  return new Observable<SessionEvent>((subscriber) => {
    const worker = new Worker(script, { workerData: config });
    let faulted = false;
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      switch (message.type) {
        case 'seen':
          subscriber.next({
            kind: 'seen',
            uid: message.uid,
            // How long the sighting waited for this thread (a busy main thread delays it).
            lagMs: Math.max(0, Date.now() - message.at),
          });
          return;
        case 'collision':
          subscriber.next({ kind: 'collision', lagMs: Math.max(0, Date.now() - message.at) });
          return;
        case 'version':
          subscriber.next({ kind: 'healthy' });
          return;
        case 'fault':
          faulted = true;
          subscriber.next({ kind: 'fault', reason: message.reason });
          return;
      }
    });
    worker.on('error', (error: Error) => {
      faulted = true;
      subscriber.next({ kind: 'fault', reason: `the reader's worker crashed: ${error.message}` });
    });
    worker.on('exit', (code: number) => {
      if (!faulted) {
        subscriber.next({ kind: 'fault', reason: `the reader's worker ended (exit code ${code})` });
      }
      subscriber.error(new Error(`MFRC522 worker ended with code ${code}`));
    });
    return () => {
      worker.removeAllListeners();
      // An error after this point has nobody to tell; an unhandled 'error' would crash us.
      worker.on('error', () => undefined);
      const stop: StopMessage = { type: 'stop' };
      worker.postMessage(stop);
      const deadline = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      deadline.unref();
      worker.once('exit', () => {
        clearTimeout(deadline);
      });
    };
  });
}
