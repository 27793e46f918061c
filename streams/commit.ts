/**
 * What the store must make durable for one reducer step, decided in the core:
 * the step's domain events and commands, and the outbox entries the sheet will
 * need. One commit is one transaction, so a step is stored whole or not at all.
 */
import { map, type Observable, type OperatorFunction } from 'rxjs';
import type {
  AddAlias,
  Command,
  Corrected,
  DomainEvent,
  ListCard,
  Output,
  Refolded,
  RefoldedSession,
} from './events';
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
      /** Clocked out at another reader than in: the Reader cell becomes `in → out`. */
      readonly readers?: string;
    }
  | {
      readonly kind: 'card-listed';
      readonly key: string;
      readonly card: string;
      /** First seen. */
      readonly at: number;
      /** Enrolled at the reader: the placeholder name, and where (the People row's Note). */
      readonly name?: string;
      readonly note?: string;
    }
  | {
      readonly kind: 'alias-added';
      readonly key: string;
      /** The person's card, whose People row gets the alias. */
      readonly card: string;
      readonly alias: string;
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
      /** The placeholder the card was enrolled under: a Name cell showing it takes the name too. */
      readonly placeholder?: string;
    }
  | {
      /** A manager's correction applied: the row shows the session's times and status now. */
      readonly kind: 'session-fixed';
      readonly key: string;
      readonly session: string;
      readonly card: string;
      readonly inAt: number;
      readonly outAt: number | null;
      /** `superseded`: a refold (another door's late tap) found the session never was. */
      readonly status: 'in' | 'out' | 'auto' | 'void' | 'superseded';
      /** The cells a manager typed in the sheet: the row keeps them as typed. */
      readonly typed?: readonly ('in' | 'out' | 'status')[];
    }
  | {
      /** A line of the Edits tab: one field of a correction, applied or rejected. */
      readonly kind: 'edit-logged';
      readonly key: string;
      readonly card: string;
      readonly seenAt: number;
      readonly session: string;
      readonly name: string | null;
      readonly field: 'in' | 'out' | 'status';
      /** Times as UTC ms, a status or the text typed as text. */
      readonly old: number | string | null;
      readonly new: number | string | null;
      /** `applied`, or `rejected: <what is wrong>`. */
      readonly result: string;
      readonly why: string | null;
      readonly source: 'sheet' | 'fix';
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
          // A close that replaces the clock-out a stale clock gave is an entry of its own.
          key:
            output.type === 'auto-out' && output.replacesClockOut === true
              ? `close:${output.session}:auto`
              : `close:${output.session}`,
          session: output.session,
          card: output.card,
          inAt: output.inAt,
          outAt: output.at,
          status: output.type === 'clock-out' ? 'out' : 'auto',
          ...(output.type === 'clock-out' && output.inReader !== undefined
            ? { readers: `${output.inReader} → ${output.reader}` }
            : {}),
        },
      ];
    case 'listCard':
      return [listedEntry(output)];
    case 'correction':
      return correctionEntries(output);
    case 'refolded':
      return refoldEntries(output);
    case 'addAlias':
      return [aliasEntry(output)];
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
          ...(output.placeholder === undefined ? {} : { placeholder: output.placeholder }),
        },
      ];
    default:
      return [];
  }
}

/** A card to list in People: blank, or enrolled at the reader under a placeholder name. */
function listedEntry(output: ListCard): OutboxEntry {
  if (output.name === undefined) {
    return { kind: 'card-listed', key: `card:${output.card}`, card: output.card, at: output.at };
  }
  return {
    kind: 'card-listed',
    // Its own key, with the instant: the card may have been listed blank before, or enrolled
    // before and its row deleted by the manager (the undo), then enrolled again (INSERT OR
    // IGNORE keeps keys).
    key: `enrol:${output.card}:${output.at}`,
    card: output.card,
    at: output.at,
    name: output.name,
    ...(output.note === undefined ? {} : { note: output.note }),
  };
}

/** An alias tied at the reader, for its person's People row. */
function aliasEntry(output: AddAlias): OutboxEntry {
  return {
    kind: 'alias-added',
    // The instant makes each tie its own entry: one the manager undid in People (deleted the
    // alias) may be tied again at the reader (INSERT OR IGNORE keeps keys).
    key: `alias:${output.card}:${output.alias}:${output.at}`,
    card: output.card,
    alias: output.alias,
  };
}

/**
 * A correction for the sheet: the row's times and status when it applied
 * (`session-fixed`), and a line of the Edits tab per field either way. The
 * instant makes each its own entry (a session may be corrected twice).
 */
function correctionEntries(output: Corrected): OutboxEntry[] {
  const { session, card, at } = output;
  const result = output.applied ? 'applied' : `rejected: ${output.reason ?? ''}`;
  const changes = output.changes.length > 0 ? output.changes : [null];
  const edits: OutboxEntry[] = changes.map((change, i) => ({
    kind: 'edit-logged',
    key: `edit:${session}:${at}:${i}`,
    card,
    seenAt: at,
    session,
    name: output.name,
    field: change?.field ?? 'status',
    old: change?.old ?? null,
    new: change?.new ?? null,
    result,
    why: output.why,
    source: output.source,
  }));
  if (!output.applied) return edits;
  const fixed: OutboxEntry = {
    kind: 'session-fixed',
    key: `fixed:${session}:${at}`,
    session,
    card,
    inAt: output.inAt,
    outAt: output.outAt,
    status: output.status,
    ...(output.source === 'sheet' ? { typed: output.changes.map((c) => c.field) } : {}),
  };
  return [fixed, ...edits];
}

/**
 * A refold for the sheet (docs/multi-door.md): a session it added is written as a clock-in
 * (and its close) would be; one it changed or superseded gets its row's times and status
 * (`superseded`: the row stays, out of every total), a manager's correction of them as the
 * store shows it (`toSession`): never the clock's times over it, which the sheet's edit watch
 * would then take for an edit. The instant (and the first late tap) makes each its own entry.
 */
function refoldEntries(output: Refolded): OutboxEntry[] {
  // Two refolds of one person can come in one millisecond (a door's backlog): the first late tap
  // each folded (a tap is folded late once) keeps the second's entries from being taken for copies.
  const first = output.late[0]?.id;
  const at = first === undefined ? String(output.at) : `${output.at}:${first}`;
  const fixed = (
    s: RefoldedSession,
    status: 'in' | 'out' | 'auto' | 'void' | 'superseded',
  ): OutboxEntry => ({
    kind: 'session-fixed',
    key: `merged:${s.id}:${at}`,
    session: s.id,
    card: s.card,
    inAt: s.fixed?.inAt ?? s.inAt,
    outAt: s.fixed?.outAt ?? s.outAt,
    status,
  });
  const added = output.added.flatMap((s): OutboxEntry[] => [
    {
      kind: 'session-opened',
      key: `open:${s.id}`,
      session: s.id,
      card: s.card,
      name: s.name,
      inAt: s.inAt,
      reader: s.reader,
    },
    ...(s.outAt === null || s.status === 'in'
      ? []
      : [
          {
            kind: 'session-closed' as const,
            key: `close:${s.id}`,
            session: s.id,
            card: s.card,
            inAt: s.inAt,
            outAt: s.outAt,
            status: s.status,
            ...(s.outReader === null ? {} : { readers: `${s.reader} → ${s.outReader}` }),
          },
        ]),
  ]);
  return [
    ...output.superseded.map((s) => fixed(s, 'superseded')),
    ...output.changed.map((s) => fixed(s, shownStatus(s))),
    ...added,
  ];
}

/** A session's Status as a manager's correction left it: `void`, or `out` for an Out they gave. */
function shownStatus(s: RefoldedSession): 'in' | 'out' | 'auto' | 'void' {
  if (s.fixed?.voided === true) return 'void';
  return s.fixed?.outAt !== undefined && s.status === 'auto' ? 'out' : s.status;
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
