/**
 * The wiring: drivers around the pure core. This is the one place the loop
 * closes (commands from the core reach the drivers whose sources feed it) and
 * it returns one observable for the entry point to subscribe to.
 */
import type { Readable, Writable } from 'node:stream';
import {
  Observable,
  concat,
  defer,
  EMPTY,
  from,
  filter,
  map,
  merge,
  mergeMap,
  NEVER,
  share,
  takeUntil,
  type SchedulerLike,
} from 'rxjs';
import { clockSteps } from '../streams/clock';
import { commits, type Commit } from '../streams/commit';
import type {
  CardRead,
  Command,
  CorrectionJudged,
  DirectoryLoaded,
  DomainEvent,
  ListCard,
  AddAlias,
  ReadRejected,
  Refold,
  RefoldHistory,
  SyncEvent,
} from '../streams/events';
import { syncDisabled } from '../streams/sync';
import { restoreState } from '../streams/sessions';
import { rulesOf, type Config } from './config';
import { makePeopleFileDriver } from './drivers/directory/peopleFile';
import { FIX_POLL_MS, fixRequests$ } from './drivers/store/fixRequests';
import type { TimeSyncAnswered } from './drivers/clock/timeSync';
import { doorSources } from './doorSources';
import { makeFeedbackDriver } from './drivers/feedback/feedbackDriver';
import { gpioFeedbackConfigured, gpioFeedbackOptions } from './drivers/feedback/gpio/gpioConfig';
import { makeGpioFeedbackDriver } from './drivers/feedback/gpio/gpioFeedbackDriver';
import type { Store } from './drivers/store/store';
import { makeStoreDriver } from './drivers/store/storeDriver';
import { makeEditWatch } from './drivers/sheets/editWatch';
import { makeHomeAssistantListener } from './drivers/mqtt/homeAssistant';
import {
  connect,
  makeMqttDriver,
  type DriverPulse,
  sideClientOptions,
  type MqttDriverOptions,
} from './drivers/mqtt/mqttDriver';
import type { LogRowsRead, SheetOutput, SheetsDriver } from './drivers/sheets/sheetsDriver';
import { sheetEdits$ } from './drivers/store/sheetEditJudge';
import { makeTotalsSource } from './drivers/sheets/totalsSource';
import type { Log } from './log';
import { runLoop } from './loop';

export interface AppIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly log: Log;
  /** Monotonic milliseconds (CLOCK_MONOTONIC live: counted from boot, so comparable across restarts). */
  readonly mono?: () => number;
  /** The boot `mono` counts from: the store keeps monotonic times with it (src/bootId.ts). */
  readonly bootId?: string;
  /** Whether the system clock is synchronised; null when it cannot be told. Absent: trusted. */
  readonly timeSynced?: () => Promise<boolean | null>;
  readonly scheduler: SchedulerLike;
  readonly json: boolean;
  /**
   * Reads from elsewhere instead of the configured reader: the simulation
   * injects reads from several readers with exact timestamps.
   */
  readonly reads$?: Observable<CardRead | ReadRejected>;
  /** `badgeclock hub`: no reader; its broker session is the site's hub's, not a door's. */
  readonly hub?: boolean;
  /** The broker's client: MQTT.js unless told (the simulation with doors gives its own broker's). */
  readonly mqttConnect?: MqttDriverOptions['connect'];
}

/** What the People file is told: cards to list, aliases enrolled at the reader. */
const isPeopleFileCommand = (command: Command): command is ListCard | AddAlias =>
  command.type === 'listCard' || command.type === 'addAlias';

/**
 * Corrections: `fix` requests from the store's queue, judged with whether the system clock is
 * synchronised, and edits typed into Log (rule 13).
 */
function correctionsOf(
  config: Config,
  store: Store,
  io: AppIo,
  sources: {
    readonly sheetEvents$: Observable<SheetOutput>;
    readonly answered$: Observable<TimeSyncAnswered>;
  },
): Observable<CorrectionJudged> {
  const { sheetEvents$, answered$ } = sources;
  return merge(
    fixRequests$(
      store,
      io.scheduler,
      rulesOf(config),
      FIX_POLL_MS,
      answered$.pipe(map((answer) => answer.synced)),
    ),
    sheetEdits$(
      sheetEvents$.pipe(filter((e): e is LogRowsRead => e.type === 'logRowsRead')),
      store,
      rulesOf(config),
    ),
  );
}

/** Whether a step came from another door's tap: its feedback belongs to that door. */
const fromAnotherDoor = (commit: Commit): boolean =>
  commit.events.some((e) => (e.type === 'tap' && e.origin !== undefined) || e.type === 'tap-late');

/** What a commit asks of the MQTT driver: publish, or look for corrections to apply. */
function pulseOf(commit: Commit): DriverPulse {
  const { events } = commit;
  return {
    ownTaps: events.some((e) => e.type === 'tap' && e.origin === undefined),
    corrections: events.some((e) => e.type === 'correction' && e.origin === undefined),
    sessions: events.some((e) => e.type === 'clock-in' || e.type === 'refolded'),
  };
}

/**
 * Other doors' taps through the broker, when one is configured; this door's own taps go out
 * as they are committed (each commit with one: look for more to publish), and so do the hub's
 * corrections, which a door takes as the hub judged them. A late tap asks for its person's
 * history: read in the turn after the step that asked, folded again by the core.
 */
function doorsOf(
  config: Config,
  store: Store,
  io: AppIo,
  committed$: Observable<Commit>,
  writesSheet: boolean,
): Observable<CardRead | RefoldHistory | CorrectionJudged> {
  const { mqttUrl } = config;
  if (mqttUrl === undefined) return EMPTY;
  const pulses$ = committed$.pipe(
    map(pulseOf),
    filter((p) => p.ownTaps || p.corrections || p.sessions),
  );
  const history = ({ card, at, ids }: Omit<Refold, 'type'>): RefoldHistory =>
    store.refoldHistory(card, at, config.door, io.scheduler.now(), ids);
  // Refolds a restart interrupted first (late taps', shared corrections'), each read as it goes
  // in; then each asked.
  const refolds$ = concat(
    defer(() => from([...store.lateWaiting(), ...store.sharedCorrections.refoldsWaiting()])).pipe(
      map(({ person, at }) => history({ card: person, at })),
    ),
    committed$.pipe(
      mergeMap((commit) => commit.commands),
      filter((command): command is Refold => command.type === 'refold'),
      map(history),
    ),
  );
  const remote$ = makeMqttDriver({
    config: { ...config, mqttUrl },
    role: io.hub === true ? 'hub' : 'door',
    // The sheet's one writer shares the corrections (the hub, or a door that is the hub instead).
    sharesCorrections: io.hub === true || writesSheet,
    store,
    now: () => io.scheduler.now(),
    log: io.log,
    ...(io.mqttConnect === undefined ? {} : { connect: io.mqttConnect }),
  })(pulses$);
  return merge(remote$, refolds$);
}

/**
 * The running clock: keyboard reader, the People directory (the sheet's, or the
 * people file), the store, console feedback, and the sheet when configured.
 * Carries on from the store's snapshot. Never completes.
 */
export function clockApp(
  config: Config,
  store: Store,
  io: AppIo,
  sheet?: SheetsDriver,
  stop$: Observable<void> = NEVER,
): Observable<never> {
  const now = (): number => io.scheduler.now();
  const warn = (message: string): void => {
    io.log.warn(message);
  };

  const storeDriver = makeStoreDriver(store, now, config.sheetBatchSize, io.bootId);

  // The clock between its sources and the store. What it committed comes back round as
  // `committed$` (src/loop.ts closes the loop, and only there): as commands to the drivers,
  // and as the outbox and the sheet's acknowledgements to the core.
  const main = (committed$: Observable<Commit>): Observable<Commit> => {
    const commands$ = committed$.pipe(mergeMap((commit) => commit.commands));
    // The Totals tab rides on the sheet's minute, from the store's sessions (rule 13: corrected),
    // and so does reading Log's recent rows back for corrections typed into it.
    const sheetEvents$ =
      sheet === undefined
        ? EMPTY
        : sheet(commands$, {
            totalsOf: makeTotalsSource(store, config.payPeriod, config.tz),
            watchOf: makeEditWatch(store, config.payPeriod, config.tz),
          }).pipe(share());
    const directory$: Observable<DirectoryLoaded> =
      sheet === undefined
        ? makePeopleFileDriver({ file: config.peopleFile, now, warn })(
            commands$.pipe(filter(isPeopleFileCommand)),
          )
        : sheetEvents$.pipe(filter((e): e is DirectoryLoaded => e.type === 'directoryLoaded'));
    const sheet$: Observable<SyncEvent> = merge(
      storeDriver.outbox(committed$),
      sheetEvents$.pipe(
        filter((e): e is SyncEvent => e.type !== 'directoryLoaded' && e.type !== 'logRowsRead'),
      ),
    );
    // The core and the `fix` judge hear the same time-sync checks (one poll of them).
    const { reads$, clockSync$, answered$ } = doorSources(config, io, stop$);
    const corrections$ = correctionsOf(config, store, io, { sheetEvents$, answered$ });
    // Other doors' taps, when the site shares them through a broker (docs/multi-door.md).
    const doors$ = doorsOf(config, store, io, committed$, sheet !== undefined).pipe(
      takeUntil(stop$),
    );
    const steps$ = clockSteps(
      {
        reads$: merge(reads$, doors$),
        directory$,
        sheet$,
        clockSync$,
        corrections$,
      },
      rulesOf(config),
      io.scheduler,
      {
        start: restoreState(store.snapshot(now(), io.bootId)),
        sync: { ...syncDisabled, enabled: sheet !== undefined, batchSize: config.sheetBatchSize },
        ...(io.mono === undefined ? {} : { mono: io.mono }),
      },
    );
    // Feedback and commands leave only from what the store has made durable.
    return storeDriver.commit(steps$.pipe(commits()));
  };

  return runLoop(main, listenersOf(config, store, io));
}

/**
 * What listens to the committed steps besides the core: the console feedback, the buzzer and
 * LEDs on the Pi when lines are configured (for the taps at this door only), and Home Assistant
 * when it is asked for.
 */
function listenersOf(
  config: Config,
  store: Store,
  io: AppIo,
): ((committed$: Observable<Commit>) => Observable<never>)[] {
  const events = (committed$: Observable<Commit>): Observable<DomainEvent> =>
    committed$.pipe(mergeMap((commit) => commit.events));
  const feedback = makeFeedbackDriver({
    json: io.json,
    zone: config.tz,
    stdout: io.stdout,
    log: io.log,
  });
  const signals = gpioFeedbackConfigured(config)
    ? makeGpioFeedbackDriver(gpioFeedbackOptions(config, io.scheduler, io.log))
    : null;
  const { mqttUrl } = config;
  const homeAssistant =
    config.homeAssistant && mqttUrl !== undefined
      ? makeHomeAssistantListener({
          config: { ...config, mqttUrl },
          store,
          log: io.log,
          clientOptions: sideClientOptions(
            { ...config, mqttUrl },
            `badgeclock-${config.site}-${config.door}-ha`,
          ),
          connect,
        })
      : null;
  return [
    (committed$) => feedback(events(committed$)),
    ...(homeAssistant === null ? [] : [homeAssistant]),
    ...(signals === null
      ? []
      : [
          (committed$: Observable<Commit>) =>
            signals(events(committed$.pipe(filter((commit) => !fromAnotherDoor(commit))))),
        ]),
  ];
}
