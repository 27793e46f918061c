/**
 * The doctor's checks of the sheet: the service-account key file (there, its
 * account, private to the clock's user) and the spreadsheet (reachable,
 * editable, its headers in place). Read-only.
 */
import { statSync } from 'node:fs';
import type { Config } from '../config';
import { KeyFileError } from '../drivers/sheets/serviceAccount';
import { SheetError } from '../drivers/sheets/sheetError';
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
  return [
    key.check,
    await spreadsheetCheck(spreadsheetId, key.account, { ...deps, sheets: deps.sheets }),
  ];
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
  deps: DoctorDeps & { readonly sheets: NonNullable<DoctorDeps['sheets']> },
): Promise<Check> {
  try {
    const sheet = await deps.sheets.check();
    const named = `"${sheet.title}" (${spreadsheetId})`;
    const blocked = await blockedTabs(sheet.missingTabs, deps.tabTitles);
    if (blocked.length > 0) {
      const [first] = blocked;
      return {
        name: 'spreadsheet',
        ok: false,
        detail: `${named}: ${blocked.map(({ tab, there }) => `the tab "${there}" stands where the clock needs "${tab}"`).join('; ')}: Google takes no two tab names that differ only in case, so the clock cannot add its own and writes nothing to the sheet (taps are kept and queued)`,
        fix: `rename the tab "${first?.there ?? ''}" to "${first?.tab ?? ''}" (the same for each named), or give it another name and the clock adds its own`,
      };
    }
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
    return { name: 'spreadsheet', ok: false, ...failureOf(error, account) };
  }
}

/** The missing tabs a tab of another case stands in for (a "log" where "Log" is missing). */
async function blockedTabs(
  missing: readonly string[],
  tabTitles: DoctorDeps['tabTitles'],
): Promise<{ readonly tab: string; readonly there: string }[]> {
  if (missing.length === 0 || tabTitles === undefined) return [];
  const titles = await tabTitles();
  return missing.flatMap((tab) => {
    const there = titles.find((title) => title.toLowerCase() === tab.toLowerCase());
    return there === undefined ? [] : [{ tab, there }];
  });
}

/**
 * What a refused or failed check says, and the fix for that cause: sharing the sheet mends a
 * 403 only, not a wrong id (404), a key Google refuses (401) or an API busy or down.
 */
function failureOf(error: unknown, account: string): { detail: string; fix: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof SheetError)) {
    return { detail: message, fix: 'run doctor again; if it stays, report it with this line' };
  }
  if (error.kind === 'auth') {
    return {
      // The running clock refreshes its token and retries; doctor asked once.
      detail: message.replace(/; refreshing them$/, ''),
      fix: `the key of ${account} was deleted or revoked (IAM → Service accounts → Keys), or this machine's clock is far off: download a new JSON key, or set the time (sudo timedatectl set-ntp true)`,
    };
  }
  if (error.kind === 'retry') {
    return {
      detail: message,
      fix: 'Google or the network failed this time: check the network and run doctor again in a few minutes; the clock keeps taps queued and retries meanwhile',
    };
  }
  if (/ was not found \(404: /.test(message)) {
    return {
      detail: message,
      fix: "set BADGECLOCK_SPREADSHEET_ID to the part of the sheet's URL between /d/ and /edit",
    };
  }
  return {
    detail: message,
    fix: `share the sheet with ${account} as Editor, and check BADGECLOCK_SPREADSHEET_ID`,
  };
}
