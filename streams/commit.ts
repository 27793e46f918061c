/**
 * What the store must make durable for one reducer step, decided in the core:
 * the step's domain events and commands, and the outbox entries the sheet will
 * need. One commit is one transaction, so a step is stored whole or not at all.
 */
import { map, type Observable, type OperatorFunction } from 'rxjs';
import type { Command, DomainEvent, Output } from './events';
import { isCommand, isDomainEvent } from './events';

/** A change the sheet must show, with the key that makes applying it idempotent. */
export type OutboxEntry =
  | {
      readonly kind: 'session-opened';
      readonly key: string;
      readonly session: string;
      readonly card: string;
      readonly name: string | null;
      readonly inAt: number;
      readonly reader: string;
    }
  | {
      readonly kind: 'session-closed';
      readonly key: string;
      readonly session: string;
      readonly card: string;
      readonly inAt: number;
      readonly outAt: number;
      readonly status: 'out' | 'auto';
    }
  | {
      readonly kind: 'card-listed';
      readonly key: string;
      readonly card: string;
      readonly at: number;
    }
  | {
      readonly kind: 'session-corrected';
      readonly key: string;
      readonly session: string;
      readonly card: string;
      readonly inAt: number;
      readonly outAt: number | null;
    }
  | {
      readonly kind: 'card-followed';
      readonly key: string;
      readonly session: string;
      readonly card: string;
    }
  | {
      readonly kind: 'name-filled';
      readonly key: string;
      readonly card: string;
      readonly name: string;
    };

export interface Commit {
  readonly type: 'commit';
  readonly events: readonly DomainEvent[];
  readonly commands: readonly Command[];
  readonly outbox: readonly OutboxEntry[];
}

/** The outbox entries one output implies (none for most). */
export function outboxEntriesOf(output: Output): OutboxEntry[] {
  switch (output.type) {
    case 'clock-in':
      return [
        {
          kind: 'session-opened',
          key: `open:${output.session}`,
          session: output.session,
          card: output.card,
          name: output.name,
          inAt: output.at,
          reader: output.reader,
        },
      ];
    case 'clock-out':
    case 'auto-out':
      return [
        {
          kind: 'session-closed',
          key: `close:${output.session}`,
          session: output.session,
          card: output.card,
          inAt: output.inAt,
          outAt: output.at,
          status: output.type === 'clock-out' ? 'out' : 'auto',
        },
      ];
    case 'listCard':
      return [
        { kind: 'card-listed', key: `card:${output.card}`, card: output.card, at: output.at },
      ];
    case 'correctTimes':
      return output.sessions.map((fix) => ({
        kind: 'session-corrected' as const,
        key: `fix:${fix.session}:${fix.inAt}:${fix.outAt ?? ''}`,
        ...fix,
      }));
    case 'followCard':
      return [
        {
          kind: 'card-followed',
          key: `follow:${output.session}:${output.card}`,
          session: output.session,
          card: output.card,
        },
      ];
    case 'nameCard':
      return [
        {
          kind: 'name-filled',
          // The instant makes each naming its own entry: a card named, unnamed and named the
          // same again needs the name filled into its new rows too (INSERT OR IGNORE keeps keys).
          key: `name:${output.card}:${output.name}:${output.at}`,
          card: output.card,
          name: output.name,
        },
      ];
    default:
      return [];
  }
}

/** One step's outputs as one commit. */
export function toCommit(outputs: readonly Output[]): Commit {
  return {
    type: 'commit',
    events: outputs.filter(isDomainEvent),
    commands: outputs.filter(isCommand),
    outbox: outputs.flatMap(outboxEntriesOf),
  };
}

/** Turns the core's steps into commits for the store driver. */
export function commits(): OperatorFunction<readonly Output[], Commit> {
  return (steps$: Observable<readonly Output[]>) => steps$.pipe(map(toCommit));
}
