import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, decStr } from '../src/money/decimal.js';
import { executeOrders, toFillRecordedData, toOrdersNettedData, type AcceptedOrder, type CommissionModel, type ExecutionSettings } from '../src/execution/index.js';
import { cashCostExact, executeOrdersExact, exactCostModel, ordersNettedDataExact } from '../src/execution/exactExecution.js';
import { estimateCashCost } from '../src/portfolio/sliceExecution.js';
import { exactOfDec, textOf } from '../src/money/exact.js';

// Execution in exact integers must write what the Decimal path writes, to the byte, or hand over to it (null) — always
// where the Decimal path throws.

const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));
const magnitude = fc.oneof(
  { weight: 40, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 6n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 18n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 36n }) },
);
const orderArb = fc.record({
  symbol: fc.constantFrom('AAA', 'BBB', 'CCC'),
  strategy: fc.constantFrom('s1', 's2', 's3', 's4'),
  quantity: fc.tuple(magnitude, fc.integer({ min: 0, max: 9 }), fc.boolean()).map(([n, p, sell]) => text(sell ? -n : n, p)),
});
const fee = fc.oneof(fc.constantFrom('0', '0.005', '0.01', '1', '0.35', '2.5'), fc.tuple(magnitude, fc.integer({ min: 0, max: 12 })).map(([n, p]) => text(n, p)));
const modelArb: fc.Arbitrary<CommissionModel> = fc.oneof(
  fc.constant<CommissionModel>({ kind: 'none' }),
  fc.record({ kind: fc.constant('per-share' as const), perShare: fee, minimum: fee }),
  fc.record({ kind: fc.constant('percent' as const), rate: fee, minimum: fee }),
);
const priceArb = fc.tuple(magnitude, fc.integer({ min: 0, max: 6 })).map(([n, p]) => new Dec(text(n, p)));
const bpsArb = fc.oneof(fc.constantFrom('0', '2', '10', '12.5'), fc.tuple(fc.bigInt({ min: 0n, max: 99_999_999n }), fc.integer({ min: 4, max: 12 })).map(([n, p]) => text(n, p)));

function decimalPath(orders: AcceptedOrder[], prices: Record<string, Dec>, settings: ExecutionSettings): unknown {
  try {
    const result = executeOrders(orders, (s) => prices[s], settings);
    return { fills: result.fills.map(toFillRecordedData), netted: toOrdersNettedData(result.symbols) };
  } catch (e) {
    return { error: String(e) };
  }
}

describe('execution in exact integers', () => {
  it('writes the fills and the netting of the Decimal path, or hands over to it (always where it throws)', () => {
    let exactRuns = 0;
    fc.assert(
      fc.property(
        fc.array(orderArb, { minLength: 1, maxLength: 14 }),
        fc.record({ AAA: priceArb, BBB: priceArb, CCC: priceArb }),
        modelArb,
        bpsArb,
        fc.option(fc.integer({ min: 0, max: 12 })),
        (raw, prices, model, bps, decimals) => {
          const orders: AcceptedOrder[] = raw.map((o, i) => ({ orderId: `o${(i * 7) % raw.length}-${i}`, strategyId: o.strategy, symbol: o.symbol, quantity: new Dec(o.quantity) }));
          const settings: ExecutionSettings = { commission: model, slippageBps: new Dec(bps), ...(decimals === null ? {} : { commissionDecimals: decimals }) };
          const want = decimalPath(orders, prices, settings);
          const exact = executeOrdersExact(orders, (s) => prices[s as keyof typeof prices], settings);
          const netted = exact === null ? null : ordersNettedDataExact(exact.symbols);
          if (exact === null || netted === null) return;
          exactRuns += 1;
          expect({ fills: exact.fills, netted }).toEqual(want);
        },
      ),
      { numRuns: 600 },
    );
    // Most generated slices stay in integers: the comparison above is not vacuous.
    expect(exactRuns).toBeGreaterThan(200);
  });

  it('costs an order as estimateCashCost does, or hands over', () => {
    fc.assert(
      fc.property(orderArb, priceArb, modelArb, bpsArb, (o, price, model, bps) => {
        const execution = { fillAt: 'close' as const, commission: model, slippageBps: bps };
        let want: string;
        try {
          want = decStr(estimateCashCost(execution, new Dec(o.quantity), price));
        } catch {
          want = 'error';
        }
        const costs = exactCostModel(model, new Dec(bps));
        const got = costs === null ? null : cashCostExact(costs, exactOfDec(new Dec(o.quantity)), exactOfDec(price));
        if (got !== null) expect(textOf(got)).toBe(want);
      }),
      { numRuns: 600 },
    );
  });
});
