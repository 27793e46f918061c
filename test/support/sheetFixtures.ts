/** What tests and benches of the sheet client hand it besides the entries. */
import type { Health } from '../../streams/events';

/** The health block of a clock with nothing to report. */
export const quietHealth: Health = {
  lastTapAt: null,
  lastSyncAt: null,
  outboxDepth: 0,
  readerFault: null,
  clockSynced: true,
};
