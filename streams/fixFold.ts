/**
 * A batch's manager's corrections, folded: the last write of each session's
 * corrections in outbox order, with the clock's closes after them folded in.
 * Pure, beside the batch planner (batchPlan.ts), which writes what this says.
 */
import type { OutboxEntry } from './commit';
import type { EditField } from './sheetEdits';

/**
 * A manager's correction: Date, In, Out (blank while open), Hours (Out − In; left to the live
 * view while open; blank for a void session never closed), Status; Reader when a close folded
 * into it (foldFixes) came at another reader.
 */
export interface FixWrite {
  readonly kind: 'fix';
  readonly session: string;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto' | 'void' | 'superseded';
  readonly readers?: string;
  /**
   * Cells a manager typed into the sheet that this write must leave as typed (never written
   * over, rule 13): In, Out, Status.
   */
  readonly typed?: readonly EditField[];
}

/**
 * A batch's manager's corrections in outbox order: per session, the write of its last fix and
 * the entries it stands for (`entries`: the others). After a fix, a clock-out of a session it
 * left open closes the fixed row (Hours from the fixed In); a close of one it closed or voided
 * (unlikely), and a correction of the clock's own times (synchronised later), are left out.
 */
export function foldFixes(all: readonly OutboxEntry[]): {
  entries: OutboxEntry[];
  fixes: Map<string, { write: FixWrite; entries: OutboxEntry[] }>;
} {
  const entries: OutboxEntry[] = [];
  const fixes = new Map<string, { write: FixWrite; entries: OutboxEntry[] }>();
  for (const entry of all) {
    const fix = 'session' in entry ? fixes.get(entry.session) : undefined;
    if (entry.kind === 'session-fixed') {
      const { session, inAt, outAt, status } = entry;
      const readers = fix?.write.readers;
      // Cells typed in the sheet stay as typed, those of an earlier correction in the batch too;
      // a `fix` after them writes the row whole again.
      const typed =
        entry.typed === undefined
          ? undefined
          : [...new Set([...(fix?.write.typed ?? []), ...entry.typed])];
      const write: FixWrite = {
        ...{ kind: 'fix', session, inAt, outAt, status },
        ...(readers === undefined ? {} : { readers }),
        ...(typed === undefined ? {} : { typed }),
      };
      fixes.set(session, { write, entries: [...(fix?.entries ?? []), entry] });
    } else if (
      fix === undefined ||
      (entry.kind !== 'session-closed' && entry.kind !== 'session-corrected')
    )
      entries.push(entry);
    else {
      fix.entries.push(entry);
      if (entry.kind !== 'session-closed' || fix.write.status !== 'in') continue;
      // The clock's close: its Out and Status are written, whatever was typed before.
      const { outAt, status, readers = fix.write.readers } = entry;
      const typed = fix.write.typed?.filter((field) => field === 'in');
      fix.write = {
        ...fix.write,
        ...{ outAt, status },
        ...(readers === undefined ? {} : { readers }),
        ...(typed === undefined ? {} : { typed }),
      };
    }
  }
  return { entries, fixes };
}
