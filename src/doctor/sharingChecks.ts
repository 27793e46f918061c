/**
 * The doctor's checks of a door that shares taps with the site's other doors
 * (docs/multi-door.md): the broker (brokerChecks.ts), then each other door as
 * this door's store last heard it. Nothing at all for a single door.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { DB_FILE_NAME, Store, type SharingStatus } from '../drivers/store/store';
import { ago, brokerChecks, type HeardDoors } from './brokerChecks';
import type { Check } from './check';

/**
 * How long another door may say nothing while the site works. A door cut off that long is
 * down or cut off for a working day: its taps reach the others late (every answer since is
 * refolded), and after a week the broker drops what it kept for it. Worth a failure, not a
 * note: doctor is what someone runs to ask whether the site is whole.
 */
export const SILENT_MS = 24 * 3_600_000;

/** What this store knows of the other doors, or why it cannot tell. */
type Sharing =
  | { readonly ok: true; readonly status: SharingStatus; readonly lastTapAt: number | null }
  | { readonly ok: false; readonly why: string };

/** The broker's checks and each other door's; none without a broker (a single door). */
export async function sharingChecks(
  config: Config,
  now: () => number,
  hub = false,
): Promise<Check[]> {
  const { mqttUrl } = config;
  if (mqttUrl === undefined && hub) {
    // `badgeclock hub` refuses to start without one: doctor --hub must not pass it.
    return [
      {
        name: 'broker',
        ok: false,
        detail: "no broker is set: the hub takes every door's taps from the site's broker",
        fix: "set mqttUrl (BADGECLOCK_MQTT_URL) to the site's broker",
      },
    ];
  }
  if (mqttUrl === undefined) return [];
  const sharing = readSharing(config.dataDir);
  const heard: HeardDoors = sharing.ok
    ? {
        doors: sharing.status.doors.filter((d) => d.lastReceivedAt !== null).length,
        lastReceivedAt: Math.max(
          ...sharing.status.doors.flatMap((d) =>
            d.lastReceivedAt === null ? [] : [d.lastReceivedAt],
          ),
          -Infinity,
        ),
        corrections: sharing.status.corrections.received,
      }
    : { doors: 0, lastReceivedAt: null, corrections: 0 };
  const broker = await brokerChecks({ ...config, mqttUrl }, heard, now(), hub);
  return [...broker, ...doorChecks(sharing, now())];
}

/** Read-only, like the store check: the other doors heard, and the site's newest tap. */
function readSharing(dataDir: string): Sharing {
  const file = join(dataDir, DB_FILE_NAME);
  if (!existsSync(file))
    return { ok: false, why: 'no store yet: the clock creates it on its first start' };
  try {
    const store = Store.open(file, { readonly: true });
    try {
      return {
        ok: true,
        status: store.sharingStatus(),
        lastTapAt: store.status().lastTap?.at ?? null,
      };
    } finally {
      store.close();
    }
  } catch (error) {
    return { ok: false, why: `the store cannot be read (${(error as Error).message})` };
  }
}

/**
 * One line per other door: when it was last heard. A door is flagged when it has been silent
 * for SILENT_MS while the site kept working (a tap, here or at another door, a full SILENT_MS
 * after it was last heard): a weekend or a holiday, when no door takes a tap, flags nobody.
 */
function doorChecks(sharing: Sharing, now: number): Check[] {
  if (!sharing.ok) return [{ name: 'doors', ok: 'skip', detail: `not checked: ${sharing.why}` }];
  // Doors heard through their taps (one that only said it is online has taken none yet).
  const doors = sharing.status.doors.flatMap((d) =>
    d.lastTapAt === null || d.lastReceivedAt === null
      ? []
      : [{ ...d, lastTapAt: d.lastTapAt, lastReceivedAt: d.lastReceivedAt }],
  );
  if (doors.length === 0) {
    return [
      {
        name: 'doors',
        ok: 'skip',
        detail: 'no other door heard yet (none has taken a tap since this door joined)',
      },
    ];
  }
  const siteLastTap = Math.max(sharing.lastTapAt ?? -Infinity, ...doors.map((d) => d.lastTapAt));
  return doors.map((d): Check => {
    const silent = now - d.lastReceivedAt;
    const name = `door ${d.door}`;
    const heard = `last heard ${ago(silent)} ago (${d.taps} of its taps in this store)`;
    if (silent <= SILENT_MS || siteLastTap <= d.lastReceivedAt + SILENT_MS) {
      return { name, ok: true, detail: heard };
    }
    return {
      name,
      ok: false,
      detail: `silent: ${heard}, while the site took taps until ${ago(now - siteLastTap)} ago`,
      fix: `check door ${d.door}: its service (systemctl status badgeclock there), its network, and badgeclock doctor on it; its taps wait in its store and come late`,
    };
  });
}
