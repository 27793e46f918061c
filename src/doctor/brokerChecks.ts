/**
 * The doctor's checks of the broker a site's doors share taps through
 * (docs/multi-door.md): it answers, it takes this door's login, its ACL lets the
 * door write its own taps (the hub, its corrections) and read every door's, and
 * the hub's corrections. One short connection of the doctor's own
 * (brokerSession.ts): it publishes no tap and keeps no session.
 */
import type { MqttConfig } from '../drivers/mqtt/mqttConfig';
import { correctionsTopic } from '../drivers/mqtt/correctionMessages';
import { allTapsTopic, tapsTopic } from '../drivers/mqtt/tapMessages';
import {
  connectOnce,
  endConnection,
  subscribeProbe,
  writeProbe,
  type Answer,
  type Connection,
} from './brokerSession';
import type { Check } from './check';

type BrokerConfig = MqttConfig & { readonly mqttUrl: string };

/** What this store already knows of reading: other doors whose taps reached it, and when last. */
export interface HeardDoors {
  readonly doors: number;
  readonly lastReceivedAt: number | null;
  /** The hub's corrections received here. */
  readonly corrections: number;
}

const ACL_HELP = 'README, "Set up a site"';

/** The broker's checks: `broker`, `broker write`, `broker read`. */
export async function brokerChecks(
  config: BrokerConfig,
  heard: HeardDoors,
  now: number,
  hub = false,
): Promise<Check[]> {
  // The hub's doctor is `badgeclock-<site>-hub-doctor`, beside the hub's own session.
  const connection = await connectOnce(hub ? { ...config, door: 'hub' } : config);
  if (!connection.ok) {
    const untried = (name: string): Check => ({
      name,
      ok: false,
      detail: 'not checked: no connection to the broker',
    });
    return [
      connectionCheck(config, connection),
      ...['broker write', 'broker read', ...(hub ? [] : ['broker read corrections'])].map(untried),
    ];
  }
  try {
    const writeTopic = hub ? correctionsTopic(config.site) : tapsTopic(config.site, config.door);
    const write = writeCheck(config, await writeProbe(connection.client, writeTopic), hub);
    const read = await subscribeProbe(connection.client, allTapsTopic(config.site));
    const corrections = hub
      ? []
      : [
          correctionsReadCheck(
            config,
            await subscribeProbe(connection.client, correctionsTopic(config.site)),
            heard,
          ),
        ];
    return [
      connectionCheck(config, connection),
      write,
      readCheck(config, read, heard, now),
      ...corrections,
    ];
  } finally {
    await endConnection(connection.client);
  }
}

const userOf = (config: BrokerConfig): string =>
  config.mqttUsername === undefined ? 'no user (anonymous)' : `user ${config.mqttUsername}`;

/** Reachable, TLS files readable, login taken; each failure with what to check. */
function connectionCheck(config: BrokerConfig, connection: Connection): Check {
  const { mqttUrl: url, site, door } = config;
  if (connection.ok) {
    return {
      name: 'broker',
      ok: true,
      detail: `${url} takes door ${door} of site ${site} (${userOf(config)}, MQTT 5)`,
    };
  }
  switch (connection.stage) {
    case 'files':
      return {
        name: 'broker',
        ok: false,
        detail: connection.message,
        fix: "make the file named there readable by the clock's user, or correct its setting (BADGECLOCK_MQTT_CA_FILE, _CERT_FILE, _KEY_FILE)",
      };
    case 'refused':
      return {
        name: 'broker',
        ok: false,
        detail: `${url} refused the login of ${userOf(config)}: ${connection.message} (reason ${connection.reason ?? '?'})`,
        fix:
          config.mqttUsername === undefined
            ? "the broker wants a login: set BADGECLOCK_MQTT_USERNAME (the door's name) and BADGECLOCK_MQTT_PASSWORD"
            : `check user ${config.mqttUsername}'s password: BADGECLOCK_MQTT_PASSWORD (or mqttPassword in the config file) must be the one mosquitto_passwd set in the broker's password file for ${config.mqttUsername}`,
      };
    case 'network':
    case 'timeout':
      return {
        name: 'broker',
        ok: false,
        detail: `${url} cannot be reached: ${connection.message}`,
        fix: `check that the broker runs (systemctl status mosquitto on its machine), that BADGECLOCK_MQTT_URL (${url}) names its host and port, the network and firewall between this door and it, and with TLS mqttCaFile`,
      };
  }
}

/**
 * The ACL lets this door write its taps' topic, or the hub the corrections it shares with the
 * doors (it publishes no taps). The probe leaves nothing: see writeProbe.
 */
function writeCheck(config: BrokerConfig, answer: Answer, hub: boolean): Check {
  const topic = hub ? correctionsTopic(config.site) : tapsTopic(config.site, config.door);
  const name = 'broker write';
  if (answer.reason === null) return { name, ok: false, detail: `${topic}: ${answer.why}` };
  if (answer.reason < 0x80) {
    const who = hub
      ? "the hub may publish a manager's corrections"
      : `door ${config.door} may publish its taps`;
    return {
      name,
      ok: true,
      detail: `${who} on ${topic} (probed at QoS 2, never released: no door saw it)`,
    };
  }
  const reason = `PUBREC reason ${answer.reason}${answer.reason === 135 ? ', not authorized' : ''}`;
  return hub
    ? {
        name,
        ok: false,
        detail: `the broker refuses the hub's corrections on ${topic} (${reason}): the doors do not hear of a manager's corrections, which wait in the hub's store`,
        fix: `in the broker's ACL let ${userOf(config)} write ${topic} ("topic write badgeclock/+/corrections" under "user hub", ${ACL_HELP})`,
      }
    : {
        name,
        ok: false,
        detail: `the broker refuses door ${config.door}'s taps on ${topic} (${reason}); its taps wait in its store`,
        fix: `in the broker's ACL let ${userOf(config)} write ${topic} ("pattern write badgeclock/+/taps/%u", ${ACL_HELP}), and check that BADGECLOCK_DOOR (${config.door}) is the door's broker user`,
      };
}

/**
 * The ACL lets this door read every door's taps. A refused SUBACK fails; a granted one proves
 * nothing with Mosquitto (it grants what its ACL denies and delivers nothing), so the check
 * passes only when other doors' taps have reached this store, and otherwise says it cannot tell.
 */
function readCheck(config: BrokerConfig, answer: Answer, heard: HeardDoors, now: number): Check {
  const filter = allTapsTopic(config.site);
  if (answer.reason === null) {
    return { name: 'broker read', ok: false, detail: `${filter}: ${answer.why}` };
  }
  if (answer.reason >= 0x80) {
    return {
      name: 'broker read',
      ok: false,
      detail: `the broker refuses door ${config.door}'s subscription to ${filter} (SUBACK reason ${answer.reason}${answer.reason === 135 ? ', not authorized' : ''}): it sees no other door's taps`,
      fix: `in the broker's ACL let ${userOf(config)} read ${filter} ("pattern read badgeclock/+/taps/+", ${ACL_HELP})`,
    };
  }
  if (heard.doors === 0 || heard.lastReceivedAt === null) {
    return {
      name: 'broker read',
      ok: 'skip',
      detail: `not proven: the broker granted ${filter}, but Mosquitto grants a subscription its ACL denies (and then delivers nothing), and no other door's tap has reached this store yet; if the ACL lacks "pattern read badgeclock/+/taps/+" no tap will`,
    };
  }
  return {
    name: 'broker read',
    ok: true,
    detail: `${filter} granted, and taps of ${heard.doors} other door(s) reached this store (the last ${ago(now - heard.lastReceivedAt)} ago)`,
  };
}

/**
 * The ACL lets this door read the hub's corrections. As for the taps, a granted SUBACK proves
 * nothing with Mosquitto: the check passes once a correction has reached this store.
 */
function correctionsReadCheck(config: BrokerConfig, answer: Answer, heard: HeardDoors): Check {
  const topic = correctionsTopic(config.site);
  const name = 'broker read corrections';
  if (answer.reason === null) return { name, ok: false, detail: `${topic}: ${answer.why}` };
  if (answer.reason >= 0x80) {
    return {
      name,
      ok: false,
      detail: `the broker refuses door ${config.door}'s subscription to ${topic} (SUBACK reason ${answer.reason}${answer.reason === 135 ? ', not authorized' : ''}): a manager's corrections stay the hub's`,
      fix: `in the broker's ACL let ${userOf(config)} read ${topic} ("pattern read badgeclock/+/corrections", ${ACL_HELP})`,
    };
  }
  if (heard.corrections === 0) {
    return {
      name,
      ok: 'skip',
      detail: `not proven: the broker granted ${topic}, but Mosquitto grants a subscription its ACL denies, and no correction of the hub's has reached this store yet; if the ACL lacks "pattern read badgeclock/+/corrections" none will`,
    };
  }
  return {
    name,
    ok: true,
    detail: `${topic} granted, and ${heard.corrections} of the hub's corrections reached this store`,
  };
}

/** A duration as a person reads it: "40 s", "12 min", "5 h 3 min", "2 d 4 h". */
export function ago(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return `${Math.floor(Math.max(0, ms) / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
