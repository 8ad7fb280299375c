import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, ZERO, dec } from '../src/money/decimal.js';
import { ConfigError, InvalidNumberError, LedgerError } from '../src/errors.js';
import { eventDataSchemas } from '../events/catalogue.js';
import {
  commissionFor,
  executeNettedSymbol,
  executeOrders,
  netOrders,
  toFillRecordedData,
  toOrdersNettedData,
} from '../src/execution/index.js';
import type { AcceptedOrder, CommissionModel, ExecutionSettings } from '../src/execution/index.js';
import { applyFill, emptyLedger } from '../src/ledger/index.js';
import { executeOrdersExact } from '../src/execution/exactExecution.js';

const order = (orderId: string, strategyId: string, symbol: string, quantity: string): AcceptedOrder => ({
  orderId,
  strategyId,
  symbol,
  quantity: dec(quantity),
});

const perShareMin1: ExecutionSettings = {
  commission: { kind: 'per-share', perShare: '0.01', minimum: '1' },
  slippageBps: dec('10'),
};

const str = (d: Dec | undefined): string | undefined => d?.toString();

describe('netOrders', () => {
  it('nets per symbol in ascending symbol order, orders by id, strategies sorted and unique', () => {
    const netted = netOrders([
      order('o3', 'B', 'ZZZ', '5'),
      order('o2', 'B', 'AAA', '-50'),
      order('o1', 'A', 'AAA', '100'),
      order('o4', 'A', 'AAA', '-20.5'),
    ]);
    expect(netted.map((n) => n.symbol)).toEqual(['AAA', 'ZZZ']);
    const aaa = netted[0];
    expect(str(aaa?.grossLong)).toBe('100');
    expect(str(aaa?.grossShort)).toBe('70.5');
    expect(str(aaa?.net)).toBe('29.5');
    expect(aaa?.strategies).toEqual(['A', 'B']);
    expect(aaa?.orders.map((o) => o.orderId)).toEqual(['o1', 'o2', 'o4']);
  });

  it('does not depend on the order the orders arrive in', () => {
    const orders = [order('a', 'S1', 'X', '1'), order('b', 'S2', 'Y', '-2'), order('c', 'S3', 'X', '-3')];
    const forward = netOrders(orders);
    const backward = netOrders([...orders].reverse());
    const flat = (n: typeof forward): unknown =>
      n.map((s) => [s.symbol, s.net.toString(), s.strategies, s.orders.map((o) => o.orderId)]);
    expect(flat(backward)).toEqual(flat(forward));
  });

  it('rejects a duplicate order id, a zero or non-finite quantity, and an empty symbol', () => {
    expect(() => netOrders([order('o1', 'A', 'X', '1'), order('o1', 'B', 'X', '2')])).toThrow(/order "o1" appears twice/);
    expect(() => netOrders([order('o1', 'A', 'X', '0')])).toThrow(LedgerError);
    expect(() => netOrders([{ orderId: 'o1', strategyId: 'A', symbol: 'X', quantity: new Dec(NaN) }])).toThrow(InvalidNumberError);
    expect(() => netOrders([order('o1', 'A', '', '1')])).toThrow(/needs a symbol/);
    expect(() => netOrders([order('', 'A', 'X', '1')])).toThrow(/empty order id/);
  });
});

describe('executeNettedSymbol', () => {
  it('A +100, B −50: each gets its whole order at one price, only the net 50 pays commission, the saving is recorded', () => {
    const [netted] = netOrders([order('oA', 'A', 'XYZ', '100'), order('oB', 'B', 'XYZ', '-50')]);
    if (netted === undefined) throw new Error('no netted symbol');
    const { fills, summary } = executeNettedSymbol(netted, dec('10'), perShareMin1);
    // Net +50 buys at 10 × 1.001 = 10.01; commission max(50 × 0.01, 1) = 1.
    expect(fills.map((f) => [f.orderId, f.quantity.toString(), f.price.toString()])).toEqual([
      ['oA', '100', '10.01'],
      ['oB', '-50', '10.01'],
    ]);
    // 1 × 100/150 = 0.666666666…, 1 × 50/150 = 0.333333333…: truncated to 8 places, the spare 0.00000001 goes to the larger remainder (A).
    expect(fills.map((f) => f.commission.toString())).toEqual(['0.66666667', '0.33333333']);
    // A paid 100 × 0.01 slippage; B sold above the reference (it gained), so it records none.
    expect(fills.map((f) => f.slippage.toString())).toEqual(['1', '0']);
    expect(str(summary.net)).toBe('50');
    expect(str(summary.commission)).toBe('1');
    expect(str(summary.slippage)).toBe('0.5');
    // Alone: A pays max(1, 1) = 1, B pays max(0.5, 1) = 1 → 2; saved 2 − 1.
    expect(str(summary.commissionSaved)).toBe('1');
    expect(str(summary.grossValue)).toBe('1501.5');
    expect(str(summary.netValue)).toBe('500.5');
  });

  it('a fully netted symbol trades nothing outside: reference price, no commission, no slippage', () => {
    const [netted] = netOrders([order('o1', 'A', 'XYZ', '30'), order('o2', 'B', 'XYZ', '-30')]);
    if (netted === undefined) throw new Error('no netted symbol');
    const { fills, summary } = executeNettedSymbol(netted, dec('10'), perShareMin1);
    expect(fills.every((f) => f.price.eq(10) && f.commission.isZero() && f.slippage.isZero())).toBe(true);
    expect(str(summary.netValue)).toBe('0');
    expect(str(summary.commission)).toBe('0');
    expect(str(summary.commissionSaved)).toBe('2'); // two minimums avoided
    expect(str(summary.grossValue)).toBe('600');
  });

  it('breaks equal remainders by order id', () => {
    const orders = [order('o2', 'B', 'X', '10'), order('o1', 'A', 'X', '10'), order('o3', 'C', 'X', '10')];
    const [netted] = netOrders(orders);
    if (netted === undefined) throw new Error('no netted symbol');
    const { fills } = executeNettedSymbol(netted, dec('10'), { commission: { kind: 'per-share', perShare: '0', minimum: '1' }, slippageBps: ZERO });
    expect(fills.map((f) => [f.orderId, f.commission.toString()])).toEqual([
      ['o1', '0.33333334'],
      ['o2', '0.33333333'],
      ['o3', '0.33333333'],
    ]);
  });

  it('shares a net commission finer than 8 places at its own precision, still exactly', () => {
    const [netted] = netOrders([order('o1', 'A', 'X', '2'), order('o2', 'B', 'X', '1')]);
    if (netted === undefined) throw new Error('no netted symbol');
    const model: CommissionModel = { kind: 'percent', rate: '0.0000001', minimum: '0' };
    const { fills, summary } = executeNettedSymbol(netted, dec('1.23'), { commission: model, slippageBps: ZERO });
    expect(str(summary.commission)).toBe('0.000000369'); // 3 × 1.23 × 1e-7
    expect(fills.map((f) => f.commission.toString())).toEqual(['0.000000246', '0.000000123']);
  });

  it('shares a commission whose product with a quantity exceeds 34 digits: only the shares are kept, and they fit', () => {
    // 18,562,485,829 shares at 0.123456789 with 3.7 bps: the commission has 26 digits, commission × quantity 35; the
    // product is a step of the division, never stored, and the shares (21 places) fit.
    const [netted] = netOrders([order('o1', 'A', 'X', '18562485828'), order('o2', 'B', 'X', '1')]);
    if (netted === undefined) throw new Error('no netted symbol');
    const settings: ExecutionSettings = { commission: { kind: 'percent', rate: '0.0000123', minimum: '0' }, slippageBps: dec('3.7') };
    const { fills, summary } = executeNettedSymbol(netted, dec('0.123456789'), settings);
    expect(str(summary.commission)).toBe('28197.907591511110063661631');
    expect(fills.map((f) => f.commission.toString())).toEqual(['28197.907589992029707114892', '0.000001519080356546739']);
    expect(fills.reduce((s, f) => s.plus(f.commission), ZERO).eq(summary.commission)).toBe(true);
    const exact = executeOrdersExact(netted.orders, () => dec('0.123456789'), settings);
    expect(exact?.fills.map((f) => f.commission)).toEqual(fills.map((f) => f.commission.toString()));
  });

  it('uses the percent model on the net order at the slipped price', () => {
    const [netted] = netOrders([order('o1', 'A', 'X', '-200'), order('o2', 'B', 'X', '50')]);
    if (netted === undefined) throw new Error('no netted symbol');
    const settings: ExecutionSettings = { commission: { kind: 'percent', rate: '0.001', minimum: '0' }, slippageBps: dec('50') };
    const { fills, summary } = executeNettedSymbol(netted, dec('20'), settings);
    // Net −150 sells at 20 × 0.995 = 19.9; commission 150 × 19.9 × 0.001 = 2.985, shared 200 : 50.
    expect(str(summary.price)).toBe('19.9');
    expect(str(summary.commission)).toBe('2.985');
    expect(fills.map((f) => f.commission.toString())).toEqual(['2.388', '0.597']);
    expect(fills.map((f) => f.slippage.toString())).toEqual(['20', '0']); // 200 × 0.1 on the net (sell) side
    // Alone: A sells 200 at 19.9 → 3.98; B buys 50 at 20.1 → 1.005; saved 4.985 − 2.985.
    expect(str(summary.commissionSaved)).toBe('2');
  });

  it('rejects a bad commissionDecimals setting and a bad slippage setting', () => {
    const [netted] = netOrders([order('o1', 'A', 'X', '1')]);
    if (netted === undefined) throw new Error('no netted symbol');
    expect(() => executeNettedSymbol(netted, dec('1'), { ...perShareMin1, commissionDecimals: -1 })).toThrow(/commissionDecimals -1/);
    expect(() => executeNettedSymbol(netted, dec('1'), { ...perShareMin1, slippageBps: dec('-5') })).toThrow(ConfigError);
  });
});

describe('executeOrders', () => {
  it('executes every symbol at its reference price and serialises to valid OrdersNetted and FillRecorded payloads', () => {
    const refs: Record<string, Dec> = { AAA: dec('10'), BBB: dec('20') };
    const result = executeOrders(
      [order('o1', 'A', 'BBB', '-5'), order('o2', 'A', 'AAA', '100'), order('o3', 'B', 'AAA', '-50')],
      (s) => refs[s],
      perShareMin1,
    );
    expect(result.fills.map((f) => f.orderId)).toEqual(['o2', 'o3', 'o1']);
    const data = toOrdersNettedData(result.symbols);
    expect(eventDataSchemas.OrdersNetted.parse(data)).toEqual(data);
    // AAA: gross 150 × 10.01 = 1501.5; BBB: 5 × 19.98 = 99.9.
    expect(data.grossTradedValue).toBe('1601.4');
    expect(data.netTradedValue).toBe('600.4'); // 500.5 + 99.9
    expect(data.commissionSaved).toBe('1'); // AAA saves 1, BBB (alone) saves 0
    for (const f of result.fills) expect(eventDataSchemas.FillRecorded.parse(toFillRecordedData(f))).toEqual(toFillRecordedData(f));
  });

  it('names a symbol without a reference price', () => {
    expect(() => executeOrders([order('o1', 'A', 'QQQ', '1')], () => undefined, perShareMin1)).toThrow(/no reference price for QQQ/);
  });
});

describe('fill allocation properties', () => {
  const orderArb = fc.record({
    strategy: fc.constantFrom('S1', 'S2', 'S3', 'S4'),
    n: fc.integer({ min: 1, max: 5_000_000 }),
    places: fc.integer({ min: 0, max: 3 }),
    sell: fc.boolean(),
  });
  const modelArb: fc.Arbitrary<CommissionModel> = fc.oneof(
    fc.constant<CommissionModel>({ kind: 'none' }),
    fc.record({ kind: fc.constant('per-share' as const), perShare: fc.constantFrom('0.005', '0.01', '0.0035'), minimum: fc.constantFrom('0', '1', '0.35') }),
    fc.record({ kind: fc.constant('percent' as const), rate: fc.constantFrom('0.001', '0.00025', '0.0001'), minimum: fc.constantFrom('0', '1', '2.5') }),
  );

  it('every order fills in full at one price; quantities sum to the net; commission shares sum exactly to the net commission', () => {
    fc.assert(
      fc.property(
        fc.array(orderArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        modelArb,
        (raw, refCents, bps, model) => {
          const orders = raw.map((r, i) => {
            const q = new Dec(r.sell ? -r.n : r.n).div(new Dec(10).pow(r.places));
            return { orderId: `o${i}`, strategyId: r.strategy, symbol: 'X', quantity: q };
          });
          const reference = new Dec(refCents).div(100);
          const settings: ExecutionSettings = { commission: model, slippageBps: new Dec(bps) };
          const { fills, symbols } = executeOrders(orders, () => reference, settings);
          const summary = symbols[0];
          if (summary === undefined) throw new Error('no summary');
          const net = orders.reduce((s, o) => s.plus(o.quantity), ZERO);
          expect(summary.net.eq(net)).toBe(true);
          expect(fills.reduce((s, f) => s.plus(f.quantity), ZERO).eq(net)).toBe(true);
          for (const o of orders) expect(fills.find((f) => f.orderId === o.orderId)?.quantity.eq(o.quantity)).toBe(true);
          expect(new Set(fills.map((f) => f.price.toString())).size).toBe(1);
          const expectedCommission = net.isZero() ? ZERO : commissionFor(model, net, summary.price);
          expect(summary.commission.eq(expectedCommission)).toBe(true);
          const shares = fills.reduce((s, f) => s.plus(f.commission), ZERO);
          expect(shares.eq(summary.commission), `${shares.toString()} ≠ ${summary.commission.toString()}`).toBe(true);
          const gross = orders.reduce((s, o) => s.plus(o.quantity.abs()), ZERO);
          const unit = new Dec(`1e-${Math.max(8, summary.commission.decimalPlaces())}`);
          for (const f of fills) {
            expect(f.commission.isNegative() && !f.commission.isZero()).toBe(false);
            // Each share is within one rounding unit of its exact pro-rata share.
            const exact = summary.commission.times(f.quantity.abs()).div(gross);
            expect(f.commission.minus(exact).abs().lt(unit)).toBe(true);
          }
          expect(summary.commissionSaved.isNegative() && !summary.commissionSaved.isZero()).toBe(false);
          // Booked into per-strategy ledgers, the portfolio's cash moves exactly as the one external trade.
          let cashMoved = ZERO;
          for (const f of fills) cashMoved = cashMoved.plus(applyFill(emptyLedger(), f).cash);
          expect(cashMoved.eq(net.times(summary.price).plus(summary.commission).negated())).toBe(true);
        },
      ),
    );
  });
});
