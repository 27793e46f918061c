/**
 * A manager's corrections as they travel from the hub to the doors
 * (docs/multi-door.md): the topic, and the message of one applied correction
 * (JSON, `v` 1), built here and checked here. It carries the hub's verdict:
 * a door applies it as judged, it does not judge it again (its store may not
 * have the session yet). A message that is not one is refused with what is
 * wrong.
 */
import { createHash } from 'node:crypto';
import type { CorrectionJudged, Corrected } from '../../../streams/events';
import type { FieldChange } from '../../../streams/corrections';
import { messageOf } from './tapMessages';

/** The hub's applied corrections: `badgeclock/<site>/corrections`. */
export const correctionsTopic = (site: string): string => `badgeclock/${site}/corrections`;

/** What the store keeps of an applied correction to share: the message without its id. */
export function correctionPayload(event: Corrected): string {
  const { at, session, card, name, source, why, changes, inAt, outAt, voided, status, closes } =
    event;
  return JSON.stringify({
    ...{ at, session, card, name, source, why, changes },
    ...{ inAt, outAt, voided, status, closes },
  });
}

/**
 * The message of the hub's correction `seq`, from what the store kept. Its id is the seq and a
 * hash of the correction: a hub whose store was restored from a backup, or replaced, numbers
 * again from an older seq, and doors, which drop a copy by its id, must not take a new
 * correction for a copy of an old one.
 */
export function correctionMessage(seq: number, payload: string): string {
  const hash = createHash('sha256').update(payload).digest('hex').slice(0, 16);
  return `{"v":1,"id":"hub:${seq}:${hash}",${payload.slice(1)}`;
}

export type ParsedCorrection =
  | { readonly ok: true; readonly correction: CorrectionJudged & { readonly origin: string } }
  | { readonly ok: false; readonly reason: string };

/** An instant a Date can hold (the store writes each as ISO-8601 text). */
const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= 8.64e15;
const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;
const STATUSES = ['in', 'out', 'auto', 'void'] as const;
const SESSION_ID = /^\d{8}T\d{6}\.\d{3}Z-.{1,100}$/;

/**
 * What is wrong with one change of an applied correction, or null: an In moved (old and new
 * times), an Out given or moved (old a time, or none while open; new a time), or a void (the
 * status it had, then `void`).
 */
function wrongChange(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'is not an object';
  const c = value as Record<string, unknown>;
  switch (c.field) {
    case 'in':
      return isTime(c.old) && isTime(c.new) ? null : 'In: old and new are not times';
    case 'out':
      return (c.old === null || isTime(c.old)) && isTime(c.new)
        ? null
        : 'Out: old is neither a time nor null, or new is not a time';
    case 'status':
      return (c.old === 'in' || c.old === 'out' || c.old === 'auto') && c.new === 'void'
        ? null
        : 'status: not from in, out or auto to void';
    default:
      return `field ${JSON.stringify(c.field)} is not in, out or status`;
  }
}

/** The first thing wrong with the changes, or null: one or more, each field once. */
function wrongChanges(changes: unknown): string | null {
  if (!Array.isArray(changes) || changes.length === 0) return 'changes are not a list of changes';
  for (const [i, change] of changes.entries()) {
    const wrong = wrongChange(change);
    if (wrong !== null) return `changes[${i}]: ${wrong}`;
  }
  const fields = changes.map((c: FieldChange) => c.field);
  return new Set(fields).size === fields.length ? null : 'changes name a field twice';
}

/** The first thing wrong with a correction message's fields, or null. */
function wrongField(m: Record<string, unknown>): string | null {
  const checks: [boolean, string][] = [
    [isTime(m.at), 'at is not a time in milliseconds'],
    [isText(m.session, 200) && SESSION_ID.test(m.session), 'session is not a session id'],
    [isText(m.card, 100) && m.card.trim() !== '', 'card is not a card id'],
    // A name and a why are as long as the hub let them be: a door refusing one would lose a
    // correction the hub applied (the broker's message size is the bound).
    [m.name === null || typeof m.name === 'string', 'name is neither text nor null'],
    [m.source === 'sheet' || m.source === 'fix', 'source is neither "sheet" nor "fix"'],
    [m.why === null || typeof m.why === 'string', 'why is neither text nor null'],
    [isTime(m.inAt), 'inAt is not a time in milliseconds'],
    [m.outAt === null || isTime(m.outAt), 'outAt is neither a time nor null'],
    [typeof m.voided === 'boolean', 'voided is not true or false'],
    [STATUSES.some((s) => s === m.status), 'status is not in, out, auto or void'],
    [typeof m.closes === 'boolean', 'closes is not true or false'],
  ];
  return checks.find(([ok]) => !ok)?.[1] ?? wrongChanges(m.changes) ?? wrongTogether(m);
}

/** What the fields say that cannot be together, or null (the fields are each sound). */
function wrongTogether(m: Record<string, unknown>): string | null {
  const { inAt, outAt, status, voided, closes } = m as {
    inAt: number;
    outAt: number | null;
    status: string;
    voided: boolean;
    closes: boolean;
  };
  if (voided !== (status === 'void')) return 'voided and status disagree';
  if ((outAt === null) !== (status === 'in')) return 'outAt and status disagree';
  if (closes && outAt === null) return 'it closes the session but gives no outAt';
  // A void changes no time, and the times it shows may be out of order: a refold may have
  // moved the clock's Out before the In a manager corrected.
  if (!voided && outAt !== null && outAt < inAt) return 'outAt is before inAt';
  return null;
}

/** The correction a message on `topic` carries, for the core as judged, or why it is none. */
export function parseCorrectionMessage(
  site: string,
  topic: string,
  payload: Buffer,
): ParsedCorrection {
  if (topic !== correctionsTopic(site)) return { ok: false, reason: 'not the corrections topic' };
  const message = messageOf(payload);
  if (!message.ok) return message;
  const m = message.fields;
  if (typeof m.id !== 'string' || !/^hub:[1-9][0-9]{0,15}:[0-9a-f]{16}$/.test(m.id)) {
    return { ok: false, reason: `id ${JSON.stringify(m.id)} is not "hub:<seq>:<hash>"` };
  }
  const wrong = wrongField(m);
  if (wrong !== null) return { ok: false, reason: wrong };
  const f = m as unknown as Omit<CorrectionJudged, 'type' | 'applied'> & { id: string };
  return {
    ok: true,
    correction: {
      type: 'correctionJudged',
      applied: true,
      ...{ at: f.at, session: f.session, card: f.card, name: f.name },
      ...{ source: f.source, why: f.why, changes: f.changes },
      ...{ inAt: f.inAt, outAt: f.outAt, voided: f.voided, status: f.status, closes: f.closes },
      origin: f.id,
    },
  };
}
