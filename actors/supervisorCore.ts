// What the supervisor runs per slice: the decide steps in order, each step's events sealed and folded (state and books), strategies asked for orders.
import type { PortfolioConfig } from '../src/config/portfolioConfig.js';
import { StratafolioError } from '../src/errors.js';
import { ZERO, dec, decStr, type Dec } from '../src/money/decimal.js';
import type { BarSlice } from '../src/market/bar.js';
import type { OrderIntent, Strategy } from '../src/strategy/strategy.js';
import type { SizerFactory } from '../src/sizing/sizerSpec.js';
import type { RequestedOrder } from '../src/portfolio/orderLimits.js';
import { RollingPriceHistory, type PriceHistoryState } from '../src/strategy/priceHistory.js';
import { StrategyPerformance, type PerformanceState } from '../src/performance/strategyPerformance.js';
import { ledgerFromJson, ledgerToJson, type LedgerJson } from '../src/ledger/ledgerJson.js';
import { dictionary } from '../src/collections/dictionary.js';
import { deepFreeze } from '../src/records/deepFreeze.js';
import { applyMarks, evolve } from '../src/portfolio/evolve.js';
import { capitalMovedSinceCall, initialState, type EmptySince, type PauseRecord, type PortfolioState, type StateSettings, type StrategyRecord } from '../src/portfolio/portfolioState.js';
import type { BookEvent, StrategyBook } from '../src/portfolio/strategyBook.js';
import { canMove } from '../src/portfolio/strategyLifecycle.js';
import {
  Decider,
  closingOrders,
  decideAdd,
  decideCashAtTheOpen,
  decideCommand,
  decideCompletion,
  decideDrawdownLimit,
  decideDrawdownResume,
  decideExecution,
  decideFault,
  decideLifecycle,
  decideLiquidationCover,
  decideMarks,
  decideOpening,
  decideOrders,
  decideRebalance,
  decideTransfers,
  joinRebalanceSales,
  validateCommand,
  type OpeningMeta,
  type PortfolioCommand,
  type Rebalancing,
  type StrategyToAdd,
} from '../src/portfolio/sliceDecisions.js';
import { RESERVE, type DomainEvent, type LifecycleState } from '../events/catalogue.js';
import { sealEvents, type ChainHead, type SealedEvent } from '../events/envelope.js';
import type { StrategyActorEvent, StrategyActorInput, StrategyActorRef, StrategyCallReply } from './strategyActor.js';
import type { StrategyWatchdog } from './strategyWatchdog.js';
import { drawdownFrom } from '../src/metrics/returnMetrics.js';

/** Version of the recovery snapshot format; a snapshot of another version is ignored (the stream is folded instead). */
export const KERNEL_SNAPSHOT_VERSION = 3;

/** The state after some revision, as JSON-safe data (decimals as strings), books included. */
export interface KernelSnapshot {
  readonly version: number;
  readonly revision: number;
  readonly headHash: string;
  readonly reserve: string;
  readonly totalCapital: string;
  readonly barIndex: number;
  readonly lastBarTime: string | null;
  readonly targetWeights: Readonly<Record<string, number>>;
  readonly rebalanceCount: number;
  readonly lastRebalanceTime: string | null;
  readonly netting: { readonly grossTradedValue: string; readonly netTradedValue: string; readonly commissionSaved: string };
  readonly marks: readonly (readonly [string, string])[];
  readonly history: PriceHistoryState;
  readonly pendingOrders: readonly { readonly orderId: string; readonly strategyId: string; readonly symbol: string; readonly quantity: string }[];
  readonly strategies: readonly {
    readonly id: string;
    readonly kind: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly minAllocation: number | null;
    readonly maxAllocation: number | null;
    readonly allocation: number;
    readonly lifecycle: LifecycleState;
    readonly ledger: LedgerJson;
    readonly performance: PerformanceState;
    readonly flowSinceMark: string;
    /** Absent in snapshots written before the context reported capital moves. */
    readonly flowBeforeCall?: string;
    readonly flowAfterLastCall?: string;
    readonly flowBeforeExecution: string;
    readonly lastValue: string;
    readonly navIndex: number;
    readonly navPeak: number;
    readonly pendingRemoval: { readonly liquidate: boolean } | null;
    readonly removed: boolean;
    /** Absent in snapshots written before the average cash fraction was kept. */
    readonly cashFractionSum?: number;
    readonly cashFractionMarks?: number;
    readonly worstDrawdown?: number;
    /** Absent in snapshots written before pauses were tracked. */
    readonly pause?: PauseRecord | null;
    readonly emptySince: EmptySince | null;
  }[];
}

/** Resolves the strategy object of a recorded StrategyAdded (kind + parameters), for recovery. */
export type StrategyResolver = (strategyId: string, kind: string, params: Readonly<Record<string, unknown>>) => Strategy;

/** How the supervisor reaches its strategy actors: spawns one (as its child, by the registered name) and finds it. */
export interface StrategyActors {
  spawn(input: StrategyActorInput): StrategyActorRef;
}

/** What the core is built with. */
export interface SupervisorCoreOptions {
  readonly portfolioId: string;
  readonly config: PortfolioConfig;
  readonly settings: StateSettings;
  readonly resolveStrategy: StrategyResolver;
  readonly rebalancing: Rebalancing;
  readonly sizerFor?: (strategyId: string) => SizerFactory | undefined;
  readonly watchdog: StrategyWatchdog;
  /**
   * Whether a strategy's code is the engine's own (a built-in kind): a slice that calls only such code runs without the
   * watchdog, which costs 0.06–0.6 ms per slice (a thread per run; more on a loaded machine) and guards user code.
   */
  readonly isBuiltIn: (strategyId: string, kind: string) => boolean;
  readonly actors: StrategyActors;
}

/** A command with the strategy object an add brings. */
type QueuedCommand = PortfolioCommand & { readonly strategy?: Strategy };

/**
 * The supervisor's working parts: the portfolio state (one {@link evolve} for every event, live and recovered), the
 * strategy actors (each folds its own events into its book), and the order of the decide steps. It holds no rule of
 * its own: every decision is a function of src/portfolio/sliceDecisions.ts.
 */
export class SupervisorCore {
  readonly config: PortfolioConfig;
  readonly portfolioId: string;
  state: PortfolioState;
  private readonly actorsById = new Map<string, StrategyActorRef>();
  private readonly replies = new Map<string, StrategyCallReply>();
  private readonly strategyObjects = new Map<string, Strategy>();
  private readonly builtIn = new Map<string, boolean>();
  private commands: QueuedCommand[] = [];
  private decider: Decider;
  private sealed: SealedEvent[] = [];

  constructor(private readonly options: SupervisorCoreOptions) {
    this.config = options.config;
    this.portfolioId = options.portfolioId;
    this.state = initialState(options.portfolioId, options.settings);
    this.decider = new Decider(this.config, this.state, (id) => this.bookOf(id));
  }

  // ---------------------------------------------------------------- reading

  /** The chain head after the last folded event. */
  get head(): ChainHead {
    return { portfolioId: this.portfolioId, nextRevision: this.state.nextRevision, prevHash: this.state.prevHash };
  }

  get lastBarTime(): string | null {
    return this.state.lastBarTime;
  }

  get barIndex(): number {
    return this.state.barIndex;
  }

  /** The strategies' records (ids, kinds, return indices), by id. */
  get strategies(): ReadonlyMap<string, StrategyRecord> {
    return this.state.strategies;
  }

  /** A strategy's book, as its actor holds it. */
  bookOf(id: string): StrategyBook {
    const actor = this.actorsById.get(id);
    if (!actor) throw new StratafolioError(`no strategy actor for ${id}`);
    return actor.getSnapshot().context.book;
  }

  /** The decide steps' view of the state now (values at the current marks). */
  view(): Decider {
    return this.decider;
  }

  /** The strategy actors, by id. */
  strategyActors(): ReadonlyMap<string, StrategyActorRef> {
    return this.actorsById;
  }

  // ---------------------------------------------------------------- the fold

  /** Folds sealed events: the portfolio state, new strategies' actors, and each strategy's own events into its book. */
  apply(events: readonly SealedEvent[]): void {
    const byStrategy = new Map<string, BookEvent[]>();
    // Lifecycle moves are checked against the table before any actor sees them, so a log that breaks it stops here.
    const moved = new Map<string, LifecycleState>();
    for (const event of events) {
      if (event.type === 'StrategyLifecycleChanged') {
        const id = event.data.strategyId;
        const now = moved.get(id) ?? this.bookOf(id).lifecycle;
        if (event.data.from !== now || !canMove(now, event.data.to)) {
          throw new StratafolioError(`revision ${event.metadata.revision}: strategy ${id} cannot move ${event.data.from} → ${event.data.to} while it is ${now}`);
        }
        moved.set(id, event.data.to);
      }
      evolve(this.state, event);
      if (event.type === 'StrategyAdded') this.spawn(event.data.strategyId, event.data.kind, event.data.parameters);
      for (const id of involved(event)) {
        const list = byStrategy.get(id);
        if (list) list.push(event as BookEvent);
        else byStrategy.set(id, [event as BookEvent]);
      }
    }
    for (const [id, bookEvents] of byStrategy) {
      const actor = this.mustActor(id);
      actor.send({ type: 'BOOK', events: bookEvents });
      // A fold the book refused (a fill whose cash would need more than 34 digits) leaves the book as it was: thrown
      // here, it fails the slice before it is appended, or the recovery of a log holding it, instead of a BarMarked
      // that values the old book.
      const { refused } = actor.getSnapshot().context;
      if (refused !== undefined) throw refused;
    }
    // Values are memoised per ledger; marks changed only if a BarMarked was folded (recovery), which the next slice resets anyway.
    if (events.some((e) => e.type === 'BarMarked')) this.decider.marksChanged();
  }

  private spawn(id: string, kind: string, given: Readonly<Record<string, unknown>>, book?: StrategyBook): void {
    // Frozen here for every way an actor is made: parameters folded from a stored log or a snapshot are plain data, and a
    // strategy that could change them would act differently after a resume than in the run it resumes.
    const params = deepFreeze(given);
    const strategy = this.strategyObjects.get(id) ?? this.options.resolveStrategy(id, kind, params);
    this.strategyObjects.set(id, strategy);
    this.builtIn.set(id, this.options.isBuiltIn(id, kind));
    const sizerFactory = this.options.sizerFor?.(id);
    const actor = this.options.actors.spawn({ strategyId: id, strategy, params, ...(sizerFactory ? { sizerFactory } : {}), ...(book ? { book } : {}) });
    actor.on('outcome', (reply) => this.replies.set(reply.strategyId, reply));
    this.actorsById.set(id, actor);
  }

  private mustActor(id: string): StrategyActorRef {
    const actor = this.actorsById.get(id);
    if (!actor) throw new StratafolioError(`no strategy actor for ${id}`);
    return actor;
  }

  /** Seals a step's events onto the chain and folds them. */
  private commit(events: readonly DomainEvent[], barTime: string | null): void {
    if (events.length === 0) return;
    // Payloads the decide steps built from typed values skip the schema check: sealing the 100-strategy engine bench's
    // 182,000 events takes 0.66 s of CPU instead of 0.98 s (median of 4 alternated runs, ≈ 3% of the run).
    const { events: sealed } = sealEvents(this.head, events.map((event) => ({ event, barTime })), { validate: false });
    this.apply(sealed);
    for (const e of sealed) this.sealed.push(e);
  }

  private drain(): SealedEvent[] {
    const out = this.sealed;
    this.sealed = [];
    return out;
  }

  /** Asks a strategy actor to run its code (a message; the reply is its emitted outcome). */
  private ask(id: string, call: Extract<StrategyActorEvent, { type: 'CALL' }>): StrategyCallReply['outcome'] {
    this.replies.delete(id);
    this.options.watchdog.enter(id, call.phase, call.slice.time);
    this.mustActor(id).send(call);
    return this.replies.get(id)?.outcome ?? null;
  }

  /**
   * Decides slices one after another (`next` decides one and says whether another waits), the strategy calls of all
   * of them under the watchdog's span when any strategy runs user code (see {@link StrategyWatchdog.span}).
   */
  span(next: () => boolean): void {
    for (const builtIn of this.builtIn.values()) {
      if (!builtIn) {
        this.options.watchdog.span(next);
        return;
      }
    }
    while (next());
  }

  /** Runs a batch of strategy calls under the watchdog when any of `ids` runs user code. */
  private guarded(ids: readonly string[], barTime: string, batch: () => void): void {
    if (ids.some((id) => !this.builtIn.get(id))) this.options.watchdog.run(barTime, batch);
    else batch();
  }

  /** One CALL message per phase and slice, sent to every strategy asked (it holds nothing strategy-specific). */
  private callFor(phase: 'init' | 'onBar', slice: BarSlice): Extract<StrategyActorEvent, { type: 'CALL' }> {
    const waiting = this.state.pendingOrders;
    const strategies = this.state.strategies;
    const capitalMovedOf = (id: string): Dec => {
      const record = strategies.get(id);
      return record === undefined ? ZERO : capitalMovedSinceCall(record);
    };
    // The values the decide steps memoise (they value every strategy anyway): a strategy's own value() costs nothing more.
    const decider = this.decider;
    const strategyValueOf = (id: string): Dec => decider.valueOf(id);
    if (waiting.length === 0) return { type: 'CALL', phase, slice, barIndex: this.state.barIndex, history: this.state.history, markOf: decider.markOf, strategyValueOf, capitalMovedOf };
    const byStrategy = new Map<string, OrderIntent[]>();
    for (const o of waiting) {
      const list = byStrategy.get(o.strategyId);
      if (list) list.push({ symbol: o.symbol, quantity: o.quantity });
      else byStrategy.set(o.strategyId, [{ symbol: o.symbol, quantity: o.quantity }]);
    }
    const pendingOf = (id: string): readonly OrderIntent[] => byStrategy.get(id) ?? [];
    return { type: 'CALL', phase, slice, barIndex: this.state.barIndex, history: this.state.history, markOf: decider.markOf, strategyValueOf, pendingOf, capitalMovedOf };
  }

  // ---------------------------------------------------------------- commands

  /** Queues a command for the next slice, after validating it against the state the commands before it will leave. @throws AllocationError */
  enqueue(command: QueuedCommand): void {
    validateCommand(this.decider, this.commands, command);
    if (command.kind === 'add' && command.strategy) this.strategyObjects.set(command.id, command.strategy);
    this.commands.push(command);
  }

  /** Commands waiting for the next slice. */
  queuedCommands(): readonly PortfolioCommand[] {
    return this.commands;
  }

  // ---------------------------------------------------------------- deciding

  /** The events that open a portfolio: PortfolioOpened, then each configured strategy (ascending id) and its capital. */
  openPortfolio(meta: OpeningMeta & { readonly strategies: readonly (StrategyToAdd & { readonly strategy: Strategy })[] }): SealedEvent[] {
    this.commit(decideOpening(this.config, this.portfolioId, meta), null);
    for (const s of [...meta.strategies].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      this.strategyObjects.set(s.id, s.strategy);
      this.commit(decideAdd(this.decider, s), null);
    }
    return this.drain();
  }

  /**
   * Runs one slice through the decide steps and returns its sealed events (the caller appends them atomically).
   * @throws StrategyTimeoutError when the slice's strategy calls overrun; the state is then unusable (reopen from the log).
   */
  processSlice(slice: BarSlice): SealedEvent[] {
    if (!this.state.opened) throw new StratafolioError('the portfolio is not open');
    const t = slice.time;
    this.options.watchdog.slice(t);
    const d = this.decider;
    // 1. marks: the slice's closes become the marks and enter the history (BarMarked records them).
    applyMarks(this.state, t, closesOf(slice));
    d.marksChanged();
    // 2. commands queued since the last slice.
    const commands = this.commands;
    this.commands = [];
    let manual: Extract<PortfolioCommand, { kind: 'rebalance' }> | null = null;
    // A strategy that has not started runs its init on the move to running: a pause or resume of it taken now would make
    // that move itself and skip the init, so it is taken once the strategy has started (step 3), in the order given.
    const afterStart: Extract<PortfolioCommand, { kind: 'pause' | 'resume' }>[] = [];
    for (const c of commands) {
      if (c.kind === 'rebalance') manual = c;
      else if ((c.kind === 'pause' || c.kind === 'resume') && (afterStart.some((a) => a.id === c.id) || d.lifecycleOf(c.id) === 'initializing')) afterStart.push(c);
      else this.commit(decideCommand(d, c), t);
    }
    // 3. strategies added since the last slice run init and start.
    const starting = this.state.activeIds.filter((id) => d.lifecycleOf(id) === 'initializing');
    if (starting.length > 0) {
      this.guarded(starting, t, () => {
        const call = this.callFor('init', slice);
        for (const id of starting) {
          const outcome = this.ask(id, call);
          if (outcome && !outcome.ok) this.commit(decideFault(d, id, 'init', outcome.error), t);
          else this.commit(decideLifecycle(d, id, 'running', 'started'), t);
        }
      });
    }
    for (const c of afterStart) this.commit(decideCommand(d, c), t);
    // 3b. strategies paused by the drawdown limit whose resume rule is met run again.
    for (const id of this.state.activeIds) this.commit(decideDrawdownResume(d, id), t);
    // 3c. next-open: waiting orders that fill at this open, checked for cash at it (the strategies then see what fills).
    this.commit(decideCashAtTheOpen(d, slice), t);
    // 4. rebalance decision.
    const rebalance = decideRebalance(d, this.options.rebalancing, manual, t);
    this.commit(rebalance.events, t);
    const plan = rebalance.plan;
    // 5. each running strategy is asked for its orders; liquidating ones close; a rebalance's sales join.
    const requested = new Map<string, RequestedOrder[]>();
    const call = this.callFor('onBar', slice);
    this.guarded(this.state.activeIds, t, () => {
      for (const id of this.state.activeIds) {
        const state = d.lifecycleOf(id);
        if (state === 'running') {
          const outcome = this.ask(id, call);
          if (outcome === null) continue;
          if (!outcome.ok) this.commit(decideFault(d, id, 'onBar', outcome.error), t);
          else if (outcome.intents.length > 0) requested.set(id, outcome.intents.map(toRequested));
        } else if (state === 'liquidating') {
          const closing = closingOrders(d, id);
          if (closing.length > 0) requested.set(id, closing);
        }
      }
    });
    if (plan) for (const id of Object.keys(plan.sales)) requested.set(id, joinRebalanceSales(d, id, requested.get(id) ?? [], plan.sales[id] ?? []));
    // 6. limits; a liquidation the strategy's cash cannot pay for is covered by the reserve first.
    this.commit(decideLiquidationCover(d, slice, requested), t);
    const orders = decideOrders(d, slice, requested, plan);
    this.commit(orders.events, t);
    // 7–8. netting and execution.
    this.commit(decideExecution(d, slice, this.state.pendingOrders, orders.accepted, plan), t);
    // 9. the rebalance's transfers.
    if (plan) this.commit(decideTransfers(d, plan), t);
    // 10. removals and completed liquidations; 11. the drawdown limit.
    for (const id of this.state.activeIds) this.commit(decideCompletion(d, id), t);
    for (const id of this.state.activeIds) this.commit(decideDrawdownLimit(d, id), t);
    // 12. BarMarked closes the slice.
    this.commit(decideMarks(d, slice), t);
    return this.drain();
  }

  // ---------------------------------------------------------------- snapshots

  /** The whole state after the last folded event as plain data, for a recovery snapshot. */
  toSnapshot(): KernelSnapshot {
    const s = this.state;
    return {
      version: KERNEL_SNAPSHOT_VERSION,
      revision: s.nextRevision - 1,
      headHash: s.prevHash,
      reserve: decStr(s.reserve),
      totalCapital: decStr(s.totalCapital),
      barIndex: s.barIndex,
      lastBarTime: s.lastBarTime,
      targetWeights: { ...s.targetWeights },
      rebalanceCount: s.rebalanceCount,
      lastRebalanceTime: s.lastRebalanceTime,
      netting: { grossTradedValue: decStr(s.netting.grossTradedValue), netTradedValue: decStr(s.netting.netTradedValue), commissionSaved: decStr(s.netting.commissionSaved) },
      marks: [...s.marks.entries()].map(([symbol, price]) => [symbol, decStr(price)] as [string, string]),
      history: s.history.toState(),
      pendingOrders: s.pendingOrders.map((o) => ({ ...o, quantity: decStr(o.quantity) })),
      strategies: [...s.strategies.values()].map((e) => {
        const book = this.bookOf(e.id);
        return {
          id: e.id,
          kind: e.kind,
          params: e.params,
          minAllocation: e.minAllocation,
          maxAllocation: e.maxAllocation,
          allocation: e.allocation,
          lifecycle: book.lifecycle,
          ledger: ledgerToJson(book.ledger),
          performance: e.performance.toState(),
          flowSinceMark: decStr(e.flowSinceMark),
          flowBeforeCall: decStr(e.flowBeforeCall),
          flowAfterLastCall: decStr(e.flowAfterLastCall),
          flowBeforeExecution: decStr(e.flowBeforeExecution),
          lastValue: decStr(dec(e.lastValue)),
          navIndex: e.navIndex,
          navPeak: e.navPeak,
          pendingRemoval: e.pendingRemoval,
          removed: e.removed,
          pause: e.pause,
          cashFractionSum: e.cashFractionSum,
          cashFractionMarks: e.cashFractionMarks,
          worstDrawdown: e.worstDrawdown,
          emptySince: e.emptySince,
        };
      }),
    };
  }

  /** Restores a fresh core (nothing folded yet) to a snapshot's state; fold the events after it to catch up. */
  restoreSnapshot(snap: KernelSnapshot): void {
    if (this.state.opened || this.state.nextRevision !== 0) throw new StratafolioError('a snapshot can only be restored into a fresh supervisor');
    const s = this.state;
    s.opened = true;
    s.reserve = dec(snap.reserve);
    s.totalCapital = dec(snap.totalCapital);
    s.barIndex = snap.barIndex;
    s.lastBarTime = snap.lastBarTime;
    s.targetWeights = Object.assign(dictionary<number>(), snap.targetWeights);
    s.rebalanceCount = snap.rebalanceCount;
    s.lastRebalanceTime = snap.lastRebalanceTime;
    s.netting.grossTradedValue = dec(snap.netting.grossTradedValue);
    s.netting.netTradedValue = dec(snap.netting.netTradedValue);
    s.netting.commissionSaved = dec(snap.netting.commissionSaved);
    for (const [symbol, price] of snap.marks) s.marks.set(symbol, dec(price));
    s.history = RollingPriceHistory.fromState(snap.history);
    s.pendingOrders = snap.pendingOrders.map((o) => ({ ...o, quantity: dec(o.quantity) }));
    for (const st of snap.strategies) {
      const lastValue = dec(st.lastValue);
      s.strategies.set(st.id, {
        id: st.id,
        kind: st.kind,
        params: st.params,
        minAllocation: st.minAllocation,
        maxAllocation: st.maxAllocation,
        allocation: st.allocation,
        performance: StrategyPerformance.fromState(st.performance),
        flowSinceMark: dec(st.flowSinceMark),
        flowBeforeCall: dec(st.flowBeforeCall ?? '0'),
        flowAfterLastCall: dec(st.flowAfterLastCall ?? '0'),
        flowBeforeExecution: dec(st.flowBeforeExecution),
        lastValue: decStr(lastValue),
        lastValueNumber: lastValue.toNumber(),
        navIndex: st.navIndex,
        navPeak: st.navPeak,
        pendingRemoval: st.pendingRemoval,
        removed: st.removed,
        cashFractionSum: st.cashFractionSum ?? 0,
        cashFractionMarks: st.cashFractionMarks ?? 0,
        worstDrawdown: st.worstDrawdown ?? Math.min(0, drawdownFrom(st.navIndex, st.navPeak)),
        emptySince: st.emptySince,
        pause: st.pause ?? (st.lifecycle === 'paused' ? { reason: 'paused (reason not in this snapshot)', sinceBar: snap.barIndex, sinceTime: snap.lastBarTime } : null),
      });
      this.spawn(st.id, st.kind, st.params, { strategyId: st.id, lifecycle: st.lifecycle, ledger: ledgerFromJson(st.ledger) });
    }
    s.activeIds = snap.strategies.filter((st) => !st.removed).map((st) => st.id).sort();
    s.nextRevision = snap.revision + 1;
    s.prevHash = snap.headHash;
  }
}

/** The strategies whose books an event changes (the reserve has no book). */
function involved(event: SealedEvent): readonly string[] {
  switch (event.type) {
    case 'StrategyLifecycleChanged':
    case 'FillRecorded':
      return [event.data.strategyId];
    case 'CapitalTransferred':
      return event.data.from === RESERVE ? [event.data.to] : event.data.to === RESERVE ? [event.data.from] : [event.data.from, event.data.to];
    default:
      return [];
  }
}

function closesOf(slice: BarSlice): Record<string, string> {
  const closes = dictionary<string>();
  for (const symbol of Object.keys(slice.bars)) closes[symbol] = (slice.bars[symbol] as { close: string }).close;
  return closes;
}

function toRequested(intent: OrderIntent): RequestedOrder {
  return { symbol: intent.symbol, quantity: intent.quantity };
}

