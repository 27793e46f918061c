/**
 * A person's sessions folded again from their taps (docs/multi-door.md): what
 * a late tap from another door does. A tap only ever meets its own person's
 * state, so folding that person's merged taps from before the late one, in
 * time order, through the same reducer, gives the sessions one clock folding
 * the whole merged log in time order gives. Pure: the store reads the history
 * (`RefoldHistory`, src/drivers/store/refoldHistory.ts) in the step the
 * command went out; this folds it and says what changed.
 */
import type { CardRead, Output, Refold, RefoldHistory, Refolded, RefoldedSession } from './events';
import { autoClose, closeOf } from './autoClose';
import type { Rules } from './rules';
import { sessionId, type ClockState, type Step } from './sessionState';

/** The reducer for a tap, as the refold uses it (sessions.ts passes its own). */
type FoldTap = (state: ClockState, read: CardRead) => Step;

/** The late tap asks for the refold of its person: the store answers with their history. */
export function refoldRequest(
  read: { readonly at: number },
  card: string,
  ids: readonly string[],
): Refold {
  return { type: 'refold', at: read.at, card, ids: [...new Set(ids)] };
}

/**
 * Folds the person's history again and replaces their part of the state. What changed against
 * the store (sessions added, changed or superseded) is the `refolded` event the store commits.
 */
export function onRefoldHistory(
  state: ClockState,
  history: RefoldHistory,
  foldTap: FoldTap,
  rules: Rules,
): Step {
  const { card } = history;
  // The store was read in the step the command went out: its open session is the state's.
  if ((state.open.get(card)?.id ?? null) !== history.openId) {
    // Asked again from where this history began (at or before the late tap), by the same ids.
    const ids = history.ids ?? [card];
    return { state, out: [{ type: 'refold', at: history.from, card, ids }] };
  }
  const open = new Map(state.open);
  open.delete(card);
  let folded: ClockState = {
    ...state,
    open,
    cards: new Map(state.cards).set(card, history.before),
    // The taps were enrolment steps (rule 14) or not when first folded: what is open at a
    // reader now has nothing to do with them.
    enrol: new Map(),
  };
  const outputs: Output[] = [];
  const taps = [...history.taps].sort(
    (a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const lateFolded: string[] = [];
  const known = new Set([...history.stored.map((s) => s.id), ...history.supersededIds]);
  for (const tap of taps) {
    folded = closedByFix(folded, card, tap.at, history);
    // An enrolment step was never a clock tap, whatever the reader is doing now.
    if (tap.outcome === 'enrol') continue;
    const read: CardRead = {
      type: 'cardRead',
      at: tap.at,
      card: tap.card,
      reader: tap.reader,
      origin: tap.id,
    };
    const step = keepStoredId(foldTap(folded, read), card, history.ids ?? [card], known);
    // Only this person's taps count (a raw id whose person changed since is another's now).
    const mine = step.out.some((o) => o.type === 'tap' && o.card === card);
    if (!mine) continue;
    folded = step.state;
    outputs.push(...step.out);
    if (tap.late === true) lateFolded.push(tap.id);
  }
  // One a manager closed while open, no tap closing it before, stays as they closed it.
  folded = closedByFix(folded, card, history.at, history);
  // Left open past its limit, the session is closed there now, as the next minute would close
  // it: one made again after an earlier refold superseded it may have had its close written,
  // and only a change of its row reaches the sheet again.
  const left = folded.open.get(card);
  if (left !== undefined && closeOf(folded, left, rules).at <= history.at) {
    const closed = autoClose(folded, left, rules);
    folded = closed.state;
    outputs.push(...closed.out);
  }
  const sessions = asManagerClosed(sessionsOf(outputs, history), folded.open.get(card), history);
  folded = withCorrectedRecent(folded, card, sessions, history);
  const refolded: Refolded = {
    type: 'refolded',
    at: history.at,
    card,
    from: history.from,
    late: taps.filter((t) => lateFolded.includes(t.id)),
    ...withFixes(diff(history.stored, sessions, new Set(history.supersededIds)), history),
    ...(history.corrections === undefined ? {} : { corrections: history.corrections }),
  };
  const next: ClockState = {
    ...state,
    // Only this person's open session and memory come from the fold: the rest (enrolment at a
    // reader, the directory, cards listed, …) is the live state's, as it was before the refold.
    open: withEntry(state.open, card, folded.open.get(card)),
    cards: withEntry(state.cards, card, folded.cards.get(card)),
  };
  return { state: next, out: [refolded] };
}

/**
 * A clock-in the fold makes at an instant where one of the person's sessions, stored or
 * superseded, clocked in under another of their raw ids (a badge People made their alias while
 * it was open, an old card): that session, under the id it is kept under. Through today's
 * People the fold would give it the person's card's id, and supersede it to add the same
 * session again. By the instant, not by the tap's first session: an earlier refold may have
 * given the tap another meaning since.
 */
function keepStoredId(
  step: Step,
  card: string,
  ids: readonly string[],
  known: ReadonlySet<string>,
): Step {
  const open = step.state.open.get(card);
  if (open === undefined || known.has(open.id)) return step;
  const made = open.id;
  if (!step.out.some((o) => o.type === 'clock-in' && o.session === made)) return step;
  const id = ids.map((raw) => sessionId(raw, open.inAt)).find((candidate) => known.has(candidate));
  if (id === undefined) return step;
  return {
    state: { ...step.state, open: new Map(step.state.open).set(card, { ...open, id }) },
    out: step.out.map((o) =>
      o.type === 'clock-in' && o.session === made ? { ...o, session: id } : o,
    ),
  };
}

/**
 * The fold at `at`: a session a manager's correction closed while it was open (before `at`) and
 * still open here, no tap having closed it before, is closed as they closed it. It is no longer
 * open (asManagerClosed gives it their Out); the day's and week's totals take the manager's span.
 */
function closedByFix(
  state: ClockState,
  card: string,
  at: number,
  history: RefoldHistory,
): ClockState {
  const open = state.open.get(card);
  const fix = history.fixClosed?.find((f) => f.id === open?.id);
  if (open === undefined || fix === undefined || fix.at > at) return state;
  const manager = history.fixed?.find((f) => f.id === open.id);
  const memory = state.cards.get(card) ?? { recent: [] };
  const span =
    manager?.outAt === undefined || manager.voided === true
      ? []
      : [{ inAt: manager.inAt ?? open.inAt, outAt: manager.outAt }];
  return {
    ...state,
    open: withEntry(state.open, card, undefined),
    cards: new Map(state.cards).set(card, {
      ...memory,
      recent: [...memory.recent, ...span],
      fixClosed: { session: open.id, inAt: open.inAt },
    }),
  };
}

/**
 * The person's recent spans (the day's and week's hours the reader shows, the guard) as a
 * manager's corrections left them, as after a restart: the fold made them from the clock's own
 * times, which a voided session or a corrected Out no longer counts.
 */
function withCorrectedRecent(
  state: ClockState,
  card: string,
  sessions: readonly RefoldedSession[],
  history: RefoldHistory,
): ClockState {
  const memory = state.cards.get(card);
  const fixes = new Map((history.fixed ?? []).map(({ id, ...fix }) => [id, fix]));
  if (memory === undefined || fixes.size === 0) return state;
  const byTimes = new Map(
    sessions.flatMap((s) => {
      const fix = fixes.get(s.id);
      return fix === undefined || s.outAt === null ? [] : [[`${s.inAt}-${s.outAt}`, fix] as const];
    }),
  );
  const recent = memory.recent.flatMap((span) => {
    const fix = byTimes.get(`${span.inAt}-${span.outAt}`);
    if (fix === undefined) return [span];
    return fix.voided === true
      ? []
      : [{ inAt: fix.inAt ?? span.inAt, outAt: fix.outAt ?? span.outAt }];
  });
  return { ...state, cards: new Map(state.cards).set(card, { ...memory, recent }) };
}

function withEntry<V>(
  map: ReadonlyMap<string, V>,
  key: string,
  value: V | undefined,
): Map<string, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

/**
 * The sessions the fold made that closedByFix closed (left `in` by their outputs, and not the
 * one open at the end), as the manager's correction closed them: its Out, as the store keeps it.
 * One stored so is unchanged; one an earlier refold superseded comes back closed, not open.
 */
function asManagerClosed(
  sessions: readonly RefoldedSession[],
  open: { readonly id: string } | undefined,
  history: RefoldHistory,
): RefoldedSession[] {
  return sessions.map((s) => {
    const fix = history.fixClosed?.find((f) => f.id === s.id);
    if (s.status !== 'in' || s.id === open?.id || fix === undefined) return s;
    return { ...s, outAt: fix.outAt, status: 'out', closedByFix: true };
  });
}

/** The sessions the fold's outputs make, in order. */
function sessionsOf(outputs: readonly Output[], history: RefoldHistory): RefoldedSession[] {
  const byId = new Map<string, RefoldedSession>();
  for (const o of outputs) {
    if (o.type === 'clock-in') {
      byId.set(o.session, {
        id: o.session,
        card: o.card,
        name: o.name,
        inAt: o.at,
        outAt: null,
        status: 'in',
        reason: null,
        reader: o.reader,
        outReader: null,
      });
    } else if (o.type === 'clock-out' || o.type === 'auto-out') {
      const s = byId.get(o.session) ?? history.stored.find((x) => x.id === o.session);
      if (s === undefined) continue;
      byId.set(o.session, {
        ...s,
        outAt: o.at,
        status: o.type === 'clock-out' ? 'out' : 'auto',
        reason: o.type === 'auto-out' ? o.reason : null,
        outReader: o.type === 'clock-out' && o.reader !== s.reader ? o.reader : null,
      });
    }
  }
  return [...byId.values()];
}

type Changes = Pick<Refolded, 'added' | 'changed' | 'superseded'>;

/**
 * Each session with what a manager corrected of it (rule 13): the refold folds the clock's
 * times, but the row it rewrites must go on showing the manager's.
 */
function withFixes(changes: Changes, history: RefoldHistory): Changes {
  const fixes = new Map((history.fixed ?? []).map(({ id, ...fix }) => [id, fix]));
  const fixed = (s: RefoldedSession): RefoldedSession => {
    const fix = fixes.get(s.id);
    return fix === undefined ? s : { ...s, fixed: fix };
  };
  return {
    added: changes.added.map(fixed),
    changed: changes.changed.map(fixed),
    superseded: changes.superseded.map(fixed),
  };
}

const same = (a: RefoldedSession, b: RefoldedSession): boolean =>
  a.inAt === b.inAt &&
  a.outAt === b.outAt &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.outReader === b.outReader;

/**
 * What the store must change: sessions new, changed (same id), or no longer there. One an
 * earlier refold superseded and this one makes again is changed: it comes back.
 */
function diff(
  stored: readonly RefoldedSession[],
  sessions: readonly RefoldedSession[],
  supersededIds: ReadonlySet<string>,
): Changes {
  const old = new Map(stored.map((s) => [s.id, s]));
  const now = new Map(sessions.map((s) => [s.id, s]));
  return {
    added: sessions.filter((s) => !old.has(s.id) && !supersededIds.has(s.id)),
    changed: sessions.filter((s) => {
      const before = old.get(s.id);
      return before === undefined ? supersededIds.has(s.id) : !same(before, s);
    }),
    superseded: stored.filter((s) => !now.has(s.id)),
  };
}
