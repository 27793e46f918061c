/**
 * `badgeclock reader test`: a wiring check for the person installing the
 * reader. For an RC522 it reads VersionReg first and says what answered;
 * then it prints every card presented (once per presentation, however long
 * it is held) and every fault, until it is stopped.
 */
import { tz } from '@date-fns/tz';
import { format } from 'date-fns';
import { concat, defer, from, map, of, type Observable } from 'rxjs';
import type { CardRead, ReadRejected } from '../streams/events';
import { presentations } from '../streams/presentations';
import type { ChipProbe } from './drivers/reader/mfrc522/mfrc522Reader';

/** The chip did not answer as an MFRC522: the test stops with this message (exit 1). */
export class ReaderCheckError extends Error {}

export interface ReaderTestOptions {
  /** What the reader is, for the first line, e.g. `RC522 on /dev/spidev0.0`. */
  readonly what: string;
  /** Reads VersionReg (RC522); absent for readers with nothing to probe. */
  readonly probe?: () => Promise<ChipProbe>;
  /** The reader's sightings; subscribed only after a successful probe. */
  readonly reads$: Observable<CardRead | ReadRejected>;
  readonly zone: string;
  /** Sightings of one card closer than this are one presentation (the clock's debounce); default 3 s. */
  readonly gapMs?: number;
  /** Show how many bytes a card's UID has (an RC522 reads UIDs; a wedge reader types any number). */
  readonly uidLengths?: boolean;
}

/** How many bytes a hex card id's UID has, for the line (4, 7 or 10 on an RC522). */
function uidLength(card: string): string {
  return /^[0-9A-F]+$/.test(card) && card.length % 2 === 0 ? `  (${card.length / 2}-byte UID)` : '';
}

const time = (at: number, zone: string): string => format(at, 'HH:mm:ss', { in: tz(zone) });

/** The lines the reader test prints, in order; errors with ReaderCheckError when the chip is wrong. */
export function readerTest(options: ReaderTestOptions): Observable<string> {
  const { probe, zone } = options;
  const probed$: Observable<string> =
    probe === undefined
      ? of(
          `${options.what}: no chip to probe (a keyboard-wedge reader types each card id, then Enter)`,
        )
      : defer(() => from(probe())).pipe(
          map((result) => {
            if (!result.ok) {
              throw new ReaderCheckError(
                `✖ ${options.what}: ${result.detail}\n` +
                  '  fix: check the wiring against the README table ("RC522 (MFRC522) reader") and that SPI is enabled',
              );
            }
            return `✔ ${options.what} answers: ${result.detail}`;
          }),
        );
  const cards$ = options.reads$.pipe(
    presentations(options.gapMs ?? 3_000),
    map((event) =>
      event.type === 'cardRead'
        ? `${time(event.at, zone)}  card ${event.card}${options.uidLengths === true ? uidLength(event.card) : ''}`
        : `${time(event.at, zone)}  ✖ ${event.reason}`,
    ),
  );
  return concat(
    probed$,
    of('Present a card; each one is shown once per presentation. Ctrl-C stops.'),
    // concat subscribes in turn: the reader starts only after a good probe.
    cards$,
  );
}
