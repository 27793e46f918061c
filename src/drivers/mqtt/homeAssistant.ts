/**
 * Home Assistant, optionally (`homeAssistant: true`, docs/multi-door.md): MQTT
 * discovery makes each person an "at work" binary sensor and the site a
 * "people in" sensor, kept up to date from the sessions this process holds
 * (the hub's are the site's merged ones). Everything is retained, so Home
 * Assistant shows the state at once after its own restart.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { defer, finalize, ignoreElements, type Observable, tap } from 'rxjs';
import type { Commit } from '../../../streams/commit';
import type { Log } from '../../log';
import type { Store } from '../store/store';
import type { MqttConfig } from './mqttConfig';

/** The events after which who is in may have changed. */
const SESSION_EVENTS = new Set(['clock-in', 'clock-out', 'auto-out', 'correction', 'refolded']);

export interface HomeAssistantOptions {
  readonly config: MqttConfig & { readonly mqttUrl: string };
  readonly store: Store;
  readonly log: Log;
  /** The MQTT client options the driver uses (login, TLS), with this listener's own client id. */
  readonly clientOptions: IClientOptions;
  readonly connect: (url: string, options: IClientOptions) => MqttClient;
}

/** Discovery and state topics of a site. */
export function homeAssistantTopics(site: string): {
  person: (card: string) => { config: string; state: string };
  peopleIn: { config: string; state: string };
} {
  const id = (what: string): string => `badgeclock_${site}_${what}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    person: (card) => ({
      config: `homeassistant/binary_sensor/${id(card)}/config`,
      state: `badgeclock/${site}/people/${card}/at_work`,
    }),
    peopleIn: {
      config: `homeassistant/sensor/${id('people_in')}/config`,
      state: `badgeclock/${site}/people_in`,
    },
  };
}

/**
 * A listener of the committed steps: after each one that may change who is in, the people whose
 * "at work" changed and the count are published (retained). A person gets their discovery
 * message the first time they are seen.
 */
export function makeHomeAssistantListener(
  o: HomeAssistantOptions,
): (committed$: Observable<Commit>) => Observable<never> {
  const { site } = o.config;
  const topics = homeAssistantTopics(site);
  const device = {
    identifiers: [`badgeclock_${site}`],
    name: `badgeclock ${site}`,
    manufacturer: 'badgeclock',
  };
  return (committed$) =>
    defer(() => {
      const client = o.connect(o.config.mqttUrl, o.clientOptions);
      const announced = new Set<string>();
      let atWork = new Map<string, string | null>();
      const publish = (topic: string, payload: unknown): void => {
        client.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
          qos: 1,
          retain: true,
        });
      };
      const announce = (card: string, name: string | null): void => {
        if (announced.has(card)) return;
        announced.add(card);
        const t = topics.person(card);
        publish(t.config, {
          name: `${name ?? card} at work`,
          unique_id: `badgeclock_${site}_${card}`,
          state_topic: t.state,
          device_class: 'occupancy',
          payload_on: 'ON',
          payload_off: 'OFF',
          device,
        });
      };
      /** Who is in now, against what was published: the changes, and the count. */
      const update = (all: boolean): void => {
        const now = new Map(o.store.openSessions().map((s) => [s.card, s.name]));
        for (const [card, name] of now) {
          announce(card, name);
          if (all || !atWork.has(card)) publish(topics.person(card).state, 'ON');
        }
        for (const card of atWork.keys()) {
          if (!now.has(card)) publish(topics.person(card).state, 'OFF');
        }
        atWork = now;
        publish(topics.peopleIn.state, String(now.size));
      };
      client.on('connect', () => {
        publish(topics.peopleIn.config, {
          name: 'People in',
          unique_id: `badgeclock_${site}_people_in`,
          state_topic: topics.peopleIn.state,
          unit_of_measurement: 'people',
          state_class: 'measurement',
          device,
        });
        update(true);
      });
      client.on('error', (error) => {
        o.log.warn(`home assistant: ${error.message}`);
      });
      return committed$.pipe(
        tap((commit) => {
          if (client.connected && commit.events.some((e) => SESSION_EVENTS.has(e.type))) {
            update(false);
          }
        }),
        ignoreElements(),
        finalize(() => {
          client.end(false);
        }),
      );
    });
}
