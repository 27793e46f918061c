/**
 * The ISO 14443-3 cascade and the poller, in this thread against the emulated
 * chip: whole UIDs of every size, never a wrong one, and sightings that the
 * core's debounce turns into taps.
 */
import type { CardRead, ClockEvent, Output } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer } from '../streams/sessions';
import { loadMfrc522 } from '../src/drivers/reader/mfrc522/mfrc522Rpi';
import { Mfrc522Poller, type PollResult } from '../src/drivers/reader/mfrc522/poller';
import { randomUidReason } from '../src/drivers/reader/mfrc522/uid';
import {
  EmulatedField,
  Mfrc522Emulator,
  virtualCard,
  type NoiseKind,
  type VirtualCard,
} from './support/mfrc522Emulator';

const MFRC522 = loadMfrc522();

interface SetUpOptions {
  readonly version?: number;
  /** False: the request as mfrc522-rpi's toCard sends it (the baseline). */
  readonly quickRequest?: boolean;
}

function setUp(options: SetUpOptions = {}): {
  field: EmulatedField;
  chip: Mfrc522Emulator;
  poller: Mfrc522Poller;
  /** Virtual µs the poller spent asleep (not bus time). */
  asleepUs: () => number;
} {
  let asleep = 0;
  const field = new EmulatedField();
  const chip = new Mfrc522Emulator({
    field,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  // The poller's sleeps pass on the chip's virtual clock: no real time goes by.
  const poller = new Mfrc522Poller(new MFRC522(chip), undefined, {
    wait: (ms) => {
      asleep += ms * 1000;
      chip.idle(ms * 1000);
    },
    ...(options.quickRequest === undefined ? {} : { quickRequest: options.quickRequest }),
  });
  return { field, chip, poller, asleepUs: () => asleep };
}

function started(options: SetUpOptions = {}): ReturnType<typeof setUp> {
  const setup = setUp(options);
  const result = setup.poller.start();
  if (!result.ok) throw new Error(result.reason);
  return setup;
}

const ntag213 = virtualCard('04A3C6CAE26180');
const classic = virtualCard('DEADBEEF');
const tripleSize = virtualCard('0455667788990A0B0C0D');

describe('the ISO 14443-3 cascade through mfrc522-rpi', () => {
  it.each([
    ['4-byte', 'DEADBEEF'],
    ['4-byte, first byte 0x08 (random UID)', '08123456'],
    ['7-byte', '04A3C6CAE26180'],
    ['7-byte, with 0x88 as its fourth byte', '04112288AABBCC'],
    ['10-byte', '0455667788990A0B0C0D'],
    ['10-byte, with 0x88 in its middle parts', '0488778888990A0B0C0D'],
  ])('reads a %s UID whole: %s', (_, uid) => {
    const { field, poller } = started();
    field.place(virtualCard(uid));
    expect(poller.poll()).toEqual({ kind: 'seen', uid });
  });

  it('sees nothing on an empty antenna', () => {
    const { poller } = started();
    expect(poller.poll()).toEqual({ kind: 'none' });
  });

  it('sees a card held on the reader on every poll (HLTA, then WUPA wakes it)', () => {
    const { field, poller } = started();
    field.place(ntag213);
    const results = Array.from({ length: 10 }, () => poller.poll());
    expect(results).toEqual(
      Array.from({ length: 10 }, () => ({ kind: 'seen', uid: ntag213.uid.map(hex2).join('') })),
    );
  });

  it('gives no read, never a partial UID, when a card is pulled away mid-anticollision', () => {
    // ATQA, level 1 anticollision, level 1 SELECT (SAK: UID incomplete) — then gone.
    const { field, poller } = started();
    field.place({ ...ntag213, leavesAfterFrames: 3 });
    expect(poller.poll()).toEqual({
      kind: 'corrupt',
      reason: 'no anticollision answer at cascade level 2',
    });
    const { field: field10, poller: poller10 } = started();
    field10.place({ ...tripleSize, leavesAfterFrames: 4 });
    expect(poller10.poll().kind).toBe('corrupt');
    for (let answered = 0; answered < 7; answered++) {
      const { field: f, poller: p } = started();
      f.place({ ...tripleSize, leavesAfterFrames: answered });
      expect(p.poll().kind).not.toBe('seen');
    }
  });

  it('gives no read but a collision while two cards are on the antenna, and reads each once alone', () => {
    const { field, poller } = started();
    field.place(classic);
    field.place(virtualCard('DEAD0001'));
    // The same ATQA (two MIFARE Classic): the UIDs collide in anticollision.
    expect(poller.poll()).toEqual({ kind: 'collision' });
    expect(poller.poll()).toEqual({ kind: 'collision' });
    field.remove(classic);
    expect(poller.poll()).toEqual({ kind: 'seen', uid: 'DEAD0001' });
    field.place(ntag213);
    // Different ATQAs (0x0004, 0x0044) collide already in the answer to WUPA: not "no card".
    expect(poller.poll()).toEqual({ kind: 'collision' });
    field.remove('DEAD0001');
    expect(poller.poll()).toEqual({ kind: 'seen', uid: '04A3C6CAE26180' });
    field.remove(ntag213);
    expect(poller.poll()).toEqual({ kind: 'none' });
  });

  it('tells two cards apart from no card with the baseline request too', () => {
    const { field, poller } = started({ quickRequest: false });
    field.place(classic);
    field.place(ntag213);
    expect(poller.poll()).toEqual({ kind: 'collision' });
  });

  it.each<[NoiseKind[]]>([
    [['flip']],
    [['parity']],
    [['bcc']],
    [['crc']],
    [['truncate']],
    [['collision']],
    [['flip', 'parity', 'bcc', 'crc', 'truncate', 'collision']],
  ])('never gives a wrong UID under noise: %j', (kinds) => {
    for (const [index, card] of [classic, ntag213, tripleSize].entries()) {
      const { field, poller } = started();
      field.place(card);
      field.setNoise({ rate: 0.1, kinds, seed: 1000 + index });
      const results: PollResult[] = Array.from({ length: 300 }, () => poller.poll());
      const seen = results.filter((r) => r.kind === 'seen');
      const uid = card.uid.map(hex2).join('');
      expect(seen.every((r) => r.uid === uid)).toBe(true);
      // The test can fail: the noise did corrupt reads, and the card was still read.
      expect(results.some((r) => r.kind !== 'seen')).toBe(true);
      expect(seen.length).toBeGreaterThan(60);
    }
  });

  it('never gives a wrong UID when every answer is noisy, two cards come and go', () => {
    const { field, poller } = started();
    const cards: VirtualCard[] = [classic, ntag213, tripleSize, virtualCard('DEAD0001')];
    const uids = new Set(cards.map((c) => c.uid.map(hex2).join('')));
    field.setNoise({
      rate: 0.3,
      kinds: ['flip', 'parity', 'bcc', 'crc', 'truncate', 'collision'],
      seed: 7,
    });
    let seen = 0;
    for (let i = 0; i < 600; i++) {
      const card = cards[i % cards.length];
      const other = cards[(i * 7 + 1) % cards.length];
      if (card === undefined || other === undefined) throw new Error('no card');
      field.clearCards();
      field.place(card);
      if (i % 5 === 0) field.place(other);
      const result = poller.poll();
      if (result.kind === 'seen') {
        seen++;
        expect(uids.has(result.uid)).toBe(true);
        if (i % 5 !== 0) expect(result.uid).toBe(card.uid.map(hex2).join(''));
      }
    }
    expect(seen).toBeGreaterThan(40);
  });

  it('is a fault when VersionReg reads 0x00 or 0xFF, or not an MFRC522', () => {
    const { field, poller } = started();
    field.setChip('stuckLow');
    expect(poller.poll()).toEqual({
      kind: 'fault',
      reason: expect.stringContaining('VersionReg reads 0x00') as unknown,
    });
    field.setChip('stuckHigh');
    expect(poller.poll()).toEqual({
      kind: 'fault',
      reason: expect.stringContaining('VersionReg reads 0xFF') as unknown,
    });
    const clone = setUp({ version: 0x88 });
    expect(clone.poller.start()).toEqual({
      ok: false,
      reason: expect.stringContaining('FM17522 clone') as unknown,
    });
  });

  it('sets up a chip that browned out again and keeps reading', () => {
    const { field, poller } = started();
    field.place(classic);
    expect(poller.poll().kind).toBe('seen');
    field.powerCycle();
    expect(poller.poll()).toEqual({ kind: 'seen', uid: 'DEADBEEF' });
    expect(poller.reinitialised).toBe(1);
  });

  it('spends a bounded number of SPI transfers on an idle poll and on a read', () => {
    const { field, chip, poller } = started();
    chip.resetCounters();
    poller.poll();
    const idle = chip.transfers;
    field.place(tripleSize);
    chip.resetCounters();
    expect(poller.poll().kind).toBe('seen');
    const read = chip.transfers;
    expect(idle).toBeLessThanOrEqual(12);
    expect(read).toBeGreaterThan(idle);
    expect(read).toBeLessThan(600);
  });

  it('spends at most a fifth of the busy-wait request on an idle poll, in transfers and bus time', () => {
    const cost = (quickRequest: boolean): { transfers: number; busUs: number } => {
      const { chip, poller, asleepUs } = started({ quickRequest });
      poller.poll();
      chip.resetCounters();
      const from = chip.elapsedUs - asleepUs();
      for (let i = 0; i < 10; i++) expect(poller.poll()).toEqual({ kind: 'none' });
      return { transfers: chip.transfers / 10, busUs: (chip.elapsedUs - asleepUs() - from) / 10 };
    };
    const baseline = cost(false);
    const quick = cost(true);
    // The baseline busy-reads ComIrqReg until the 5 ms timeout: about 110 transfers.
    expect(baseline.transfers).toBeGreaterThan(100);
    expect(quick.transfers).toBeLessThanOrEqual(baseline.transfers / 5);
    expect(quick.busUs).toBeLessThanOrEqual(baseline.busUs / 5);
  });

  it('reads every UID size the same with the quick request as with the baseline', () => {
    for (const uid of ['DEADBEEF', '04A3C6CAE26180', '0455667788990A0B0C0D']) {
      const results = [true, false].map((quickRequest) => {
        const { field, poller } = started({ quickRequest });
        field.place(virtualCard(uid));
        return [poller.poll(), poller.poll()];
      });
      expect(results[0]).toEqual([
        { kind: 'seen', uid },
        { kind: 'seen', uid },
      ]);
      expect(results[1]).toEqual(results[0]);
    }
  });

  it('tells a random UID (4 bytes from 0x08) from a badge', () => {
    expect(randomUidReason('08123456')).toMatch(
      /^card 08123456 has a random UID .* cannot be a badge/,
    );
    for (const uid of [
      'DEADBEEF',
      '88123456',
      '0812345678',
      '04A3C6CAE26180',
      '0808080808080808',
    ]) {
      expect(randomUidReason(uid)).toBeNull();
    }
  });
});

describe('presence, through the core', () => {
  const POLL_MS = 100;
  const T0 = Date.UTC(2025, 2, 3, 8, 0, 0);

  /** Polls the emulated chip every POLL_MS of virtual time; each sighting becomes a read. */
  function pollFor(
    poller: Mfrc522Poller,
    from: number,
    ms: number,
  ): { reads: CardRead[]; until: number } {
    const reads: CardRead[] = [];
    for (let t = from; t < from + ms; t += POLL_MS) {
      const result = poller.poll();
      if (result.kind === 'seen') {
        reads.push({ type: 'cardRead', at: t, card: result.uid, reader: 'door' });
      }
    }
    return { reads, until: from + ms };
  }

  function fold(events: ClockEvent[]): Output[] {
    const reduce = makeReducer(defaultRules('UTC'));
    let state = initialState;
    const out: Output[] = [];
    for (const event of events) {
      const step = reduce(state, event);
      state = step.state;
      out.push(...step.out);
    }
    return out;
  }

  it('a card held on the reader for 10 s and taken away is one tap', () => {
    const { field, poller } = started();
    field.place(ntag213);
    const held = pollFor(poller, T0, 10_000);
    field.remove(ntag213);
    const after = pollFor(poller, held.until, 5_000);
    expect(held.reads).toHaveLength(100);
    expect(after.reads).toHaveLength(0);
    const taps = fold([...held.reads, ...after.reads]).filter((o) => o.type === 'tap');
    expect(taps).toEqual([
      { type: 'tap', at: T0, card: '04A3C6CAE26180', name: null, reader: 'door' },
    ]);
  });

  it('two cards in turn are two taps, each clocking in', () => {
    const { field, poller } = started();
    field.place(ntag213);
    const first = pollFor(poller, T0, 2_000);
    field.remove(ntag213);
    const gap = pollFor(poller, first.until, 1_000);
    field.place(tripleSize);
    const second = pollFor(poller, gap.until, 3_000);
    field.remove(tripleSize);
    const out = fold([...first.reads, ...gap.reads, ...second.reads]);
    expect(out.filter((o) => o.type === 'tap').map((o) => ('card' in o ? o.card : ''))).toEqual([
      '04A3C6CAE26180',
      '0455667788990A0B0C0D',
    ]);
    expect(out.filter((o) => o.type === 'clock-in')).toHaveLength(2);
  });
});

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}
