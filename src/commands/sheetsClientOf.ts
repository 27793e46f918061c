/**
 * The sheet's client and driver, made only when a spreadsheet is configured.
 */
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';

import { version } from '../../package.json';
import type { Config } from '../config';
import type * as SheetsApiModule from '../drivers/sheets/sheetsApi';
import type * as SheetsClientModule from '../drivers/sheets/sheetsClient';
import type { SheetsClient } from '../drivers/sheets/sheetsClient';
import { loadServiceAccount } from '../drivers/sheets/serviceAccount';
import { makeSheetsDriver, type SheetsDriver } from '../drivers/sheets/sheetsDriver';
import { log } from './common';

/** Whether the clock runs with a sheet, whose People tab then replaces the people file. */
export function sheetConfigured(config: Config): boolean {
  return config.spreadsheetId !== undefined && config.keyFile !== undefined;
}

/** Where the clock keeps the last People tab it read (README, "The sheet"). */
export const peopleCacheFile = (config: Config): string =>
  join(config.dataDir, 'people-sheet.json');

/** The sheet client when a spreadsheet is configured; a bad key file is reported, and the clock still runs. */
export function sheetsClientOf(
  config: Config,
  warn: (message: string) => void,
): SheetsClient | undefined {
  if (config.spreadsheetId === undefined || config.keyFile === undefined) return undefined;
  // Loaded only with a sheet configured: the Google client costs start-up time and memory on a Pi.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy, synchronous load in CommonJS is the point
  const sheetsModule = require('../drivers/sheets/sheetsClient') as typeof SheetsClientModule;
  const { makeSheetsClient } = sheetsModule;
  try {
    loadServiceAccount(config.keyFile);
  } catch (error) {
    warn(
      `sheet: ${(error as Error).message} Every change is kept and queued until the key is fixed.`,
    );
  }
  return makeSheetsClient({
    spreadsheetId: config.spreadsheetId,
    keyFile: config.keyFile,
    rootUrl: config.sheetsRootUrl,
    timeoutMs: config.sheetsTimeoutSeconds * 1000,
    zone: config.tz,
    device: config.readerName,
    version,
    warn: (message) => {
      warn(`sheet: ${message}`);
    },
  });
}

/**
 * Reads the spreadsheet's tab titles as they are, for doctor; undefined without a sheet. Its
 * own request: the client's check keeps only the tabs the clock knows by their exact names.
 */
export function sheetTabTitlesOf(config: Config): (() => Promise<readonly string[]>) | undefined {
  const { spreadsheetId, keyFile } = config;
  if (spreadsheetId === undefined || keyFile === undefined) return undefined;
  return async () => {
    // Lazy, as the client above: the Google client costs start-up time and memory on a Pi.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy, synchronous load in CommonJS is the point
    const sheetsApi = require('../drivers/sheets/sheetsApi') as typeof SheetsApiModule;
    const { makeGoogleSheetsApi } = sheetsApi;
    const api = makeGoogleSheetsApi({
      spreadsheetId,
      keyFile,
      rootUrl: config.sheetsRootUrl,
      timeoutMs: config.sheetsTimeoutSeconds * 1000,
    });
    const got = await api.get('sheets.properties.title');
    return (got.sheets ?? []).map((tab) => tab.properties?.title ?? '');
  };
}

/** The sheet driver when a spreadsheet is configured. */
export function sheetDriverOf(config: Config): SheetsDriver | undefined {
  const warn = (message: string): void => {
    log.warn(message);
  };
  const client = sheetsClientOf(config, warn);
  if (client === undefined) return undefined;
  return makeSheetsDriver(client, {
    scheduler: asyncScheduler,
    random: Math.random,
    peopleCache: peopleCacheFile(config),
    warn: (message) => {
      warn(`sheet: ${message}`);
    },
  });
}
