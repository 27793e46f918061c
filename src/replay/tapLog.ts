/**
 * A tap log: CSV lines `ISO-8601 timestamp,card[,reader]`, sorted or not.
 * A timestamp without an offset is wall-clock time in the configured zone.
 */
import { tz } from '@date-fns/tz';
import { parseISO } from 'date-fns/parseISO';
import { normaliseCardId } from '../../streams/cardId';
import type { CardRead } from '../../streams/events';
import { parseCsv } from '../formats/csv';

export interface TapLog {
  /** Reads in time order (stable for equal instants: file order). */
  readonly reads: readonly CardRead[];
  /** Each unusable line, naming the file and line and what is wrong. */
  readonly problems: readonly string[];
}

const HAS_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Parses a tap log's text. */
export function parseTapLog(
  text: string,
  file: string,
  zone: string,
  defaultReader: string,
): TapLog {
  const reads: CardRead[] = [];
  const problems: string[] = [];
  for (const record of parseCsv(text)) {
    const [stamp = '', rawCard = '', reader = ''] = record.fields.map((f) => f.trim());
    const where = `${file}:${record.line}`;
    if (record.error !== undefined) {
      problems.push(`${where}: ${record.error}`);
      continue;
    }
    if (stamp.startsWith('#')) continue;
    if (record.line === 1 && /^[a-z _-]+$/i.test(stamp)) continue; // a header
    if (record.fields.length < 2 || record.fields.length > 3) {
      problems.push(
        `${where}: expected "timestamp,card[,reader]", got ${record.fields.length} field(s)`,
      );
      continue;
    }
    const at = HAS_TIME.test(stamp)
      ? parseISO(stamp.replace(' ', 'T'), { in: tz(zone) }).getTime()
      : NaN;
    if (!Number.isFinite(at)) {
      problems.push(
        `${where}: ${JSON.stringify(stamp)} is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      );
      continue;
    }
    const card = normaliseCardId(rawCard);
    if (!card.ok) {
      problems.push(`${where}: ${card.reason}`);
      continue;
    }
    reads.push({
      type: 'cardRead',
      at,
      card: card.card,
      reader: reader === '' ? defaultReader : reader,
    });
  }
  // Array.prototype.sort is stable, so equal instants keep file order.
  reads.sort((a, b) => a.at - b.at);
  return { reads, problems };
}
