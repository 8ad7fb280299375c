import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, ZERO, dec, decStr } from '../src/money/decimal.js';
import { InsufficientFundsError, LedgerError } from '../src/errors.js';
import { AVG_COST_DECIMALS, applyFill, applyTransfer, emptyLedger, evolveLedgerAll, evolveLedgerExact, ledgerValue, ledgerValueExact } from '../src/ledger/ledger.js';
import { exactMinus, exactPlus, exactTimes, roundedQuotient } from '../src/ledger/exactArithmetic.js';
import { exactOfDec, textOf } from '../src/money/exact.js';
import type { LedgerFill, LedgerState, Position } from '../src/ledger/types.js';

// The ledger folds in exact integers; this is the same fold step by step on Decimals (as the ledger was written before),
// the reference it must equal: the same state to the last digit, or the same error.

function referenceFill(state: LedgerState, fill: LedgerFill): LedgerState {
  if (typeof fill.symbol !== 'string' || fill.symbol.trim() === '') throw new LedgerError(`fill: symbol must be a non-empty string, got ${JSON.stringify(fill.symbol)}`);
  const where = `fill of ${fill.symbol}`;
  const quantity = dec(fill.quantity, `${where}: quantity`);
  const price = dec(fill.price, `${where}: price`);
  const commission = dec(fill.commission, `${where}: commission`);
  if (quantity.isZero()) throw new LedgerError(`${where}: quantity is 0; a fill buys (quantity > 0) or sells (quantity < 0)`);
  if (!price.isPositive() || price.isZero()) throw new LedgerError(`${where}: price ${decStr(price)} must be greater than 0`);
  if (commission.isNegative() && !commission.isZero()) throw new LedgerError(`${where}: commission ${decStr(commission)} must not be negative`);
  const symbol = fill.symbol;
  const before = state.positions.get(symbol);
  let position: Position | undefined;
  let realized = ZERO;
  if (before === undefined) {
    position = { symbol, quantity, avgCost: price, realizedPnl: ZERO };
  } else {
    const held = before.quantity;
    const after = exactPlus(held, quantity, `${where}: quantity`);
    if (held.isNegative() === quantity.isNegative()) {
      const cost = exactPlus(exactTimes(held, before.avgCost, where), exactTimes(quantity, price, where), `${where}: cost`);
      const avgCost = roundedQuotient(cost, after, AVG_COST_DECIMALS);
      realized = exactMinus(exactTimes(after, avgCost, where), cost, `${where}: average-cost rounding`);
      position = { symbol, quantity: after, avgCost, realizedPnl: exactPlus(before.realizedPnl, realized, `${where}: realised P&L`) };
    } else {
      const closed = Dec.min(quantity.abs(), held.abs());
      const perUnit = exactMinus(price, before.avgCost, `${where}: price − average cost`);
      const realizedAbs = exactTimes(closed, perUnit, `${where}: realised P&L`);
      realized = held.isNegative() ? realizedAbs.negated() : realizedAbs;
      if (after.isZero()) position = undefined;
      else if (after.isNegative() === held.isNegative()) position = { symbol, quantity: after, avgCost: before.avgCost, realizedPnl: exactPlus(before.realizedPnl, realized, `${where}: realised P&L`) };
      else position = { symbol, quantity: after, avgCost: price, realizedPnl: ZERO };
    }
  }
  const notional = exactTimes(quantity, price, `${where}: quantity × price`);
  const cash = exactMinus(exactMinus(state.cash, notional, `${where}: cash`), commission, `${where}: cash`);
  const positions = new Map(state.positions);
  if (position === undefined) positions.delete(symbol);
  else positions.set(symbol, position);
  const realizedPnl = realized.isZero() ? state.realizedPnl : exactPlus(state.realizedPnl, realized, `${where}: realised P&L`);
  const commissions = exactPlus(state.commissions, commission, `${where}: commissions`);
  return { ...state, cash, positions, realizedPnl, commissions };
}

function referenceTransfer(state: LedgerState, amount: Dec): LedgerState {
  const value = dec(amount, 'transfer: amount');
  if (value.isZero()) throw new LedgerError('transfer: amount is 0; move capital in (> 0) or out (< 0)');
  if (value.isPositive()) {
    return { ...state, cash: exactPlus(state.cash, value, 'transfer in: cash'), transferredIn: exactPlus(state.transferredIn, value, 'transfer in: total') };
  }
  const out = value.negated();
  if (out.greaterThan(state.cash)) {
    throw new InsufficientFundsError(`transfer out of ${decStr(out)} exceeds the ledger's cash of ${decStr(state.cash)}; at most ${decStr(Dec.max(state.cash, ZERO))} can be moved out`);
  }
  return { ...state, cash: exactMinus(state.cash, out, 'transfer out: cash'), transferredOut: exactPlus(state.transferredOut, out, 'transfer out: total') };
}

/** n / 10^places as canonical decimal text (built from integers). */
const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));

// Amounts from whole shares to 40 digits (beyond what Decimal holds exactly), so that both the integer path and the
// Decimal one it hands over to (refusals, 60-digit quotient truncation) are exercised.
const magnitude = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 6n }) },
  { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 16n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 40n }) },
);
const quantityArb = fc.tuple(magnitude, fc.integer({ min: 0, max: 8 }), fc.boolean()).map(([n, p, sell]) => text(sell ? -n : n, p));
const priceArb = fc.tuple(magnitude, fc.integer({ min: 0, max: 14 })).map(([n, p]) => text(n, p));
const commissionArb = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 10 })).map(([n, p]) => text(n, p));

// Adds of one to three units at prices of 11 to 13 places: averages that end exactly half-way at the 12th place.
const tieFillArb = fc
  .record({ symbol: fc.constant('AAA'), quantity: fc.integer({ min: 1, max: 3 }), price: fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 14n }), fc.integer({ min: 11, max: 13 })), commission: fc.constant('0') })
  .map((f) => ({ kind: 'fill' as const, fill: { symbol: f.symbol, quantity: dec(String(f.quantity)), price: dec(text(f.price[0], f.price[1])), commission: dec(f.commission) } }));

type Step = { readonly kind: 'fill'; readonly fill: LedgerFill } | { readonly kind: 'transfer'; readonly amount: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ symbol: fc.constantFrom('AAA', 'BBB'), quantity: quantityArb, price: priceArb, commission: commissionArb }).map((f) => ({ kind: 'fill' as const, fill: { symbol: f.symbol, quantity: dec(f.quantity), price: dec(f.price), commission: dec(f.commission) } })) },
  { weight: 1, arbitrary: fc.tuple(magnitude, fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([n, p, out]) => ({ kind: 'transfer' as const, amount: text(out ? -n : n, p) })) },
  { weight: 2, arbitrary: tieFillArb },
);

const stateText = (s: LedgerState): unknown => ({
  cash: decStr(s.cash),
  realizedPnl: decStr(s.realizedPnl),
  commissions: decStr(s.commissions),
  transferredIn: decStr(s.transferredIn),
  transferredOut: decStr(s.transferredOut),
  positions: [...s.positions.values()].map((p) => [p.symbol, decStr(p.quantity), decStr(p.avgCost), decStr(p.realizedPnl)]),
});

const outcome = (f: () => LedgerState): { state: LedgerState } | { error: string } => {
  try {
    return { state: f() };
  } catch (e) {
    return { error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
  }
};

describe('the ledger in exact integers equals the same fold on Decimals', () => {
  it('gives the same state after every fill and transfer, or the same error, on the engine path and the public one', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 30 }), (steps) => {
        let reference: LedgerState = emptyLedger();
        let engine: LedgerState = emptyLedger();
        let plain: LedgerState = emptyLedger();
        for (const step of steps) {
          const want = outcome(() => (step.kind === 'fill' ? referenceFill(reference, step.fill) : referenceTransfer(reference, dec(step.amount))));
          // The engine folds fills as recorded (decimal strings) and keeps the state exact; the public fold returns Decimals.
          const recorded = step.kind === 'fill' ? { kind: 'fill' as const, fill: { symbol: step.fill.symbol, quantity: decStr(step.fill.quantity as Dec), price: decStr(step.fill.price as Dec), commission: decStr(step.fill.commission as Dec) } } : { kind: 'transfer' as const, amount: dec(step.amount) };
          const gotEngine = outcome(() => evolveLedgerExact(engine, [recorded]));
          const gotPlain = outcome(() => (step.kind === 'fill' ? applyFill(plain, step.fill) : applyTransfer(plain, dec(step.amount))));
          if ('error' in want) {
            expect(gotEngine).toEqual(want);
            expect(gotPlain).toEqual(want);
            return;
          }
          if (!('state' in gotEngine) || !('state' in gotPlain)) throw new Error(`refused what Decimals accept: ${JSON.stringify([gotEngine, gotPlain])}`);
          expect(stateText(gotEngine.state)).toEqual(stateText(want.state));
          expect(stateText(gotPlain.state)).toEqual(stateText(want.state));
          reference = want.state;
          engine = gotEngine.state;
          plain = gotPlain.state;
          // Valued at the same marks: the integer valuation gives the Decimal one, or hands over to it (null).
          const marks = new Map([['AAA', dec('101.37')], ['BBB', dec('0.0001')]]);
          const exactValue = ledgerValueExact(engine, (s) => { const m = marks.get(s); return m === undefined ? undefined : exactOfDec(m); });
          let decimalValue: string;
          try {
            decimalValue = decStr(ledgerValue(reference, (s) => marks.get(s)));
          } catch {
            expect(exactValue).toBeNull();
            continue;
          }
          if (exactValue !== null) expect(textOf(exactValue)).toBe(decimalValue);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a batch folds to the same state as its events one by one', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 20 }), (steps) => {
        const events = steps.map((s) => (s.kind === 'fill' ? s : { kind: 'transfer' as const, amount: dec(s.amount) }));
        const batch = outcome(() => evolveLedgerAll(emptyLedger(), events));
        const oneByOne = outcome(() => events.reduce((s, e) => evolveLedgerAll(s, [e]), emptyLedger()));
        if ('state' in batch && 'state' in oneByOne) expect(stateText(batch.state)).toEqual(stateText(oneByOne.state));
        else expect(batch).toEqual(oneByOne);
      }),
      { numRuns: 200 },
    );
  });
});

describe('valuation in exact integers', () => {
  it('equals cash + Σ quantity × mark on Decimals, also around the safe-integer range and beyond 34 digits', () => {
    // Quantities and marks near 2^53 ≈ 9.007e15 in units, and far beyond.
    const near = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 5n }), fc.bigInt({ min: 2n ** 50n, max: 2n ** 54n }), fc.bigInt({ min: 1n, max: 10n ** 20n }));
    const signedText = (places: number) => fc.tuple(near, fc.integer({ min: 0, max: places }), fc.boolean()).map(([n, p, neg]) => text(neg ? -n : n, p));
    fc.assert(
      fc.property(fc.array(fc.tuple(signedText(4), fc.tuple(near, fc.integer({ min: 0, max: 18 })).map(([n, p]) => text(n, p))), { minLength: 1, maxLength: 8 }), signedText(8), (held, cash) => {
        const symbols = held.map((_, i) => `S${i}`);
        const fills = held.map(([q], i) => ({ kind: 'fill' as const, fill: { symbol: symbols[i] as string, quantity: q, price: '1', commission: '0' } }));
        let state: LedgerState;
        try {
          state = evolveLedgerExact(emptyLedger(), [{ kind: 'transfer', amount: dec(cash).abs() }, ...fills]);
        } catch {
          return; // amounts the ledger refuses
        }
        const marks = new Map(held.map(([, m], i) => [symbols[i] as string, dec(m)]));
        const exact = ledgerValueExact(state, (s) => exactOfDec(marks.get(s) as Dec));
        let want: string | null;
        try {
          want = decStr(ledgerValue(state, (s) => marks.get(s)));
        } catch {
          want = null;
        }
        if (want === null) expect(exact).toBeNull();
        else if (exact !== null) expect(textOf(exact)).toBe(want);
      }),
      { numRuns: 1000 },
    );
    // 321 × 28059810762433 = 2^53 + 1, which a double rounds to 2^53; the short position brings the sum back into range.
    const state = evolveLedgerExact(emptyLedger(), [
      { kind: 'transfer', amount: dec('1') },
      { kind: 'fill', fill: { symbol: 'A', quantity: '-9007199254740982', price: '1', commission: '0' } },
      { kind: 'fill', fill: { symbol: 'B', quantity: '321', price: '1', commission: '0' } },
    ]);
    const marks = new Map([['A', dec('1')], ['B', dec('28059810762433')]]);
    const value = ledgerValueExact(state, (s) => exactOfDec(marks.get(s) as Dec));
    expect(value === null ? null : textOf(value)).toBe(decStr(ledgerValue(state, (s) => marks.get(s))));
  });
});
