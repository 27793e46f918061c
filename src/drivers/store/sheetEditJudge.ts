/**
 * Corrections typed into the sheet, as a source of the core (rule 13): the
 * Log rows each live update read back (editWatch.ts, liveView.ts) are
 * compared with what they should show (streams/sheetEdits.ts), and what a
 * row asks for is judged against the store like a `fix` request, with the
 * sheet as its source. A row that was in `Log` and is gone (a person deleted
 * it) is said once in Edits: it still counts (rule 9), and how to void it.
 */
import { concatMap, from, type Observable } from 'rxjs';
import type { CorrectionJudged } from '../../../streams/events';
import type { Rules } from '../../../streams/rules';
import { ROW_DELETED, sheetEditOf, type LogRowRead } from '../../../streams/sheetEdits';
import type { LogRowsRead } from '../sheets/sheetsDriver';
import { judged, type FixQueue } from './fixRequests';

type Context = Pick<FixQueue, 'correctionContext'>;

/** The corrections the rows read back ask for, judged as they come, in the order read. */
export function sheetEdits$(
  reads$: Observable<LogRowsRead>,
  queue: Context,
  rules: Rules,
): Observable<CorrectionJudged> {
  // Sessions whose row this clock has seen in Log: only such a row, gone, was deleted (one
  // never written, or written by another run before a restart, is not known to have been).
  const inLog = new Set<string>();
  return reads$.pipe(
    concatMap(({ at, clockSynced, rows }) =>
      from(rows.flatMap((read) => judgeRow(queue, read, { at, clockSynced, rules, inLog }))),
    ),
  );
}

/** How a row read back is judged: when, by which rules, and what was seen in Log before. */
interface RowJudging {
  readonly at: number;
  readonly clockSynced: boolean;
  readonly rules: Rules;
  readonly inLog: Set<string>;
}

function judgeRow(
  queue: Context,
  { row, cells }: LogRowRead,
  { at, clockSynced, rules, inLog }: RowJudging,
): CorrectionJudged[] {
  if (cells === null) {
    if (!inLog.delete(row.session) || row.seen.status === ROW_DELETED || row.voided) return [];
    return [rowDeleted(queue, row.session, at)];
  }
  inLog.add(row.session);
  const request = sheetEditOf(row, cells, rules.zone);
  if (request === null) return [];
  const verdict = judged(queue, request, { now: at, rules, source: 'sheet', why: null });
  // A clock not yet synchronised (a stale boot, before NTP) judges against a wrong now: a right
  // time can look 'in the future', and a refusal stands for good (rule 13). What it applies holds
  // whatever now is; a refusal waits in the sheet for a round on a synchronised clock.
  return clockSynced || verdict.applied ? [verdict] : [];
}

/** A deleted row, said once: nothing changes (rule 9), and the Edits line says how to void it. */
function rowDeleted(queue: Context, id: string, at: number): CorrectionJudged {
  const { session } = queue.correctionContext(id);
  const status = session?.status ?? 'out';
  return {
    type: 'correctionJudged',
    at,
    session: id,
    card: session?.card ?? '',
    name: session?.name ?? null,
    source: 'sheet',
    why: null,
    applied: false,
    reason: `the row was deleted from Log, and the session still counts: to take it out of every total, void it (badgeclock fix ${id} --void --why TEXT)`,
    changes: [{ field: 'status', old: status, new: ROW_DELETED }],
    inAt: session?.inAt ?? at,
    outAt: session?.outAt ?? null,
    voided: false,
    status,
    closes: false,
  };
}
