/** What a failed Sheets request means for the clock: retry, refresh credentials, stop, or a fault of ours. */
import { classify, SheetError } from '../src/drivers/sheets/sheetError';

const context = { spreadsheetId: 'sheet1', account: 'clock@example.iam.gserviceaccount.com' };

describe('classifying a failed Sheets request', () => {
  it('a 400 is final and keeps its status, so the driver can look for the entry it refuses', () => {
    const error = classify({ status: 400, message: 'Invalid value at data[3]' }, context);
    expect(error).toMatchObject({ kind: 'final', status: 400 });
  });

  it('a 400 from the token endpoint (an OAuth error code) is a credentials problem, not a bad entry', () => {
    const error = classify(
      { response: { status: 400, data: { error: 'invalid_grant' } }, message: 'invalid_grant' },
      context,
    );
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('invalid_grant');
  });

  it('a 403 is final: a person must share the sheet again', () => {
    expect(classify({ status: 403, message: 'forbidden' }, context).kind).toBe('final');
  });

  it('Retry-After is read from any Headers-like object, as the CLI HTTP stack hands another class', () => {
    class OtherHeaders {
      constructor(private readonly values: Record<string, string>) {}
      get(name: string): string | null {
        return this.values[name.toLowerCase()] ?? null;
      }
    }
    const error = classify(
      { response: { status: 429, headers: new OtherHeaders({ 'retry-after': '7' }) } },
      context,
    );
    expect(error).toMatchObject({ kind: 'retry', retryAfterMs: 7_000 });
  });

  it('a 503 and a reset connection are retried', () => {
    expect(classify({ status: 503, message: 'unavailable' }, context).kind).toBe('retry');
    const reset = new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    expect(classify(reset, context).kind).toBe('retry');
  });

  it('a link down, a host down and a certificate not valid yet (a Pi clock before NTP) are retried, never bugs', () => {
    // Found by an audit: as bugs, three of them in a row set an entry aside for good.
    for (const code of [
      'ENETDOWN',
      'EHOSTDOWN',
      'ENONET',
      'EPROTO',
      'CERT_NOT_YET_VALID',
      'CERT_HAS_EXPIRED',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'UND_ERR_CLOSED',
    ]) {
      const failed = new TypeError('fetch failed', { cause: { code } });
      expect([code, classify(failed, context).kind]).toEqual([code, 'retry']);
    }
    // Node's own codes for a wrong call are ours to fix.
    const misuse = Object.assign(new TypeError('bad argument'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(classify(misuse, context).kind).toBe('bug');
  });

  it('an error that is neither HTTP nor network, our own TypeError included, is a bug, not a transient fault', () => {
    const error = classify(
      new TypeError("Cannot read properties of undefined (reading 'map')"),
      context,
    );
    expect(error).toBeInstanceOf(SheetError);
    expect(error.kind).toBe('bug');
    expect(error.message).toContain("Cannot read properties of undefined (reading 'map')");
  });
});
