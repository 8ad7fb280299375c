// Turning target weights into exact capital moves: targets from current value, decreases first from free cash, the rest from pro-rata sales.
import { dictionary } from '../collections/dictionary.js';
import { Dec, ZERO, decFromStatistic, decStr, type Dec as DecT } from '../money/decimal.js';
import { AllocationError, quoteStart } from '../errors.js';
import type { Position } from '../ledger/types.js';

/** One strategy as the planner sees it. */
export interface PlanStrategy {
  readonly value: DecT;
  readonly cash: DecT;
  readonly positions: ReadonlyMap<string, Position>;
}

/** The capital moves a rebalance needs and the sales that free the cash for them. */
export interface RebalancePlan {
  /** Target capital per named strategy (weight × portfolio value, rounded down to cents). */
  readonly targets: Readonly<Record<string, DecT>>;
  /** Capital each named strategy must give (> 0) to the reserve. */
  readonly decreases: Readonly<Record<string, DecT>>;
  /** Capital each named strategy must receive (> 0) from the reserve. */
  readonly increases: Readonly<Record<string, DecT>>;
  /** Sales (negative quantities) needed where free cash does not cover a decrease. */
  readonly sales: Readonly<Record<string, readonly { symbol: string; quantity: DecT }[]>>;
}

const CENT = new Dec('0.01');

/** A strategy's target capital: its weight × the portfolio value, rounded down to the cent (the audit checks it the same way). */
export function targetCapital(weight: number, portfolioValue: DecT): DecT {
  return decFromStatistic(weight).times(portfolioValue).toNearest(CENT, Dec.ROUND_DOWN);
}

/**
 * The share of the portfolio value that the strategies a rebalance names may be given together: what the strategies it
 * does not name leave, since those keep their capital. Their values are summed as they are, so one worth less than
 * nothing (a short squeezed past its equity) frees value for the others, but never more than the whole portfolio value:
 * the share is at most 1. A portfolio worth nothing or less has no share to give: the share is 0, whatever is kept.
 * The engine's rebalances scale their weights to this share and {@link planRebalance} refuses weights beyond it, so a
 * scheduled rebalance never fails on what a strategy lost.
 */
export function freeShare(named: ReadonlySet<string>, strategies: Readonly<Record<string, PlanStrategy>>, portfolioValue: DecT): number {
  return shareNotKept(portfolioValue, keptValue(named, strategies));
}

/** The share of `portfolioValue` that is not `kept`, within [0, 1]; 0 for a portfolio worth nothing or less. */
export function shareNotKept(portfolioValue: DecT, kept: DecT): number {
  if (!portfolioValue.isPositive() || portfolioValue.isZero()) return 0;
  return Math.min(1, Math.max(0, portfolioValue.minus(kept).div(portfolioValue).toNumber()));
}

function keptValue(named: ReadonlySet<string>, strategies: Readonly<Record<string, PlanStrategy>>): DecT {
  let kept = ZERO;
  for (const [id, s] of Object.entries(strategies)) if (!named.has(id)) kept = kept.plus(s.value);
  return kept;
}

/**
 * The weights of a rebalance asked for by hand (`Portfolio.rebalance`, a paper session's queued command), checked on
 * their own, before any state is read: an object mapping strategy ids to finite numbers in [0, 1], each a fraction of
 * the portfolio's whole value, so that together they may not pass 1. `stratafolio command` applies it before it
 * queues a rebalance: what a session would refuse whatever the portfolio holds is refused at once, in the same words.
 * What needs the state (the strategies there are, the share those not named keep) is checked when the command is
 * taken ({@link planRebalance}).
 * @throws AllocationError naming `entry` and the weight, or the sum
 */
export function checkedManualWeights(entry: string, allocations: unknown): Record<string, number> {
  if (allocations === null || typeof allocations !== 'object' || Array.isArray(allocations)) {
    throw new AllocationError(`${entry}: allocations must be an object mapping strategy id to weight`);
  }
  const weights: Record<string, number> = dictionary<number>();
  for (const [id, w] of Object.entries(allocations)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1) {
      throw new AllocationError(`${entry}: weight of ${id} must be a number in [0, 1], got ${typeof w === 'number' ? String(w) : typeof w === 'string' ? `the string ${quoteStart(w)}` : typeof w}`);
    }
    weights[id] = w;
  }
  // The planner's test with the whole value free: whatever it would accept at some slice passes, so a command recorded
  // with a slice is never refused when that slice is applied again on recovery. The message gives the exact sum.
  if (overShare(weightTotal(weights), 1)) {
    const sum = Object.values(weights).reduce((t, w) => t.plus(decFromStatistic(w)), ZERO);
    throw new AllocationError(`${entry}: the weights sum to ${decStr(sum)}, more than the portfolio's whole value (1): lower them`);
  }
  return weights;
}

/** The sum of weights, as a float, in the order of their strategy ids (the same sum wherever it is taken). */
function weightTotal(weights: Readonly<Record<string, number>>): number {
  return Object.keys(weights)
    .sort()
    .reduce((t, id) => t + (weights[id] ?? 0), 0);
}

/** Whether weights summing to `total` pass the `share` they may take: by more than a float sum of decimal weights strays. */
function overShare(total: number, share: number): boolean {
  return total > share + 1e-9;
}

/** Cash an order of `quantity` at reference `price` costs alone, costs included (a sale's is negative: its net proceeds negated). */
export type CashCost = (quantity: DecT, price: DecT) => DecT;

/**
 * Plans a rebalance of the named strategies to `weights` of the current portfolio value; strategies not named keep their capital.
 * Sales are sized with `cashCost`, the execution's own estimate, so that what they raise after their costs covers the shortfall.
 * @throws AllocationError when a weight is outside [0, 1], a strategy is unknown, or the weights sum to more than the
 * {@link freeShare} the strategies not named leave.
 */
export function planRebalance(
  weights: Readonly<Record<string, number>>,
  strategies: Readonly<Record<string, PlanStrategy>>,
  portfolioValue: DecT,
  markOf: (symbol: string) => DecT | undefined,
  cashCost: CashCost,
): RebalancePlan {
  const ids = Object.keys(weights).sort();
  for (const id of ids) {
    const w = weights[id];
    if (!(id in strategies)) throw new AllocationError(`Strategy ${id} not found`);
    if (w === undefined || !Number.isFinite(w) || w < 0 || w > 1) throw new AllocationError(`weight of ${id} must be in [0, 1], got ${String(w)}`);
  }
  const named = new Set(ids);
  const total = weightTotal(weights);
  const free = freeShare(named, strategies, portfolioValue);
  if (overShare(total, free)) throw new AllocationError(overAllocated(total, free, keptValue(named, strategies), portfolioValue));
  const targets: Record<string, DecT> = dictionary();
  const decreases: Record<string, DecT> = dictionary();
  const increases: Record<string, DecT> = dictionary();
  const sales: Record<string, { symbol: string; quantity: DecT }[]> = dictionary();
  for (const id of ids) {
    const s = strategies[id] as PlanStrategy;
    const target = targetCapital(weights[id] ?? 0, portfolioValue);
    targets[id] = target;
    const delta = target.minus(s.value);
    if (delta.isPositive() && !delta.isZero()) increases[id] = delta;
    else if (delta.isNegative()) {
      const need = delta.neg();
      decreases[id] = need;
      if (need.gt(s.cash)) sales[id] = proRataSales(need.minus(s.cash), s.positions, markOf, cashCost);
    }
  }
  return { targets, decreases, increases, sales };
}

/** Why weights summing to `total` exceed the share `free` left to them, in the terms that make it so. */
function overAllocated(total: number, free: number, kept: DecT, portfolioValue: DecT): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  if (!portfolioValue.isPositive() || portfolioValue.isZero()) {
    return `New allocations exceed what the portfolio is worth: it is worth ${decStr(portfolioValue)}, so no strategy can be given a share (weights named: ${pct(total)}, at most ${pct(free)})`;
  }
  const keptShare = kept.div(portfolioValue).toNumber();
  if (keptShare < 0) {
    return `New allocations exceed 100%: ${pct(total)} (the strategies not named are worth ${decStr(kept)} together, less than nothing, which frees no more than the whole portfolio value)`;
  }
  return `New allocations exceed 100%: ${pct(total + keptShare)} (including ${pct(keptShare)} kept by strategies not named)`;
}

/**
 * Sells the same fraction of every long position (whole units rounded up; fractional holdings to 8 places, rounded up) so
 * that the sales' net proceeds at current marks, after the commission and slippage `cashCost` charges, cover `shortfall`;
 * never more than is held. The fraction starts at the shortfall's share of the long value plus a 1% margin and, where
 * the sales would still net less, grows by what they lack until they cover it: costs that are no fixed share of the
 * proceeds (per-share commission on a low price, a minimum commission) can take more than any fixed margin.
 */
function proRataSales(
  shortfall: DecT,
  positions: ReadonlyMap<string, Position>,
  markOf: (s: string) => DecT | undefined,
  cashCost: CashCost,
): { symbol: string; quantity: DecT }[] {
  let longValue = ZERO;
  const longs: { symbol: string; quantity: DecT; mark: DecT }[] = [];
  for (const p of [...positions.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1))) {
    const mark = markOf(p.symbol);
    if (!mark || !p.quantity.isPositive() || p.quantity.isZero()) continue;
    longs.push({ symbol: p.symbol, quantity: p.quantity, mark });
    longValue = longValue.plus(p.quantity.times(mark));
  }
  if (longValue.isZero() || !longValue.isPositive()) return [];
  const one = new Dec(1);
  const salesAt = (fraction: DecT): { symbol: string; quantity: DecT; mark: DecT }[] =>
    longs.map((l) => {
      const raw = l.quantity.times(fraction);
      const qty = Dec.min(l.quantity, l.quantity.isInteger() ? raw.ceil() : raw.toDecimalPlaces(8, Dec.ROUND_UP));
      return { symbol: l.symbol, quantity: qty, mark: l.mark };
    });
  // The margin alone covers the sales' costs under most cost models, so the loop below rarely runs.
  let fraction = Dec.min(one, shortfall.div(longValue).times('1.01'));
  let sales = salesAt(fraction);
  for (;;) {
    const net = sales.reduce((t, s) => (s.quantity.isZero() ? t : t.minus(cashCost(s.quantity.neg(), s.mark))), ZERO);
    if (net.gte(shortfall) || fraction.gte(one)) break;
    // Grow by the share of the long value still lacking; at least to the next unit of some position, so every step sells more.
    fraction = Dec.min(one, Dec.max(fraction.plus(shortfall.minus(net).div(longValue)), nextUnit(sales, longs)));
    sales = salesAt(fraction);
  }
  return sales.filter((s) => !s.quantity.isZero()).map((s) => ({ symbol: s.symbol, quantity: s.quantity.neg() }));
}

/** The least fraction at which some position's sale grows by one unit (0.00000001 for a fractional holding). */
function nextUnit(sales: readonly { quantity: DecT }[], longs: readonly { quantity: DecT }[]): DecT {
  let least = new Dec(1);
  longs.forEach((l, i) => {
    const sold = (sales[i] as { quantity: DecT }).quantity;
    if (sold.gte(l.quantity)) return;
    const step = l.quantity.isInteger() ? new Dec(1) : new Dec('0.00000001');
    least = Dec.min(least, sold.plus(step).div(l.quantity));
  });
  return least;
}
