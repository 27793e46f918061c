/** The service account's JSON key file: read and checked before anything talks to Google. */
import { readFileSync } from 'node:fs';
import { SheetError } from './sheetError';

export interface ServiceAccount {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
}

/** Reads and checks the key file; a SheetError that says what is wrong and where. */
export function loadServiceAccount(keyFile: string): ServiceAccount {
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : String(error);
    throw new SheetError(
      `the service-account key file ${keyFile} ${why}. Download a JSON key for the service account (README, "The Google Sheet") and set BADGECLOCK_KEY_FILE to its path.`,
      'final',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SheetError(
      `the key file ${keyFile} is not JSON; it should be the service account's JSON key as downloaded.`,
      'final',
    );
  }
  const get = (key: string): unknown =>
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
  const email = get('client_email');
  const key = get('private_key');
  if (get('type') !== 'service_account' || typeof email !== 'string' || typeof key !== 'string') {
    throw new SheetError(
      `the key file ${keyFile} is not a service-account key (it needs "type": "service_account", "client_email" and "private_key").`,
      'final',
    );
  }
  const keyId = get('private_key_id');
  return {
    client_email: email,
    private_key: key,
    ...(typeof keyId === 'string' ? { private_key_id: keyId } : {}),
  };
}
