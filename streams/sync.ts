/**
 * The sync slice of the one reducer: when to write the outbox to the sheet and
 * when to refresh its live view. The sheet driver does the I/O; this decides.
 *
 * - Ordered event writes: one batch in flight at a time, oldest entries first;
 *   the next batch leaves only when the sheet confirmed the previous one
 *   (`batchSynced`), which also marks those entries done in the store.
 * - A final failure (no permission, sheet missing, headers moved) parks the
 *   outbox for `blockedMs`; taps go on being committed and queued meanwhile.
 * - An entry the sheet refuses for good (the driver finds it by writing the
 *   batch in halves) comes back set aside: it is marked done with its reason
 *   and reported, and everything else flows.
 * - An entry the sheet refused where the fault may not be its own comes back
 *   kept: it stays in the outbox, and it and the later entries that build on
 *   it (its session's) wait a park, longer each time it is kept again, or till
 *   the sheet takes an entry of its kind (keptBack.ts); everything else flows.
 * - Every minute tick asks for one live update (open sessions' hours and the
 *   Now tab); the driver drops ticks while an update is in flight.
 */
import type {
  BatchFailed,
  BatchSynced,
  ClockEvent,
  LiveFailed,
  PeopleReadFailed,
  LiveSynced,
  MinuteElapsed,
  OutboxChanged,
  Output,
} from './events';
import type { OutboxEntry } from './commit';
import type { ClockState } from './sessions';
import { honestNow } from './autoClose';
import { heldBack } from './heldBack';
import { keptAfter, keptReport, waitingAt, type Kept } from './keptBack';

export interface SyncOptions {
  /** False when no spreadsheet is configured: the outbox only accumulates. */
  readonly enabled: boolean;
  /** Most entries written in one batch. */
  readonly batchSize: number;
  /** How long a final failure parks the outbox before the next attempt. */
  readonly blockedMs: number;
}

export const syncDisabled: SyncOptions = { enabled: false, batchSize: 500, blockedMs: 300_000 };

export interface SyncState {
  /** The outbox's oldest unconfirmed entries, in order, the batch in flight included. */
  readonly head: readonly OutboxEntry[];
  readonly depth: number;
  /** Keys of the batch being written, or null. */
  readonly inFlight: readonly string[] | null;
  /** After a final failure: no new batch before this instant. */
  readonly blockedUntil: number | null;
  /** The last time the sheet took anything. */
  readonly lastSyncAt?: number;
  /** Entries the sheet refused for good, set aside since the clock started. */
  readonly setAside: number;
  /** Entries the driver kept back: neither they nor those that build on them go before `until`. */
  readonly kept: readonly Kept[];
}

export const initialSyncState: SyncState = {
  head: [],
  depth: 0,
  inFlight: null,
  blockedUntil: null,
  setAside: 0,
  kept: [],
};

export interface SyncStep {
  readonly state: SyncState;
  readonly out: readonly Output[];
}

/** Makes the sync slice's reducer; it reads the clock slice (after this event) for open sessions. */
export function makeSyncReducer(
  options: SyncOptions,
): (state: SyncState, event: ClockEvent, clock: ClockState) => SyncStep {
  return (state, event, clock) => {
    if (!options.enabled) return { state, out: [] };
    switch (event.type) {
      case 'outboxChanged':
        return onOutboxChanged(state, event, options);
      case 'batchSynced':
        return onBatchSynced(state, event, options);
      case 'batchFailed':
        return onBatchFailed(state, event, options);
      case 'minuteElapsed':
        return onMinuteElapsed(state, event, clock, options);
      case 'liveSynced':
        return onLiveSynced(state, event);
      case 'liveFailed':
      case 'peopleReadFailed':
        return onLiveFailed(state, event);
      default:
        return { state, out: [] };
    }
  };
}

/** The store's outbox moved: take its head and depth, and send a batch if one can leave. */
function onOutboxChanged(state: SyncState, event: OutboxChanged, options: SyncOptions): SyncStep {
  // The head is the store's, the batch in flight included: its entries leave only when the
  // sheet confirms them, so a batch that fails for good is sent again whole, first.
  return next(
    {
      ...state,
      head: event.head,
      depth: event.depth,
      setAside: event.setAside ?? state.setAside,
    },
    event.at,
    options,
  );
}

/** The sheet took the batch (some entries perhaps set aside): mark them done, send the next. */
function onBatchSynced(state: SyncState, event: BatchSynced, options: SyncOptions): SyncStep {
  const setAside = event.setAside ?? [];
  const done = new Set([...event.keys, ...setAside.map((entry) => entry.key)]);
  const head = state.head.filter((entry) => !done.has(entry.key));
  const depth = Math.max(0, state.depth - done.size);
  const settled: SyncState = {
    ...state,
    head,
    depth,
    inFlight: null,
    blockedUntil: null,
    setAside: state.setAside + setAside.length,
    kept: keptAfter(state.kept, state.head, event, options.blockedMs),
    ...(event.keys.length > 0 || (setAside.length === 0 && event.kept === undefined)
      ? { lastSyncAt: event.at }
      : {}),
  };
  const step = next(settled, event.at, options);
  const taken: Output[] =
    event.keys.length === 0 && (setAside.length > 0 || event.kept !== undefined)
      ? []
      : [
          { type: 'markDone', at: event.at, keys: event.keys },
          {
            type: 'synced',
            at: event.at,
            what: 'outbox',
            count: event.keys.length,
            backlog: depth,
          },
        ];
  // A refused entry is done too (the store keeps why); it is reported, never retried.
  const refused = setAside.flatMap(({ key, reason }): Output[] => [
    { type: 'markDone', at: event.at, keys: [key], failure: reason },
    {
      type: 'sync-failed',
      at: event.at,
      what: 'outbox',
      reason: `${key} was set aside, not written to the sheet: ${reason}`,
      backlog: depth,
      retryInMs: null,
    },
  ]);
  return {
    state: step.state,
    out: [...taken, ...refused, ...keptReport(event, settled.kept, depth), ...step.out],
  };
}

/** The batch failed: report it; a final failure parks the outbox for `blockedMs`. */
function onBatchFailed(state: SyncState, event: BatchFailed, options: SyncOptions): SyncStep {
  const failed: Output = {
    type: 'sync-failed',
    at: event.at,
    what: 'outbox',
    reason: event.reason,
    backlog: state.depth,
    retryInMs: event.final ? options.blockedMs : event.retryInMs,
  };
  if (!event.final) return { state, out: [failed] };
  // Give the batch back: it is written again, whole, when the block ends.
  const parked: SyncState = {
    ...state,
    inFlight: null,
    blockedUntil: event.at + options.blockedMs,
  };
  return { state: parked, out: [failed] };
}

/** A minute passed: ask for a live update of the open sessions, and send a batch if one can leave. */
function onMinuteElapsed(
  state: SyncState,
  event: MinuteElapsed,
  clock: ClockState,
  options: SyncOptions,
): SyncStep {
  const live: Output = {
    type: 'liveUpdate',
    at: event.at,
    open: [...clock.open.values()]
      .sort((a, b) => a.inAt - b.inAt || a.card.localeCompare(b.card))
      .map((s) => ({
        session: s.id,
        card: s.card,
        name: s.name,
        inAt: s.inAt,
        openForMs: honestNow(s, event) - s.inAt,
      })),
    health: {
      lastTapAt: clock.lastTapAt ?? null,
      lastSyncAt: state.lastSyncAt ?? null,
      outboxDepth: state.depth,
      readerFault: clock.readerFault ?? null,
      clockSynced: clock.timeSynced !== false,
      setAside: state.setAside,
    },
  };
  const step = next(state, event.at, options);
  return { state: step.state, out: [live, ...step.out] };
}

/** The live view was written: the sheet took something now. */
function onLiveSynced(state: SyncState, event: LiveSynced): SyncStep {
  return {
    state: { ...state, lastSyncAt: event.at },
    out: [{ type: 'synced', at: event.at, what: 'live', count: event.open, backlog: state.depth }],
  };
}

/**
 * A live update failed, or the People read at start (shown the same way: the live view is
 * what reads People, every minute): the next minute tries again, or the first after the
 * server's Retry-After.
 */
function onLiveFailed(state: SyncState, event: LiveFailed | PeopleReadFailed): SyncStep {
  const retryAfterMs = event.type === 'liveFailed' ? (event.retryInMs ?? 0) : 0;
  return {
    state,
    out: [
      {
        type: 'sync-failed',
        at: event.at,
        what: 'live',
        reason: event.reason,
        backlog: state.depth,
        retryInMs: Math.max(60_000, retryAfterMs),
      },
    ],
  };
}

/** Sends the next batch when nothing is in flight, nothing blocks, and something is pending. */
function next(state: SyncState, at: number, options: SyncOptions): SyncStep {
  if (state.inFlight !== null || state.head.length === 0) return { state, out: [] };
  // A park ends at its end, or at once when the wall clock went back before its start (a clock
  // stepped back an hour must not hold the outbox an hour longer).
  const parked =
    state.blockedUntil !== null &&
    at < state.blockedUntil &&
    at >= state.blockedUntil - options.blockedMs;
  if (parked) return { state, out: [] };
  // Entries kept back wait (keptBack.ts), and so do the later entries that build on them
  // (heldBack.ts); the rest goes.
  const waiting = waitingAt(state.kept, at);
  const entries = heldBack(state.head, (entry) => waiting.has(entry.key)).go.slice(
    0,
    options.batchSize,
  );
  if (entries.length === 0) return { state, out: [] };
  return {
    state: { ...state, inFlight: entries.map((e) => e.key), blockedUntil: null },
    out: [{ type: 'writeBatch', at, entries }],
  };
}
