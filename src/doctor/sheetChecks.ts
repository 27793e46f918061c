/**
 * The doctor's checks of the sheet: the service-account key file (there, its
 * account, private to the clock's user) and the spreadsheet (reachable,
 * editable, its headers in place). Read-only.
 */
import { statSync } from 'node:fs';
import type { Config } from '../config';
import { KeyFileError } from '../drivers/sheets/serviceAccount';
import type { Check, DoctorDeps } from './check';

const SHEET_OFF = 'no spreadsheet configured (the sheet is off)';

/** The key file and the spreadsheet, or both skipped when no sheet is configured. */
export async function sheetChecks(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const { spreadsheetId, keyFile } = config;
  if (spreadsheetId === undefined || keyFile === undefined) {
    return [
      { name: 'key file', ok: 'skip', detail: SHEET_OFF },
      { name: 'spreadsheet', ok: 'skip', detail: SHEET_OFF },
    ];
  }
  const key = keyFileCheck(keyFile, deps);
  if (key.account === null || deps.sheets === undefined) {
    return [
      key.check,
      { name: 'spreadsheet', ok: false, detail: 'not checked: the key file is not usable' },
    ];
  }
  return [key.check, await spreadsheetCheck(spreadsheetId, key.account, deps.sheets)];
}

/**
 * The key file: its service account and its mode. The account is kept even
 * when the mode fails, since the sheet can still be checked with it.
 */
function keyFileCheck(
  keyFile: string,
  deps: DoctorDeps,
): { readonly check: Check; readonly account: string | null } {
  let account: string | null = null;
  try {
    account = deps.loadServiceAccount?.(keyFile).client_email ?? null;
    const mode = statSync(keyFile).mode;
    if ((mode & 0o077) !== 0) {
      return {
        account,
        check: {
          name: 'key file',
          ok: false,
          detail: `${keyFile} is readable by other users (mode ${(mode & 0o777).toString(8)})`,
          fix: `chmod 600 ${keyFile} (and chown it to the clock's user)`,
        },
      };
    }
    return {
      account,
      check: {
        name: 'key file',
        ok: true,
        detail: `${keyFile}: service account ${account ?? '?'}, mode 600`,
      },
    };
  } catch (error) {
    return {
      account,
      check: {
        name: 'key file',
        ok: false,
        ...(error instanceof KeyFileError
          ? { detail: error.what, fix: error.fix }
          : {
              detail: (error as Error).message,
              fix: 'download a JSON key for the service account and set BADGECLOCK_KEY_FILE to it',
            }),
      },
    };
  }
}

/** The spreadsheet as the account sees it: its title, edit access, missing tabs and headers. */
async function spreadsheetCheck(
  spreadsheetId: string,
  account: string,
  sheets: NonNullable<DoctorDeps['sheets']>,
): Promise<Check> {
  try {
    const sheet = await sheets.check();
    const named = `"${sheet.title}" (${spreadsheetId})`;
    const notes = [
      ...sheet.headerWarnings,
      ...(sheet.missingTabs.length === 0
        ? []
        : [`the clock creates the tab(s) ${sheet.missingTabs.join(', ')} on its first start`]),
    ];
    return sheet.headerErrors.length === 0
      ? {
          name: 'spreadsheet',
          ok: true,
          detail: `${named} is reachable and ${sheet.writeConfirmed ? `${account} can edit it` : `readable by ${account} (edit access not confirmed: the server refused the no-op title update)`}${notes.length === 0 ? '' : `; ${notes.join('; ')}`}`,
        }
      : {
          name: 'spreadsheet',
          ok: false,
          detail: `${named}: ${sheet.headerErrors.join('; ')}`,
          fix: 'restore the header row (README, "The tabs"); the clock keeps taps queued until then',
        };
  } catch (error) {
    return {
      name: 'spreadsheet',
      ok: false,
      detail: (error as Error).message,
      fix: `share the sheet with ${account} as Editor, and check BADGECLOCK_SPREADSHEET_ID and the network`,
    };
  }
}
