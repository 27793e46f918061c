/**
 * How the clock finds its rows in `Log` without trusting row numbers: each
 * row it writes carries developer metadata (the session id and the card),
 * which the spreadsheet keeps attached to the row through sorts, inserts and
 * deletes (and deletes with the row). Writes address rows through these tags
 * (`…ByDataFilter`), so no sort between a read and a write can put a value
 * into another session's row (PRODUCT rule 9).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import type { DataFilter } from './sheetsApi';

/** Row tag: the session a `Log` row shows. */
export const SESSION_TAG = 'badgeclock.session';
/** Row tag: the card of a `Log` row (to fill in a name typed into People later). */
export const CARD_TAG = 'badgeclock.card';
/** Row tag on the newest row the clock inserted: new rows go just below it. */
export const TAIL_TAG = 'badgeclock.tail';
/** Sheet tag on `Log`: its rows written before tags existed were tagged once. */
export const TAGGED_TAG = 'badgeclock.tagged';

/** A filter matching the rows tagged `key` (= `value`, when given). */
export function tagFilter(key: string, value?: string): DataFilter {
  return {
    developerMetadataLookup: {
      metadataKey: key,
      ...(value === undefined ? {} : { metadataValue: value }),
    },
  };
}

/** The request that tags rows [startIndex, startIndex + count) of a tab. */
export function tagRows(
  sheetId: number,
  startIndex: number,
  key: string,
  value: string,
  count = 1,
): sheets_v4.Schema$Request {
  return {
    createDeveloperMetadata: {
      developerMetadata: {
        metadataKey: key,
        metadataValue: value,
        location: {
          dimensionRange: {
            sheetId,
            dimension: 'ROWS',
            startIndex,
            endIndex: startIndex + count,
          },
        },
        visibility: 'DOCUMENT',
      },
    },
  };
}

/** A tag found by a search: its value, id and the row it is on now (0-based). */
export interface FoundTag {
  readonly key: string;
  readonly value: string;
  readonly id: number;
  /** The grid the row is in (a tab a person renamed to archive it keeps its rows' tags). */
  readonly sheetId: number;
  readonly row: number;
}

/** The row tags a developerMetadata.search answered, in the order found. */
export function foundTags(response: sheets_v4.Schema$SearchDeveloperMetadataResponse): FoundTag[] {
  return (response.matchedDeveloperMetadata ?? []).flatMap((match) => {
    const metadata = match.developerMetadata;
    const row = metadata?.location?.dimensionRange?.startIndex;
    const sheetId = metadata?.location?.dimensionRange?.sheetId ?? 0;
    if (
      metadata?.metadataKey === undefined ||
      metadata.metadataKey === null ||
      row === undefined ||
      row === null
    )
      return [];
    return [
      {
        key: metadata.metadataKey,
        value: metadata.metadataValue ?? '',
        id: metadata.metadataId ?? 0,
        sheetId,
        row,
      },
    ];
  });
}
