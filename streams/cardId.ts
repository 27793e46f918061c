/**
 * Card ids: one canonical form per id, so the same card is always the same key.
 *
 * - Chip UIDs are upper-case hex without separators (`04A3C6CAE26180`). Input
 *   may carry separators (`04:a3:c6:ca`, `04-A3-C6-CA`, `04 a3 c6 ca`) or a
 *   `0x` prefix; any A-F digit, separator or prefix makes an id hex.
 * - An id of decimal digits only is what a keyboard-wedge reader types (often
 *   zero-padded to 10 digits): it is kept as typed, digits only, because it is
 *   a different number from the same digits read as hex. The People directory
 *   may list it as an alias of the card's hex UID.
 */
export type CardIdResult =
  { readonly ok: true; readonly card: string } | { readonly ok: false; readonly reason: string };

/** Longest id accepted: 10-byte UIDs are 20 hex digits; wedge ids are shorter. */
export const MAX_CARD_ID_LENGTH = 32;

const HEX_SEPARATED = /^(?:[0-9a-fA-F]{2}[:\- ]){1,15}[0-9a-fA-F]{2}$/;
const HEX_PREFIXED = /^0[xX]([0-9a-fA-F]+)$/;
const HEX_PLAIN = /^[0-9a-fA-F]+$/;
const DECIMAL = /^[0-9]+$/;

/** Turns what a reader or a person typed into the canonical card id, or says why it is not one. */
export function normaliseCardId(raw: string): CardIdResult {
  const text = raw.trim();
  if (text.length === 0) return { ok: false, reason: 'empty card id' };
  if (text.length > MAX_CARD_ID_LENGTH + 15) {
    return { ok: false, reason: `too long for a card id (${text.length} characters)` };
  }
  // eslint-disable-next-line no-control-regex -- detecting control bytes is the point
  if (/[\u0000-\u001f\u007f-\u009f\ufffd]/.test(text)) {
    return { ok: false, reason: 'contains control or binary bytes' };
  }
  if (DECIMAL.test(text)) {
    return text.length <= 20
      ? { ok: true, card: text }
      : { ok: false, reason: `too long for a decimal card id (${text.length} digits, at most 20)` };
  }
  const prefixed = HEX_PREFIXED.exec(text);
  const hex = prefixed?.[1] ?? (HEX_SEPARATED.test(text) ? text.replace(/[:\- ]/g, '') : text);
  if (!HEX_PLAIN.test(hex)) {
    return {
      ok: false,
      reason: `not a card id: ${JSON.stringify(preview(text))} (expected hex or decimal digits)`,
    };
  }
  if (hex.length % 2 !== 0) {
    return { ok: false, reason: `hex card id has an odd number of digits (${hex.length})` };
  }
  if (hex.length < 8 || hex.length > MAX_CARD_ID_LENGTH) {
    return { ok: false, reason: `hex card id must be 4 to 16 bytes, got ${hex.length / 2}` };
  }
  return { ok: true, card: hex.toUpperCase() };
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
