// The portfolio's fold: one evolve for the live path and for recovery (a strategy's book has its own, evolveBook).
import { INITIAL_ALLOCATION, RESERVE, transferBeforeExecution } from '../../events/catalogue.js';
import type { SealedEvent } from '../../events/envelope.js';
import { dictionary } from '../collections/dictionary.js';
import { AllocationError } from '../errors.js';
import { ZERO, dec, type Dec, type DecString } from '../money/decimal.js';
import { isPlainDecimal } from '../money/exact.js';
import { DRAWDOWN_RESUME, newStrategyRecord, returnSinceMark, type PortfolioState, type StrategyRecord } from './portfolioState.js';
import { drawdownFrom } from '../metrics/returnMetrics.js';

const REMOVAL_REASON = /^removal requested \(liquidate=(true|false)\)$/;

/**
 * Folds one sealed event into the state and returns it (the state is updated in place: see {@link PortfolioState}).
 * Used for every event, as it is decided and when a log is read back, so both reach the same state.
 * @throws AllocationError for an event about a strategy the state does not know.
 */
export function evolve(state: PortfolioState, event: SealedEvent): PortfolioState {
  switch (event.type) {
    case 'PortfolioOpened':
      state.opened = true;
      state.totalCapital = dec(event.data.totalCapital);
      state.reserve = state.totalCapital;
      break;
    case 'StrategyAdded': {
      const d = event.data;
      state.strategies.set(d.strategyId, newStrategyRecord(d.strategyId, d.kind, d.parameters, d.minAllocation, d.maxAllocation, Number(d.allocationPct), state.settings));
      state.activeIds = [...state.activeIds, d.strategyId].sort();
      state.targetWeights = Object.assign(dictionary<number>(), state.targetWeights, { [d.strategyId]: Number(d.allocationPct) });
      break;
    }
    case 'CapitalTransferred': {
      const amount = dec(event.data.amount);
      const before = transferBeforeExecution(event.data.reason);
      moveCapital(state, event.data.from, amount.neg(), before);
      moveCapital(state, event.data.to, amount, before);
      // An initial allocation is recorded before the strategy's first call in its slice; every other transfer after.
      if (event.data.reason === INITIAL_ALLOCATION && event.data.to !== RESERVE) {
        const record = mustGet(state, event.data.to);
        record.flowBeforeCall = record.flowBeforeCall.plus(amount);
      }
      break;
    }
    case 'StrategyLifecycleChanged': {
      const record = mustGet(state, event.data.strategyId);
      // A removal is recorded only as the lifecycle change it causes; the request it carries survives a restart.
      const removal = REMOVAL_REASON.exec(event.data.reason);
      if (removal) record.pendingRemoval = { liquidate: removal[1] === 'true' };
      if (event.data.to === 'paused') record.pause = { reason: event.data.reason, sinceBar: state.barIndex, sinceTime: event.metadata.barTime ?? null };
      else record.pause = null;
      // After a drawdown pause the limit measures new losses: the peak restarts where the strategy resumes.
      if (event.data.from === 'paused' && event.data.to === 'running' && event.data.reason.startsWith(DRAWDOWN_RESUME)) record.navPeak = record.navIndex;
      break;
    }
    case 'OrderPlaced':
      if (state.settings.fillAt === 'next-open') {
        const d = event.data;
        state.pendingOrders.push({ orderId: d.orderId, strategyId: d.strategyId, symbol: d.symbol, quantity: dec(d.quantity) });
      }
      break;
    case 'OrderRejected':
      if (state.pendingOrders.length > 0) {
        // A waiting order cut at the open for cash keeps what was not cancelled; any other rejection ends it.
        const cancelled = dec(event.data.quantity);
        state.pendingOrders = state.pendingOrders.flatMap((o) =>
          o.orderId !== event.data.orderId ? [o] : cancelled.eq(o.quantity) ? [] : [{ ...o, quantity: o.quantity.minus(cancelled) }],
        );
      }
      break;
    case 'OrdersNetted':
      state.netting.grossTradedValue = state.netting.grossTradedValue.plus(event.data.grossTradedValue);
      state.netting.netTradedValue = state.netting.netTradedValue.plus(event.data.netTradedValue);
      state.netting.commissionSaved = state.netting.commissionSaved.plus(event.data.commissionSaved);
      break;
    case 'FillRecorded':
      mustGet(state, event.data.strategyId);
      if (state.pendingOrders.length > 0) state.pendingOrders = state.pendingOrders.filter((o) => o.orderId !== event.data.orderId);
      break;
    case 'BarMarked': {
      const time = event.metadata.barTime ?? '';
      applyMarks(state, time, event.data.marks);
      for (const id of Object.keys(event.data.strategyValues)) {
        const record = mustGet(state, id);
        recordValue(record, time, event.data.strategyValues[id] as string, state.barIndex);
        const cash = event.data.strategyCash[id];
        if (cash !== undefined && record.lastValueNumber > 0) {
          record.cashFractionSum += Number(cash) / record.lastValueNumber;
          record.cashFractionMarks += 1;
        }
      }
      // The configured allocation is the first decision: schedules count from the first slice.
      if (state.barIndex === 0 && state.rebalanceCount === 0) state.lastRebalanceTime = time;
      state.barIndex += 1;
      state.lastBarTime = time;
      break;
    }
    case 'RebalanceDecided':
      state.targetWeights = Object.assign(dictionary<number>(), state.targetWeights, event.data.finalWeights);
      // A strategy left out keeps its weight: that weight becomes its target, so it does not trigger drift.
      for (const id of Object.keys(event.data.leftOut ?? {})) state.targetWeights[id] = event.data.weightsBefore[id] ?? 0;
      // A re-admitted strategy's returns describe capital it no longer has: its window starts again, and it warms up.
      for (const id of Object.keys(event.data.readmitted ?? {})) mustGet(state, id).performance.restartWindow();
      state.rebalanceCount += 1;
      if (event.metadata.barTime) state.lastRebalanceTime = event.metadata.barTime;
      break;
    case 'StrategyFaulted':
      break;
    case 'StrategyRemoved': {
      const record = mustGet(state, event.data.strategyId);
      record.removed = true;
      record.pendingRemoval = null;
      state.activeIds = state.activeIds.filter((id) => id !== record.id);
      const rest = Object.assign(dictionary<number>(), state.targetWeights);
      delete rest[record.id];
      state.targetWeights = rest;
      break;
    }
  }
  state.nextRevision = event.metadata.revision + 1;
  state.prevHash = event.metadata.hash;
  return state;
}

/**
 * A slice's closes become the marks and enter the price history. The supervisor applies them when a slice starts (its
 * strategies read them); the slice's BarMarked records the same closes, and applying a slice's closes again changes nothing.
 */
export function applyMarks(state: PortfolioState, time: string, closes: Readonly<Record<string, string>>): void {
  if (state.history.time() === time) return;
  for (const symbol of Object.keys(closes)) state.marks.set(symbol, dec(closes[symbol] as string, `${symbol} close at ${time}`));
  state.history.pushCloses(time, closes);
}

function moveCapital(state: PortfolioState, party: string, amount: Dec, beforeExecution: boolean): void {
  if (party === RESERVE) {
    state.reserve = state.reserve.plus(amount);
    return;
  }
  const record = mustGet(state, party);
  record.flowSinceMark = record.flowSinceMark.plus(amount);
  if (beforeExecution) record.flowBeforeExecution = record.flowBeforeExecution.plus(amount);
}

function recordValue(record: StrategyRecord, time: string, value: DecString, barIndex: number): void {
  // The recorded text is read as a number directly (the same double as its Decimal's toNumber()), not through a Decimal:
  // a 100-strategy BarMarked folds its values in 7 µs instead of 52 µs. Only another form goes through dec, which names a bad one.
  const valueNumber = isPlainDecimal(value) ? Number(value) : dec(value).toNumber();
  const bar = returnSinceMark(record, valueNumber);
  // A total loss would leave an index at zero that could never recover: the drawdown index holds until it has capital again.
  if (bar !== null && bar.r > -1) {
    record.navIndex *= 1 + bar.r;
    record.navPeak = Math.max(record.navPeak, record.navIndex);
    record.worstDrawdown = Math.min(record.worstDrawdown, drawdownFrom(record.navIndex, record.navPeak));
  }
  const flowBefore = record.flowBeforeExecution;
  if (record.flowSinceMark.isZero() && flowBefore.isZero()) record.performance.update(time, valueNumber);
  else record.performance.update(time, valueNumber, flowBefore.toNumber(), record.flowSinceMark.minus(flowBefore).toNumber());
  record.lastValue = value;
  record.lastValueNumber = valueNumber;
  if (valueNumber !== 0) record.emptySince = null;
  else record.emptySince ??= { sinceBar: barIndex, sinceTime: time };
  // Most slices move no capital: nothing to subtract.
  record.flowAfterLastCall = record.flowSinceMark.isZero() && record.flowBeforeCall.isZero() ? ZERO : record.flowSinceMark.minus(record.flowBeforeCall);
  record.flowBeforeCall = ZERO;
  record.flowBeforeExecution = ZERO;
  record.flowSinceMark = ZERO;
}

/** A strategy's record. @throws AllocationError when there is none. */
export function mustGet(state: PortfolioState, id: string): StrategyRecord {
  const record = state.strategies.get(id);
  if (!record) throw new AllocationError(`Strategy ${id} not found`);
  return record;
}
