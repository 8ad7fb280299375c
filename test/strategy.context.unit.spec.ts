import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidNumberError, LedgerError } from '../src/errors.js';
import { applyFill, applyTransfer, createLedgerView, emptyLedger } from '../src/ledger/ledger.js';
import type { LedgerState } from '../src/ledger/types.js';
import { Dec, ONE, ZERO, dec, decStr } from '../src/money/decimal.js';
import { MissingPriceError, OrderError } from '../src/strategy/orderErrors.js';
import { RollingPriceHistory } from '../src/strategy/priceHistory.js';
import type { OrderIntent } from '../src/strategy/strategy.js';
import { createStrategyContext, type OrderSizing } from '../src/strategy/strategyContext.js';
import { sliceOf } from './fixtures/strategies/simulateBars.js';

/** Cash 10000 in, bought 10 AAA at 100 (cash 9000); AAA now closes at 120 and BBB at 30: value 9000 + 1200 = 10200. */
function setup(sizing?: OrderSizing, state?: LedgerState) {
  const history = new RollingPriceHistory(4);
  history.push(sliceOf(0, { AAA: '100', BBB: '30' }));
  history.push(sliceOf(1, { AAA: '120', BBB: '30' }));
  const ledger =
    state ?? applyFill(applyTransfer(emptyLedger(), dec('10000')), { symbol: 'AAA', quantity: dec('10'), price: dec('100'), commission: ZERO });
  const view = createLedgerView(ledger, (s) => history.lastClose(s));
  return createStrategyContext({ strategyId: 'alpha', params: { p: 1 }, time: sliceOf(1, {}).time, barIndex: 1, ledger: view, history, ...(sizing ? { sizing } : {}) });
}

const asText = (intents: readonly OrderIntent[]): Record<string, string> =>
  Object.fromEntries(intents.map((i) => [i.symbol, decStr(i.quantity)]));

describe('strategy context order helpers', () => {
  it('order records the quantity as given, with no price-based rounding', () => {
    const { ctx, drain } = setup();
    ctx.order('BBB', '2.5');
    ctx.order('AAA', -3);
    expect(asText(drain())).toEqual({ AAA: '-3', BBB: '2.5' });
  });

  it('orderValue buys value ÷ close units rounded towards zero (1000 / 30 = 33.3 → 33; −1000 → −33)', () => {
    const buy = setup();
    buy.ctx.orderValue('BBB', '1000');
    expect(asText(buy.drain())).toEqual({ BBB: '33' });
    const sell = setup();
    sell.ctx.orderValue('BBB', dec('-1000'));
    expect(asText(sell.drain())).toEqual({ BBB: '-33' });
  });

  it('orderTargetValue trades the difference to the rounded target (1199 / 120 = 9.99 → 9, holding 10 → −1)', () => {
    const { ctx, drain } = setup();
    ctx.orderTargetValue('AAA', '1199');
    expect(asText(drain())).toEqual({ AAA: '-1' });
  });

  it('orderTargetPercent sizes against the ledger value including the existing position (50% of 10200 / 120 = 42.5 → 42, holding 10 → +32)', () => {
    const { ctx, drain } = setup();
    ctx.orderTargetPercent('AAA', '0.5');
    expect(asText(drain())).toEqual({ AAA: '32' });
  });

  it('orderTargetPercent with a negative target goes short, rounding towards zero (−25% of 10200 / 120 = −21.25 → −21, from 10 → −31)', () => {
    const { ctx, drain } = setup();
    ctx.orderTargetPercent('AAA', '-0.25');
    expect(asText(drain())).toEqual({ AAA: '-31' });
  });

  it('orderTargetPercent of 0 closes the position, and accepts a number weight through its decimal text', () => {
    const close = setup();
    close.ctx.orderTargetPercent('AAA', 0);
    expect(asText(close.drain())).toEqual({ AAA: '-10' });
    const quarter = setup();
    quarter.ctx.orderTargetPercent('BBB', 0.25); // 2550 / 30 = 85
    expect(asText(quarter.drain())).toEqual({ BBB: '85' });
  });

  it('one third of 27 at 1 is exactly 9 units, not 8 (27 × 0.333…3 ÷ 1 = 8.999…9 in 34 digits must not lose a unit)', () => {
    const state = applyTransfer(emptyLedger(), dec('27'));
    const history = new RollingPriceHistory(1);
    history.push(sliceOf(0, { CCC: '1' }));
    const { ctx, drain } = createStrategyContext({
      strategyId: 'alpha', params: {}, time: sliceOf(0, {}).time, barIndex: 0, history,
      ledger: createLedgerView(state, (s) => history.lastClose(s)),
    });
    ctx.orderTargetPercent('CCC', ONE.div(3));
    expect(asText(drain())).toEqual({ CCC: '9' });
  });

  it('sums several intents for one symbol into one, and target helpers count what was already ordered in the call', () => {
    const { ctx, drain } = setup();
    ctx.order('AAA', 5);
    ctx.orderTargetValue('AAA', '1200'); // target 10 units, held 10 + pending 5 → −5
    ctx.orderTargetPercent('BBB', '0.25');
    ctx.orderTargetPercent('BBB', '0.25'); // the same target twice changes nothing more
    expect(asText(drain())).toEqual({ BBB: '85' });
  });

  it('records nothing for a zero quantity or a value below one unit', () => {
    const { ctx, drain } = setup();
    ctx.order('AAA', 0);
    ctx.orderValue('BBB', '29.99');
    ctx.orderTargetValue('AAA', '1200');
    expect(drain()).toEqual([]);
  });

  it('rounds value orders to the configured lot size', () => {
    const fine = setup({ lotSize: '0.001' });
    fine.ctx.orderValue('BBB', '1000'); // 33.333…
    expect(asText(fine.drain())).toEqual({ BBB: '33.333' });
    const coarse = setup({ lotSize: '5' });
    coarse.ctx.orderValue('BBB', '-1000'); // −33.3 → −6 lots of 5
    expect(asText(coarse.drain())).toEqual({ BBB: '-30' });
  });

  it('rejects a lot size that is not a positive decimal with a ConfigError naming lotSize', () => {
    expect(() => setup({ lotSize: '0' })).toThrow(ConfigError);
    expect(() => setup({ lotSize: 'abc' })).toThrow(/lotSize/);
  });

  it('throws MissingPriceError for a symbol without a close, from every helper', () => {
    const { ctx } = setup();
    expect(() => ctx.order('ZZZ', 1)).toThrow(MissingPriceError);
    expect(() => ctx.orderValue('ZZZ', '100')).toThrow(MissingPriceError);
    expect(() => ctx.orderTargetValue('ZZZ', '100')).toThrow(/ZZZ has not traded yet/);
    expect(() => ctx.orderTargetPercent('ZZZ', '0.1')).toThrow(MissingPriceError);
  });

  it('throws InvalidNumberError for NaN, Infinity, malformed text and binary-float quantities', () => {
    const { ctx } = setup();
    expect(() => ctx.order('AAA', Number.NaN)).toThrow(InvalidNumberError);
    expect(() => ctx.order('AAA', 'NaN')).toThrow(InvalidNumberError);
    expect(() => ctx.order('AAA', 1.5)).toThrow(/decimal string/);
    expect(() => ctx.orderValue('AAA', Number.POSITIVE_INFINITY)).toThrow(InvalidNumberError);
    expect(() => ctx.orderTargetValue('AAA', 'ten')).toThrow(InvalidNumberError);
    expect(() => ctx.orderTargetPercent('AAA', Number.NaN)).toThrow(InvalidNumberError);
    expect(() => ctx.orderTargetPercent('AAA', 'Infinity')).toThrow(InvalidNumberError);
  });

  it('a symbol the history has never seen is named with the symbols it has seen, so a typo shows', () => {
    const { ctx } = setup();
    expect(() => ctx.order('AAAA', 1)).toThrow('strategy alpha: order(AAAA) has no price: AAAA has not traded yet (symbols traded so far: AAA, BBB)');
  });

  it('NaN and Infinity are named as not finite; a fractional binary float is shown as the decimal string to give instead', () => {
    const { ctx } = setup();
    expect(() => ctx.order('AAA', Number.NaN)).toThrow('strategy alpha: order(AAA) quantity: NaN is not a finite number');
    expect(() => ctx.orderValue('AAA', Number.NEGATIVE_INFINITY)).toThrow('strategy alpha: orderValue(AAA) value: -Infinity is not a finite number');
    expect(() => ctx.order('AAA', 0.5)).toThrow(`strategy alpha: order(AAA) quantity: 0.5 must be given as a decimal string ('0.5'), not a binary float`);
  });

  it('throws OrderError for an empty symbol', () => {
    const { ctx } = setup();
    expect(() => ctx.order('', 1)).toThrow(OrderError);
  });
});

describe('strategy context drain', () => {
  it('merges returned intents after helper ones, summed per symbol, ascending by symbol, zero sums dropped', () => {
    const { ctx, drain } = setup();
    ctx.order('BBB', 2);
    ctx.order('AAA', 5);
    const intents = drain([
      { symbol: 'AAA', quantity: dec('3') },
      { symbol: 'BBB', quantity: dec('-2') },
    ]);
    expect(intents.map((i) => i.symbol)).toEqual(['AAA']);
    expect(asText(intents)).toEqual({ AAA: '8' });
  });

  it('rejects malformed returned intents with typed errors', () => {
    const bad: unknown[][] = [[{ symbol: 'AAA', quantity: 5 }], [null], [{ symbol: '', quantity: dec('1') }]];
    const errors = [InvalidNumberError, OrderError, OrderError];
    bad.forEach((returned, i) => {
      const { drain } = setup();
      expect(() => drain(returned as OrderIntent[])).toThrow(errors[i]!);
    });
    expect(() => setup().drain({ symbol: 'AAA' } as unknown as OrderIntent[])).toThrow(/array/);
    expect(() => setup().drain([{ symbol: 'ZZZ', quantity: dec('1') }])).toThrow(MissingPriceError);
  });

  it('says what a returned quantity that is not a Dec was, and how to order it instead', () => {
    expect(() => setup().drain([{ symbol: 'AAA', quantity: '10' }] as unknown as OrderIntent[])).toThrow(
      `onBar intent for AAA has quantity "10" (a string), not a Dec: build it with dec('…'), or order through ctx.order(symbol, quantity), which takes a decimal string or integer`,
    );
    expect(() => setup().drain([{ symbol: 'AAA', quantity: Number.NaN }] as unknown as OrderIntent[])).toThrow(/has quantity NaN \(a number\), not a Dec/);
  });

  it('closes the context: a helper called after drain throws OrderError', () => {
    const { ctx, drain } = setup();
    drain();
    expect(() => ctx.order('AAA', 1)).toThrow(/after its bar was processed/);
    expect(() => drain()).toThrow(OrderError);
  });
});

describe('what the context exposes', () => {
  it('has exactly the StrategyContext fields, frozen', () => {
    const { ctx } = setup();
    expect(Object.keys(ctx).sort()).toEqual(
      ['barIndex', 'capitalMoved', 'expectedQuantity', 'history', 'ledger', 'order', 'orderSized', 'orderTargetPercent', 'orderTargetValue', 'orderValue', 'params', 'pendingOrders', 'strategyId', 'time'].sort(),
    );
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(ctx.strategyId).toBe('alpha');
    expect(ctx.barIndex).toBe(1);
    expect(ctx.params).toEqual({ p: 1 });
  });

  it('hands out a ledger and history that only read: no way to push closes or reach the engine objects', () => {
    const { ctx } = setup();
    expect(Object.keys(ctx.ledger).sort()).toEqual(['cash', 'positions', 'quantity', 'value']);
    expect(Object.keys(ctx.history).sort()).toEqual(['capacity', 'closes', 'lastClose', 'symbols']);
    expect('push' in ctx.history).toBe(false);
    expect(decStr(ctx.ledger.value())).toBe('10200');
    expect(decStr(ctx.ledger.cash)).toBe('9000');
    expect(decStr(ctx.ledger.quantity('AAA'))).toBe('10');
    expect(ctx.history.closes('AAA')).toEqual([100, 120]);
    expect(ctx.history.symbols()).toEqual(['AAA', 'BBB']);
  });
});

/** What `f` returns, or null when the ledger refuses it. */
function attempt<T>(f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (e instanceof LedgerError) return null;
    throw e;
  }
}

describe('sizing on exact integers', () => {
  // The helpers size on exact integers with Decimal's rounding; these are the same formulas on Decimals.
  const units = (raw: Dec, lot: Dec): Dec => {
    const rounded = raw.toSignificantDigits(30);
    return lot.eq(1) ? rounded.trunc() : rounded.div(lot).trunc().times(lot);
  };
  const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));
  const amountArb = (maxPlaces: number, maxDigits = 24) =>
    fc.tuple(fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** BigInt(maxDigits) })), fc.integer({ min: 0, max: maxPlaces })).map(([n, p]) => text(n, p));

  it('orders what Decimal arithmetic gives, to the last digit, for targets by percent, by value and for values', () => {
    fc.assert(
      fc.property(
        amountArb(8),
        fc.tuple(fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), fc.integer({ min: 0, max: 4 })).map(([n, p]) => text(n, p)),
        amountArb(6, 12),
        fc.oneof(fc.integer({ min: 1, max: 9 }).map((k) => ONE.div(k)), amountArb(6).map((t) => dec(t).div(dec('1e9')))),
        amountArb(8),
        fc.constantFrom(undefined, '0.001', '0.5', '3'),
        (cash, held, close, fraction, value, lotSize) => {
          const history = new RollingPriceHistory(2);
          history.push(sliceOf(0, { AAA: close }));
          let state = applyTransfer(emptyLedger(), dec(cash));
          if (!dec(held).isZero()) {
            // A holding whose cost would take the cash past 34 significant digits is one the ledger refuses to build:
            // not a scenario to size from.
            const filled = attempt(() => applyFill(state, { symbol: 'AAA', quantity: dec(held), price: dec(close), commission: ZERO }));
            fc.pre(filled !== null);
            state = filled;
          }
          const view = createLedgerView(state, (s) => history.lastClose(s));
          const call = (f: (ctx: ReturnType<typeof createStrategyContext>['ctx']) => void): Record<string, string> => {
            const c = createStrategyContext({ strategyId: 's', params: {}, time: sliceOf(0, {}).time, barIndex: 0, ledger: view, history, ...(lotSize ? { sizing: { lotSize } } : {}) });
            f(c.ctx);
            return asText(c.drain());
          };
          const lot = dec(lotSize ?? '1');
          const price = dec(close);
          const heldNow = dec(held);
          const want = (q: Dec): Record<string, string> => (q.isZero() ? {} : { AAA: decStr(q) });
          expect(call((ctx) => ctx.orderTargetPercent('AAA', fraction))).toEqual(want(units(view.value().times(fraction).div(price), lot).minus(heldNow.plus(ZERO))));
          expect(call((ctx) => ctx.orderTargetValue('AAA', value))).toEqual(want(units(dec(value).div(price), lot).minus(heldNow.plus(ZERO))));
          expect(call((ctx) => ctx.orderValue('AAA', value))).toEqual(want(units(dec(value).div(price), lot)));
        },
      ),
      { numRuns: 400 },
    );
  });
});
