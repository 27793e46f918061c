/**
 * A tap as it travels between doors (src/drivers/mqtt/tapMessages.ts): built,
 * read back, and refused with what is wrong. Whatever a broker delivers, the
 * clock keeps only what it can fold and show.
 */
import { parseTapMessage, tapMessage, tapsTopic } from '../src/drivers/mqtt/tapMessages';

const AT = Date.UTC(2026, 10, 30, 8);
const TOPIC = tapsTopic('site', 'back');
const message = (fields: Record<string, unknown>): Buffer =>
  Buffer.from(
    JSON.stringify({
      ...{ v: 1, id: 'back:3', door: 'back', seq: 3, card: 'A11CE000' },
      ...{ reader: 'back', at: AT, ...fields },
    }),
  );

describe('the message of a shared tap', () => {
  it('reads back what a door built', () => {
    const built = tapMessage('back', { seq: 3, card: 'A11CE000', reader: 'back', at: AT });
    expect(parseTapMessage('site', TOPIC, Buffer.from(built))).toEqual({
      ok: true,
      tap: { id: 'back:3', door: 'back', seq: 3, card: 'A11CE000', reader: 'back', at: AT },
    });
  });

  it.each([
    ['another door’s topic', { door: 'front' }, 'door "front" on back\'s topic'],
    ['an id not of its seq', { id: 'back:4' }, 'id "back:4" is not "back:3"'],
    ['a seq of 0', { seq: 0, id: 'back:0' }, 'seq is not a positive integer'],
    ['a card no door gives', { card: 'not a card' }, 'card is not a card id as a door gives it'],
    ['a time before 1970', { at: -5 }, 'at is not a time in milliseconds'],
    // Past what a Date holds: the feedback and the store could not write it as a date.
    ['a time no date can hold', { at: 9e15 }, 'at is not a time in milliseconds'],
  ])('refuses %s, saying what is wrong', (_what, fields, reason) => {
    expect(parseTapMessage('site', TOPIC, message(fields))).toEqual({ ok: false, reason });
  });
});
