import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, decStr } from '../src/money/decimal.js';
import { applyOrderLimits, applyOrderLimitsExact, type RequestedOrder } from '../src/portfolio/orderLimits.js';
import { estimateCashCost } from '../src/portfolio/sliceExecution.js';
import { cashCostExact, exactCostModel } from '../src/execution/exactExecution.js';
import { exactOfDec, type Exact } from '../src/money/exact.js';
import type { CommissionModel } from '../src/execution/index.js';
import type { Position } from '../src/ledger/types.js';

// The limits in exact integers must decide what the Decimal limits decide (quantities, notes, reasons), or hand over.

const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));
// Mostly everyday amounts, some beyond 34 digits (orders stay below 10^20, where the two searches can agree to the unit).
const amount = (maxPlaces: number, maxDigits = 36) =>
  fc.tuple(fc.oneof({ weight: 20, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 7n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** BigInt(maxDigits) }) }), fc.integer({ min: 0, max: maxPlaces }));
const signed = (maxPlaces: number, maxDigits = 36) => fc.tuple(amount(maxPlaces, maxDigits), fc.boolean()).map(([[n, p], neg]) => new Dec(text(neg ? -n : n, p)));
const positive = (maxPlaces: number) => amount(maxPlaces).map(([n, p]) => new Dec(text(n + 1n, p)));
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'] as const;
const modelArb: fc.Arbitrary<CommissionModel> = fc.oneof(
  fc.constant<CommissionModel>({ kind: 'none' }),
  fc.constantFrom<CommissionModel>({ kind: 'per-share', perShare: '0.005', minimum: '1' }, { kind: 'percent', rate: '0.001', minimum: '2.5' }),
);

const show = (decisions: ReturnType<typeof applyOrderLimits>): unknown =>
  decisions.map((d) => (d.kind === 'accepted' ? [d.kind, d.symbol, decStr(d.quantity), d.requested && decStr(d.requested), d.note] : [d.kind, d.symbol, decStr(d.quantity), d.reason]));

describe('order limits in exact integers', () => {
  it('accept, scale down and reject as the Decimal limits do, or hand over to them', () => {
    let exactRuns = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), quantity: signed(9, 20) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), quantity: signed(4) }), { maxLength: 4 }),
        fc.record({ AAA: positive(4), BBB: positive(4), CCC: positive(4), DDD: positive(4) }),
        fc.record({ cash: signed(8), reserved: signed(2), value: positive(6), buffer: fc.constantFrom('1', '1.05', '1.5') }),
        fc.constantFrom('0', '2', '12.5'),
        modelArb,
        fc.constantFrom<readonly string[]>(['AAA', 'BBB', 'CCC'], ['AAA', 'DDD'], SYMBOLS),
        fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), quantity: signed(4) }), { maxLength: 3 }),
        (requested, holdings, marks, money, bps, model, traded, waiting) => {
          const orders: RequestedOrder[] = [...new Map(requested.filter((o) => !o.quantity.isZero()).map((o) => [o.symbol, o])).values()];
          const positions = new Map<string, Position>();
          for (const h of holdings) if (!h.quantity.isZero()) positions.set(h.symbol, { symbol: h.symbol, quantity: h.quantity, avgCost: new Dec(1), realizedPnl: new Dec(0) });
          const markOf = (s: string): Dec | undefined => marks[s as keyof typeof marks];
          const priceOf = (s: string): Dec | undefined => (traded.includes(s) ? markOf(s) : undefined);
          const execution = { fillAt: 'close' as const, commission: model, slippageBps: bps };
          const maxExposure = money.value.times(money.buffer);
          let want: unknown;
          try {
            want = show(applyOrderLimits(orders, { cash: money.cash, reservedCash: money.reserved, positions, waiting, value: money.value, maxExposure, priceOf, markOf, cashCost: (q, p) => estimateCashCost(execution, q, p) }));
          } catch (e) {
            want = String(e);
          }
          const costs = exactCostModel(model, new Dec(bps));
          if (costs === null) throw new Error('valid settings');
          const exactOf = (d: Dec | undefined): Exact | undefined => (d === undefined ? undefined : exactOfDec(d));
          const got = applyOrderLimitsExact(orders, {
            cash: exactOfDec(money.cash),
            reservedCash: exactOfDec(money.reserved),
            held: new Map([...positions].map(([s, p]) => [s, exactOfDec(p.quantity)])),
            waiting,
            maxExposure: exactOfDec(maxExposure),
            priceOf: (s) => exactOf(priceOf(s)),
            markOf: (s) => exactOf(markOf(s)),
            cashCost: (q, p) => cashCostExact(costs, q, p),
          });
          if (got === null) return;
          exactRuns += 1;
          expect(show(got)).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
    expect(exactRuns).toBeGreaterThan(250);
  });
});

describe('order limits on quantities beyond 34 digits', () => {
  it('end, and scale an order down to a quantity that fits', () => {
    const huge = new Dec('1e40');
    const [decision] = applyOrderLimits([{ symbol: 'AAA', quantity: huge }], {
      cash: new Dec('1e39'),
      reservedCash: new Dec(0),
      positions: new Map(),
      value: new Dec('1e39'),
      maxExposure: new Dec('1e40'),
      priceOf: () => new Dec(3),
      markOf: () => new Dec(3),
      cashCost: (q, p) => q.times(p),
    });
    expect(decision?.kind).toBe('accepted');
    const quantity = decision?.quantity ?? new Dec(0);
    expect(quantity.gt(0)).toBe(true);
    // It fits the cash (3 × q ≤ 1e39) and is within a rounding step of the largest that does.
    expect(quantity.times(3).lte(new Dec('1e39'))).toBe(true);
    expect(quantity.times(3).gt(new Dec('0.99e39'))).toBe(true);
  });
});
