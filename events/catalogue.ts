// The event catalogue: every fact stratafolio records, as a discriminated union with a runtime schema per type and version.
import { z } from 'zod';

const decimal = z.string().regex(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/, 'a canonical decimal string');
const nonNegDecimal = decimal.refine((s) => !s.startsWith('-'), 'a non-negative decimal string');
const id = z.string().min(1);
const json: z.ZodType<unknown> = z.unknown();
const weights = z.record(z.string(), z.number());

export const LIFECYCLE_STATES = ['initializing', 'running', 'paused', 'liquidating', 'stopped'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];
const lifecycle = z.enum(LIFECYCLE_STATES);

export const REBALANCE_TRIGGERS = ['initial', 'schedule', 'drift', 'manual', 'risk'] as const;
export type RebalanceTrigger = (typeof REBALANCE_TRIGGERS)[number];

/** The reserve: capital of the portfolio that no strategy holds. */
export const RESERVE = 'reserve' as const;

/** Reason of the transfer that funds a strategy when it is added (at the start, or by a command). */
export const INITIAL_ALLOCATION = 'initial allocation';
/** Reason of the transfer by which the reserve pays for a liquidating strategy's closing purchases. */
export const LIQUIDATION_COVER = 'liquidation: the reserve covers the deficit';

/**
 * Whether a CapitalTransferred with this reason moves capital before the slice's execution (so the strategy trades with
 * it in that bar) rather than after it (rebalance transfers, the capital a stopped or removed strategy hands back).
 * A strategy's return for the bar counts the first kind in its base and the second out of its closing value.
 */
export function transferBeforeExecution(reason: string): boolean {
  return reason === INITIAL_ALLOCATION || reason === LIQUIDATION_COVER;
}

/** Current-version data schema of each event type. */
export const eventDataSchemas = {
  PortfolioOpened: z.strictObject({
    portfolioId: id,
    name: z.string(),
    baseCurrency: z.string().min(1),
    totalCapital: nonNegDecimal,
    configHash: z.string(),
    codeVersion: z.string(),
    /** The portfolio config as validated (JSON), so a run can be reproduced from its log. */
    config: json,
    /**
     * SHA-256 (hex) of the entry file of each strategy loaded from a module, keyed by strategy id, as it was when the
     * portfolio was created: the code that decides the slices is no part of the config. Absent when no strategy comes
     * from a module (and in logs written before it was recorded).
     */
    moduleHashes: z.record(id, z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex')).optional(),
  }),
  StrategyAdded: z.strictObject({
    strategyId: id,
    kind: z.string(),
    parameters: z.record(z.string(), json),
    allocationPct: nonNegDecimal,
    capital: nonNegDecimal,
    minAllocation: z.number().nullable(),
    maxAllocation: z.number().nullable(),
    metadata: z.record(z.string(), json),
  }),
  StrategyLifecycleChanged: z.strictObject({
    strategyId: id,
    from: lifecycle,
    to: lifecycle,
    reason: z.string(),
  }),
  CapitalTransferred: z.strictObject({
    from: id,
    to: id,
    amount: nonNegDecimal,
    reason: z.string(),
    rebalanceId: z.string().nullable(),
  }),
  OrderPlaced: z.strictObject({
    orderId: id,
    strategyId: id,
    symbol: id,
    quantity: decimal,
    orderType: z.literal('market'),
    /** The quantity the strategy asked for, when limits scaled it down. */
    requestedQuantity: decimal.nullable(),
    note: z.string().nullable(),
  }),
  OrderRejected: z.strictObject({
    orderId: id,
    strategyId: id,
    symbol: id,
    quantity: decimal,
    orderType: z.literal('market'),
    reason: z.string(),
  }),
  OrdersNetted: z.strictObject({
    symbols: z.array(
      z.strictObject({
        symbol: id,
        grossLong: nonNegDecimal,
        grossShort: nonNegDecimal,
        net: decimal,
        strategies: z.array(id),
        grossValue: nonNegDecimal,
        netValue: nonNegDecimal,
        commissionSaved: decimal,
      }),
    ),
    grossTradedValue: nonNegDecimal,
    netTradedValue: nonNegDecimal,
    commissionSaved: decimal,
  }),
  FillRecorded: z.strictObject({
    orderId: id,
    strategyId: id,
    symbol: id,
    quantity: decimal,
    price: decimal,
    commission: nonNegDecimal,
    /** Slippage cost in base currency (|qty| × |price − reference price|). */
    slippage: nonNegDecimal,
  }),
  BarMarked: z.strictObject({
    /** Close of every symbol that traded in this slice (the marks used from now on). */
    marks: z.record(z.string(), decimal),
    /** Value of every strategy (cash + positions at the latest marks) after this slice. */
    strategyValues: z.record(z.string(), decimal),
    /** Cash of every strategy after this slice. */
    strategyCash: z.record(z.string(), decimal),
    reserve: decimal,
    portfolioValue: decimal,
  }),
  RebalanceDecided: z.strictObject({
    rebalanceId: id,
    trigger: z.enum(REBALANCE_TRIGGERS),
    reason: z.string(),
    algorithm: z.string(),
    parameters: z.record(z.string(), json),
    /** Per strategy: its value and the statistics the algorithm read. */
    inputs: z.record(z.string(), z.record(z.string(), json)),
    weightsBefore: weights,
    rawWeights: weights,
    finalWeights: weights,
    bindingConstraints: z.array(z.string()),
    solver: z
      .strictObject({ name: z.string(), status: z.string(), objective: z.number().nullable(), gap: z.number().nullable() })
      .nullable(),
    portfolioValue: decimal,
    /** Target capital per strategy (weight × current portfolio value). */
    targets: z.record(z.string(), decimal),
    /**
     * Strategies the algorithm did not weigh, with the reason (paused since when and why, liquidating, warm-up, no
     * usable score): they keep what they hold. Absent when none was left out (and in logs written before it existed).
     */
    leftOut: z.record(z.string(), z.string()).optional(),
    /**
     * Running strategies that had held nothing for at least `lookback` bars and restart at their configured allocation
     * (their statistics window restarts empty), with the reason. Absent when none was (and in logs written before it existed).
     */
    readmitted: z.record(z.string(), z.string()).optional(),
  }),
  StrategyFaulted: z.strictObject({
    strategyId: id,
    phase: z.enum(['init', 'onBar']),
    error: z.string(),
    action: z.enum(['paused', 'liquidating', 'stopped', 'none']),
  }),
  /**
   * The bars of one live slice, recorded in the portfolio's feed stream just before the slice's events (in the same
   * transaction), so the log holds every bar the engine saw (`export-bars` writes them back out as NDJSON).
   */
  SliceBarsRecorded: z.strictObject({
    time: z.string(),
    bars: z.array(
      // Numbers as the feed wrote them (validated decimal text), so an exported bar reads back identical.
      z.strictObject({ symbol: id, open: id, high: id, low: id, close: id, volume: id }),
    ),
    /** Commands queued by `stratafolio command` and applied at this slice (each once, by id). */
    commands: z.array(z.strictObject({ commandId: id, command: z.record(z.string(), json) })),
  }),
  /** Bars of `symbol` from `from` to `to` (bar times, inclusive) that the feed never delivered and could not backfill. */
  FeedGap: z.strictObject({
    symbol: id,
    from: z.string(),
    to: z.string(),
    reason: z.string(),
  }),
  StrategyRemoved: z.strictObject({
    strategyId: id,
    liquidated: z.boolean(),
    capitalReturned: nonNegDecimal,
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas).sort() as EventType[];

/** Data payload of an event type, as stored (decimals as strings). */
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** A domain event before it is sealed into the log: the discriminated union of the catalogue. */
export type DomainEvent = { [T in EventType]: Readonly<{ type: T; data: EventData<T> }> }[EventType];

/** Narrows the union to one type. */
export type DomainEventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** Current schema version of every event type (bump it and add an upcaster when a payload changes). */
export const CURRENT_VERSION: Readonly<Record<EventType, number>> = {
  ...(Object.fromEntries(EVENT_TYPES.map((t) => [t, 1])) as Record<EventType, number>),
  FillRecorded: 2,
};

/** Turns the data of `type` at version `from` into version `from + 1`. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** Upcasters keyed by `${type}@${fromVersion}`; applied in sequence on read. */
export const UPCASTERS: Readonly<Record<string, Upcaster>> = {
  // FillRecorded v1 predates slippage accounting: its fills had none.
  'FillRecorded@1': (data) => ({ ...data, slippage: '0' }),
};

/** Builds a domain event with type-checked data. */
export function domainEvent<T extends EventType>(type: T, data: EventData<T>): DomainEventOf<T> {
  return { type, data } as DomainEventOf<T>;
}

/** Returns whether `type` names an event of the catalogue. */
export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventDataSchemas, type);
}
