import { MAX_CARD_ID_LENGTH, normaliseCardId } from '../streams/cardId';

/** The canonical id, or the test fails with the reason it was refused. */
function card(raw: string): string {
  const result = normaliseCardId(raw);
  if (!result.ok) throw new Error(`refused ${JSON.stringify(raw)}: ${result.reason}`);
  return result.card;
}

/** The reason an input is refused, or the test fails with the id it became. */
function refusal(raw: string): string {
  const result = normaliseCardId(raw);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(raw)} as ${result.card}`);
  return result.reason;
}

describe('normaliseCardId', () => {
  describe('hex chip UIDs', () => {
    it.each([
      ['colons, lower case', '04:a3:c6:ca:e2:61:80'],
      ['dashes, upper case', '04-A3-C6-CA-E2-61-80'],
      ['spaces', '04 a3 c6 ca e2 61 80'],
      ['mixed separators', '04:a3-c6 ca:e2-61 80'],
      ['a 0x prefix', '0x04a3c6cae26180'],
      ['a 0X prefix', '0X04A3C6CAE26180'],
      ['lower case, no separators', '04a3c6cae26180'],
      ['the spaces and line end a reader or a paste leaves around it', '  04a3c6cae26180\r\n'],
    ])('with %s is the same card: upper-case hex without separators', (_, raw) => {
      expect(card(raw)).toBe('04A3C6CAE26180');
    });

    it('a 4-byte UID is the shortest hex id accepted and a 3-byte one is refused', () => {
      expect(card('de:ad:be:ef')).toBe('DEADBEEF');
      expect(refusal('de:ad:be')).toBe('hex card id must be 4 to 16 bytes, got 3');
    });

    it('a 16-byte UID with separators is accepted, 17 bytes are refused', () => {
      const sixteen = Array.from({ length: 16 }, (_, i) => (i + 0xa0).toString(16)).join(':');
      expect(sixteen).toHaveLength(47);
      expect(card(sixteen)).toBe(sixteen.replace(/:/g, '').toUpperCase());
      expect(card(sixteen)).toHaveLength(MAX_CARD_ID_LENGTH);
      expect(refusal(`${sixteen}:b0`)).toBe('too long for a card id (50 characters)');
      expect(refusal('a0'.repeat(17))).toBe('hex card id must be 4 to 16 bytes, got 17');
    });

    it('an odd number of hex digits is refused, with or without a prefix', () => {
      expect(refusal('4A3C6CAE26180')).toBe('hex card id has an odd number of digits (13)');
      expect(refusal('0x4a3c6ca')).toBe('hex card id has an odd number of digits (7)');
    });

    it('separators must sit between whole bytes', () => {
      expect(refusal('4:a3:c6:ca')).toMatch(/^not a card id: "4:a3:c6:ca"/);
      expect(refusal('04::a3:c6:ca')).toMatch(/^not a card id/);
      expect(refusal('04:a3:c6:ca:')).toMatch(/^not a card id/);
    });
  });

  describe('decimal ids from keyboard-wedge readers', () => {
    it('are kept exactly as typed, leading zeros included', () => {
      expect(card('0012345678')).toBe('0012345678');
      expect(card('12345678')).toBe('12345678');
      expect(card('0000000001')).toBe('0000000001');
    });

    it('are not read as hex even when short or odd-length', () => {
      expect(card('123')).toBe('123');
      expect(card('0')).toBe('0');
    });

    it('are accepted up to 20 digits and refused beyond', () => {
      expect(card('9'.repeat(20))).toBe('9'.repeat(20));
      expect(refusal('9'.repeat(21))).toBe(
        'too long for a decimal card id (21 digits, at most 20)',
      );
    });
  });

  describe('what is not a card id', () => {
    it.each([
      ['nothing', ''],
      ['only spaces', '   '],
      ['only a line end', '\n'],
    ])('%s is an empty card id', (_, raw) => {
      expect(refusal(raw)).toBe('empty card id');
    });

    it.each([
      ['a NUL byte', '04A3\u0000C6CA'],
      ['an escape sequence', '\u001b[A04A3C6CA'],
      ['a DEL', '04A3C6CA\u007f'],
      ['a C1 control', '04A3\u0085C6CA'],
      ['a replacement character from bad UTF-8', '04A3\ufffdC6CA'],
    ])('%s inside is control or binary bytes', (_, raw) => {
      expect(refusal(raw)).toBe('contains control or binary bytes');
    });

    it('very long input is refused by its length before anything else is looked at', () => {
      expect(refusal('A'.repeat(10_000))).toBe('too long for a card id (10000 characters)');
      expect(refusal('\u0000'.repeat(48))).toBe('too long for a card id (48 characters)');
    });

    it('other characters are refused with a short preview of what was read', () => {
      expect(refusal('hello')).toBe('not a card id: "hello" (expected hex or decimal digits)');
      expect(refusal('0x')).toMatch(/^not a card id: "0x"/);
      expect(refusal('-12345678')).toMatch(/^not a card id/);
      const garbage = `g${'x'.repeat(44)}`;
      expect(refusal(garbage)).toBe(
        `not a card id: "${garbage.slice(0, 40)}…" (expected hex or decimal digits)`,
      );
    });
  });
});
