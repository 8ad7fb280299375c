// The portfolio kernel: the supervisor's state as a fold of its events, and the per-slice pipeline that decides new ones.
import { dictionary, dictionaryOf } from '../src/collections/dictionary.js';
import { createActor, type Actor } from 'xstate';
import type { PortfolioConfig } from '../src/config/portfolioConfig.js';
import { Dec, ZERO, dec, decStr, decFromStatistic, type Dec as DecT } from '../src/money/decimal.js';
import { AllocationError, DataError, StratafolioError } from '../src/errors.js';
import type { BarSlice } from '../src/market/bar.js';
import type { LedgerState } from '../src/ledger/types.js';
import { emptyLedger, ledgerValue, type LedgerEvent } from '../src/ledger/ledger.js';
import type { OrderIntent, Strategy } from '../src/strategy/strategy.js';
import { RollingPriceHistory, type PriceHistoryState } from '../src/strategy/priceHistory.js';
import { ledgerFromJson, ledgerToJson, type LedgerJson } from '../src/ledger/ledgerJson.js';
import type { PerformanceState } from '../src/performance/strategyPerformance.js';
import type { RebalancerState } from '../src/rebalance/allocationRebalancer.js';
import type { SizerFactory } from '../src/sizing/sizerSpec.js';
import { StrategyPerformance } from '../src/performance/strategyPerformance.js';
import type { AllocationAlgorithm, AllocationDecision, Weights } from '../src/allocation/types.js';
import type { AllocationRebalancer } from '../src/rebalance/allocationRebalancer.js';
import { applyOrderLimits, type RequestedOrder } from '../src/portfolio/orderLimits.js';
import { planRebalance } from '../src/portfolio/rebalancePlan.js';
import { executeSliceOrders, estimateCashCost, type ExecutableOrder } from '../src/portfolio/sliceExecution.js';
import { RESERVE, domainEvent, type DomainEvent, type LifecycleState, type RebalanceTrigger } from '../events/catalogue.js';
import { GENESIS_HASH, sealEvents, type ChainHead, type SealedEvent } from '../events/envelope.js';
import { callStrategy, lifecycleEventFor, strategyMachine } from './strategyActor.js';
import type { StrategyWatchdog } from './strategyWatchdog.js';

/** Version of the kernel snapshot format; a snapshot of another version is ignored (the stream is folded instead). */
export const KERNEL_SNAPSHOT_VERSION = 1;

/** The kernel's state after some revision, as JSON-safe data (decimals as strings). */
export interface KernelSnapshot {
  readonly version: number;
  readonly revision: number;
  readonly headHash: string;
  readonly reserve: string;
  readonly totalCapital: string;
  readonly barIndex: number;
  readonly lastBarTime: string | null;
  readonly targetWeights: Weights;
  readonly rebalanceCount: number;
  readonly netting: { readonly grossTradedValue: string; readonly netTradedValue: string; readonly commissionSaved: string };
  readonly marks: readonly (readonly [string, string])[];
  readonly history: PriceHistoryState;
  readonly pendingOrders: readonly { readonly orderId: string; readonly strategyId: string; readonly symbol: string; readonly quantity: string }[];
  readonly rebalancer: RebalancerState | null;
  readonly strategies: readonly {
    readonly id: string;
    readonly kind: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly minAllocation: number | null;
    readonly maxAllocation: number | null;
    readonly lifecycle: LifecycleState;
    readonly ledger: LedgerJson;
    readonly performance: PerformanceState;
    readonly flowSinceMark: string;
    readonly lastValue: string;
    readonly navIndex: number;
    readonly navPeak: number;
    readonly pendingRemoval: { readonly liquidate: boolean } | null;
    readonly removed: boolean;
  }[];
}

/** A strategy as the kernel tracks it. */
export interface StrategyEntry {
  readonly id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly minAllocation: number | null;
  readonly maxAllocation: number | null;
  readonly actor: Actor<typeof strategyMachine>;
  readonly performance: StrategyPerformance;
  /** Net capital moved in (+) or out (−) since the last BarMarked. */
  flowSinceMark: DecT;
  /** Value at the last BarMarked (zero before its first: it starts from nothing). */
  lastValue: DecT;
  /** `lastValue` as the nearest number (returns are statistics). */
  lastValueNumber: number;
  /** Growth index of the strategy's returns (transfers excluded) and its running peak, for the drawdown limit. */
  navIndex: number;
  navPeak: number;
  pendingRemoval: { readonly liquidate: boolean } | null;
  removed: boolean;
}

/** An accepted order waiting for the next slice's open (fill mode `next-open`). */
interface PendingOrder {
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: DecT;
}

/** A request made between slices; it takes effect at the start of the next slice, recorded with it. */
export type PortfolioCommand =
  | { readonly kind: 'add'; readonly id: string; readonly strategyKind: string; readonly strategy: Strategy; readonly params: Readonly<Record<string, unknown>>; readonly allocationPct: DecT; readonly metadata: Readonly<Record<string, unknown>> }
  | { readonly kind: 'pause'; readonly id: string; readonly reason: string }
  | { readonly kind: 'resume'; readonly id: string; readonly reason: string }
  | { readonly kind: 'remove'; readonly id: string; readonly liquidate: boolean }
  | { readonly kind: 'rebalance'; readonly weights: Weights; readonly reason: string };

/** Resolves the strategy object of a recorded StrategyAdded (kind + parameters), for recovery. */
export type StrategyResolver = (strategyId: string, kind: string, params: Readonly<Record<string, unknown>>) => Strategy;

/** What the kernel is built with. */
export interface KernelOptions {
  readonly portfolioId: string;
  readonly config: PortfolioConfig;
  readonly resolveStrategy: StrategyResolver;
  readonly algorithm: AllocationAlgorithm | null;
  readonly rebalancer: AllocationRebalancer | null;
  readonly historyCapacity: number;
  /** The position sizer factory of a strategy, when its config names one. */
  readonly sizerFor?: (strategyId: string) => SizerFactory | undefined;
  /** Bounds the time a slice's strategy calls may take. */
  readonly watchdog: StrategyWatchdog;
}

/** Running totals of what netting saved. */
export interface NettingTotals {
  grossTradedValue: DecT;
  netTradedValue: DecT;
  commissionSaved: DecT;
}

/** The result of one slice: its sealed events (to append atomically) and the chain head after them. */
export interface SliceOutcome {
  readonly events: readonly SealedEvent[];
  readonly head: ChainHead;
}

/**
 * Holds the supervisor's state and the strategy actors. `apply` is the one fold used live and on recovery;
 * `processSlice` decides a slice's events, applying each as it is decided.
 */
export class PortfolioKernel {
  readonly portfolioId: string;
  readonly config: PortfolioConfig;
  readonly strategies = new Map<string, StrategyEntry>();
  readonly marks = new Map<string, DecT>();
  history: RollingPriceHistory;
  readonly netting: NettingTotals = { grossTradedValue: ZERO, netTradedValue: ZERO, commissionSaved: ZERO };
  reserve: DecT = ZERO;
  totalCapital: DecT = ZERO;
  opened = false;
  barIndex = 0;
  lastBarTime: string | null = null;
  targetWeights: Weights = dictionary();
  rebalanceCount = 0;
  head: ChainHead;
  private pendingOrders: PendingOrder[] = [];
  private commands: PortfolioCommand[] = [];
  private readonly options: KernelOptions;
  private replaying = false;
  private sealed: SealedEvent[] = [];
  private readonly strategyObjects = new Map<string, Strategy>();
  private readonly pendingLedger = new Map<string, LedgerEvent[]>();
  /** Strategy values at the current marks; dropped when the marks or that strategy's ledger change. */
  private readonly valueCache = new Map<string, DecT>();

  constructor(options: KernelOptions) {
    this.options = options;
    this.portfolioId = options.portfolioId;
    this.config = options.config;
    this.history = new RollingPriceHistory(options.historyCapacity);
    this.head = { portfolioId: options.portfolioId, nextRevision: 0, prevHash: GENESIS_HASH };
  }

  // ---------------------------------------------------------------- the fold

  /** Applies one recorded event to the state (recovery path; the live path applies each event as it is decided). */
  replay(event: SealedEvent): void {
    this.replaying = true;
    try {
      this.apply(event);
    } finally {
      this.replaying = false;
    }
    this.head = { portfolioId: this.portfolioId, nextRevision: event.metadata.revision + 1, prevHash: event.metadata.hash };
  }

  private apply(event: SealedEvent): void {
    switch (event.type) {
      case 'PortfolioOpened':
        this.opened = true;
        this.totalCapital = dec(event.data.totalCapital);
        this.reserve = this.totalCapital;
        return;
      case 'StrategyAdded': {
        const d = event.data;
        const strategy = this.strategyObjects.get(d.strategyId) ?? this.options.resolveStrategy(d.strategyId, d.kind, d.parameters);
        this.strategyObjects.set(d.strategyId, strategy);
        const actor = createActor(strategyMachine, {
          input: { strategyId: d.strategyId, strategy, params: d.parameters, ledger: emptyLedger(), ...this.sizerInput(d.strategyId) },
        });
        const performance = new StrategyPerformance(d.strategyId, { lookback: this.config.lookback });
        performance.start(0);
        actor.start();
        this.strategies.set(d.strategyId, {
          id: d.strategyId,
          kind: d.kind,
          params: d.parameters,
          minAllocation: d.minAllocation,
          maxAllocation: d.maxAllocation,
          actor,
          performance,
          flowSinceMark: ZERO,
          // It starts from nothing: the transfer that funds it is its first flow, so its first slice has a return.
          lastValue: ZERO,
          lastValueNumber: 0,
          navIndex: 1,
          navPeak: 1,
          pendingRemoval: null,
          removed: false,
        });
        this.targetWeights = Object.assign(dictionary<number>(), this.targetWeights, { [d.strategyId]: Number(d.allocationPct) });
        return;
      }
      case 'CapitalTransferred': {
        const amount = dec(event.data.amount);
        this.moveCapital(event.data.from, amount.neg());
        this.moveCapital(event.data.to, amount);
        return;
      }
      case 'StrategyLifecycleChanged': {
        const entry = this.mustGet(event.data.strategyId);
        this.flushLedger(entry.id);
        const type = lifecycleEventFor(event.data.to);
        if (event.data.from === 'paused' && event.data.to === 'running') entry.actor.send({ type: 'RESUME' });
        else if (type) entry.actor.send({ type } as { type: 'START' | 'PAUSE' | 'LIQUIDATE' | 'STOP' });
        return;
      }
      case 'OrderPlaced':
        if (this.config.execution.fillAt === 'next-open') {
          const d = event.data;
          this.pendingOrders.push({ orderId: d.orderId, strategyId: d.strategyId, symbol: d.symbol, quantity: dec(d.quantity) });
        }
        return;
      case 'OrderRejected':
        this.pendingOrders = this.pendingOrders.filter((o) => o.orderId !== event.data.orderId);
        return;
      case 'OrdersNetted':
        this.netting.grossTradedValue = this.netting.grossTradedValue.plus(event.data.grossTradedValue);
        this.netting.netTradedValue = this.netting.netTradedValue.plus(event.data.netTradedValue);
        this.netting.commissionSaved = this.netting.commissionSaved.plus(event.data.commissionSaved);
        return;
      case 'FillRecorded': {
        const d = event.data;
        this.mustGet(d.strategyId);
        this.queueLedger(d.strategyId, { kind: 'fill', fill: { symbol: d.symbol, quantity: dec(d.quantity), price: dec(d.price), commission: dec(d.commission) } });
        this.pendingOrders = this.pendingOrders.filter((o) => o.orderId !== d.orderId);
        return;
      }
      case 'BarMarked': {
        const time = event.metadata.barTime ?? '';
        if (this.replaying) {
          for (const [symbol, price] of Object.entries(event.data.marks)) this.marks.set(symbol, dec(price));
          this.valueCache.clear();
          this.history.pushCloses(time, event.data.marks);
        }
        for (const [id, valueText] of Object.entries(event.data.strategyValues)) {
          // Live, the value was just computed at these marks; only recovery needs to parse it back.
          this.recordValue(this.mustGet(id), time, this.replaying ? dec(valueText) : this.valueOf(id));
        }
        // The configured allocation is the first decision: schedules count from the first slice.
        if (this.barIndex === 0 && this.rebalanceCount === 0) this.options.rebalancer?.recordRebalance(time);
        this.barIndex += 1;
        this.lastBarTime = time;
        return;
      }
      case 'RebalanceDecided':
        this.targetWeights = Object.assign(dictionary<number>(), this.targetWeights, event.data.finalWeights);
        this.rebalanceCount += 1;
        if (event.metadata.barTime) this.options.rebalancer?.recordRebalance(event.metadata.barTime);
        return;
      case 'StrategyFaulted':
        return;
      case 'StrategyRemoved': {
        const entry = this.mustGet(event.data.strategyId);
        entry.removed = true;
        entry.pendingRemoval = null;
        const rest = Object.assign(dictionary<number>(), this.targetWeights);
        delete rest[entry.id];
        this.targetWeights = rest;
        return;
      }
    }
  }

  private sizerInput(id: string): { sizerFactory?: SizerFactory } {
    const factory = this.options.sizerFor?.(id);
    return factory ? { sizerFactory: factory } : {};
  }

  private moveCapital(party: string, amount: DecT): void {
    if (party === RESERVE) {
      this.reserve = this.reserve.plus(amount);
      return;
    }
    const entry = this.mustGet(party);
    this.queueLedger(party, { kind: 'transfer', amount });
    entry.flowSinceMark = entry.flowSinceMark.plus(amount);
  }

  // Ledger events reach a strategy's actor in one batch when its ledger is next read, not one message per fill.
  private queueLedger(id: string, event: LedgerEvent): void {
    this.valueCache.delete(id);
    const queue = this.pendingLedger.get(id);
    if (queue) queue.push(event);
    else this.pendingLedger.set(id, [event]);
  }

  private flushLedger(id: string): void {
    const queue = this.pendingLedger.get(id);
    if (!queue) return;
    this.pendingLedger.delete(id);
    this.mustGet(id).actor.send({ type: 'LEDGER', events: queue });
  }

  private recordValue(entry: StrategyEntry, time: string, value: DecT): void {
    const base = this.baseNumberOf(entry);
    const valueNumber = value.toNumber();
    if (base > 0) {
      entry.navIndex *= valueNumber / base;
      entry.navPeak = Math.max(entry.navPeak, entry.navIndex);
    }
    entry.performance.update(time, valueNumber, entry.flowSinceMark.isZero() ? 0 : entry.flowSinceMark.toNumber());
    entry.lastValue = value;
    entry.lastValueNumber = valueNumber;
    entry.flowSinceMark = ZERO;
  }

  /** The base of a strategy's next return (value at the last mark plus transfers since) as a number; most slices move no capital. */
  private baseNumberOf(entry: StrategyEntry): number {
    return entry.flowSinceMark.isZero() ? entry.lastValueNumber : entry.lastValue.plus(entry.flowSinceMark).toNumber();
  }

  // ---------------------------------------------------------------- snapshots

  /** The whole state after the last applied event as plain data, for a recovery snapshot. */
  toSnapshot(): KernelSnapshot {
    return {
      version: KERNEL_SNAPSHOT_VERSION,
      revision: this.head.nextRevision - 1,
      headHash: this.head.prevHash,
      reserve: decStr(this.reserve),
      totalCapital: decStr(this.totalCapital),
      barIndex: this.barIndex,
      lastBarTime: this.lastBarTime,
      targetWeights: { ...this.targetWeights },
      rebalanceCount: this.rebalanceCount,
      netting: { grossTradedValue: decStr(this.netting.grossTradedValue), netTradedValue: decStr(this.netting.netTradedValue), commissionSaved: decStr(this.netting.commissionSaved) },
      marks: [...this.marks.entries()].map(([symbol, price]) => [symbol, decStr(price)] as [string, string]),
      history: this.history.toState(),
      pendingOrders: this.pendingOrders.map((o) => ({ ...o, quantity: decStr(o.quantity) })),
      rebalancer: this.options.rebalancer?.state() ?? null,
      strategies: [...this.strategies.values()].map((e) => ({
        id: e.id,
        kind: e.kind,
        params: e.params,
        minAllocation: e.minAllocation,
        maxAllocation: e.maxAllocation,
        lifecycle: this.lifecycleOf(e.id),
        ledger: ledgerToJson(this.ledgerOf(e.id)),
        performance: e.performance.toState(),
        flowSinceMark: decStr(e.flowSinceMark),
        lastValue: decStr(e.lastValue),
        navIndex: e.navIndex,
        navPeak: e.navPeak,
        pendingRemoval: e.pendingRemoval,
        removed: e.removed,
      })),
    };
  }

  /** Restores a fresh kernel (nothing applied yet) to a snapshot's state; replay the events after it to catch up. */
  restoreSnapshot(snap: KernelSnapshot): void {
    if (this.opened || this.head.nextRevision !== 0) throw new StratafolioError('a snapshot can only be restored into a fresh kernel');
    this.opened = true;
    this.reserve = dec(snap.reserve);
    this.totalCapital = dec(snap.totalCapital);
    this.barIndex = snap.barIndex;
    this.lastBarTime = snap.lastBarTime;
    this.targetWeights = Object.assign(dictionary<number>(), snap.targetWeights);
    this.rebalanceCount = snap.rebalanceCount;
    this.netting.grossTradedValue = dec(snap.netting.grossTradedValue);
    this.netting.netTradedValue = dec(snap.netting.netTradedValue);
    this.netting.commissionSaved = dec(snap.netting.commissionSaved);
    for (const [symbol, price] of snap.marks) this.marks.set(symbol, dec(price));
    this.history = RollingPriceHistory.fromState(snap.history);
    this.pendingOrders = snap.pendingOrders.map((o) => ({ ...o, quantity: dec(o.quantity) }));
    if (snap.rebalancer?.lastRebalanceTime) this.options.rebalancer?.recordRebalance(snap.rebalancer.lastRebalanceTime);
    for (const st of snap.strategies) {
      const lastValue = dec(st.lastValue);
      const strategy = this.strategyObjects.get(st.id) ?? this.options.resolveStrategy(st.id, st.kind, st.params);
      this.strategyObjects.set(st.id, strategy);
      const input = { strategyId: st.id, strategy, params: st.params, ledger: ledgerFromJson(st.ledger), ...this.sizerInput(st.id) };
      const restored = strategyMachine.resolveState({ value: st.lifecycle, context: input });
      const actor = createActor(strategyMachine, { snapshot: restored, input });
      actor.start();
      this.strategies.set(st.id, {
        id: st.id,
        kind: st.kind,
        params: st.params,
        minAllocation: st.minAllocation,
        maxAllocation: st.maxAllocation,
        actor,
        performance: StrategyPerformance.fromState(st.performance),
        flowSinceMark: dec(st.flowSinceMark),
        lastValue,
        lastValueNumber: lastValue.toNumber(),
        navIndex: st.navIndex,
        navPeak: st.navPeak,
        pendingRemoval: st.pendingRemoval,
        removed: st.removed,
      });
    }
    this.head = { portfolioId: this.portfolioId, nextRevision: snap.revision + 1, prevHash: snap.headHash };
  }

  // ---------------------------------------------------------------- queries

  /** The lifecycle state of a strategy. */
  lifecycleOf(id: string): LifecycleState {
    return this.mustGet(id).actor.getSnapshot().value as LifecycleState;
  }

  /** A strategy's ledger (owned by its actor). */
  ledgerOf(id: string): LedgerState {
    this.flushLedger(id);
    return this.mustGet(id).actor.getSnapshot().context.ledger;
  }

  /** A strategy's value at the current marks. */
  valueOf(id: string): DecT {
    const cached = this.valueCache.get(id);
    if (cached !== undefined) return cached;
    const value = ledgerValue(this.ledgerOf(id), this.markOf);
    this.valueCache.set(id, value);
    return value;
  }

  /** Ids of strategies not yet removed, ascending. */
  activeIds(): string[] {
    return [...this.strategies.values()].filter((e) => !e.removed).map((e) => e.id).sort();
  }

  /** Reserve plus every strategy's value at the current marks. */
  portfolioValue(): DecT {
    let total = this.reserve;
    for (const id of this.activeIds()) total = total.plus(this.valueOf(id));
    return total;
  }

  /** Weight of each active strategy in the portfolio's current value. */
  currentWeights(): Weights {
    const pv = this.portfolioValue();
    const out: Weights = dictionary();
    const total = pv.toNumber();
    for (const id of this.activeIds()) out[id] = total === 0 ? 0 : this.valueOf(id).toNumber() / total;
    return out;
  }

  readonly markOf = (symbol: string): DecT | undefined => this.marks.get(symbol);

  private mustGet(id: string): StrategyEntry {
    const entry = this.strategies.get(id);
    if (!entry) throw new AllocationError(`Strategy ${id} not found`);
    return entry;
  }

  // ---------------------------------------------------------------- commands

  /** Queues a command for the next slice, after validating it against the state the commands before it will leave. @throws AllocationError */
  enqueue(command: PortfolioCommand): void {
    this.validateCommand(command);
    this.commands.push(command);
  }

  /** Commands waiting for the next slice. */
  queuedCommands(): readonly PortfolioCommand[] {
    return this.commands;
  }

  private validateCommand(c: PortfolioCommand): void {
    const queuedAdds = this.commands.filter((q): q is Extract<PortfolioCommand, { kind: 'add' }> => q.kind === 'add');
    const known = (id: string): boolean => (this.strategies.has(id) && !this.strategies.get(id)?.removed) || queuedAdds.some((q) => q.id === id);
    switch (c.kind) {
      case 'add': {
        if (this.strategies.has(c.id) || queuedAdds.some((q) => q.id === c.id)) throw new AllocationError(`Strategy ${c.id} already exists`);
        if (!c.allocationPct.isPositive() || c.allocationPct.isZero() || c.allocationPct.gt(1)) {
          throw new AllocationError(`allocation of ${c.id} must be in (0, 1], got ${c.allocationPct.toString()}`);
        }
        const pv = this.opened ? this.portfolioValue() : this.totalCapital;
        const committed = pv.minus(this.reserve).plus(queuedAdds.reduce((t, q) => t.plus(q.allocationPct.times(pv)), ZERO));
        const current = pv.isZero() ? 0 : committed.div(pv).toNumber();
        const next = c.allocationPct.toNumber();
        if (current + next > 1 + 1e-12) {
          throw new AllocationError(
            `Allocation would exceed 100%: current=${pct(current)}, new=${pct(next)}, total=${pct(current + next)}`,
          );
        }
        return;
      }
      case 'pause':
      case 'resume':
      case 'remove':
        if (!known(c.id)) throw new AllocationError(`Strategy ${c.id} not found`);
        if (c.kind === 'remove' && !c.liquidate && this.strategies.has(c.id)) {
          const held = [...this.ledgerOf(c.id).positions.values()];
          if (held.length > 0) {
            throw new AllocationError(
              `Strategy ${c.id} still holds ${held.map((p) => `${p.symbol} ${p.quantity.toString()}`).join(', ')}: remove it with liquidate so its positions are sold and their value returns to the reserve`,
            );
          }
        }
        return;
      case 'rebalance': {
        for (const id of Object.keys(c.weights)) {
          const leaving = this.commands.some((q) => q.kind === 'remove' && q.id === id) || this.strategies.get(id)?.pendingRemoval;
          if (leaving) throw new AllocationError(`Strategy ${id} is being removed; it cannot take part in a rebalance`);
        }
        const strategies: Record<string, { value: DecT; cash: DecT; positions: LedgerState['positions'] }> = dictionary();
        for (const id of this.activeIds()) {
          const ledger = this.ledgerOf(id);
          strategies[id] = { value: this.valueOf(id), cash: ledger.cash, positions: ledger.positions };
        }
        planRebalance(c.weights, strategies, this.portfolioValue(), this.markOf);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- deciding

  private emit(event: DomainEvent, barTime: string | null): void {
    const { events, head } = sealEvents(this.head, [{ event, barTime }]);
    const sealed = events[0] as SealedEvent;
    this.head = head;
    this.sealed.push(sealed);
    this.apply(sealed);
  }

  private drainSealed(): SliceOutcome {
    const events = this.sealed;
    this.sealed = [];
    return { events, head: this.head };
  }

  /** Decides the events that open the portfolio: PortfolioOpened, then each configured strategy and its capital. */
  openPortfolio(meta: { configHash: string; codeVersion: string; strategies: readonly { id: string; kind: string; strategy: Strategy; params: Readonly<Record<string, unknown>>; allocation: DecT; min: number | null; max: number | null; metadata: Readonly<Record<string, unknown>> }[] }): SliceOutcome {
    const c = this.config;
    this.emit(
      domainEvent('PortfolioOpened', {
        portfolioId: this.portfolioId,
        name: c.name,
        baseCurrency: c.baseCurrency,
        totalCapital: decStr(dec(c.capital)),
        configHash: meta.configHash,
        codeVersion: meta.codeVersion,
        config: JSON.parse(JSON.stringify(c)) as unknown,
      }),
      null,
    );
    for (const s of [...meta.strategies].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      this.addStrategyNow(s.id, s.kind, s.strategy, s.params, s.allocation, s.min, s.max, s.metadata, null);
    }
    return this.drainSealed();
  }

  private addStrategyNow(id: string, kind: string, strategy: Strategy, params: Readonly<Record<string, unknown>>, allocation: DecT, min: number | null, max: number | null, metadata: Readonly<Record<string, unknown>>, barTime: string | null): void {
    const base = this.barIndex === 0 ? this.totalCapital : this.portfolioValue();
    const capital = Dec.min(allocation.times(base).toNearest(new Dec('0.01'), Dec.ROUND_DOWN), this.reserve);
    this.strategyObjects.set(id, strategy);
    this.emit(
      domainEvent('StrategyAdded', {
        strategyId: id,
        kind,
        parameters: params as Record<string, unknown>,
        allocationPct: decStr(allocation),
        capital: decStr(capital),
        minAllocation: min,
        maxAllocation: max,
        metadata: metadata as Record<string, unknown>,
      }),
      barTime,
    );
    if (capital.isPositive() && !capital.isZero()) {
      this.emit(domainEvent('CapitalTransferred', { from: RESERVE, to: id, amount: decStr(capital), reason: 'initial allocation', rebalanceId: null }), barTime);
    }
  }

  private changeLifecycle(id: string, to: LifecycleState, reason: string, barTime: string): boolean {
    const entry = this.mustGet(id);
    const from = this.lifecycleOf(id);
    if (from === to) return false;
    const type = from === 'paused' && to === 'running' ? 'RESUME' : lifecycleEventFor(to);
    if (!type || !entry.actor.getSnapshot().can({ type } as { type: 'START' })) return false;
    this.emit(domainEvent('StrategyLifecycleChanged', { strategyId: id, from, to, reason }), barTime);
    return true;
  }

  /**
   * Runs one slice through the pipeline and returns its sealed events (the caller appends them atomically).
   * @throws DataError when the slice is not later than the previous one.
   */
  processSlice(slice: BarSlice): SliceOutcome {
    if (!this.opened) throw new StratafolioError('the portfolio is not open');
    if (this.lastBarTime !== null && slice.time <= this.lastBarTime) {
      throw new DataError(`bar time ${slice.time} is not later than the last processed bar time ${this.lastBarTime}`);
    }
    const t = slice.time;
    this.markSlice(slice);
    const manual = this.applyCommands(t);
    if (this.activeIds().some((id) => this.lifecycleOf(id) === 'initializing')) this.options.watchdog.run(t, () => this.startNewStrategies(slice));
    // The configured allocation counts as the first rebalance: schedules count from the first slice.
    if (this.barIndex === 0 && this.rebalanceCount === 0) this.options.rebalancer?.recordRebalance(t);
    const rebalance = this.decideRebalance(manual, t);
    const requested = this.options.watchdog.run(t, () => this.runStrategies(slice, rebalance));
    this.coverLiquidationDeficits(slice, requested);
    const accepted = this.placeOrders(slice, requested, rebalance);
    this.executeOrders(slice, accepted, rebalance);
    if (rebalance) this.transfer(rebalance, t);
    this.completeLiquidations(t);
    this.enforceDrawdownLimit(t);
    this.emitMarks(slice);
    return this.drainSealed();
  }

  /** Step 1: the slice's closes become the marks and enter the price history. */
  private markSlice(slice: BarSlice): void {
    for (const [symbol, bar] of Object.entries(slice.bars)) this.marks.set(symbol, dec(bar.close, `${symbol} close at ${slice.time}`));
    this.valueCache.clear();
    this.history.push(slice);
  }

  /** Step 2: commands queued since the last slice take effect; returns a manual rebalance, if one was asked for. */
  private applyCommands(t: string): Extract<PortfolioCommand, { kind: 'rebalance' }> | null {
    const commands = this.commands;
    this.commands = [];
    let manual: Extract<PortfolioCommand, { kind: 'rebalance' }> | null = null;
    for (const c of commands) {
      switch (c.kind) {
        case 'add':
          this.addStrategyNow(c.id, c.strategyKind, c.strategy, c.params, c.allocationPct, null, null, c.metadata, t);
          break;
        case 'pause':
          this.changeLifecycle(c.id, 'paused', c.reason, t);
          break;
        case 'resume':
          this.changeLifecycle(c.id, 'running', c.reason, t);
          break;
        case 'remove':
          this.mustGet(c.id).pendingRemoval = { liquidate: c.liquidate };
          this.changeLifecycle(c.id, 'liquidating', `removal requested (liquidate=${String(c.liquidate)})`, t);
          break;
        case 'rebalance':
          manual = c;
          break;
      }
    }
    return manual;
  }

  /** Step 3: strategies added since the last slice run init and start. */
  private startNewStrategies(slice: BarSlice): void {
    for (const id of this.activeIds()) {
      if (this.lifecycleOf(id) !== 'initializing') continue;
      const entry = this.mustGet(id);
      this.flushLedger(id);
      this.options.watchdog.enter(id, 'init', slice.time);
      const call = callStrategy(entry.actor, 'init', { slice, barIndex: this.barIndex, history: this.history, markOf: this.markOf });
      if (call && !call.ok) this.fault(id, 'init', call.error, slice.time);
      else this.changeLifecycle(id, 'running', 'started', slice.time);
    }
  }

  /** Step 5: each running strategy's code, closing orders of liquidating ones, and a rebalance's pro-rata sales. */
  private runStrategies(slice: BarSlice, rebalance: RebalanceInProgress | null): Map<string, RequestedOrder[]> {
    const requested = new Map<string, RequestedOrder[]>();
    for (const id of this.activeIds()) {
      const state = this.lifecycleOf(id);
      if (state === 'running') {
        const entry = this.mustGet(id);
        this.flushLedger(id);
        this.options.watchdog.enter(id, 'onBar', slice.time);
        const call = callStrategy(entry.actor, 'onBar', { slice, barIndex: this.barIndex, history: this.history, markOf: this.markOf });
        if (call === null) continue;
        if (!call.ok) this.fault(id, 'onBar', call.error, slice.time);
        else if (call.intents.length > 0) requested.set(id, call.intents.map(toRequested));
      } else if (state === 'liquidating') {
        const closing = [...this.ledgerOf(id).positions.values()].map((p) => ({ symbol: p.symbol, quantity: p.quantity.neg() }));
        if (closing.length > 0) requested.set(id, closing);
      }
    }
    for (const [id, sales] of Object.entries(rebalance?.sales ?? {})) requested.set(id, mergeOrders([...(requested.get(id) ?? []), ...sales]));
    return requested;
  }

  /**
   * Step 5½: a liquidating strategy whose closing purchases cost more than its cash (a short that rose past its equity)
   * gets the shortfall from the reserve, so that it can close and stop instead of liquidating forever. What it does not
   * use returns to the reserve when it stops.
   */
  private coverLiquidationDeficits(slice: BarSlice, requested: ReadonlyMap<string, RequestedOrder[]>): void {
    for (const id of [...requested.keys()].sort()) {
      if (this.lifecycleOf(id) !== 'liquidating') continue;
      let purchases = ZERO;
      for (const o of requested.get(id) ?? []) {
        if (!o.quantity.isPositive() || barOf(slice, o.symbol) === undefined) continue;
        purchases = purchases.plus(estimateCashCost(this.config.execution, o.quantity, this.marks.get(o.symbol) as DecT));
      }
      const deficit = purchases.minus(this.ledgerOf(id).cash).toNearest(new Dec('0.01'), Dec.ROUND_UP);
      const amount = Dec.min(deficit, this.reserve);
      if (!amount.isPositive() || amount.isZero()) continue;
      this.emit(domainEvent('CapitalTransferred', { from: RESERVE, to: id, amount: decStr(amount), reason: 'liquidation: the reserve covers the deficit', rebalanceId: null }), slice.time);
    }
  }

  /** Step 6: limits per strategy, recorded as OrderPlaced (possibly scaled down) or OrderRejected. */
  private placeOrders(slice: BarSlice, requested: ReadonlyMap<string, RequestedOrder[]>, rebalance: RebalanceInProgress | null): ExecutableOrder[] {
    const t = slice.time;
    const accepted: ExecutableOrder[] = [];
    const priceOf = (symbol: string): DecT | undefined => (barOf(slice, symbol) ? this.marks.get(symbol) : undefined);
    for (const id of [...requested.keys()].sort()) {
      const ledger = this.ledgerOf(id);
      const value = this.valueOf(id);
      const decisions = applyOrderLimits(mergeOrders(requested.get(id) ?? []), {
        cash: ledger.cash,
        reservedCash: this.lifecycleOf(id) === 'liquidating' ? ZERO : rebalance?.decreases[id] ?? ZERO,
        positions: ledger.positions,
        value,
        maxExposure: value.times(decFromStatistic(1 + this.config.risk.exposureBuffer)),
        priceOf,
        markOf: this.markOf,
        cashCost: (q, p) => estimateCashCost(this.config.execution, q, p),
      });
      let k = 0;
      for (const d of decisions) {
        const orderId = `o${this.barIndex}-${id}-${k++}`;
        if (d.kind === 'rejected') {
          this.emit(domainEvent('OrderRejected', { orderId, strategyId: id, symbol: d.symbol, quantity: decStr(d.quantity), orderType: 'market', reason: d.reason }), t);
          continue;
        }
        this.emit(
          domainEvent('OrderPlaced', {
            orderId, strategyId: id, symbol: d.symbol, quantity: decStr(d.quantity), orderType: 'market',
            requestedQuantity: d.requested ? decStr(d.requested) : null, note: d.note,
          }),
          t,
        );
        accepted.push({ orderId, strategyId: id, symbol: d.symbol, quantity: d.quantity });
      }
    }
    return accepted;
  }

  /**
   * Steps 7–8: what executes now — this slice's orders at its close, or (next-open) the previous slice's at this open —
   * netted per symbol and filled (OrdersNetted, FillRecorded).
   */
  private executeOrders(slice: BarSlice, accepted: readonly ExecutableOrder[], rebalance: RebalanceInProgress | null): void {
    const t = slice.time;
    const nextOpen = this.config.execution.fillAt === 'next-open';
    const executable: { order: ExecutableOrder; price: DecT }[] = [];
    if (nextOpen) {
      const carried = this.pendingOrders.filter((o) => !accepted.some((a) => a.orderId === o.orderId));
      for (const o of carried) {
        // A liquidating strategy's waiting orders are cancelled: its closing orders were sized from what it holds.
        if (this.lifecycleOf(o.strategyId) === 'liquidating' || this.lifecycleOf(o.strategyId) === 'stopped') {
          this.emit(domainEvent('OrderRejected', { orderId: o.orderId, strategyId: o.strategyId, symbol: o.symbol, quantity: decStr(o.quantity), orderType: 'market', reason: 'cancelled: the strategy is liquidating' }), t);
          continue;
        }
        const bar = barOf(slice, o.symbol);
        if (!bar) continue; // waits until the symbol trades again
        executable.push({ order: o, price: dec(bar.open) });
      }
    }
    // Rebalance sales and liquidations are portfolio decisions at the marks: they fill at this close in both modes.
    for (const o of accepted) {
      const forced = rebalance?.sales[o.strategyId] !== undefined || this.lifecycleOf(o.strategyId) === 'liquidating';
      if (!nextOpen || forced) executable.push({ order: o, price: this.marks.get(o.symbol) as DecT });
    }
    if (executable.length === 0) return;
    const result = executeSliceOrders(executable, this.config.execution);
    this.emit(domainEvent('OrdersNetted', result.netted), t);
    for (const f of result.fills) this.emit(domainEvent('FillRecorded', f), t);
  }

  /** Step 10: a liquidating strategy that is flat returns its cash to the reserve and stops (and is removed, when asked). */
  private completeLiquidations(t: string): void {
    for (const id of this.activeIds()) {
      if (this.lifecycleOf(id) !== 'liquidating') continue;
      const entry = this.mustGet(id);
      if (this.ledgerOf(id).positions.size > 0) continue;
      const cash = this.ledgerOf(id).cash;
      if (cash.isPositive() && !cash.isZero()) {
        this.emit(domainEvent('CapitalTransferred', { from: id, to: RESERVE, amount: decStr(cash), reason: entry.pendingRemoval ? 'strategy removed' : 'strategy stopped', rebalanceId: null }), t);
      }
      this.changeLifecycle(id, 'stopped', entry.pendingRemoval ? 'removed' : 'liquidated', t);
      if (entry.pendingRemoval) {
        this.emit(domainEvent('StrategyRemoved', { strategyId: id, liquidated: entry.pendingRemoval.liquidate, capitalReturned: decStr(cash.isNegative() ? ZERO : cash) }), t);
      }
    }
  }

  /** Step 11: a running strategy whose transfer-neutral drawdown is beyond the limit is paused or liquidated. */
  private enforceDrawdownLimit(t: string): void {
    const limit = this.config.risk.maxDrawdown;
    if (limit === null) return;
    for (const id of this.activeIds()) {
      if (this.lifecycleOf(id) !== 'running') continue;
      const entry = this.mustGet(id);
      const base = this.baseNumberOf(entry);
      if (!(base > 0)) continue;
      const index = entry.navIndex * (this.valueOf(id).toNumber() / base);
      const drawdown = index / Math.max(entry.navPeak, index) - 1;
      if (drawdown < -limit) {
        const to = this.config.risk.drawdownAction === 'liquidate' ? 'liquidating' : 'paused';
        this.changeLifecycle(id, to, `risk: drawdown ${(drawdown * 100).toFixed(2)}% beyond the limit of ${(limit * 100).toFixed(2)}%`, t);
      }
    }
  }

  /** Step 12: BarMarked, the last event of every slice: the marks, every strategy's value and cash, the reserve and the total. */
  private emitMarks(slice: BarSlice): void {
    const marks: Record<string, string> = dictionary();
    for (const symbol of Object.keys(slice.bars)) marks[symbol] = decStr(this.marks.get(symbol) as DecT);
    const strategyValues: Record<string, string> = dictionary();
    const strategyCash: Record<string, string> = dictionary();
    let total = this.reserve;
    for (const id of this.activeIds()) {
      const v = this.valueOf(id);
      strategyValues[id] = decStr(v);
      strategyCash[id] = decStr(this.ledgerOf(id).cash);
      total = total.plus(v);
    }
    this.emit(domainEvent('BarMarked', { marks, strategyValues, strategyCash, reserve: decStr(this.reserve), portfolioValue: decStr(total) }), slice.time);
  }

  private fault(id: string, phase: 'init' | 'onBar', error: string, t: string): void {
    const policy = this.config.risk.faultPolicy;
    const to: LifecycleState = policy === 'pause' ? 'paused' : policy === 'liquidate' ? 'liquidating' : 'stopped';
    const action = policy === 'pause' ? 'paused' : policy === 'liquidate' ? 'liquidating' : 'stopped';
    const entry = this.mustGet(id);
    const canMove = entry.actor.getSnapshot().can({ type: lifecycleEventFor(to) ?? 'PAUSE' } as { type: 'PAUSE' });
    this.emit(domainEvent('StrategyFaulted', { strategyId: id, phase, error, action: canMove ? action : 'none' }), t);
    // A strategy stops by liquidating first, so that its positions and cash return to the reserve.
    if (canMove && to === 'stopped') {
      this.changeLifecycle(id, 'liquidating', `fault: ${error}`, t);
    } else if (canMove) {
      this.changeLifecycle(id, to, `fault: ${error}`, t);
    }
  }

  // ---------------------------------------------------------------- rebalancing

  private decideRebalance(manual: Extract<PortfolioCommand, { kind: 'rebalance' }> | null, t: string): RebalanceInProgress | null {
    const eligible = this.activeIds().filter((id) => {
      const s = this.lifecycleOf(id);
      return s === 'running' || s === 'paused';
    });
    if (eligible.length === 0) return null;
    let trigger: RebalanceTrigger;
    let reason: string;
    let decision: AllocationDecision;
    let algorithmName: string;
    let parameters: Record<string, unknown>;
    if (manual) {
      trigger = 'manual';
      reason = manual.reason;
      algorithmName = 'manual';
      parameters = {};
      decision = { inputs: {}, rawWeights: manual.weights, finalWeights: manual.weights, bindingConstraints: [], solver: null };
    } else {
      const algorithm = this.options.algorithm;
      const rebalancer = this.options.rebalancer;
      if (!algorithm || !rebalancer) return null;
      const current: Weights = dictionary();
      const target: Weights = dictionary();
      const weights = this.currentWeights();
      for (const id of eligible) {
        current[id] = weights[id] ?? 0;
        target[id] = this.targetWeights[id] ?? 0;
      }
      const verdict = rebalancer.shouldRebalance(t, current, target);
      if (!verdict.rebalance) return null;
      trigger = verdict.trigger ?? 'schedule';
      reason = verdict.reason;
      const performances: Record<string, StrategyPerformance> = dictionary();
      for (const id of eligible) performances[id] = this.mustGet(id).performance;
      decision = algorithm.decide(performances);
      algorithmName = algorithm.name;
      parameters = { ...algorithm.parameters };
    }
    const strategies: Record<string, { value: DecT; cash: DecT; positions: LedgerState['positions'] }> = dictionary();
    for (const id of this.activeIds()) {
      const ledger = this.ledgerOf(id);
      strategies[id] = { value: this.valueOf(id), cash: ledger.cash, positions: ledger.positions };
    }
    const pv = this.portfolioValue();
    const plan = planRebalance(decision.finalWeights, strategies, pv, this.markOf);
    const rebalanceId = `r${this.rebalanceCount + 1}`;
    const inputs: Record<string, Record<string, unknown>> = dictionary();
    for (const id of Object.keys(decision.finalWeights).sort()) {
      // The value the plan used is money: it is recorded exactly, whatever number the algorithm read.
      inputs[id] = { ...(Object.hasOwn(decision.inputs, id) ? decision.inputs[id] : {}), value: decStr(strategies[id]?.value ?? ZERO) };
    }
    const before = this.currentWeights();
    const weightsBefore: Weights = dictionary();
    for (const id of Object.keys(decision.finalWeights)) weightsBefore[id] = before[id] ?? 0;
    this.emit(
      domainEvent('RebalanceDecided', {
        rebalanceId,
        trigger,
        reason,
        algorithm: algorithmName,
        parameters,
        inputs,
        weightsBefore,
        rawWeights: { ...decision.rawWeights },
        finalWeights: { ...decision.finalWeights },
        bindingConstraints: [...decision.bindingConstraints],
        solver: decision.solver ? { ...decision.solver } : null,
        portfolioValue: decStr(pv),
        targets: dictionaryOf(Object.entries(plan.targets).map(([k, v]) => [k, decStr(v)] as const)),
      }),
      t,
    );
    return { rebalanceId, decreases: plan.decreases, increases: plan.increases, sales: plan.sales };
  }

  private transfer(plan: RebalanceInProgress, t: string): void {
    let available = this.reserve;
    for (const id of Object.keys(plan.decreases).sort()) {
      const want = plan.decreases[id] as DecT;
      const cash = this.ledgerOf(id).cash;
      const amount = Dec.min(want, cash.isNegative() ? ZERO : cash);
      if (amount.isZero()) continue;
      this.emit(domainEvent('CapitalTransferred', { from: id, to: RESERVE, amount: decStr(amount), reason: 'rebalance: decrease', rebalanceId: plan.rebalanceId }), t);
      available = available.plus(amount);
    }
    const wanted = Object.values(plan.increases).reduce((a, b) => a.plus(b), ZERO);
    // If a decrease fell short, increases share what the reserve holds, pro rata.
    const scale = wanted.gt(available) && !wanted.isZero() ? available.div(wanted) : new Dec(1);
    for (const id of Object.keys(plan.increases).sort()) {
      const amount = (plan.increases[id] as DecT).times(scale).toNearest(new Dec('0.01'), Dec.ROUND_DOWN);
      if (amount.isZero() || amount.isNegative()) continue;
      this.emit(domainEvent('CapitalTransferred', { from: RESERVE, to: id, amount: decStr(amount), reason: 'rebalance: increase', rebalanceId: plan.rebalanceId }), t);
    }
  }
}

interface RebalanceInProgress {
  readonly rebalanceId: string;
  readonly decreases: Readonly<Record<string, DecT>>;
  readonly increases: Readonly<Record<string, DecT>>;
  readonly sales: Readonly<Record<string, readonly { symbol: string; quantity: DecT }[]>>;
}

function toRequested(intent: OrderIntent): RequestedOrder {
  return { symbol: intent.symbol, quantity: intent.quantity };
}

function mergeOrders(orders: readonly RequestedOrder[]): RequestedOrder[] {
  const bySymbol = new Map<string, DecT>();
  for (const o of orders) bySymbol.set(o.symbol, (bySymbol.get(o.symbol) ?? ZERO).plus(o.quantity));
  return [...bySymbol.entries()]
    .filter(([, q]) => !q.isZero())
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([symbol, quantity]) => ({ symbol, quantity }));
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}


/** The bar of `symbol` in a slice, if it traded (own keys only: a slice's bars may be a plain object). */
function barOf(slice: BarSlice, symbol: string): BarSlice['bars'][string] | undefined {
  return Object.hasOwn(slice.bars, symbol) ? slice.bars[symbol] : undefined;
}
