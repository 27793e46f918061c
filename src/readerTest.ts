/**
 * `badgeclock reader test`: a wiring check for the person installing the
 * reader. For an RC522 it reads VersionReg first and says what answered; for
 * a USB reader on /dev/input, that the device opens, is a keyboard and can be
 * grabbed; then it prints every card presented (once per presentation,
 * however long it is held) and every fault, until it is stopped.
 */
import { tz } from '@date-fns/tz';
import { format } from 'date-fns';
import type { Readable } from 'node:stream';
import { concat, defer, from, map, merge, of, type Observable } from 'rxjs';
import type { CardRead, ReadRejected } from '../streams/events';
import { presentations } from '../streams/presentations';
import type { Config } from './config';
import { checkInputDevice, type InputDeviceCheck } from './drivers/reader/evdev/inputHelper';
import {
  describeReader,
  makeReader,
  probeMfrc522Spec,
  readerSpecsOf,
} from './drivers/reader/readers';

/** The reader is not there or did not answer: the test stops with this message (exit 1). */
export class ReaderCheckError extends Error {}

/** A reader's first check: a chip's VersionReg, or an input device opened and grabbed. */
export interface ReaderProbe {
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReaderUnderTest {
  /** What the reader is, for the first line, e.g. `RC522 on /dev/spidev0.0`. */
  readonly what: string;
  /** Shown on each card line when several readers are tested at once. */
  readonly name?: string;
  /** Checks the reader is there (RC522, evdev); absent for readers with nothing to probe. */
  readonly probe?: () => Promise<ReaderProbe>;
  /** What to do when the probe fails; default: the RC522 wiring check. */
  readonly fix?: string;
  /** The reader's sightings; subscribed only after every probe succeeded. */
  readonly reads$: Observable<CardRead | ReadRejected>;
  /** Show how many bytes a card's UID has (an RC522 reads UIDs; a wedge reader types any number). */
  readonly uidLengths?: boolean;
}

export interface ReaderTestOptions extends ReaderUnderTest {
  readonly zone: string;
  /** Sightings of one card closer than this are one presentation (the clock's debounce); default 3 s. */
  readonly gapMs?: number;
}

/** How many bytes a hex card id's UID has, for the line (4, 7 or 10 on an RC522). */
function uidLength(card: string): string {
  return /^[0-9A-F]+$/.test(card) && card.length % 2 === 0 ? `  (${card.length / 2}-byte UID)` : '';
}

const time = (at: number, zone: string): string => format(at, 'HH:mm:ss', { in: tz(zone) });

const RC522_FIX =
  'check the wiring against the README table ("RC522 (MFRC522) reader") and that SPI is enabled';

/** The lines the reader test prints, in order; errors with ReaderCheckError when the chip is wrong. */
export function readerTest(options: ReaderTestOptions): Observable<string> {
  return readersTest([options], options.zone, options.gapMs);
}

/**
 * The test of several readers at once: each probed in turn (the first
 * failure stops it), then every card presented to any of them, once per
 * presentation, with the reader's name when there are several.
 */
export function readersTest(
  readers: readonly ReaderUnderTest[],
  zone: string,
  gapMs = 3_000,
): Observable<string> {
  const probes$ = readers.map(({ probe, what, fix }): Observable<string> =>
    probe === undefined
      ? of(`${what}: no chip to probe (a keyboard-wedge reader types each card id, then Enter)`)
      : defer(() => from(probe())).pipe(
          map((result) => {
            if (!result.ok) {
              throw new ReaderCheckError(`✖ ${what}: ${result.detail}\n  fix: ${fix ?? RC522_FIX}`);
            }
            return `✔ ${what} answers: ${result.detail}`;
          }),
        ),
  );
  const cards$ = readers.map((reader) =>
    reader.reads$.pipe(
      presentations(gapMs),
      map((event) => {
        const who = readers.length > 1 ? `[${reader.name ?? event.reader}] ` : '';
        return event.type === 'cardRead'
          ? `${time(event.at, zone)}  ${who}card ${event.card}${reader.uidLengths === true ? uidLength(event.card) : ''}`
          : `${time(event.at, zone)}  ${who}✖ ${event.reason}`;
      }),
    ),
  );
  return concat(
    ...probes$,
    of('Present a card; each one is shown once per presentation. Ctrl-C stops.'),
    // concat subscribes in turn: the readers start only after good probes. They are
    // independent sources, so their lines are merged as they come.
    merge(...cards$),
  );
}

/** What `checkInputDevice` found, as the reader test's probe says it. */
export function inputProbe(check: InputDeviceCheck, grab: boolean): ReaderProbe {
  if (!check.ok) return { ok: false, detail: check.reason };
  if (!check.keyboard) {
    return {
      ok: false,
      detail:
        'it has no digit keys and Enter: not a keyboard-wedge reader (is it the -event-kbd entry?)',
    };
  }
  if (!grab) return { ok: true, detail: 'a keyboard (not grabbed: inputGrab is false)' };
  if (check.grab === 'busy') {
    return {
      ok: false,
      detail: 'grabbed by another program: stop the clock first (sudo systemctl stop badgeclock)',
    };
  }
  if (check.grab !== 'grabbed') return { ok: false, detail: `cannot grab it: ${check.grab}` };
  return { ok: true, detail: 'a keyboard, and it can be grabbed' };
}

/** The reader test of the configured readers (`badgeclock reader test`). */
export function readerTestFor(
  config: Config,
  io: { readonly stdin: Readable; readonly now: () => number },
): Observable<string> {
  const specs = readerSpecsOf(config);
  const locks = new Map<string, SharedArrayBuffer>();
  const readers = specs.map((spec): ReaderUnderTest => {
    // Deferred: a missing build is the probe's to report, not a throw here.
    // The test ends with its input (a file piped in): that end is no fault here.
    const reads$ = defer(() =>
      makeReader(spec, { stdin: io.stdin, stdinEndIsFault: false, now: io.now }, locks),
    );
    const what = `${describeReader(spec)}${specs.length > 1 ? ` ("${spec.name}")` : ''}`;
    switch (spec.kind) {
      case 'keyboard':
        return { what, name: spec.name, reads$ };
      case 'mfrc522':
        return {
          what,
          name: spec.name,
          reads$,
          probe: () => probeMfrc522Spec(spec),
          uidLengths: true,
        };
      case 'evdev':
        return {
          what,
          name: spec.name,
          reads$,
          probe: async () => inputProbe(await checkInputDevice(spec.inputDevice), spec.inputGrab),
          fix: 'see the README, "USB keyboard-wedge reader as a service": the device path, the input group',
        };
    }
  });
  return readersTest(readers, config.tz, config.debounceSeconds * 1000);
}
