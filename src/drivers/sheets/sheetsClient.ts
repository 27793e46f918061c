/**
 * The Sheets I/O: authentication with a service-account key (self-signed JWT,
 * no token endpoint), the first-run setup of the tabs, ordered writes of
 * outbox batches, and the per-minute live update. Each call is a Promise; the
 * driver turns them into observables and decides about retries.
 *
 * Requests never retry by themselves (`retry: false`): a blindly retried
 * append could duplicate rows. A batch is made idempotent by reading the
 * session ids first, so the driver can safely run a whole batch again.
 */
import { sheets, type sheets_v4 } from '@googleapis/sheets';
import { GoogleAuth } from 'google-auth-library';
import { normaliseCardId } from '../../../streams/cardId';
import type { OutboxEntry } from '../../../streams/commit';
import type { Person } from '../../../streams/directory';
import type { LiveUpdate } from '../../../streams/events';
import { formatLocalDateTime, toSerial, toSerialDuration } from '../../../streams/zoned';
import {
  a1,
  cellText,
  checkHeaders,
  closedCells,
  columnLetter,
  logRow,
  LOG,
  NOW,
  PEOPLE,
  peopleRow,
  TABS,
  type Cell,
  type TabLayout,
} from './layout';
import { loadServiceAccount } from './serviceAccount';
import { classify, SheetError } from './sheetError';

export { loadServiceAccount } from './serviceAccount';

const SCOPES = ['https://www.googleapis.com/auth/spreadsheets'];

export interface SheetsClientOptions {
  readonly spreadsheetId: string;
  readonly keyFile: string;
  readonly rootUrl: string;
  readonly timeoutMs: number;
  readonly zone: string;
  /** This clock's name and version, for the health block on the Now tab. */
  readonly device: string;
  readonly version: string;
  /** Non-fatal findings (a renamed header, a bad People row). */
  readonly warn: (message: string) => void;
  /**
   * The fetch the Google client uses; default: its own (node-fetch, loaded by
   * a dynamic import that jest's module runtime refuses, so in-process tests
   * pass Node's fetch).
   */
  readonly fetchImplementation?: typeof fetch;
}

export interface SheetsClient {
  readonly account: string;
  /** Creates missing tabs and checks headers; memoised until it fails. */
  setUp(): Promise<number>;
  /** Writes a batch of outbox entries, idempotently. Returns the number of requests made. */
  writeBatch(entries: readonly OutboxEntry[], now: number): Promise<number>;
  /** The live view: open sessions' hours and the Now tab; returns the People tab it read on the way. */
  liveUpdate(
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
  ): Promise<{ people: Person[]; requests: number }>;
  /** Reads the People tab alone (at start). */
  readPeople(): Promise<Person[]>;
  /**
   * The doctor's check: reachable, writable, and tabs and headers the clock
   * can use. Changes nothing: write access is proven by setting the title to
   * itself. Rejects with the SheetError of the first request that fails.
   */
  check(): Promise<SheetCheck>;
}

export interface SheetCheck {
  readonly title: string;
  /** False when the server would not take the no-op write that proves edit access. */
  readonly writeConfirmed: boolean;
  /** Tabs the clock will create on its first start. */
  readonly missingTabs: readonly string[];
  /** Header changes that stop the clock's writes (moved or removed columns). */
  readonly headerErrors: readonly string[];
  /** Header changes the clock lives with (renamed columns). */
  readonly headerWarnings: readonly string[];
}

type Api = sheets_v4.Sheets;

/** Makes the client. Credentials are created lazily and again after a 401. */
export function makeSheetsClient(options: SheetsClientOptions): SheetsClient {
  const { spreadsheetId, zone, warn } = options;
  const account = safeAccount(options.keyFile);
  const context = { spreadsheetId, account };
  const requestOptions = { timeout: options.timeoutMs, retry: false };
  let api: Promise<Api> | null = null;
  let setUpDone: Promise<number> | null = null;

  const connect = async (): Promise<Api> => {
    const credentials = loadServiceAccount(options.keyFile);
    const auth = new GoogleAuth({ credentials, scopes: SCOPES });
    // Self-signed JWTs: no token endpoint round trip (and none is reachable offline or in tests).
    // It must be a property set before getClient(); as a constructor option it is ignored.
    auth.useJWTAccessWithScope = true;
    await auth.getClient();
    return sheets({
      version: 'v4',
      auth,
      rootUrl: options.rootUrl,
      ...(options.fetchImplementation === undefined
        ? {}
        : { fetchImplementation: options.fetchImplementation }),
    });
  };

  /** Runs one API call; a 401 drops the credentials so the next attempt signs afresh. */
  const call = async <T>(work: (api: Api) => Promise<T>): Promise<T> => {
    api ??= connect();
    try {
      return await work(await api);
    } catch (error) {
      const failure = classify(error, context);
      if (failure.kind === 'auth' || error instanceof SheetError) api = null;
      throw failure;
    }
  };

  const batchGet = async (ranges: string[]): Promise<unknown[][][]> => {
    const response = await call((a) =>
      a.spreadsheets.values.batchGet(
        {
          spreadsheetId,
          ranges,
          valueRenderOption: 'UNFORMATTED_VALUE',
          dateTimeRenderOption: 'SERIAL_NUMBER',
          majorDimension: 'ROWS',
        },
        requestOptions,
      ),
    );
    return ranges.map((_, i) => (response.data.valueRanges?.[i]?.values ?? []) as unknown[][]);
  };

  const writeValues = async (data: { range: string; values: Cell[][] }[]): Promise<void> => {
    await call((a) =>
      a.spreadsheets.values.batchUpdate(
        { spreadsheetId, requestBody: { valueInputOption: 'RAW', data } },
        requestOptions,
      ),
    );
  };

  const append = async (tab: string, width: number, values: Cell[][]): Promise<void> => {
    await call((a) =>
      a.spreadsheets.values.append(
        {
          spreadsheetId,
          range: a1(tab, `A:${columnLetter(width - 1)}`),
          valueInputOption: 'RAW',
          insertDataOption: 'INSERT_ROWS',
          requestBody: { values },
        },
        requestOptions,
      ),
    );
  };

  /** Reads the header rows of tabs that exist: which are blank, and what changed in the others. */
  const inspectHeaders = async (
    present: readonly TabLayout[],
  ): Promise<{ blank: TabLayout[]; errors: string[]; warnings: string[] }> => {
    const headers = await batchGet(present.map((tab) => a1(tab.title, '1:1')));
    const blank: TabLayout[] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    present.forEach((tab, i) => {
      const row = headers[i]?.[0] ?? [];
      // An empty header row holds no data: a tab a person just created, or a setup cut short.
      if (row.every((cell) => cellText(cell).trim() === '')) {
        blank.push(tab);
        return;
      }
      const check = checkHeaders(tab, row);
      warnings.push(...check.warnings);
      errors.push(...check.errors);
    });
    return { blank, errors, warnings };
  };

  const runSetUp = async (): Promise<number> => {
    let requests = 1;
    const got = await call((a) =>
      a.spreadsheets.get({ spreadsheetId, fields: 'sheets.properties' }, requestOptions),
    );
    const existing = new Set((got.data.sheets ?? []).map((s) => s.properties?.title ?? ''));
    const missing = TABS.filter((tab) => !existing.has(tab.title));
    if (missing.length > 0) {
      requests += 1;
      const added = await call((a) =>
        a.spreadsheets.batchUpdate(
          {
            spreadsheetId,
            requestBody: {
              requests: missing.map((tab) => ({
                addSheet: {
                  properties: { title: tab.title, gridProperties: { frozenRowCount: 1 } },
                },
              })),
            },
          },
          requestOptions,
        ),
      );
      const ids = (added.data.replies ?? []).map(
        (reply) => reply.addSheet?.properties?.sheetId ?? null,
      );
      const formats = missing.flatMap((tab, i) => {
        const sheetId = ids[i];
        if (sheetId === null || sheetId === undefined) return [];
        return tab.formats.map((format) => ({
          repeatCell: {
            range: {
              sheetId,
              startRowIndex: 1,
              startColumnIndex: format.column,
              endColumnIndex: format.column + 1,
            },
            cell: {
              userEnteredFormat: { numberFormat: { type: format.type, pattern: format.pattern } },
            },
            fields: 'userEnteredFormat.numberFormat',
          },
        }));
      });
      if (formats.length > 0) {
        requests += 1;
        await call((a) =>
          a.spreadsheets.batchUpdate(
            { spreadsheetId, requestBody: { requests: formats } },
            requestOptions,
          ),
        );
      }
      requests += 1;
      await writeValues(
        missing.map((tab) => ({ range: a1(tab.title, 'A1'), values: [[...tab.headers]] })),
      );
    }
    const present = TABS.filter((tab) => existing.has(tab.title));
    if (present.length > 0) {
      requests += 1;
      const { blank, errors, warnings } = await inspectHeaders(present);
      warnings.forEach(warn);
      if (blank.length > 0 && errors.length === 0) {
        requests += 1;
        await writeValues(
          blank.map((tab) => ({ range: a1(tab.title, 'A1'), values: [[...tab.headers]] })),
        );
      }
      if (errors.length > 0) {
        throw new SheetError(
          `the sheet's headers were changed in a way that would make the clock write into the wrong columns: ${errors.join('; ')}. ` +
            `Restore the header rows (Log: ${LOG.headers.join(' | ')}; People: ${PEOPLE.headers.join(' | ')}; Now: ${NOW.headers.join(' | ')}). Taps are kept and queued meanwhile.`,
          'final',
        );
      }
    }
    return requests;
  };

  const setUp = (): Promise<number> => {
    setUpDone ??= runSetUp().catch((error: unknown) => {
      setUpDone = null;
      throw error;
    });
    return setUpDone;
  };

  const parsePeople = (rows: unknown[][]): Person[] => {
    const people: Person[] = [];
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const [rawCard, name, active, aliases] = row;
      if (rawCard === undefined || rawCard === '') return;
      const card = normaliseCardId(cellText(rawCard));
      if (!card.ok) {
        warn(`People!A${i + 2}: ${card.reason}; row ignored`);
        return;
      }
      if (seen.has(card.card)) return;
      seen.add(card.card);
      const activeText = cellText(active).trim().toLowerCase();
      people.push({
        card: card.card,
        name: typeof name === 'string' ? name.trim() : cellText(name).trim(),
        active: !(
          active === false || ['no', 'n', 'false', '0', 'inactive', 'off'].includes(activeText)
        ),
        aliases: cellText(aliases)
          .split(/[\s;,]+/)
          .filter((alias) => alias !== '')
          .flatMap((alias) => {
            const id = normaliseCardId(alias);
            if (!id.ok) warn(`People!D${i + 2}: alias ${JSON.stringify(alias)}: ${id.reason}`);
            return id.ok ? [id.card] : [];
          }),
      });
    });
    return people;
  };

  const check = async (): Promise<SheetCheck> => {
    const got = await call((a) =>
      a.spreadsheets.get(
        { spreadsheetId, fields: 'properties.title,sheets.properties.title' },
        requestOptions,
      ),
    );
    const known = got.data.properties?.title;
    const title = known ?? '';
    // Without the title there is nothing to set it back to: never risk renaming the sheet.
    let writable = false;
    if (typeof known === 'string') {
      try {
        await call((a) =>
          a.spreadsheets.batchUpdate(
            {
              spreadsheetId,
              requestBody: {
                requests: [
                  { updateSpreadsheetProperties: { properties: { title }, fields: 'title' } },
                ],
              },
            },
            requestOptions,
          ),
        );
        writable = true;
      } catch (error) {
        // A 403 is the answer (no edit right). A 400 means the server did not take the no-op
        // request itself (a Sheets-compatible stand-in): write access is then not confirmed.
        if (!(error instanceof SheetError && error.status === 400)) throw error;
      }
    }
    const existing = new Set((got.data.sheets ?? []).map((t) => t.properties?.title ?? ''));
    const present = TABS.filter((tab) => existing.has(tab.title));
    const headers =
      present.length === 0 ? { errors: [], warnings: [] } : await inspectHeaders(present);
    return {
      title,
      writeConfirmed: writable,
      missingTabs: TABS.filter((tab) => !existing.has(tab.title)).map((tab) => tab.title),
      headerErrors: headers.errors,
      headerWarnings: headers.warnings,
    };
  };

  return {
    account,
    setUp,
    check,

    async writeBatch(entries, now) {
      let requests = await setUp().then(() => 0);
      const opened = entries.filter((e) => e.kind === 'session-opened');
      const closed = new Map(
        entries.flatMap((e) => (e.kind === 'session-closed' ? [[e.session, e] as const] : [])),
      );
      const listed = entries.filter((e) => e.kind === 'card-listed');
      const named = entries.filter((e) => e.kind === 'name-filled');
      const corrected = entries.filter((e) => e.kind === 'session-corrected');
      const needLog =
        opened.length > 0 || closed.size > 0 || named.length > 0 || corrected.length > 0;

      const ranges = [
        ...(needLog ? [a1(LOG.title, 'A2:D')] : []),
        ...(listed.length > 0 ? [a1(PEOPLE.title, 'A2:A')] : []),
      ];
      const read = ranges.length > 0 ? await batchGet(ranges) : [];
      requests += ranges.length > 0 ? 1 : 0;
      const logRows = needLog ? (read[0] ?? []) : [];
      const peopleRows = listed.length > 0 ? (read[needLog ? 1 : 0] ?? []) : [];

      // Rows are found by session id, never by a remembered row number.
      const rowOf = new Map<string, number>();
      logRows.forEach((row, i) => {
        const id = row[0];
        if (typeof id === 'string' && id !== '' && !rowOf.has(id)) rowOf.set(id, i + 2);
      });

      const appends: Cell[][] = [];
      const appended = new Set<string>();
      for (const entry of opened) {
        if (rowOf.has(entry.session) || appended.has(entry.session)) continue; // written before a crash: not again
        const close = closed.get(entry.session);
        appends.push(
          logRow(
            {
              session: entry.session,
              card: entry.card,
              name: entry.name,
              inAt: entry.inAt,
              outAt: close?.outAt ?? null,
              status: close?.status ?? 'in',
              reader: entry.reader,
              now,
            },
            zone,
          ),
        );
        appended.add(entry.session);
      }
      const updates: { range: string; values: Cell[][] }[] = [];
      for (const entry of closed.values()) {
        if (appended.has(entry.session)) continue;
        const row = rowOf.get(entry.session);
        // Not in the sheet and not opened in this batch: a person deleted the row. It stays deleted.
        if (row === undefined) continue;
        updates.push({
          range: a1(LOG.title, `F${row}:H${row}`),
          values: [closedCells(entry, zone)],
        });
      }
      // Times taken before the system clock synchronised, corrected: In, and Out and Hours when closed.
      for (const entry of corrected) {
        const row = rowOf.get(entry.session);
        if (row === undefined) continue;
        updates.push(
          entry.outAt === null
            ? { range: a1(LOG.title, `E${row}`), values: [[toSerial(entry.inAt, zone)]] }
            : {
                range: a1(LOG.title, `E${row}:G${row}`),
                values: [
                  [
                    toSerial(entry.inAt, zone),
                    toSerial(entry.outAt, zone),
                    toSerialDuration(entry.outAt - entry.inAt),
                  ],
                ],
              },
        );
      }
      for (const entry of named) {
        logRows.forEach((row, i) => {
          if (row[3] === entry.card && (row[2] === undefined || row[2] === '')) {
            updates.push({ range: a1(LOG.title, `C${i + 2}`), values: [[entry.name]] });
          }
        });
      }
      const inPeople = new Set(
        peopleRows
          .map((row) => normaliseCardId(cellText(row[0])))
          .flatMap((r) => (r.ok ? [r.card] : [])),
      );
      const newPeople = listed.filter(
        (e, i) => !inPeople.has(e.card) && listed.findIndex((o) => o.card === e.card) === i,
      );

      if (appends.length > 0) {
        await append(LOG.title, LOG.headers.length, appends);
        requests += 1;
      }
      if (newPeople.length > 0) {
        await append(
          PEOPLE.title,
          PEOPLE.headers.length,
          newPeople.map((e) => peopleRow(e.card, e.at, zone)),
        );
        requests += 1;
      }
      if (updates.length > 0) {
        await writeValues(updates);
        requests += 1;
      }
      return requests;
    },

    async liveUpdate(open, at, health) {
      await setUp();
      const [logIds = [], peopleRows = [], nowRows = []] = await batchGet([
        a1(LOG.title, 'A2:A'),
        a1(PEOPLE.title, 'A2:D'),
        a1(NOW.title, 'A2:A'),
      ]);
      const rowOf = new Map<string, number>();
      logIds.forEach((row, i) => {
        const id = row[0];
        if (typeof id === 'string' && !rowOf.has(id)) rowOf.set(id, i + 2);
      });
      const people = parsePeople(peopleRows);
      const names = new Map(people.map((p) => [p.card, p.name]));
      const updated = toSerial(at, zone);
      const data: { range: string; values: Cell[][] }[] = [];
      for (const session of open) {
        const row = rowOf.get(session.session);
        if (row !== undefined)
          data.push({
            range: a1(LOG.title, `G${row}`),
            values: [[toSerialDuration(at - session.inAt)]],
          });
      }
      const nowValues: Cell[][] =
        open.length === 0
          ? [['(nobody clocked in)', '', '', '', updated]]
          : open.map((s) => [
              (names.get(s.card) ?? '') || (s.name ?? ''),
              s.card,
              toSerial(s.inAt, zone),
              toSerialDuration(at - s.inAt),
              updated,
            ]);
      // Blank out rows left from a longer list a minute ago.
      while (nowValues.length < nowRows.length) nowValues.push(['', '', '', '', '']);
      data.push({ range: a1(NOW.title, `A2:E${nowValues.length + 1}`), values: nowValues });
      // The clock's health beside the list, in the same request (text, for people to read).
      const when = (ms: number | null): string =>
        ms === null ? 'never' : formatLocalDateTime(ms, zone);
      data.push({
        range: a1(NOW.title, 'G1:H9'),
        values: [
          ['Status', ''],
          ['Device', options.device],
          ['Version', options.version],
          ['Updated', when(at)],
          ['Last tap', when(health.lastTapAt)],
          ['Last sync', when(health.lastSyncAt)],
          ['Outbox', health.outboxDepth],
          ['Reader', health.readerFault === null ? 'ok' : `fault: ${health.readerFault}`],
          [
            'Clock',
            health.clockSynced ? 'synchronised' : 'NOT synchronised (times will be corrected)',
          ],
        ],
      });
      await writeValues(data);
      return { people, requests: 2 };
    },

    async readPeople() {
      await setUp();
      const [rows = []] = await batchGet([a1(PEOPLE.title, 'A2:D')]);
      return parsePeople(rows);
    },
  };
}

/** The account's e-mail for messages, even when the key file is broken. */
function safeAccount(keyFile: string): string {
  try {
    return loadServiceAccount(keyFile).client_email;
  } catch {
    return `the service account of ${keyFile}`;
  }
}
