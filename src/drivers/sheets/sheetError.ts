/**
 * What a failed Sheets request means for the clock: try again later (with
 * backoff), refresh credentials, stop trying until a person fixes something
 * (and say exactly what), or `bug`: neither HTTP nor network, a fault of ours
 * (a TypeError) or of something we did not foresee, retried a few times only.
 */
export type SheetErrorKind = 'retry' | 'auth' | 'final' | 'bug';

export class SheetError extends Error {
  constructor(
    message: string,
    readonly kind: SheetErrorKind,
    readonly retryAfterMs: number | null = null,
    /** The HTTP status of a refused request (4xx), when there was one. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'SheetError';
  }
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface Context {
  readonly spreadsheetId: string;
  readonly account: string;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function header(error: unknown, name: string): string | null {
  const headers = field(field(error, 'response'), 'headers');
  // Any Headers-like object (the global class, node-fetch's in the CLI's HTTP stack, …), or a plain one.
  const get = field(headers, 'get');
  if (typeof get === 'function') {
    const value: unknown = Reflect.apply(get, headers, [name]);
    return typeof value === 'string' ? value : null;
  }
  const raw = field(headers, name);
  return typeof raw === 'string' ? raw : null;
}

/**
 * Whether an error code is the network's, so worth trying again: the ones listed, any other
 * system error (errno: ENETDOWN, EHOSTDOWN, …), undici's, and TLS's, a certificate "not yet
 * valid" included (a Pi's clock before NTP). Node's own ERR_* codes for a wrong call are not.
 */
function isNetworkCode(code: string): boolean {
  return (
    NETWORK_CODES.has(code) ||
    /^E[A-Z]+$/.test(code) ||
    code.startsWith('UND_ERR_') ||
    /^ERR_(TLS|SSL)_/.test(code) ||
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/.test(code)
  );
}

/** Finds a network error code anywhere in the cause chain (fetch wraps them). */
function networkCode(error: unknown): string | null {
  for (
    let e: unknown = error, depth = 0;
    e !== undefined && e !== null && depth < 5;
    e = field(e, 'cause'), depth++
  ) {
    const code = field(e, 'code');
    if (typeof code === 'string' && isNetworkCode(code)) return code;
    const name = field(e, 'name');
    if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  }
  return null;
}

/** Classifies whatever a Sheets call threw. */
export function classify(error: unknown, context: Context): SheetError {
  if (error instanceof SheetError) return error;
  const status = Number(field(error, 'status') ?? field(field(error, 'response'), 'status'));
  const message = error instanceof Error ? error.message : String(error);
  const sheet = `spreadsheet ${context.spreadsheetId}`;
  // The token endpoint answers 400 with an OAuth error code (`invalid_grant`: a key revoked, or a
  // clock far off), where the Sheets API's own errors are objects: that is no bad entry.
  const oauthError = field(field(field(error, 'response'), 'data'), 'error');
  if (status === 401 || (status === 400 && typeof oauthError === 'string')) {
    return new SheetError(
      `the Sheets API rejected the credentials of ${context.account} (${status}${typeof oauthError === 'string' ? ` ${oauthError}` : ''}); refreshing them`,
      'auth',
    );
  }
  if (status === 403) {
    return new SheetError(
      `no permission on ${sheet} for the service account ${context.account} (403: ${message}). ` +
        `Open the sheet, click Share, and add ${context.account} as an Editor.`,
      'final',
    );
  }
  if (status === 404) {
    return new SheetError(
      `${sheet} was not found (404: ${message}). Check BADGECLOCK_SPREADSHEET_ID: it is the part of the sheet's URL between /d/ and /edit.`,
      'final',
    );
  }
  if (RETRY_STATUS.has(status) || status >= 500) {
    return new SheetError(
      `the Sheets API answered ${status} (${message})`,
      'retry',
      parseRetryAfter(header(error, 'retry-after')),
    );
  }
  const code = networkCode(error);
  if (code !== null) {
    return new SheetError(
      code === 'timeout'
        ? `the Sheets API did not answer in time (${message})`
        : `network error talking to the Sheets API (${code}: ${message})`,
      'retry',
    );
  }
  if (Number.isFinite(status) && status >= 400 && status < 500) {
    return new SheetError(
      `the Sheets API refused a request to ${sheet} (${status}: ${message})`,
      'final',
      null,
      status,
    );
  }
  return new SheetError(`unexpected error talking to the Sheets API: ${String(error)}`, 'bug');
}
