// The safe-integer valuation fast path: whenever it answers, it is exactly cash + Σ quantity × mark; otherwise it declines.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec } from '../src/money/decimal.js';
import { safeIntegerValue } from '../src/ledger/safeIntegerValue.js';
import { ledgerValue } from '../src/ledger/index.js';
import type { LedgerState, Position } from '../src/ledger/types.js';

/** n / 10^places, built from integers. */
const scaled = (n: bigint, places: number): Dec => new Dec(n.toString()).div(new Dec(10).pow(places));

// Mantissas up to 10^17 and up to 12 places: some fit in safe integers, some do not, so both branches are exercised.
const amountArb = fc.tuple(fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }), fc.integer({ min: 0, max: 12 })).map(([n, p]) => scaled(n, p));
const smallArb = fc.tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 8 })).map(([n, p]) => scaled(BigInt(n), p));
const mixedArb = fc.oneof(smallArb, amountArb);

function ledger(cash: Dec, positions: readonly [string, Dec][]): LedgerState {
  const map = new Map<string, Position>();
  for (const [symbol, quantity] of positions) if (!quantity.isZero()) map.set(symbol, { symbol, quantity, avgCost: new Dec(1), realizedPnl: new Dec(0) });
  return { cash, positions: map, realizedPnl: new Dec(0), commissions: new Dec(0), transferredIn: new Dec(0), transferredOut: new Dec(0) };
}

/** The exact value computed independently in BigInt at 40 decimal places. */
function exactText(state: LedgerState, marks: Record<string, Dec>): string {
  const big = (d: Dec): bigint => BigInt(d.times(new Dec(10).pow(20)).toFixed(0));
  let total = big(state.cash) * 10n ** 20n;
  for (const p of state.positions.values()) total += big(p.quantity) * big(marks[p.symbol] as Dec);
  return new Dec(total.toString()).div(new Dec(10).pow(40)).toString();
}

describe('safe-integer ledger valuation', () => {
  const cases = (arb: fc.Arbitrary<Dec>) =>
    fc.record({ cash: arb, a: arb, b: arb, c: arb, ma: arb.map((d) => d.abs().plus('0.01')), mb: arb.map((d) => d.abs().plus('0.01')), mc: arb.map((d) => d.abs().plus('0.01')) });

  it('is exact whenever it answers, and declines (null) only when an amount leaves the safe range', () => {
    let answered = 0;
    let declined = 0;
    fc.assert(
      // Half the ledgers hold only small amounts (mostly answered), half mix in large ones (mostly declined).
      fc.property(fc.oneof(cases(smallArb), cases(mixedArb)), ({ cash, a, b, c, ma, mb, mc }) => {
        const state = ledger(cash, [['A', a], ['B', b], ['C', c]]);
        const marks: Record<string, Dec> = { A: ma, B: mb, C: mc };
        const fast = safeIntegerValue(state, (s) => marks[s]);
        if (fast === null) declined += 1;
        else {
          answered += 1;
          expect(fast.toString()).toBe(exactText(state, marks));
        }
      }),
      { numRuns: 400 },
    );
    expect(answered).toBeGreaterThan(0);
    expect(declined).toBeGreaterThan(0);
  });

  it('answers for everyday amounts (cash to 8 places, whole shares, prices in cents; value under 9 × 10^7 at 8 places) with the value ledgerValue reports', () => {
    const cashArb = fc.integer({ min: -1_000_000_000_000_000, max: 1_000_000_000_000_000 }).map((n) => scaled(BigInt(n), 8));
    const sharesArb = fc.integer({ min: -1_000, max: 1_000 }).map((n) => new Dec(n));
    const priceArb = fc.integer({ min: 1, max: 100_000 }).map((n) => scaled(BigInt(n), 2));
    fc.assert(
      fc.property(cashArb, fc.array(fc.tuple(sharesArb, priceArb), { minLength: 1, maxLength: 8 }), (cash, held) => {
        const state = ledger(cash, held.map(([q], i) => [`S${i}`, q]));
        const marks: Record<string, Dec> = Object.fromEntries(held.map(([, m], i) => [`S${i}`, m]));
        const fast = safeIntegerValue(state, (s) => marks[s]);
        expect(fast).not.toBeNull();
        expect(fast?.toString()).toBe(exactText(state, marks));
        expect(ledgerValue(state, (s) => marks[s]).toString()).toBe(exactText(state, marks));
      }),
      { numRuns: 300 },
    );
  });

  it('declines for a held symbol without a mark, so ledgerValue reports the missing mark', () => {
    const state = ledger(new Dec('100'), [['A', new Dec(3)]]);
    expect(safeIntegerValue(state, () => undefined)).toBeNull();
    expect(() => ledgerValue(state, () => undefined)).toThrow(/no mark .* held symbol A/);
  });
});
