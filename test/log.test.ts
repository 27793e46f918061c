/**
 * The program's log: JSON lines, or short text lines at a terminal whose
 * times are in the configured zone (not the process's `TZ`) once the
 * configuration is read; secrets scrubbed either way.
 */
import { makeLog } from '../src/log';
import { formatLocalIso } from '../streams/zoned';

/** The `HH:MM:SS` of `at` in `zone`. */
const clockIn = (at: number, zone: string): string => formatLocalIso(at, zone).slice(11, 19);

describe('the pretty log at a terminal', () => {
  it('prints times in the configured zone once it is known', () => {
    const lines: string[] = [];
    const log = makeLog({ pretty: true, write: (text) => lines.push(text) });
    // Kathmandu is +05:45 all year: its times differ from every process zone these tests run in.
    log.useZone('Asia/Kathmandu');
    const before = Date.now();
    log.warn('reader fault');
    const after = Date.now();
    const [time, level, ...message] = (lines[0] ?? '').trim().split(' ');
    expect([clockIn(before, 'Asia/Kathmandu'), clockIn(after, 'Asia/Kathmandu')]).toContain(time);
    expect(level).toBe('WARN');
    expect(message.join(' ')).toBe('reader fault');
  });

  it('scrubs a bearer token from a message', () => {
    const lines: string[] = [];
    const log = makeLog({ pretty: true, write: (text) => lines.push(text) });
    log.error('request failed: Authorization: Bearer ya29.secret-token');
    expect(lines.join('')).toContain('Bearer [redacted]');
    expect(lines.join('')).not.toContain('ya29');
  });
});
