/**
 * The doctor's check (`badgeclock doctor`): is the sheet reachable, can the
 * clock write to it, and are its tabs and headers ones the clock can use.
 * Changes nothing: write access is proven by setting the title to itself,
 * and the headers are read with set-up's `inspectHeaders`.
 */
import { TABS } from './layout';
import type { SheetCalls } from './sheetCalls';
import type { SheetSetUp } from './sheetSetUp';
import type { SheetCheck } from './sheetsClient';
import { SheetError } from './sheetError';

/** Checks the sheet; rejects with the SheetError of the first request that fails. */
export async function checkSheet(
  call: SheetCalls['call'],
  inspectHeaders: SheetSetUp['inspectHeaders'],
): Promise<SheetCheck> {
  const got = await call((port) => port.get('properties.title,sheets.properties.title'));
  const known = got.properties?.title;
  const title = known ?? '';
  // Without the title there is nothing to set it back to: never risk renaming the sheet.
  let writable = false;
  if (typeof known === 'string') {
    try {
      await call((port) =>
        port.batchUpdate([
          { updateSpreadsheetProperties: { properties: { title }, fields: 'title' } },
        ]),
      );
      writable = true;
    } catch (error) {
      // A 403 is the answer (no edit right). A 400 means the server did not take the no-op
      // request itself (a Sheets-compatible stand-in): write access is then not confirmed.
      if (!(error instanceof SheetError && error.status === 400)) throw error;
    }
  }
  const existing = new Set((got.sheets ?? []).map((t) => t.properties?.title ?? ''));
  const present = TABS.filter((tab) => existing.has(tab.title));
  const headers =
    present.length === 0
      ? { errors: [], warnings: [], headless: [] }
      : await inspectHeaders(present);
  return {
    title,
    writeConfirmed: writable,
    missingTabs: TABS.filter((tab) => !existing.has(tab.title)).map((tab) => tab.title),
    headerErrors: headers.errors,
    headerWarnings: [
      ...headers.warnings,
      ...headers.headless.map(
        (tab) =>
          `${tab.title}!A1: the header row was deleted (row 1 holds data); the clock puts it back above`,
      ),
    ],
  };
}
