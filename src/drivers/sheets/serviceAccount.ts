/** The service account's JSON key file: read and checked before anything talks to Google. */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SheetError } from './sheetError';

export interface ServiceAccount {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
}

const DOWNLOAD =
  'download a JSON key for the service account (README, "The Google Sheet") and set BADGECLOCK_KEY_FILE to its path';

/**
 * A key file the clock cannot use: final (no retry mends it). `what` is wrong, `fix` what to
 * do; the message says both, and doctor shows them apart.
 */
export class KeyFileError extends SheetError {
  constructor(
    readonly what: string,
    readonly fix: string = DOWNLOAD,
  ) {
    super(`${what}. ${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`, 'final');
  }
}

/** Reads and checks the key file; a KeyFileError that says what is wrong, where, and the fix. */
export function loadServiceAccount(keyFile: string): ServiceAccount {
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw unreadable(keyFile, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError(
      `the key file ${keyFile} is not JSON`,
      "it should be the service account's JSON key as downloaded",
    );
  }
  const get = (key: string): unknown =>
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
  const email = get('client_email');
  const key = get('private_key');
  if (get('type') !== 'service_account' || typeof email !== 'string' || typeof key !== 'string') {
    throw new KeyFileError(
      `the key file ${keyFile} is not a service-account key (it needs "type": "service_account", "client_email" and "private_key")`,
    );
  }
  try {
    // Google's client only finds a broken key when it signs, and says so in words that read
    // like a network fault: checked here, it is named and not retried.
    createPrivateKey(key);
  } catch {
    throw new KeyFileError(
      `the key file ${keyFile} has a "private_key" that is not a private key (cut short or edited?)`,
    );
  }
  const keyId = get('private_key_id');
  return {
    client_email: email,
    private_key: key,
    ...(typeof keyId === 'string' ? { private_key_id: keyId } : {}),
  };
}

/** Why the key file could not be read, and what to do about it. */
function unreadable(keyFile: string, error: unknown): KeyFileError {
  const file = `the service-account key file ${keyFile}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return new KeyFileError(`${file} does not exist`);
    case 'EISDIR':
      return new KeyFileError(
        `${file} is a directory, not a file`,
        "set BADGECLOCK_KEY_FILE to the JSON key file's path",
      );
    case 'EACCES':
    case 'EPERM':
      return new KeyFileError(
        `${file} is not readable by this user`,
        `give it to the clock's user and keep it private: chown <user> ${keyFile} && chmod 600 ${keyFile}`,
      );
    default:
      return new KeyFileError(`${file} cannot be read (${String(error)})`);
  }
}
