/**
 * A manager's corrections as they travel from the hub to the doors
 * (docs/multi-door.md): the topic, and the message of one applied correction
 * (JSON, `v` 1), built here and checked here. It carries the hub's verdict:
 * a door applies it as judged, it does not judge it again (its store may not
 * have the session yet). A message that is not one is refused with what is
 * wrong.
 */
import type { CorrectionJudged, Corrected } from '../../../streams/events';
import type { FieldChange } from '../../../streams/corrections';

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

/** The message of the hub's correction `seq`, from what the store kept. */
export const correctionMessage = (seq: number, payload: string): string =>
  `{"v":1,"id":"hub:${seq}",${payload.slice(1)}`;

export type ParsedCorrection =
  | { readonly ok: true; readonly correction: CorrectionJudged & { readonly origin: string } }
  | { readonly ok: false; readonly reason: string };

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;
const STATUSES = ['in', 'out', 'auto', 'void'] as const;

/** One change as the message has it: a field, and its old and new value (a time, text or null). */
function isChange(value: unknown): value is FieldChange {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const isValue = (v: unknown): boolean => v === null || isTime(v) || isText(v, 200);
  return (
    (c.field === 'in' || c.field === 'out' || c.field === 'status') &&
    isValue(c.old) &&
    isValue(c.new)
  );
}

/** The first thing wrong with a correction message's fields, or null. */
function wrongField(m: Record<string, unknown>): string | null {
  const checks: [boolean, string][] = [
    [isTime(m.at), 'at is not a time in milliseconds'],
    [isText(m.session, 200) && m.session !== '', 'session is not a session id'],
    [isText(m.card, 100) && m.card !== '', 'card is not a card id'],
    [m.name === null || isText(m.name, 200), 'name is neither text nor null'],
    [m.source === 'sheet' || m.source === 'fix', 'source is neither "sheet" nor "fix"'],
    [m.why === null || isText(m.why, 1000), 'why is neither text nor null'],
    [Array.isArray(m.changes) && m.changes.every(isChange), 'changes are not field changes'],
    [isTime(m.inAt), 'inAt is not a time in milliseconds'],
    [m.outAt === null || isTime(m.outAt), 'outAt is neither a time nor null'],
    [typeof m.voided === 'boolean', 'voided is not true or false'],
    [STATUSES.some((s) => s === m.status), 'status is not in, out, auto or void'],
    [typeof m.closes === 'boolean', 'closes is not true or false'],
  ];
  return checks.find(([ok]) => !ok)?.[1] ?? null;
}

/** The correction a message on `topic` carries, for the core as judged, or why it is none. */
export function parseCorrectionMessage(
  site: string,
  topic: string,
  payload: Buffer,
): ParsedCorrection {
  if (topic !== correctionsTopic(site)) return { ok: false, reason: 'not the corrections topic' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not an object' };
  const m = value as Record<string, unknown>;
  if (m.v !== 1) return { ok: false, reason: `unknown version ${JSON.stringify(m.v)}` };
  if (typeof m.id !== 'string' || !/^hub:[1-9][0-9]{0,15}$/.test(m.id)) {
    return { ok: false, reason: `id ${JSON.stringify(m.id)} is not "hub:<seq>"` };
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
