/**
 * Where JSON text first goes wrong, as a person finds it in an editor: line and column.
 * Node's JSON.parse names a position for some mistakes only ("Unexpected token" has none),
 * so the text is scanned here by the JSON grammar (RFC 8259), which is small.
 */

/** The 1-based line and column of the first character that is not JSON, or null when it is. */
export function jsonErrorAt(
  text: string,
): { readonly line: number; readonly column: number } | null {
  const at = firstBadOffset(text);
  if (at === null) return null;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - (before.lastIndexOf('\n') + 1) + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** The offset of the first character the grammar does not allow, or null. */
function firstBadOffset(text: string): number | null {
  let i = 0;
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const string = (): boolean => {
    if (text.charAt(i) !== '"') return false;
    i++;
    while (i < text.length) {
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return true;
      }
      if (c === '\\') {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) return false;
        i = ESCAPE.lastIndex;
      } else if (c < ' ') return false;
      else i++;
    }
    return false;
  };
  // Members of an object or items of an array, up to and including `close`.
  const members = (close: string, member: () => boolean): boolean => {
    i++;
    space();
    if (text.charAt(i) === close) {
      i++;
      return true;
    }
    for (;;) {
      space();
      if (!member()) return false;
      space();
      if (text.charAt(i) === close) {
        i++;
        return true;
      }
      if (text.charAt(i) !== ',') return false;
      i++;
    }
  };
  const value = (): boolean => {
    space();
    const c = text.charAt(i);
    if (c === '{') {
      return members('}', () => {
        if (!string()) return false;
        space();
        if (text.charAt(i) !== ':') return false;
        i++;
        return value();
      });
    }
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return true;
      }
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) return false;
    i = NUMBER.lastIndex;
    return true;
  };
  if (!value()) return i;
  space();
  return i < text.length ? i : null;
}
