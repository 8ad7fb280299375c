// The portfolio API on a memory store with hand-made slices: add/remove/pause/resume/rebalance semantics, limits, netting,
// fault containment, the drawdown limit and next-open fills, each checked against hand-computed amounts.
import { afterEach, describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { EventStore } from '../events/store.js';
import type { RecordedEvent } from '../events/envelope.js';
import { AllocationError } from '../src/errors.js';
import { dec } from '../src/money/decimal.js';
import type { Strategy } from '../src/strategy/strategy.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, ofType, planned, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

interface Member {
  readonly strategy: Strategy;
  readonly allocation: string;
}

const open: { store: EventStore; portfolio: Portfolio }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.portfolio.close();
    await o.store.close();
  }
});

/** Opens portfolio p1 (capital 100000) on a fresh memory store with the given strategies, each under its own kind. */
async function openPortfolio(members: Readonly<Record<string, Member>>, overrides: Partial<PortfolioConfigInput> = {}): Promise<{ store: EventStore; portfolio: Portfolio }> {
  const store = await openEventStore('memory:');
  const kinds = Object.fromEntries(Object.entries(members).map(([id, m]) => [`k-${id}`, () => m.strategy]));
  const config = testConfig({
    strategies: Object.entries(members).map(([id, m]) => ({ id, kind: `k-${id}`, allocation: m.allocation })),
    ...overrides,
  });
  const portfolio = await Portfolio.open({ store, config, kinds });
  const o = { store, portfolio };
  open.push(o);
  return o;
}

function at(events: readonly RecordedEvent[], time: string): RecordedEvent[] {
  return events.filter((e) => e.metadata.barTime === time);
}

const idle = (): Strategy => scripted('idle');

describe('opening', () => {
  it('transfers allocation × capital to each strategy and keeps the rest in the reserve', async () => {
    const { store } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' }, b: { strategy: idle(), allocation: '0.3' } });
    const events = await readAllEvents(store);
    expect(events.map((e) => e.type)).toEqual(['PortfolioOpened', 'StrategyAdded', 'CapitalTransferred', 'StrategyAdded', 'CapitalTransferred']);
    expect(ofType(events, 'CapitalTransferred').map((e) => [e.data.from, e.data.to, e.data.amount])).toEqual([
      ['reserve', 'a', '50000'],
      ['reserve', 'b', '30000'],
    ]);
  });

  it('counts the reserve in the portfolio value of every slice', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.25' } });
    const report = await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    expect(report.reserve).toBe('75000');
    expect(report.strategyValues).toEqual({ a: '25000' });
    expect(report.portfolioValue).toBe('100000');
  });

  it('uses strategies loaded beforehand by loadStrategies (each factory runs once), and refuses ones loaded for another config', async () => {
    let made = 0;
    const kinds = { counted: () => ((made += 1), idle()) };
    const config = testConfig({ strategies: [{ id: 'a', kind: 'counted', allocation: '0.5' }] });
    const loaded = await Portfolio.loadStrategies(config, { kinds });
    expect(made).toBe(1);
    const store = await openEventStore('memory:');
    const portfolio = await Portfolio.open({ store, config, kinds, loaded });
    open.push({ store, portfolio });
    expect(made).toBe(1);
    expect(portfolio.status().strategies.map((s) => s.id)).toEqual(['a']);
    const other = testConfig({ id: 'p2', strategies: [{ id: 'a', kind: 'counted', allocation: '0.5' }] });
    await expect(Portfolio.open({ store: await openEventStore('memory:'), config: other, kinds, loaded })).rejects.toThrow(/loaded for another config than portfolio "p2"/);
  });
});

describe('addStrategy', () => {
  it('refuses a duplicate id, and a pct ≤ 0 or > 1', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' } });
    expect(() => portfolio.addStrategy('a', idle(), '0.1')).toThrow(AllocationError);
    expect(() => portfolio.addStrategy('a', idle(), '0.1')).toThrow(/a already exists/);
    for (const pct of ['0', '-0.1', '1.0001']) expect(() => portfolio.addStrategy('c', idle(), pct)).toThrow(AllocationError);
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
  });

  it('refuses a total above 100% with the exact message', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.6' }, b: { strategy: idle(), allocation: '0.3' } });
    expect(() => portfolio.addStrategy('c', idle(), '0.3')).toThrow(new AllocationError('Allocation would exceed 100%: current=90.0%, new=30.0%, total=120.0%'));
  });

  it('counts queued additions against the 100%', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' } });
    portfolio.addStrategy('c', idle(), '0.3');
    expect(() => portfolio.addStrategy('d', idle(), '0.3')).toThrow('Allocation would exceed 100%: current=80.0%, new=30.0%, total=110.0%');
    expect(() => portfolio.addStrategy('c', idle(), '0.1')).toThrow(/already exists/);
  });

  it('starts the strategy at the next slice with pct × the current value, from the reserve', async () => {
    const a = planned('a', { 0: { AAA: '100' } });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '120' })); // a: 40000 + 100 × 120 = 52000; pv 102000
    const c = scripted('c');
    portfolio.addStrategy('c', c, '0.25');
    expect(c.calls).toEqual([]);
    await portfolio.processSlice(slice(day(2), { AAA: '120' }));
    const events = at(await readAllEvents(store), day(2));
    const added = ofType(events, 'StrategyAdded')[0];
    expect(added?.data).toMatchObject({ strategyId: 'c', allocationPct: '0.25', capital: '25500' });
    expect(ofType(events, 'CapitalTransferred').map((e) => [e.data.from, e.data.to, e.data.amount])).toEqual([['reserve', 'c', '25500']]);
    expect(c.calls).toEqual([day(2)]);
    expect(portfolio.status().reserve).toBe('24500');
  });
});

describe('removeStrategy', () => {
  const perShare = { execution: { commission: { kind: 'per-share' as const, perShare: '0.01', minimum: '1' } } };

  it('with liquidate sells the positions at the next slice and returns the whole value to the reserve', async () => {
    const a = planned('a', { 0: { AAA: '100' } });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' }, b: { strategy: idle(), allocation: '0.3' } }, perShare);
    await portfolio.processSlice(slice(day(0), { AAA: '100' })); // cash 50000 − 10000 − 1 = 39999
    portfolio.removeStrategy('a', { liquidate: true });
    const report = await portfolio.processSlice(slice(day(1), { AAA: '110' })); // cash 39999 + 11000 − 1 = 50998
    const events = at(await readAllEvents(store), day(1));
    expect(ofType(events, 'FillRecorded').map((e) => [e.data.strategyId, e.data.quantity, e.data.price, e.data.commission])).toEqual([['a', '-100', '110', '1']]);
    expect(ofType(events, 'CapitalTransferred').map((e) => [e.data.from, e.data.to, e.data.amount])).toEqual([['a', 'reserve', '50998']]);
    expect(ofType(events, 'StrategyRemoved').map((e) => e.data)).toEqual([{ strategyId: 'a', liquidated: true, capitalReturned: '50998' }]);
    // Before: 20000 + 30000 + (39999 + 100 × 110) = 100999 at the new marks; the sale cost 1 of commission.
    expect(report.reserve).toBe('70998');
    expect(report.portfolioValue).toBe('100998');
    expect(report.strategyValues).toEqual({ b: '30000' });
    expect(a.calls).toEqual([day(0)]);
    const st = portfolio.status().strategies.find((s) => s.id === 'a');
    expect(st).toMatchObject({ state: 'stopped', removed: true, positions: {} });
  });

  it("with fillAt 'next-open', removal at the next slice leaves no position behind (a pending order does not outlive it)", async () => {
    const a = planned('a', { 0: { AAA: '10' } });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' } }, { execution: { fillAt: 'next-open' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' })); // order placed, to fill at day 1's open
    portfolio.removeStrategy('a', { liquidate: true });
    await portfolio.processSlice(slice(day(1), { AAA: '110' }, { AAA: '105' }));
    const events = at(await readAllEvents(store), day(1));
    // The removal is due at this slice: the strategy ends it stopped, flat, and its value is back in the reserve.
    expect(ofType(events, 'StrategyRemoved').map((e) => e.data.strategyId)).toEqual(['a']);
    expect(portfolio.status().strategies[0]).toMatchObject({ state: 'stopped', removed: true, positions: {} });
    expect(dec(portfolio.status().reserve).eq(dec(portfolio.status().portfolioValue))).toBe(true);
  });

  it('without liquidate is refused while the strategy holds positions, and nothing is queued', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: planned('a', { 0: { AAA: '10' } }), allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    expect(() => portfolio.removeStrategy('a', { liquidate: false })).toThrow(AllocationError);
    expect(() => portfolio.removeStrategy('a', { liquidate: false })).toThrow(/still holds AAA 10/);
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
  });

  it('without liquidate and no positions returns the cash to the reserve', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    portfolio.removeStrategy('a', { liquidate: false });
    const report = await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    const events = at(await readAllEvents(store), day(1));
    expect(ofType(events, 'StrategyRemoved').map((e) => e.data)).toEqual([{ strategyId: 'a', liquidated: false, capitalReturned: '50000' }]);
    expect(report.reserve).toBe('100000');
    expect(report.portfolioValue).toBe('100000');
  });

  it('refuses an unknown id', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' } });
    expect(() => portfolio.removeStrategy('zz', { liquidate: true })).toThrow(new AllocationError('Strategy zz not found'));
    expect(() => portfolio.pauseStrategy('zz')).toThrow(AllocationError);
    expect(() => portfolio.resumeStrategy('zz')).toThrow(AllocationError);
  });
});

describe('pause and resume', () => {
  it('a paused strategy gets no onBar, keeps its positions and is valued every slice', async () => {
    const a = planned('a', { 0: { AAA: '100' } });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    portfolio.pauseStrategy('a');
    const closes = ['105', '95', '120'];
    for (let i = 1; i <= 3; i += 1) await portfolio.processSlice(slice(day(i), { AAA: closes[i - 1] as string }));
    expect(a.calls).toEqual([day(0)]);
    expect(portfolio.status().strategies[0]).toMatchObject({ state: 'paused', positions: { AAA: '100' } });
    const events = await readAllEvents(store);
    // 40000 cash + 100 × close, one value per slice, no gap.
    expect(ofType(events, 'BarMarked').map((e) => e.data.strategyValues.a)).toEqual(['50000', '50500', '49500', '52000']);
    expect(ofType(events, 'StrategyLifecycleChanged').filter((e) => e.data.strategyId === 'a').map((e) => [e.data.from, e.data.to])).toEqual([
      ['initializing', 'running'],
      ['running', 'paused'],
    ]);
    portfolio.resumeStrategy('a');
    await portfolio.processSlice(slice(day(4), { AAA: '120' }));
    expect(a.calls).toEqual([day(0), day(4)]);
    expect(portfolio.status().strategies[0]?.state).toBe('running');
  });
});

describe('rebalance', () => {
  it('is validated atomically: an unknown id or weights beyond 100% change nothing', async () => {
    const { portfolio } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' }, b: { strategy: idle(), allocation: '0.3' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    const before = portfolio.status();
    expect(() => portfolio.rebalance({ a: 0.2, zz: 0.1 })).toThrow(AllocationError);
    expect(() => portfolio.rebalance({ a: 0.7, b: 0.4 })).toThrow(AllocationError);
    // b keeps 30% when it is not named: a at 0.8 would make 110%.
    expect(() => portfolio.rebalance({ a: 0.8 })).toThrow(/exceed 100%/);
    expect(() => portfolio.rebalance({ a: 1.5 })).toThrow(AllocationError);
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    expect(portfolio.status().strategies.map((s) => s.value)).toEqual(before.strategies.map((s) => s.value));
    expect(portfolio.status().rebalances).toBe(0);
  });

  it('refuses a second rebalance queued for the same slice, naming the one queued, rather than dropping either', async () => {
    const { portfolio, store } = await openPortfolio({
      a: { strategy: idle(), allocation: '0.4' },
      b: { strategy: idle(), allocation: '0.3' },
      c: { strategy: idle(), allocation: '0.2' },
    });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    portfolio.rebalance({ a: 0.2, b: 0.2 }, 'first');
    expect(() => portfolio.rebalance({ c: 0.1 }, 'second')).toThrow(
      'rebalance: another rebalance is already queued for the next slice (a=0.2, b=0.2): one slice applies one rebalance; give every weight in one rebalance, or ask for this one after the next slice',
    );
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    const decided = ofType(at(await readAllEvents(store), day(1)), 'RebalanceDecided');
    expect(decided.map((e) => [e.data.reason, e.data.finalWeights])).toEqual([['first', { a: 0.2, b: 0.2 }]]);
  });

  it('targets weight × the current value; unnamed strategies keep their capital; the reserve keeps the difference', async () => {
    const a = planned('a', { 0: { AAA: '200' } });
    const c = idle();
    const { portfolio, store } = await openPortfolio({
      a: { strategy: a, allocation: '0.5' },
      b: { strategy: idle(), allocation: '0.3' },
      c: { strategy: c, allocation: '0.1' },
    });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '150' })); // a: 30000 + 200 × 150 = 60000; pv 110000
    portfolio.rebalance({ a: 0.3, b: 0.5 }, 'shift to b');
    await portfolio.processSlice(slice(day(2), { AAA: '150' }));
    const events = at(await readAllEvents(store), day(2));
    const decided = ofType(events, 'RebalanceDecided')[0];
    expect(decided?.data).toMatchObject({ trigger: 'manual', reason: 'shift to b', portfolioValue: '110000', targets: { a: '33000', b: '55000' } });
    const transfers = ofType(events, 'CapitalTransferred');
    expect(transfers.map((e) => [e.data.from, e.data.to, e.data.amount, e.data.rebalanceId])).toEqual([
      ['a', 'reserve', '27000', 'r1'],
      ['reserve', 'b', '25000', 'r1'],
    ]);
    // a gives 27000 and b gets 25000, so the reserve ends 2000 higher: 10000 + 2000 (its balance is what can be wrong;
    // the transfers' sum is zero by construction).
    expect(ofType(events, 'BarMarked')[0]?.data).toMatchObject({
      strategyValues: { a: '33000', b: '55000', c: '10000' },
      reserve: '12000',
      portfolioValue: '110000',
    });
    expect(ofType(events, 'FillRecorded')).toEqual([]);
  });

  it('a decrease beyond free cash sells every position pro rata and moves exactly the decrease', async () => {
    const a = planned('a', { 0: { AAA: '400', BBB: '90' } }); // 40000 + 9000, cash 1000
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' }, b: { strategy: idle(), allocation: '0.3' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100', BBB: '100' }));
    portfolio.rebalance({ a: 0.1 });
    await portfolio.processSlice(slice(day(1), { AAA: '100', BBB: '100' }));
    const events = at(await readAllEvents(store), day(1));
    // Target 10000: decrease 40000, free cash 1000, shortfall 39000 of 49000 held (× 1.01 margin) → 322 AAA, 73 BBB.
    expect(ofType(events, 'FillRecorded').map((e) => [e.data.symbol, e.data.quantity])).toEqual([
      ['AAA', '-322'],
      ['BBB', '-73'],
    ]);
    expect(ofType(events, 'CapitalTransferred').map((e) => [e.data.from, e.data.to, e.data.amount])).toEqual([['a', 'reserve', '40000']]);
    const marked = ofType(events, 'BarMarked')[0]?.data;
    expect(marked).toMatchObject({ reserve: '60000', portfolioValue: '100000', strategyValues: { a: '10000', b: '30000' }, strategyCash: { a: '500' } });
  });
});

describe('limits', () => {
  it('scales an order beyond cash down, recording the requested quantity', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: planned('a', { 0: { AAA: '600' } }), allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    const events = await readAllEvents(store);
    const placed = ofType(events, 'OrderPlaced')[0]?.data;
    expect(placed).toMatchObject({ strategyId: 'a', symbol: 'AAA', quantity: '500', requestedQuantity: '600' });
    expect(placed?.note).toMatch(/not enough cash/);
    expect(ofType(events, 'FillRecorded').map((e) => e.data.quantity)).toEqual(['500']);
    expect(portfolio.status().strategies[0]?.cash).toBe('0');
  });

  it('rejects an order when no quantity fits, with the reason', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: planned('a', { 0: { AAA: '500' }, 1: { AAA: '1' } }), allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    const rejected = ofType(await readAllEvents(store), 'OrderRejected');
    expect(rejected.map((e) => [e.metadata.barTime, e.data.symbol, e.data.quantity])).toEqual([[day(1), 'AAA', '1']]);
    expect(rejected[0]?.data.reason).toMatch(/not enough cash/);
  });

  it('a symbol absent from a slice is not tradable and is valued at its last mark', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: planned('a', { 0: { BBB: '10' }, 1: { BBB: '5' } }), allocation: '0.5' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100', BBB: '50' }));
    const report = await portfolio.processSlice(slice(day(1), { AAA: '101' }));
    const events = at(await readAllEvents(store), day(1));
    const rejected = ofType(events, 'OrderRejected');
    expect(rejected.map((e) => [e.data.symbol, e.data.quantity])).toEqual([['BBB', '5']]);
    expect(rejected[0]?.data.reason).toMatch(/not tradable/);
    expect(ofType(events, 'FillRecorded')).toEqual([]);
    // 50000 − 500 + 10 × 50 (last mark)
    expect(report.strategyValues).toEqual({ a: '50000' });
    expect(ofType(events, 'BarMarked')[0]?.data.marks).toEqual({ AAA: '101' });
  });
});

describe('netting', () => {
  it('nets opposite orders of two strategies into one trade and splits the fill back at one price', async () => {
    const { portfolio, store } = await openPortfolio(
      { a: { strategy: planned('a', { 0: { AAA: '100' } }), allocation: '0.5' }, b: { strategy: planned('b', { 0: { AAA: '-40' } }), allocation: '0.3' } },
      { execution: { commission: { kind: 'per-share', perShare: '0.005', minimum: '1' } } },
    );
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    const events = await readAllEvents(store);
    const netted = ofType(events, 'OrdersNetted');
    expect(netted).toHaveLength(1);
    expect(netted[0]?.data.symbols).toEqual([
      expect.objectContaining({ symbol: 'AAA', grossLong: '100', grossShort: '40', net: '60', strategies: ['a', 'b'] }),
    ]);
    const fills = ofType(events, 'FillRecorded');
    expect(fills.map((f) => [f.data.strategyId, f.data.quantity, f.data.price])).toEqual([
      ['a', '100', '100'],
      ['b', '-40', '100'],
    ]);
    expect(fills.reduce((t, f) => t.plus(f.data.quantity), dec('0')).toString()).toBe('60');
    // Alone: max(1, 0.5) + max(1, 0.2) = 2; netted: max(1, 0.3) = 1.
    expect(netted[0]?.data.commissionSaved).toBe('1');
    expect(fills.reduce((t, f) => t.plus(f.data.commission), dec('0')).toString()).toBe('1');
  });
});

describe('fault containment', () => {
  const thrower = (at: number): Strategy & { calls: string[] } =>
    scripted('thrower', (ctx) => {
      if (ctx.barIndex === at) throw new Error('strategy exploded');
    });

  it('a throwing onBar is recorded, the strategy paused, and the others go on', async () => {
    const a = thrower(1);
    const b = planned('b', { 1: { AAA: '10' } });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' }, b: { strategy: b, allocation: '0.3' } });
    for (let i = 0; i < 3; i += 1) await portfolio.processSlice(slice(day(i), { AAA: '100' }));
    const events = await readAllEvents(store);
    expect(ofType(events, 'StrategyFaulted').map((e) => [e.metadata.barTime, e.data])).toEqual([
      [day(1), { strategyId: 'a', phase: 'onBar', error: 'Error: strategy exploded', action: 'paused' }],
    ]);
    expect(ofType(events, 'StrategyLifecycleChanged').filter((e) => e.data.strategyId === 'a').map((e) => e.data.to)).toEqual(['running', 'paused']);
    expect(a.calls).toEqual([day(0), day(1)]);
    expect(b.calls).toEqual([day(0), day(1), day(2)]);
    expect(ofType(events, 'FillRecorded').map((e) => e.data.strategyId)).toEqual(['b']);
    expect(ofType(events, 'BarMarked')).toHaveLength(3);
  });

  it('a throwing init is recorded and the strategy never runs', async () => {
    const bad: Strategy = { name: 'bad', init: () => { throw new TypeError('no init for you'); }, onBar: () => { throw new Error('must not run'); } };
    const b = scripted('b');
    const { portfolio, store } = await openPortfolio({ a: { strategy: bad, allocation: '0.5' }, b: { strategy: b, allocation: '0.3' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    const events = await readAllEvents(store);
    expect(ofType(events, 'StrategyFaulted').map((e) => e.data)).toEqual([{ strategyId: 'a', phase: 'init', error: 'TypeError: no init for you', action: 'paused' }]);
    expect(portfolio.status().strategies.map((s) => [s.id, s.state])).toEqual([
      ['a', 'paused'],
      ['b', 'running'],
    ]);
    expect(b.calls).toEqual([day(0), day(1)]);
    expect(ofType(events, 'BarMarked').map((e) => e.data.portfolioValue)).toEqual(['100000', '100000']);
  });

  it("with faultPolicy 'liquidate' the strategy's positions are sold at the next slice and its cash returns to the reserve", async () => {
    const a = scripted('a', (ctx) => {
      if (ctx.barIndex === 0) ctx.order('AAA', '100');
      if (ctx.barIndex === 1) throw new Error('late failure');
    });
    const { portfolio, store } = await openPortfolio({ a: { strategy: a, allocation: '0.5' } }, { risk: { faultPolicy: 'liquidate' } });
    for (const [i, close] of [[0, '100'], [1, '90'], [2, '80']] as const) await portfolio.processSlice(slice(day(i), { AAA: close }));
    const events = await readAllEvents(store);
    expect(ofType(events, 'StrategyFaulted').map((e) => e.data.action)).toEqual(['liquidating']);
    expect(ofType(events, 'FillRecorded').map((e) => [e.metadata.barTime, e.data.quantity, e.data.price])).toEqual([
      [day(0), '100', '100'],
      [day(2), '-100', '80'],
    ]);
    // 40000 + 100 × 80
    expect(ofType(at(events, day(2)), 'CapitalTransferred').map((e) => [e.data.from, e.data.to, e.data.amount])).toEqual([['a', 'reserve', '48000']]);
    expect(portfolio.status()).toMatchObject({ reserve: '98000', portfolioValue: '98000' });
    expect(portfolio.status().strategies[0]?.state).toBe('stopped');
  });
});

describe('drawdown limit', () => {
  const buyer = (): Strategy => planned('a', { 0: { AAA: '400' } }); // 40000 of 50000 in AAA

  it('pauses a strategy beyond risk.maxDrawdown, naming the drawdown', async () => {
    const other = scripted('b');
    const { portfolio, store } = await openPortfolio({ a: { strategy: buyer(), allocation: '0.5' }, b: { strategy: other, allocation: '0.3' } }, { risk: { maxDrawdown: 0.2 } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '80' })); // 10000 + 32000 = 42000: −16%
    expect(portfolio.status().strategies[0]?.state).toBe('running');
    await portfolio.processSlice(slice(day(2), { AAA: '70' })); // 38000: −24%
    const changes = ofType(await readAllEvents(store), 'StrategyLifecycleChanged').filter((e) => e.data.to === 'paused');
    expect(changes.map((e) => [e.metadata.barTime, e.data.strategyId])).toEqual([[day(2), 'a']]);
    expect(changes[0]?.data.reason).toMatch(/drawdown -24\.00%.*20\.00%/);
    expect(portfolio.status().strategies.map((s) => s.state)).toEqual(['paused', 'running']);
  });

  it("with drawdownAction 'liquidate' sells the positions at the next slice", async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: buyer(), allocation: '0.5' } }, { risk: { maxDrawdown: 0.2, drawdownAction: 'liquidate' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '70' }));
    await portfolio.processSlice(slice(day(2), { AAA: '75' }));
    const events = await readAllEvents(store);
    expect(ofType(events, 'StrategyLifecycleChanged').filter((e) => e.data.strategyId === 'a').map((e) => e.data.to)).toEqual(['running', 'liquidating', 'stopped']);
    expect(ofType(events, 'FillRecorded').map((e) => [e.metadata.barTime, e.data.quantity, e.data.price])).toEqual([
      [day(0), '400', '100'],
      [day(2), '-400', '75'],
    ]);
    expect(portfolio.status().reserve).toBe('90000'); // 50000 + 10000 + 400 × 75
  });

  it('does not count capital moved in or out as a drawdown', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: idle(), allocation: '0.5' }, b: { strategy: idle(), allocation: '0.3' } }, { risk: { maxDrawdown: 0.1 } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    portfolio.rebalance({ a: 0.1 }); // a gives 40000 back: −80% of its value, no loss
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    await portfolio.processSlice(slice(day(2), { AAA: '100' }));
    expect(ofType(await readAllEvents(store), 'StrategyLifecycleChanged').filter((e) => e.data.to === 'paused')).toEqual([]);
  });
});

describe("fillAt 'next-open'", () => {
  it('fills an order placed at slice t at slice t+1 open', async () => {
    const { portfolio, store } = await openPortfolio({ a: { strategy: planned('a', { 0: { AAA: '10' } }), allocation: '0.5' } }, { execution: { fillAt: 'next-open' } });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    await portfolio.processSlice(slice(day(1), { AAA: '110' }, { AAA: '104.5' }));
    const events = await readAllEvents(store);
    expect(ofType(events, 'OrderPlaced').map((e) => [e.metadata.barTime, e.data.quantity])).toEqual([[day(0), '10']]);
    expect(ofType(events, 'FillRecorded').map((e) => [e.metadata.barTime, e.data.quantity, e.data.price])).toEqual([[day(1), '10', '104.5']]);
    // 50000 − 1045 + 10 × 110
    expect(portfolio.status().strategies[0]?.value).toBe('50055');
  });
});
