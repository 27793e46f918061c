/**
 * This process's user name, for a command a person pastes: `$(whoami)` in it would be the
 * name of whoever pastes it, not of the clock's user that ran the check (`sudo -u badgeclock`).
 */
import { userInfo } from 'node:os';

export function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'this user';
  }
}
