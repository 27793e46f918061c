/** How each domain event reads to a person at the reader, and as a JSON line for programs. */
import type { Corrected, DomainEvent, Enrolment, Refolded } from '../../../streams/events';
import { ENROL_MS } from '../../../streams/rules';
import { formatDuration, formatLocalDateTime, formatLocalTime } from '../../../streams/zoned';

/** Human feedback (and --json) goes to stdout; faults and sync news go to the log (stderr). */
export type FeedbackLine =
  | { readonly stream: 'stdout'; readonly text: string }
  | { readonly stream: 'log'; readonly level: 'info' | 'warn'; readonly text: string };

/** The short console line for an event, or null for events that need none (the bare tap). */
export function formatFeedback(event: DomainEvent, zone: string): FeedbackLine | null {
  switch (event.type) {
    case 'reader-fault':
      return { stream: 'log', level: 'warn', text: `reader ${event.reader}: ${event.reason}` };
    case 'synced':
      // Operator information, not feedback at the reader: stderr, and only for outbox writes.
      return event.what === 'outbox'
        ? {
            stream: 'log',
            level: 'info',
            text: `sheet: ${event.count} change(s) written, backlog ${event.backlog}`,
          }
        : null;
    case 'sync-failed':
      return {
        stream: 'log',
        level: 'warn',
        text: `sheet: ${event.what === 'outbox' ? 'write' : 'live update'} failed: ${event.reason}; backlog ${event.backlog}${event.retryInMs === null ? '' : `, retrying in ${Math.ceil(event.retryInMs / 1000)} s`}`,
      };
    case 'correction':
      return {
        stream: 'log',
        level: event.applied ? 'info' : 'warn',
        text: correctionText(event, zone),
      };
    case 'refolded':
      return { stream: 'log', level: 'info', text: refoldedText(event, zone) };
    default:
      return personFeedback(event, zone);
  }
}

/** `correction of <session> (fix): Out 17:02 → 16:30 applied` or `… rejected: <why>`. */
function correctionText(event: Corrected, zone: string): string {
  const value = (v: number | string | null): string =>
    v === null ? 'blank' : typeof v === 'number' ? formatLocalDateTime(v, zone) : v;
  const changes = event.changes
    .map(
      (c) =>
        `${c.field === 'status' ? 'Status' : c.field === 'in' ? 'In' : 'Out'} ${value(c.old)} → ${value(c.new)}`,
    )
    .join(', ');
  const verdict = event.applied ? 'applied' : `rejected: ${event.reason ?? ''}`;
  return `correction of ${event.session} (${event.name ?? event.card}, ${event.source}): ${changes === '' ? '' : `${changes} `}${verdict}`;
}

type PersonEvent = Exclude<
  DomainEvent,
  { type: 'reader-fault' | 'synced' | 'sync-failed' | 'correction' | 'refolded' }
>;

function personFeedback(event: PersonEvent, zone: string): FeedbackLine | null {
  const time = formatLocalTime(event.at, zone);
  const who = event.name ?? event.card;
  switch (event.type) {
    case 'tap':
      return null;
    case 'tap-late':
      return {
        stream: 'log',
        level: 'warn',
        text: `${event.origin}: ${who}'s tap at ${time} came after a later one of theirs; kept for the replay`,
      };
    case 'enrol':
      return out(enrolLine(event, time));
    case 'clock-in':
      return out(`✔ ${time}  ${who}  in${event.unsynced === true ? UNSYNCED : ''}`);
    case 'clock-out':
      return out(
        `✔ ${time}  ${who}  out  ${formatDuration(event.at - event.inAt)} (today ${formatDuration(event.todayHours * 3_600_000)}, week ${formatDuration(event.weekHours * 3_600_000)})${event.unsynced === true ? UNSYNCED : ''}`,
      );
    case 'auto-out': {
      const why = event.reason === 'limit' ? 'at the time limit' : 'at the daily cut-off';
      return out(
        `⏱ ${formatLocalTime(event.at, zone)}  ${who}  out automatically ${why}  ${formatDuration(event.at - event.inAt)} (forgot to clock out?)`,
      );
    }
    case 'ignored':
      return out(
        event.reason === 'double-tap'
          ? `· ${time}  ${who}  ignored double tap`
          : `· ${time}  ${who}  ignored: card deactivated in People`,
      );
    case 'unknown':
      if (event.reason !== undefined) return out(`? card ${event.card} refused: ${event.reason}`);
      return out(
        event.policy === 'accept'
          ? `? unknown card ${event.card} (clocked in under its id; add a name in People)`
          : `? unknown card ${event.card} (not clocked; add a name in People to use it)`,
      );
  }
}

/**
 * One step of enrolment at the reader (rule 14), for the manager standing there: what
 * happened, and what to do next. `⚙` the mode, `✚` a card added to People, `✖` a refusal.
 */
function enrolLine(event: Enrolment, time: string): string {
  const who = event.name ?? event.card;
  switch (event.step) {
    case 'opened':
      return `⚙ ${time}  enrolment open at ${event.reader}: tap a new card to list it, or a person's card and then the card to tie to it (${ENROL_MS / 1000} s)`;
    case 'listed':
      return event.name === null
        ? `✚ ${time}  card ${event.card} listed in People: name it there`
        : `✚ ${time}  card ${event.card} listed in People as ${event.name}: rename it there`;
    case 'chosen':
      return `⚙ ${time}  ${who} chosen: tap the card to tie to ${who}`;
    case 'aliased':
      return `✚ ${time}  card ${event.card} is now an alias of ${event.name ?? event.target ?? 'the chosen card'}`;
    case 'refused':
      return `✖ ${time}  not enrolled: ${event.reason ?? `card ${event.card} refused`}`;
    case 'closed':
      return `⚙ ${time}  enrolment closed${event.reason === undefined ? '' : ` (${event.reason})`}`;
  }
}

const UNSYNCED = '  (clock not synchronised yet: time will be corrected)';

/** A person's sessions folded again after another door's late tap, and what it changed. */
function refoldedText(event: Refolded, zone: string): string {
  const { added, changed, superseded, late } = event;
  return `merged: ${event.card}'s sessions folded again from ${formatLocalTime(event.from, zone)} with ${late.length} late tap(s) (${late.map((t) => t.id).join(', ')}): ${added.length} added, ${changed.length} changed, ${superseded.length} superseded`;
}

/** The `--json` line of a refold: the sessions it added, changed and superseded, by id. */
function refoldedJson(event: Refolded): Record<string, unknown> {
  const ids = (list: readonly { id: string }[]): string[] => list.map((s) => s.id);
  return {
    type: event.type,
    at: new Date(event.at).toISOString(),
    card: event.card,
    from: new Date(event.from).toISOString(),
    late: ids(event.late),
    added: ids(event.added),
    changed: ids(event.changed),
    superseded: ids(event.superseded),
  };
}

function out(text: string): FeedbackLine {
  return { stream: 'stdout', text };
}

/**
 * The `--json` line for an event: `type`, `at` (ISO-8601, UTC), `card`,
 * `name`, and `session` / `hours` / `step` / `target` / `reason` where they apply. Reader faults are not
 * domain events of a card and go to the log as text.
 */
export function formatJson(event: DomainEvent): FeedbackLine {
  if (event.type === 'reader-fault') {
    return { stream: 'log', level: 'warn', text: `reader ${event.reader}: ${event.reason}` };
  }
  if (event.type === 'synced') {
    const { type, what, count, backlog } = event;
    return json({ type, at: new Date(event.at).toISOString(), what, count, backlog });
  }
  if (event.type === 'sync-failed') {
    const { type, what, reason, backlog, retryInMs } = event;
    return json({ type, at: new Date(event.at).toISOString(), what, reason, backlog, retryInMs });
  }
  if (event.type === 'correction') return json(correctionJson(event));
  if (event.type === 'refolded') return json(refoldedJson(event));
  const iso = (ms: number): string => new Date(ms).toISOString();
  const base = { type: event.type, at: iso(event.at), card: event.card, name: event.name };
  switch (event.type) {
    case 'tap':
      return json({
        ...base,
        reader: event.reader,
        ...(event.origin === undefined ? {} : { origin: event.origin }),
      });
    case 'tap-late':
      return json({ ...base, reader: event.reader, origin: event.origin });
    case 'clock-in':
      return json({
        ...base,
        session: event.session,
        reader: event.reader,
        ...(event.unsynced === true ? { clockSynced: false } : {}),
      });
    case 'clock-out':
      return json({
        ...base,
        session: event.session,
        hours: event.hours,
        in: iso(event.inAt),
        todayHours: event.todayHours,
        weekHours: event.weekHours,
        reader: event.reader,
        ...(event.inReader === undefined ? {} : { inReader: event.inReader }),
        ...(event.unsynced === true ? { clockSynced: false } : {}),
      });
    case 'auto-out':
      return json({
        ...base,
        session: event.session,
        hours: event.hours,
        in: iso(event.inAt),
        reason: event.reason,
      });
    case 'ignored':
      return json({ ...base, reason: event.reason, reader: event.reader });
    case 'unknown':
      return json({
        ...base,
        policy: event.policy,
        reader: event.reader,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      });
    case 'enrol':
      return json({
        ...base,
        step: event.step,
        reader: event.reader,
        ...(event.target === undefined ? {} : { target: event.target }),
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      });
  }
}

/** A correction's JSON: times as ISO-8601 instants. */
function correctionJson(event: Corrected): object {
  const iso = (v: number | null): string | null => (v === null ? null : new Date(v).toISOString());
  const value = (v: number | string | null) => (typeof v === 'number' ? iso(v) : v);
  return {
    type: event.type,
    at: iso(event.at),
    card: event.card,
    name: event.name,
    session: event.session,
    source: event.source,
    why: event.why,
    applied: event.applied,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
    changes: event.changes.map((c) => ({ field: c.field, old: value(c.old), new: value(c.new) })),
    in: iso(event.inAt),
    out: iso(event.outAt),
    status: event.status,
  };
}

function json(value: object): FeedbackLine {
  return { stream: 'stdout', text: JSON.stringify(value) };
}
