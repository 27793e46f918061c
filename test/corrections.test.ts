/**
 * A manager's corrections (rule 13): the judgement, pure, and the reducer's
 * part. The store's part and `badgeclock fix` are in test/fix.test.ts.
 */
import {
  judgeCorrection,
  type CorrectableSession,
  type CorrectionRequest,
} from '../streams/corrections';
import type { CorrectionJudged } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, sessionId, type ClockState } from '../streams/sessions';

const ZONE = 'Europe/Berlin';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-23T08:00:00+01:00');
const NOW = T0 + 30 * HOUR;
const ALICE = 'A11CE000';

function session(
  id: string,
  inAt: number,
  outAt: number | null,
  more: Partial<CorrectableSession> = {},
): CorrectableSession {
  return {
    id,
    card: ALICE,
    name: 'Alice',
    inAt,
    outAt,
    status: outAt === null ? 'in' : 'out',
    voided: false,
    clockInAt: inAt,
    clockOutAt: outAt,
    ...more,
  };
}

const day = session('s1', T0, T0 + 9 * HOUR);
const judge = (
  request: Omit<CorrectionRequest, 'session'>,
  s = day,
  others: CorrectableSession[] = [],
) => judgeCorrection({ session: s.id, ...request }, s, others, NOW, ZONE);

describe('judging a correction', () => {
  it('applies a changed Out, and the session is `out` whoever closed it', () => {
    const auto = session('s1', T0, T0 + 12 * HOUR, { status: 'auto' });
    expect(judge({ outAt: T0 + 8 * HOUR }, auto)).toEqual({
      applied: true,
      changes: [{ field: 'out', old: T0 + 12 * HOUR, new: T0 + 8 * HOUR }],
      inAt: T0,
      outAt: T0 + 8 * HOUR,
      voided: false,
      status: 'out',
      closes: false,
    });
  });

  it('an Out given for an open session closes it', () => {
    const open = session('s1', T0, null);
    expect(judge({ outAt: T0 + 8 * HOUR }, open)).toMatchObject({
      applied: true,
      closes: true,
      status: 'out',
    });
  });

  it('void keeps the times and takes the session out of the totals; an open one is closed', () => {
    expect(judge({ void: true })).toMatchObject({
      applied: true,
      voided: true,
      status: 'void',
      changes: [{ field: 'status', old: 'out', new: 'void' }],
    });
    expect(judge({ void: true }, session('s1', T0, null))).toMatchObject({ closes: true });
  });

  it('void closes an open session now: that is its Out, on the sheet as in the store', () => {
    // Found by the simulation with doors: the store closed it at the moment it was judged, the
    // row was written with no Out (and the last live Hours), and a later rewrite of the row
    // (a refold) brought the store's Out in.
    expect(judge({ void: true }, session('s1', T0, null))).toMatchObject({
      closes: true,
      inAt: T0,
      outAt: NOW,
      status: 'void',
    });
  });

  it.each([
    [
      'Out before In',
      { outAt: T0 - HOUR },
      'Out 2026-03-23 07:00 is not after In 2026-03-23 08:00',
    ],
    ['Out equal to In', { outAt: T0 }, 'Out 2026-03-23 08:00 is not after In 2026-03-23 08:00'],
    ['a time in the future', { outAt: NOW + 1 }, 'Out 2026-03-24 14:00 is in the future'],
    [
      'text in a time cell',
      { notATime: { field: 'out' as const, text: 'half five' } },
      '"half five" in Out is not a time',
    ],
    ['nothing changed', { outAt: T0 + 9 * HOUR }, 'it changes nothing'],
    [
      'moved more than a week from its taps',
      { inAt: T0 - 8 * 24 * HOUR },
      'it moves the session more than 7 days from its taps; void it instead',
    ],
  ])(
    'rejects %s, naming what is wrong, and keeps the session as it was',
    (_what, request, reason) => {
      const verdict = judge(request);
      expect(verdict.applied).toBe(false);
      expect(verdict.reason).toBe(reason);
      expect(verdict).toMatchObject({
        inAt: day.inAt,
        outAt: day.outAt,
        voided: false,
        closes: false,
      });
    },
  );

  it('rejects an overlap with the same person’s other session, but not with a void one', () => {
    const evening = session('s2', T0 + 10 * HOUR, T0 + 12 * HOUR);
    expect(judge({ outAt: T0 + 11 * HOUR }, day, [evening]).reason).toBe(
      "it would overlap Alice's session 2026-03-23 18:00–20:00",
    );
    expect(judge({ outAt: T0 + 11 * HOUR }, day, [{ ...evening, voided: true }]).applied).toBe(
      true,
    );
  });

  // Found by the simulation (seeds 60027 and 61023, --events 6 and 10): after the wall clock
  // stepped back, the clock's own times may lie ahead of it, or overlap each other; a manager's
  // edit that makes neither worse was refused, and its row kept Hours beside the typed time.
  it('judges only what the edit changes against now: the clock’s own Out ahead of it does not refuse an In', () => {
    const ahead = session('s1', NOW - 2 * HOUR, NOW + HOUR);
    expect(judge({ inAt: NOW - HOUR }, ahead)).toMatchObject({ applied: true, inAt: NOW - HOUR });
    expect(judge({ outAt: NOW + 30 * 60_000 }, ahead).reason).toBe(
      'Out 2026-03-24 14:30 is in the future',
    );
  });

  it('refuses only an overlap the edit makes: one the clock’s own times had already stays', () => {
    // The clock's Out of the evening session came before a step back, its next In after it.
    const evening = session('s2', T0 + 8 * HOUR, T0 + 12 * HOUR);
    expect(judge({ inAt: T0 + HOUR }, day, [evening])).toMatchObject({ applied: true });
    const later = session('s3', T0 + 9.5 * HOUR, T0 + 10 * HOUR);
    expect(judge({ outAt: T0 + 10 * HOUR }, day, [evening, later]).reason).toBe(
      "it would overlap Alice's session 2026-03-23 17:30–18:00",
    );
  });

  it('rejects a correction of a session that does not exist, and of a void one', () => {
    expect(judgeCorrection({ session: 'nope', outAt: T0 }, undefined, [], NOW, ZONE).reason).toBe(
      'there is no session nope',
    );
    expect(judge({ outAt: T0 + 8 * HOUR }, { ...day, voided: true }).reason).toBe(
      'the session is void already',
    );
  });
});

describe('a judged correction in the reducer', () => {
  const reduce = makeReducer(defaultRules(ZONE));
  const openState = (): ClockState =>
    reduce(initialState, { type: 'cardRead', at: T0, card: ALICE, reader: 'door', mono: 1000 })
      .state;
  const judged = (more: Partial<CorrectionJudged>): CorrectionJudged => ({
    type: 'correctionJudged',
    at: T0 + 10 * HOUR,
    session: [...openState().open.values()][0]?.id ?? '',
    card: ALICE,
    name: null,
    source: 'fix',
    why: 'forgot to tap',
    applied: true,
    changes: [{ field: 'out', old: null, new: T0 + 8 * HOUR }],
    inAt: T0,
    outAt: T0 + 8 * HOUR,
    voided: false,
    status: 'out',
    closes: true,
    ...more,
  });

  it('an Out for an open session closes it: the next tap clocks in, and the day counts it', () => {
    const { state, out } = reduce(openState(), judged({}));
    expect(out).toEqual([{ ...judged({}), type: 'correction' }]);
    expect(state.open.size).toBe(0);
    const next = reduce(state, {
      type: 'cardRead',
      at: T0 + 11 * HOUR,
      card: ALICE,
      reader: 'door',
    });
    expect(next.out.map((o) => o.type)).toEqual(['tap', 'unknown', 'clock-in']);
  });

  it("a closed session's correction moves the day's total at the reader; a void one leaves it", () => {
    const tap = (at: number) => ({ type: 'cardRead' as const, at, card: ALICE, reader: 'door' });
    let state = openState();
    state = reduce(state, { ...tap(T0 + 4 * HOUR), mono: 1000 + 4 * HOUR }).state;
    const morning = sessionId(ALICE, T0);
    const shortened = judged({
      session: morning,
      changes: [{ field: 'out', old: T0 + 4 * HOUR, new: T0 + 3 * HOUR }],
      outAt: T0 + 3 * HOUR,
      closes: false,
    });
    state = reduce(state, shortened).state;
    state = reduce(state, tap(T0 + 5 * HOUR)).state;
    const out = reduce(state, tap(T0 + 6 * HOUR)).out;
    expect(out.find((o) => o.type === 'clock-out')).toMatchObject({ todayHours: 4 });
    const voided = judged({
      session: morning,
      changes: [{ field: 'status', old: 'out', new: 'void' }],
      outAt: T0 + 3 * HOUR,
      voided: true,
      status: 'void',
      closes: false,
    });
    const after = reduce(reduce(state, voided).state, tap(T0 + 6 * HOUR));
    expect(after.out.find((o) => o.type === 'clock-out')).toMatchObject({ todayHours: 1 });
  });

  it('a rejected one changes nothing but is reported', () => {
    const rejected = judged({ applied: false, reason: 'it changes nothing', closes: false });
    const { state, out } = reduce(openState(), rejected);
    expect(state.open.size).toBe(1);
    expect(out).toEqual([{ ...rejected, type: 'correction' }]);
  });

  it('a moved In of an open session moves it, and forgets the old monotonic time', () => {
    const moved = judged({
      changes: [{ field: 'in', old: T0, new: T0 - HOUR }],
      inAt: T0 - HOUR,
      outAt: null,
      closes: false,
      status: 'in',
    });
    const { state } = reduce(openState(), moved);
    const open = state.open.get(ALICE);
    expect(open?.inAt).toBe(T0 - HOUR);
    expect(open?.inMono).toBeUndefined();
  });
});
