// Incidents projection: every fault, pause, resume, liquidation, removal and rejected order of a portfolio, counted per strategy, with the faults and liquidations, who is paused since when and why, and (on request) the events themselves.
import type { LifecycleState } from '../events/catalogue.js';
import type { RecordedEvent, SealedEvent } from '../events/envelope.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';

/** The kinds of incident, in the order they are listed. */
export const INCIDENT_KINDS = ['fault', 'pause', 'resume', 'liquidation', 'removal', 'rejection'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** One incident as recorded: which strategy, when, where in the log, and what happened. */
export interface Incident {
  readonly kind: IncidentKind;
  readonly strategyId: string;
  readonly barTime: string | null;
  readonly revision: number;
  readonly position: number;
  /** The fault's error, the pause's, resume's or liquidation's reason, the rejected order and its reason, or what a removal returned. */
  readonly message: string;
}

/** A strategy that is paused now: since which bar, and why. */
export interface PausedStrategy {
  readonly strategyId: string;
  readonly since: string | null;
  readonly reason: string;
}

/** How many incidents of each kind. */
export type IncidentCounts = { readonly [K in IncidentKind]: number };

/** State of the incidents projection. */
export interface IncidentsState {
  /** Counts over the whole portfolio. */
  readonly counts: IncidentCounts;
  /** Counts per strategy id (only strategies with at least one incident). */
  readonly byStrategy: ReadonlyMap<string, IncidentCounts>;
  /** Every fault, oldest first (faults are rare and each one matters). */
  readonly faults: readonly Incident[];
  /** Every liquidation, oldest first (a drawdown limit, a fault policy or a removal selling a strategy out: each ends its trading). */
  readonly liquidations: readonly Incident[];
  /** Strategies paused now, by id. */
  readonly paused: ReadonlyMap<string, PausedStrategy>;
  /** The incidents of the kinds the projection was asked to keep, oldest first. */
  readonly events: readonly Incident[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The working copy of the incidents fold (the runner owns it). */
export interface IncidentsWork {
  counts: Mutable<IncidentCounts>;
  readonly byStrategy: Map<string, IncidentCounts>;
  readonly faults: Incident[];
  readonly liquidations: Incident[];
  readonly paused: Map<string, PausedStrategy>;
  readonly events: Incident[];
}

/** Counts of no incidents. */
export function noIncidents(): IncidentCounts {
  return { fault: 0, pause: 0, resume: 0, liquidation: 0, removal: 0, rejection: 0 };
}

/**
 * Reads a lifecycle change as an incident: a pause, a resume, a liquidation (a drawdown limit, a fault policy or a
 * removal sells everything: its reason says which), or none (the start, the stop once flat).
 */
function lifecycleKind(from: LifecycleState, to: LifecycleState): IncidentKind | null {
  if (to === 'paused') return 'pause';
  if (from === 'paused' && to === 'running') return 'resume';
  if (to === 'liquidating') return 'liquidation';
  return null;
}

/** What an incident is, without where the log holds it. */
export type IncidentDescription = Pick<Incident, 'kind' | 'strategyId' | 'message'>;

/**
 * Reads an event as an incident (its kind, strategy and message), or null: the one reading for the log's folds and for
 * a live session's lines as its slices land.
 */
export function describeIncident(event: SealedEvent): IncidentDescription | null {
  switch (event.type) {
    case 'StrategyFaulted':
      return { kind: 'fault', strategyId: event.data.strategyId, message: `${event.data.phase}: ${event.data.error} (action: ${event.data.action})` };
    case 'StrategyLifecycleChanged': {
      const kind = lifecycleKind(event.data.from, event.data.to);
      return kind === null ? null : { kind, strategyId: event.data.strategyId, message: event.data.reason };
    }
    case 'StrategyRemoved':
      return {
        kind: 'removal',
        strategyId: event.data.strategyId,
        message: `${event.data.liquidated ? 'liquidated' : 'not liquidated'}, capital returned ${event.data.capitalReturned}`,
      };
    case 'OrderRejected':
      return { kind: 'rejection', strategyId: event.data.strategyId, message: `${event.data.orderId} ${event.data.symbol} ${event.data.quantity}: ${event.data.reason}` };
    default:
      return null;
  }
}

function incidentOf(event: RecordedEvent): Incident | null {
  const d = describeIncident(event);
  if (d === null) return null;
  return { kind: d.kind, strategyId: d.strategyId, barTime: event.metadata.barTime, revision: event.metadata.revision, position: event.position, message: d.message };
}

/**
 * Incidents projection. `keep` names the kinds whose events are kept in `events` (none by default: counts, faults and
 * the paused strategies are always there); a projection keeping other kinds has another fingerprint.
 */
export function incidentsProjection(options: { readonly keep?: readonly IncidentKind[] } = {}): Projection<IncidentsState, IncidentsWork> {
  const keep = new Set(options.keep ?? []);
  const inPlace: InPlaceFold<IncidentsState, IncidentsWork> = {
    begin: (s) => ({
      counts: { ...s.counts },
      byStrategy: new Map(s.byStrategy),
      faults: [...s.faults],
      liquidations: [...s.liquidations],
      paused: new Map(s.paused),
      events: [...s.events],
    }),
    step(w, event) {
      const incident = incidentOf(event);
      if (incident === null) {
        // A paused strategy that leaves the paused state other than by resuming or liquidating (a stop) is no longer paused.
        if (event.type === 'StrategyLifecycleChanged' && event.data.from === 'paused') w.paused.delete(event.data.strategyId);
        return;
      }
      const id = incident.strategyId;
      w.counts[incident.kind] += 1;
      const mine = { ...(w.byStrategy.get(id) ?? noIncidents()) };
      mine[incident.kind] += 1;
      w.byStrategy.set(id, mine);
      if (incident.kind === 'fault') w.faults.push(incident);
      if (incident.kind === 'liquidation') w.liquidations.push(incident);
      if (incident.kind === 'pause') w.paused.set(id, { strategyId: id, since: incident.barTime, reason: incident.message });
      if (incident.kind === 'resume' || incident.kind === 'liquidation' || incident.kind === 'removal') w.paused.delete(id);
      if (keep.has(incident.kind)) w.events.push(incident);
    },
    end: (w) => w,
  };
  return {
    name: 'incidents',
    // 3: liquidations kept.
    version: 3,
    fingerprint: `keep=${[...keep].sort().join(',')}`,
    init: () => ({ counts: noIncidents(), byStrategy: new Map(), faults: [], liquidations: [], paused: new Map(), events: [] }),
    evolve: evolveByCopy(inPlace),
    inPlace,
  };
}

/** The paused strategies, ascending by id. */
export function pausedStrategies(state: IncidentsState): PausedStrategy[] {
  return [...state.paused.values()].sort((a, b) => (a.strategyId < b.strategyId ? -1 : a.strategyId > b.strategyId ? 1 : 0));
}
