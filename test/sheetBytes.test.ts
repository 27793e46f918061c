/**
 * What a minute costs in bytes read from the Sheets API must not grow with
 * the length of `Log` (issue 10, fault 8): the real client, over HTTP, to the
 * test server, with `Log` at 300 and at 3,000 rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { makeSheetsClient } from '../src/drivers/sheets/sheetsClient';
import { SheetsTestServer } from './support/sheetsTestServer';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const START = Date.parse('2026-03-02T06:00:00Z');
const READS = [
  'spreadsheets.get',
  'values.get',
  'values.batchGet',
  'values.batchGetByDataFilter',
  'developerMetadata.get',
  'developerMetadata.search',
] as const;

function session(index: number, closed: boolean): OutboxEntry[] {
  const card = `C${String(index).padStart(7, '0')}`;
  const inAt = START - (index + 1) * MINUTE;
  const id = sessionId(card, inAt);
  const opened: OutboxEntry = {
    kind: 'session-opened',
    key: `open:${id}`,
    session: id,
    card,
    name: `Person ${index}`,
    inAt,
    reader: 'door',
  };
  const close: OutboxEntry = {
    kind: 'session-closed',
    key: `close:${id}`,
    session: id,
    card,
    inAt,
    outAt: inAt + 30 * MINUTE,
    status: 'out',
  };
  return closed ? [opened, close] : [opened];
}

describe('bytes read per minute', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-bytes-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Bytes read in three busy minutes (a live update with 10 people in and a batch each) with Log at `rows`. */
  async function threeMinutes(rows: number): Promise<number> {
    const server = await new SheetsTestServer().start();
    try {
      const account = server.serviceAccount(dir, `bytes${rows}`);
      server.createSpreadsheet('bytesSheet0000001', [account.email]);
      const client = makeSheetsClient({
        spreadsheetId: 'bytesSheet0000001',
        keyFile: account.file,
        rootUrl: server.rootUrl,
        timeoutMs: 60_000,
        zone: 'Europe/Berlin',
        device: 'test',
        version: 'test',
        warn: () => undefined,
        fetchImplementation: fetch,
      });
      for (let from = 0; from < rows; from += 500) {
        const entries: OutboxEntry[] = [];
        for (let i = from; i < Math.min(rows, from + 500); i++)
          entries.push(...session(i, i < rows - 10));
        await client.writeBatch(entries, START);
      }
      const open = Array.from({ length: 10 }, (_, k) => {
        const [entry] = session(rows - 10 + k, false);
        if (entry?.kind !== 'session-opened') throw new Error('unreachable');
        return { session: entry.session, card: entry.card, name: entry.name, inAt: entry.inAt };
      });
      const health = {
        lastTapAt: null,
        lastSyncAt: null,
        outboxDepth: 0,
        readerFault: null,
        clockSynced: true,
      };
      const read = (): number => READS.reduce((sum, kind) => sum + server.model.bytesOut[kind], 0);
      const before = read();
      for (let minute = 0; minute < 3; minute++) {
        const at = START + minute * MINUTE;
        await client.liveUpdate(open, at, health);
        await client.writeBatch(session(rows + minute, true), at);
      }
      return read() - before;
    } finally {
      await server.close();
    }
  }

  it('stay the same whether Log has 300 rows or ten times as many', async () => {
    const small = await threeMinutes(300);
    const large = await threeMinutes(3_000);
    // Ids and times in the answers grow by a character or two, never by the rows' count.
    expect(large).toBeLessThan(small * 1.1 + 200);
  });
});
