// The decide steps as Given events / When step / Then events specs: plain functions over the folded state and books,
// with no XState, RxJS or store. Amounts are derived by hand in the comments.
import { describe, expect, it } from 'vitest';
import { parsePortfolioConfig, type PortfolioConfig, type PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { RESERVE, domainEvent, type DomainEvent } from '../events/catalogue.js';
import { GENESIS_HASH, sealEvents, type SealedEvent } from '../events/envelope.js';
import { applyMarks, evolve, mustGet } from '../src/portfolio/evolve.js';
import { initialState, type PortfolioState } from '../src/portfolio/portfolioState.js';
import { evolveBook, initialBook, type BookEvent, type StrategyBook } from '../src/portfolio/strategyBook.js';
import {
  Decider,
  decideCashAtTheOpen,
  decideCommand,
  decideCompletion,
  decideDrawdownLimit,
  decideExecution,
  decideFault,
  decideLifecycle,
  decideLiquidationCover,
  decideMarks,
  decideOrders,
  decideRebalance,
  decideTransfers,
  joinRebalanceSales,
  type Rebalancing,
} from '../src/portfolio/sliceDecisions.js';
import { createRebalancing } from '../actors/wiring.js';
import { dec } from '../src/money/decimal.js';
import { LIFECYCLE_MOVES } from '../src/portfolio/strategyLifecycle.js';
import { LIFECYCLE_STATES } from '../events/catalogue.js';
import { day, slice } from './fixtures/engine/engineFixtures.js';

type Given = readonly (readonly [DomainEvent, string | null])[];

/** Folds `events` as the supervisor does (evolve for the portfolio, evolveBook per strategy) and returns a decider over them. */
function given(events: Given, overrides: Partial<PortfolioConfigInput> = {}): Decider {
  const config: PortfolioConfig = parsePortfolioConfig({ id: 'p', name: 'spec', capital: '1000', strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.5' }], ...overrides });
  const state: PortfolioState = initialState('p', { fillAt: config.execution.fillAt, lookback: config.lookback, historyCapacity: 10 });
  const books = new Map<string, StrategyBook>();
  const { events: sealed } = sealEvents({ portfolioId: 'p', nextRevision: 0, prevHash: GENESIS_HASH }, events.map(([event, barTime]) => ({ event, barTime })));
  for (const e of sealed) {
    evolve(state, e);
    if (e.type === 'StrategyAdded') books.set(e.data.strategyId, initialBook(e.data.strategyId));
    for (const id of routed(e)) books.set(id, evolveBook(books.get(id) as StrategyBook, [e as BookEvent]));
  }
  return new Decider(config, state, (id) => books.get(id) as StrategyBook);
}

function routed(e: SealedEvent): string[] {
  if (e.type === 'StrategyLifecycleChanged' || e.type === 'FillRecorded') return [e.data.strategyId];
  if (e.type === 'CapitalTransferred') return [e.data.from, e.data.to].filter((x) => x !== RESERVE);
  return [];
}

const opened: Given = [
  [domainEvent('PortfolioOpened', { portfolioId: 'p', name: 'spec', baseCurrency: 'USD', totalCapital: '1000', configHash: 'h', codeVersion: 'v', config: {} }), null],
  [domainEvent('StrategyAdded', { strategyId: 'a', kind: 'k', parameters: {}, allocationPct: '0.5', capital: '500', minAllocation: null, maxAllocation: null, metadata: {} }), null],
  [domainEvent('CapitalTransferred', { from: RESERVE, to: 'a', amount: '500', reason: 'initial allocation', rebalanceId: null }), null],
];
const started: Given = [...opened, [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'initializing', to: 'running', reason: 'started' }), day(0)]];
const marked = (time: string, aaa: string, value: string, cash: string, reserve = '500'): readonly [DomainEvent, string] => [
  domainEvent('BarMarked', { marks: { AAA: aaa }, strategyValues: { a: value }, strategyCash: { a: cash }, reserve, portfolioValue: dec(reserve).plus(value).toString() }),
  time,
];
const bought: Given = [
  ...started,
  // 10 AAA at 20 with 1 of commission: cash 500 − 200 − 1 = 299.
  [domainEvent('FillRecorded', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', price: '20', commission: '1', slippage: '0' }), day(0)],
  marked(day(0), '20', '499', '299'),
];

/** a (500) and b (300) running with cash only, the reserve at 200, AAA marked at 20. */
const twoStarted: Given = [
  ...opened,
  [domainEvent('StrategyAdded', { strategyId: 'b', kind: 'k', parameters: {}, allocationPct: '0.3', capital: '300', minAllocation: null, maxAllocation: null, metadata: {} }), null],
  [domainEvent('CapitalTransferred', { from: RESERVE, to: 'b', amount: '300', reason: 'initial allocation', rebalanceId: null }), null],
  [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'initializing', to: 'running', reason: 'started' }), day(0)],
  [domainEvent('StrategyLifecycleChanged', { strategyId: 'b', from: 'initializing', to: 'running', reason: 'started' }), day(0)],
  [domainEvent('BarMarked', { marks: { AAA: '20' }, strategyValues: { a: '500', b: '300' }, strategyCash: { a: '500', b: '300' }, reserve: '200', portfolioValue: '1000' }), day(0)],
];

describe('marks and start', () => {
  it('given AAA marked at 20, when a slice closes AAA at 25, then the mark and the history take 25, once', () => {
    const d = given(bought);
    applyMarks(d.state, day(1), { AAA: '25' });
    applyMarks(d.state, day(1), { AAA: '25' });
    d.marksChanged();
    expect(d.markOf('AAA')?.toString()).toBe('25');
    expect(d.state.history.closes('AAA')).toEqual([20, 25]);
    // 10 AAA at 25 + 299 cash.
    expect(d.valueOf('a').toString()).toBe('549');
  });

  it('given a strategy just added, when it starts, then one StrategyLifecycleChanged initializing → running', () => {
    expect(decideLifecycle(given(opened), 'a', 'running', 'started')).toEqual([
      domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'initializing', to: 'running', reason: 'started' }),
    ]);
  });
});

describe('rebalance and transfers', () => {
  it('given a at 500, b at 300 and 200 in the reserve, when a manual rebalance asks 20% / 60%, then RebalanceDecided targets 200 and 600', () => {
    const d = given(twoStarted);
    applyMarks(d.state, day(1), { AAA: '20' });
    d.marksChanged();
    const { events, plan } = decideRebalance(d, { algorithm: null, rebalancer: null }, { kind: 'rebalance', weights: { a: 0.2, b: 0.6 }, reason: 'shift' }, day(1));
    // Portfolio value 200 + 500 + 300 = 1000: a's target 0.2 × 1000 = 200 (it gives 300), b's 0.6 × 1000 = 600 (it gets 300).
    expect(events).toEqual([
      domainEvent('RebalanceDecided', {
        rebalanceId: 'r1', trigger: 'manual', reason: 'shift', algorithm: 'manual', parameters: {},
        inputs: { a: { value: '500' }, b: { value: '300' } }, weightsBefore: { a: 0.5, b: 0.3 },
        rawWeights: { a: 0.2, b: 0.6 }, finalWeights: { a: 0.2, b: 0.6 }, bindingConstraints: [], solver: null,
        portfolioValue: '1000', targets: { a: '200', b: '600' },
      }),
    ]);
    expect(plan && decideTransfers(d, plan)).toEqual([
      domainEvent('CapitalTransferred', { from: 'a', to: RESERVE, amount: '300', reason: 'rebalance: decrease', rebalanceId: 'r1' }),
      domainEvent('CapitalTransferred', { from: RESERVE, to: 'b', amount: '300', reason: 'rebalance: increase', rebalanceId: 'r1' }),
    ]);
  });

  it('given a decrease larger than the cash, then it is capped at the cash and the increases share the reserve pro rata', () => {
    // a gives at most its 500 of cash; the reserve then holds 200 + 500 = 700 for b's 900: 900 × 700 / 900 = 700.
    const plan = { rebalanceId: 'r2', decreases: { a: dec('600') }, increases: { b: dec('900') }, sales: {} };
    expect(decideTransfers(given(twoStarted), plan)).toEqual([
      domainEvent('CapitalTransferred', { from: 'a', to: RESERVE, amount: '500', reason: 'rebalance: decrease', rebalanceId: 'r2' }),
      domainEvent('CapitalTransferred', { from: RESERVE, to: 'b', amount: '700', reason: 'rebalance: increase', rebalanceId: 'r2' }),
    ]);
  });
});

describe('netting and execution', () => {
  it('given a buying 10 AAA and b selling 4 at 20, then one net trade of 6 and each its whole order at 20, the commission shared by quantity', () => {
    const d = given(twoStarted, { execution: { commission: { kind: 'per-share', perShare: '0.01', minimum: '0' } } });
    const accepted = [
      { orderId: 'o1-a-0', strategyId: 'a', symbol: 'AAA', quantity: dec('10') },
      { orderId: 'o1-b-0', strategyId: 'b', symbol: 'AAA', quantity: dec('-4') },
    ];
    // Gross 14 × 20 = 280, net 6 × 20 = 120. Commission on the net 6 × 0.01 = 0.06 instead of 14 × 0.01 = 0.14 (0.08
    // saved), shared 10/14 and 4/14: 0.04285714 and 0.01714286 (eight decimals, summing to 0.06).
    expect(decideExecution(d, slice(day(1), { AAA: '20' }), [], accepted, null)).toEqual([
      domainEvent('OrdersNetted', {
        symbols: [{ symbol: 'AAA', grossLong: '10', grossShort: '4', net: '6', strategies: ['a', 'b'], grossValue: '280', netValue: '120', commissionSaved: '0.08' }],
        grossTradedValue: '280', netTradedValue: '120', commissionSaved: '0.08',
      }),
      domainEvent('FillRecorded', { orderId: 'o1-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', price: '20', commission: '0.04285714', slippage: '0' }),
      domainEvent('FillRecorded', { orderId: 'o1-b-0', strategyId: 'b', symbol: 'AAA', quantity: '-4', price: '20', commission: '0.01714286', slippage: '0' }),
    ]);
  });
});

describe('next-open orders at the open they were to fill at', () => {
  const nextOpen: Partial<PortfolioConfigInput> = { execution: { fillAt: 'next-open' } };
  // a ordered 10 AAA at day 0's close of 20; it waits for day 1's open.
  const waiting: Given = [
    ...started,
    [domainEvent('OrderPlaced', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', orderType: 'market', requestedQuantity: null, note: null }), day(0)],
    marked(day(0), '20', '500', '500'),
  ];
  const withoutAaa = slice(day(1), { BBB: '5' });
  const withAaa = slice(day(1), { AAA: '21' }, { AAA: '20.5' });

  it('given an order waiting for AAA, when the next slice has no AAA bar, then it expires whole there, naming the symbol and the slice', () => {
    const d = given(waiting, nextOpen);
    const expired = decideCashAtTheOpen(d, withoutAaa);
    expect(expired).toEqual([
      domainEvent('OrderRejected', {
        orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', orderType: 'market',
        reason: `expired: AAA has no bar at the open of ${day(1)}, where this order was to fill`,
      }),
    ]);
    const after = given([...waiting, ...expired.map((e): readonly [DomainEvent, string] => [e, day(1)])], nextOpen);
    expect(after.state.pendingOrders).toEqual([]);
    expect(after.ledgerOf('a').cash.toString()).toBe('500');
    expect(decideExecution(after, withoutAaa, after.state.pendingOrders, [], null)).toEqual([]);
  });

  it('given an order waiting for AAA, when AAA opens in the next slice, then nothing is cancelled and it fills at the open', () => {
    const d = given(waiting, nextOpen);
    expect(decideCashAtTheOpen(d, withAaa)).toEqual([]);
    const fills = decideExecution(d, withAaa, d.state.pendingOrders, [], null).filter((e) => e.type === 'FillRecorded');
    expect(fills.map((e) => e.data)).toEqual([{ orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', price: '20.5', commission: '0', slippage: '0' }]);
  });

  it('given the strategy paused since the order was placed, when AAA opens, then the order is cancelled there, saying why, and nothing fills', () => {
    const paused: Given = [...waiting, [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'paused', reason: 'by hand' }), day(1)]];
    const d = given(paused, nextOpen);
    const cancelled = decideCashAtTheOpen(d, withAaa);
    expect(cancelled).toEqual([
      domainEvent('OrderRejected', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', orderType: 'market', reason: 'cancelled at the open: the strategy is paused' }),
    ]);
    const after = given([...paused, ...cancelled.map((e): readonly [DomainEvent, string] => [e, day(1)])], nextOpen);
    expect(after.state.pendingOrders).toEqual([]);
    expect(decideExecution(after, withAaa, after.state.pendingOrders, [], null)).toEqual([]);
  });

  it('given the strategy liquidating, then its waiting order is left to execution, which cancels it with or without a bar', () => {
    const liquidating: Given = [...waiting, [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'liquidating', reason: 'x' }), day(1)]];
    const d = given(liquidating, nextOpen);
    for (const s of [withoutAaa, withAaa]) {
      expect(decideCashAtTheOpen(d, s)).toEqual([]);
      expect(decideExecution(d, s, d.state.pendingOrders, [], null)).toEqual([
        domainEvent('OrderRejected', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '10', orderType: 'market', reason: 'cancelled: the strategy is liquidating' }),
      ]);
    }
  });
});

describe('lifecycle', () => {
  it('given a running strategy, when paused by command, then one StrategyLifecycleChanged running → paused', () => {
    expect(decideCommand(given(started), { kind: 'pause', id: 'a', reason: 'by hand' })).toEqual([
      domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'paused', reason: 'by hand' }),
    ]);
  });

  it('nothing leaves stopped, and liquidating leaves only for stopped (the table, exhaustively)', () => {
    expect(LIFECYCLE_MOVES.stopped).toEqual([]);
    expect(LIFECYCLE_MOVES.liquidating).toEqual(['stopped']);
    const stopped = given([
      ...started,
      [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'liquidating', reason: 'x' }), day(1)],
      [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'liquidating', to: 'stopped', reason: 'liquidated' }), day(1)],
    ]);
    for (const to of LIFECYCLE_STATES) expect(decideLifecycle(stopped, 'a', to, 'try')).toEqual([]);
  });

  it('a folded lifecycle move the table forbids is refused by the book', () => {
    const book = evolveBook(initialBook('a'), [{ type: 'StrategyLifecycleChanged', data: { strategyId: 'a', from: 'initializing', to: 'stopped' } }]);
    expect(() => evolveBook(book, [{ type: 'StrategyLifecycleChanged', data: { strategyId: 'a', from: 'stopped', to: 'running' } }])).toThrow(/stopped → running/);
  });

  it('given fault policy stop, when onBar throws, then StrategyFaulted (action stopped) and a move to liquidating', () => {
    const d = given(started, { risk: { faultPolicy: 'stop' } });
    expect(decideFault(d, 'a', 'onBar', 'Error: x')).toEqual([
      domainEvent('StrategyFaulted', { strategyId: 'a', phase: 'onBar', error: 'Error: x', action: 'stopped' }),
      domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'liquidating', reason: 'fault: Error: x' }),
    ]);
  });
});

describe('removal', () => {
  it('given a removal requested and the strategy flat, then its cash returns, it stops and is removed', () => {
    const d = given([
      ...started,
      [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'liquidating', reason: 'removal requested (liquidate=true)' }), day(1)],
    ]);
    expect(decideCompletion(d, 'a')).toEqual([
      domainEvent('CapitalTransferred', { from: 'a', to: RESERVE, amount: '500', reason: 'strategy removed', rebalanceId: null }),
      domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'liquidating', to: 'stopped', reason: 'removed' }),
      domainEvent('StrategyRemoved', { strategyId: 'a', liquidated: true, capitalReturned: '500' }),
    ]);
  });

  it('given a liquidating short worth less than nothing, when it closes, then the reserve covers the deficit first', () => {
    // Short 10 AAA at 20: cash 500 + 200 = 700; AAA at 90: buying back costs 900, 200 more than the cash.
    const d = given([
      ...started,
      [domainEvent('FillRecorded', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '-10', price: '20', commission: '0', slippage: '0' }), day(0)],
      marked(day(0), '20', '500', '700'),
      [domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'liquidating', reason: 'removal requested (liquidate=true)' }), day(1)],
    ]);
    d.state.marks.set('AAA', dec('90'));
    d.marksChanged();
    const requested = new Map([['a', [{ symbol: 'AAA', quantity: dec('10') }]]]);
    expect(decideLiquidationCover(d, slice(day(1), { AAA: '90' }), requested)).toEqual([
      domainEvent('CapitalTransferred', { from: RESERVE, to: 'a', amount: '200', reason: 'liquidation: the reserve covers the deficit', rebalanceId: null }),
    ]);
  });
});

describe('limits and marks', () => {
  it('given 299 of cash, when a strategy asks for 20 AAA at 20, then the order is scaled down to what the cash buys', () => {
    const d = given(bought);
    const { events } = decideOrders(d, slice(day(1), { AAA: '20' }), new Map([['a', [{ symbol: 'AAA', quantity: dec('20') }]]]), null);
    // 299 / 20 = 14.95 → 14 whole shares.
    expect(events).toEqual([
      domainEvent('OrderPlaced', { orderId: 'o1-a-0', strategyId: 'a', symbol: 'AAA', quantity: '14', orderType: 'market', requestedQuantity: '20', note: 'scaled down from 20: not enough cash' }),
    ]);
  });

  it('given AAA marked at 25, then BarMarked values 10 AAA + 299 cash at 799', () => {
    const d = given(bought);
    d.state.marks.set('AAA', dec('25'));
    d.marksChanged();
    expect(decideMarks(d, slice(day(1), { AAA: '25' }))).toEqual([
      domainEvent('BarMarked', { marks: { AAA: '25' }, strategyValues: { a: '549' }, strategyCash: { a: '299' }, reserve: '500', portfolioValue: '1049' }),
    ]);
  });

  it('given a fall of about 40% with a 30% drawdown limit, then the strategy is paused with the figures in the reason', () => {
    // The index starts at its peak 1; the first mark takes it to 499 / 500 = 0.998. AAA from 20 to 0.04 makes the value
    // 10 × 0.04 + 299 = 299.4, so the index is 0.998 × 299.4 / 499 = 0.5988: 40.12% below the peak.
    const d = given(bought, { risk: { maxDrawdown: 0.3 } });
    d.state.marks.set('AAA', dec('0.04'));
    d.marksChanged();
    expect(decideDrawdownLimit(d, 'a')).toEqual([
      domainEvent('StrategyLifecycleChanged', { strategyId: 'a', from: 'running', to: 'paused', reason: 'risk: drawdown -40.12% beyond the limit of 30.00%' }),
    ]);
  });
});

describe('a buy of the strategy\'s own in a symbol a rebalance sells', () => {
  it('given a rebalance that takes all of a (10 AAA and 299 cash) and a buy of 5 AAA, then the sale of 10 stands and the buy is cut: the decrease is paid in full', () => {
    const d = given(bought);
    applyMarks(d.state, day(1), { AAA: '20' });
    d.marksChanged();
    const { plan } = decideRebalance(d, { algorithm: null, rebalancer: null }, { kind: 'rebalance', weights: { a: 0 }, reason: 'empty a' }, day(1));
    if (!plan) throw new Error('no plan');
    // a gives its whole 499: 299 of cash and the 200 its 10 AAA raise, so no cash is left for the buy.
    expect(plan.decreases['a']?.toString()).toBe('499');
    const requested = new Map([['a', joinRebalanceSales(d, 'a', [{ symbol: 'AAA', quantity: dec('5') }], plan.sales['a'] ?? [])]]);
    const { events } = decideOrders(d, slice(day(1), { AAA: '20' }), requested, plan);
    // Netted as one order of −5, the buy spent 100 of the capital the rebalance takes out, and the decrease fell short.
    expect(events).toEqual([
      domainEvent('OrderPlaced', {
        orderId: 'o1-a-0', strategyId: 'a', symbol: 'AAA', quantity: '-10', orderType: 'market', requestedQuantity: '-5',
        note: "the strategy's buy of 5 within the rebalance's sale of 10 is refused (not enough cash: no quantity of AAA fits)",
      }),
    ]);
  });
});

describe('a strategy whose transfers in one slice net to zero', () => {
  it('given funding before execution and the same amount handed back after it, then the bar records a return of 0, as the projections do', () => {
    // Funded 500 before execution, stopped and emptied after it: r = (0 − (−500)) / (0 + 500) − 1 = 0.
    const d = given([
      [domainEvent('PortfolioOpened', { portfolioId: 'p', name: 'spec', baseCurrency: 'USD', totalCapital: '1000', configHash: 'h', codeVersion: 'v', config: {} }), null],
      [domainEvent('StrategyAdded', { strategyId: 'a', kind: 'k', parameters: {}, allocationPct: '0.5', capital: '500', minAllocation: null, maxAllocation: null, metadata: {} }), null],
      [domainEvent('CapitalTransferred', { from: RESERVE, to: 'a', amount: '500', reason: 'initial allocation', rebalanceId: null }), null],
      [domainEvent('CapitalTransferred', { from: 'a', to: RESERVE, amount: '500', reason: 'strategy stopped', rebalanceId: null }), day(0)],
      [domainEvent('BarMarked', { marks: {}, strategyValues: { a: '0' }, strategyCash: { a: '0' }, reserve: '1000', portfolioValue: '1000' }), day(0)],
    ]);
    const performance = mustGet(d.state, 'a').performance;
    expect(performance.count).toBe(1);
    expect([...performance.returns]).toEqual([0]);
  });
});

describe('re-admission of a strategy that has held nothing', () => {
  // a and b get 500 each; a rebalance empties b at day 1; with lookback 3, b has held nothing for 3 slices after day 3.
  const config: Partial<PortfolioConfigInput> = {
    strategies: [
      { id: 'a', kind: 'buy-and-hold', allocation: '0.5' },
      { id: 'b', kind: 'buy-and-hold', allocation: '0.5' },
    ],
    lookback: 3,
    rebalancing: { algorithm: 'risk-parity', params: { method: 'inverse-volatility' }, frequency: 'daily', minHistory: 2 },
  };
  const both = (time: string, a: string, b: string, reserve: string): readonly [DomainEvent, string] => [
    domainEvent('BarMarked', { marks: {}, strategyValues: { a, b }, strategyCash: { a, b }, reserve, portfolioValue: dec(reserve).plus(a).plus(b).toString() }),
    time,
  ];
  const emptied: Given = [
    [domainEvent('PortfolioOpened', { portfolioId: 'p', name: 'spec', baseCurrency: 'USD', totalCapital: '1000', configHash: 'h', codeVersion: 'v', config: {} }), null],
    ...(['a', 'b'] as const).flatMap((id): Given => [
      [domainEvent('StrategyAdded', { strategyId: id, kind: 'k', parameters: {}, allocationPct: '0.5', capital: '500', minAllocation: null, maxAllocation: null, metadata: {} }), null],
      [domainEvent('CapitalTransferred', { from: RESERVE, to: id, amount: '500', reason: 'initial allocation', rebalanceId: null }), null],
      [domainEvent('StrategyLifecycleChanged', { strategyId: id, from: 'initializing', to: 'running', reason: 'started' }), day(0)],
    ]),
    both(day(0), '500', '500', '0'),
    [domainEvent('CapitalTransferred', { from: 'b', to: RESERVE, amount: '500', reason: 'rebalance: decrease', rebalanceId: 'r1' }), day(1)],
    both(day(1), '500', '0', '500'),
    both(day(2), '500', '0', '500'),
  ];
  const rebalancing = (d: Decider): Rebalancing => createRebalancing(d.config);

  it('given b empty for 2 slices of a 3-slice window, then it is not re-admitted: the algorithm weighs it on its returns', () => {
    const d = given([...emptied], config);
    const { events } = decideRebalance(d, rebalancing(d), null, day(3));
    const decided = events[0] as Extract<DomainEvent, { type: 'RebalanceDecided' }>;
    expect(decided.data.readmitted).toBeUndefined();
    expect(Object.keys(decided.data.rawWeights).sort()).toEqual(['a', 'b']);
  });

  it('given b empty for 3 slices, when the schedule rebalances, then b restarts at its configured 50% and a shares the rest', () => {
    const d = given([...emptied, both(day(3), '500', '0', '500')], config);
    expect(mustGet(d.state, 'b').emptySince).toEqual({ sinceBar: 1, sinceTime: day(1) });
    const { events, plan } = decideRebalance(d, rebalancing(d), null, day(4));
    const decided = events[0] as Extract<DomainEvent, { type: 'RebalanceDecided' }>;
    // a alone is weighed (1), scaled to the 1 − 0.5 that b's re-admission leaves: 0.5 of 1000 = 500 each.
    expect(decided.data.finalWeights).toEqual({ a: 0.5, b: 0.5 });
    expect(decided.data.readmitted).toEqual({ b: `held nothing since ${day(1)} (3 bars): restarts at its configured 50.00%` });
    expect(decided.data.leftOut).toBeUndefined();
    expect(plan?.increases).toEqual({ b: dec('500') });
    // Folding the decision empties b's statistics window: it warms up (minHistory 2) before the algorithm weighs it again.
    const readmitted = given([...emptied, both(day(3), '500', '0', '500'), [decided, day(4)]], config);
    expect(mustGet(readmitted.state, 'b').performance.count).toBe(0);
    expect(mustGet(readmitted.state, 'a').performance.count).toBe(3);
  });

  it('given b paused while empty, then it is left out, not re-admitted', () => {
    const d = given([...emptied, both(day(3), '500', '0', '500'), [domainEvent('StrategyLifecycleChanged', { strategyId: 'b', from: 'running', to: 'paused', reason: 'by hand' }), day(4)]], config);
    const decided = decideRebalance(d, rebalancing(d), null, day(4)).events[0] as Extract<DomainEvent, { type: 'RebalanceDecided' }>;
    expect(decided.data.readmitted).toBeUndefined();
    expect(Object.keys(decided.data.leftOut ?? {})).toEqual(['b']);
  });

  it('given c paused with 40% of the portfolio, then b restarts at its 50% of the free 60% and a keeps the other half of it', () => {
    const three: Partial<PortfolioConfigInput> = {
      ...config,
      strategies: [
        { id: 'a', kind: 'buy-and-hold', allocation: '0.2' },
        { id: 'b', kind: 'buy-and-hold', allocation: '0.5' },
        { id: 'c', kind: 'buy-and-hold', allocation: '0.3' },
      ],
    };
    const mark = (time: string, b: string, reserve: string): readonly [DomainEvent, string] => [
      domainEvent('BarMarked', { marks: {}, strategyValues: { a: '400', b, c: '600' }, strategyCash: { a: '400', b, c: '600' }, reserve, portfolioValue: dec(reserve).plus(b).plus(1000).toString() }),
      time,
    ];
    const events: Given = [
      [domainEvent('PortfolioOpened', { portfolioId: 'p', name: 'spec', baseCurrency: 'USD', totalCapital: '1500', configHash: 'h', codeVersion: 'v', config: {} }), null],
      ...([['a', '400'], ['b', '500'], ['c', '600']] as const).flatMap(([id, amount]): Given => [
        [domainEvent('StrategyAdded', { strategyId: id, kind: 'k', parameters: {}, allocationPct: id === 'a' ? '0.2' : id === 'b' ? '0.5' : '0.3', capital: amount, minAllocation: null, maxAllocation: null, metadata: {} }), null],
        [domainEvent('CapitalTransferred', { from: RESERVE, to: id, amount, reason: 'initial allocation', rebalanceId: null }), null],
        [domainEvent('StrategyLifecycleChanged', { strategyId: id, from: 'initializing', to: 'running', reason: 'started' }), day(0)],
      ]),
      mark(day(0), '500', '0'),
      // A rebalance empties b into the reserve: a 400, b 0, c 600, reserve 500.
      [domainEvent('CapitalTransferred', { from: 'b', to: RESERVE, amount: '500', reason: 'rebalance: decrease', rebalanceId: 'r1' }), day(1)],
      mark(day(1), '0', '500'),
      [domainEvent('StrategyLifecycleChanged', { strategyId: 'c', from: 'running', to: 'paused', reason: 'by hand' }), day(2)],
      mark(day(2), '0', '500'),
      mark(day(3), '0', '500'),
    ];
    const d = given(events, three);
    const decided = decideRebalance(d, createRebalancing(d.config), null, day(4)).events[0] as Extract<DomainEvent, { type: 'RebalanceDecided' }>;
    // c holds 600 of 1500: 40% is left out, 60% is free. b takes its 50% of that (0.3); a, weighed alone, the rest (0.3).
    // (Taking b's whole 50% first would leave a 10%: with a larger paused share, nothing.)
    expect(Object.keys(decided.data.leftOut ?? {})).toEqual(['c']);
    expect(Object.keys(decided.data.readmitted ?? {})).toEqual(['b']);
    expect(decided.data.finalWeights['b']).toBeCloseTo(0.3, 12);
    expect(decided.data.finalWeights['a']).toBeCloseTo(0.3, 12);
  });

  it('a mark that values b above zero ends its empty spell', () => {
    const d = given([...emptied, both(day(3), '500', '1', '499')], config);
    expect(mustGet(d.state, 'b').emptySince).toBeNull();
  });
});

describe('a rebalance sale sized from the cost model', () => {
  // Per-share commission at 0.005 (at least 1) on a price of 0.12: about 4% of what a sale raises, more than any fixed margin.
  const perShare = { execution: { commission: { kind: 'per-share' as const, perShare: '0.005', minimum: '1' }, slippageBps: '0' } };
  const cheap: Given = [
    ...started,
    // 4000 AAA at 0.12 with 4000 × 0.005 = 20 of commission: cash 500 − 480 − 20 = 0.
    [domainEvent('FillRecorded', { orderId: 'o0-a-0', strategyId: 'a', symbol: 'AAA', quantity: '4000', price: '0.12', commission: '20', slippage: '0' }), day(0)],
    marked(day(0), '0.12', '480', '0'),
  ];

  function saleFor(weight: number): { decrease: string | undefined; sales: readonly { symbol: string; quantity: { toString(): string } }[]; fills: DomainEvent[]; transfers: DomainEvent[] } {
    const d = given(cheap, perShare);
    applyMarks(d.state, day(1), { AAA: '0.12' });
    d.marksChanged();
    const { plan } = decideRebalance(d, { algorithm: null, rebalancer: null }, { kind: 'rebalance', weights: { a: weight }, reason: 'shrink a' }, day(1));
    if (!plan) throw new Error('no plan');
    const sales = plan.sales['a'] ?? [];
    const fills = decideExecution(d, slice(day(1), { AAA: '0.12' }), [], sales.map((s, i) => ({ orderId: `o1-a-${i}`, strategyId: 'a', symbol: s.symbol, quantity: s.quantity })), plan);
    const after = given([...cheap, ...fills.map((e) => [e, day(1)] as const)], perShare);
    return { decrease: plan.decreases['a']?.toString(), sales, fills, transfers: decideTransfers(after, plan) };
  }

  it('given a shortfall of 186 at 0.12 with per-share commission, then the sale nets at least 186 and the decrease is paid in full', () => {
    // Portfolio value 500 + 480 = 980: a's target 0.3 × 980 = 294, so it gives 186 with no cash. Each unit sold nets
    // 0.12 − 0.005 = 0.115: 186 / 0.115 = 1617.39…, so 1618 units (194.16 − 8.09 commission = 186.07). A 1% margin
    // would sell 1566 (netting 187.92 − 7.83 = 180.09) and the decrease would fall short by 5.91.
    const { decrease, sales, fills, transfers } = saleFor(0.3);
    expect(decrease).toBe('186');
    expect(sales.map((s) => [s.symbol, s.quantity.toString()])).toEqual([['AAA', '-1618']]);
    expect(fills.filter((e) => e.type === 'FillRecorded')).toEqual([
      domainEvent('FillRecorded', { orderId: 'o1-a-0', strategyId: 'a', symbol: 'AAA', quantity: '-1618', price: '0.12', commission: '8.09', slippage: '0' }),
    ]);
    expect(transfers).toEqual([domainEvent('CapitalTransferred', { from: 'a', to: RESERVE, amount: '186', reason: 'rebalance: decrease', rebalanceId: 'r1' })]);
  });

  it('given a shortfall the whole holding cannot net, then it sells what it holds and no more', () => {
    // Target 0.01 × 980 = 9.80: a gives 470.20, but its 4000 AAA net 480 − 20 = 460 at most.
    const { sales } = saleFor(0.01);
    expect(sales.map((s) => [s.symbol, s.quantity.toString()])).toEqual([['AAA', '-4000']]);
  });
});
