/**
 * A session whose `Log` row is gone (rule 9: a person deleted it, and the
 * clock never brings it back; or the sheet refused it for good) still counts
 * in every total. The manager is told so
 * once, in the `Edits` tab, with how to take it out: one line per session,
 * keyed so that telling it again (the next entry about that session, a batch
 * sent twice) finds it there. Pure: the batch writer appends what this gives
 * with the Edits lines of corrections.
 */
import type { OutboxEntry } from './commit';

type EditLine = Extract<OutboxEntry, { kind: 'edit-logged' }>;

/** The Edits lines for the sessions of `dropped` entries (their rows are gone), one each. */
export function missingRowNotices(dropped: readonly OutboxEntry[], now: number): EditLine[] {
  const lines = new Map<string, EditLine>();
  for (const entry of dropped) {
    if (!('session' in entry) || entry.kind === 'edit-logged' || lines.has(entry.session)) continue;
    lines.set(entry.session, {
      kind: 'edit-logged',
      key: `gone:${entry.session}`,
      card: entry.card,
      seenAt: now,
      session: entry.session,
      name: entry.kind === 'session-opened' ? entry.name : null,
      field: 'status',
      old: null,
      new: 'row missing',
      result: `kept: its Log row is missing (deleted in the sheet, or never written: see badgeclock status) and it still counts; to take it out: badgeclock fix ${entry.session} --void --why "…"`,
      why: null,
      source: 'sheet',
    });
  }
  return [...lines.values()];
}
