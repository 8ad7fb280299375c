// Money is conserved and runs are reproducible: every slice's values reconcile with an independent replay of the
// transfers and fills, rebalances move capital without creating any, and the same inputs give byte-identical logs.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { RecordedEvent } from '../events/envelope.js';
import { dec, ZERO, type Dec } from '../src/money/decimal.js';
import { syntheticMarket } from '../src/market/syntheticMarket.js';
import { parsePortfolioConfig, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { portfolioStream } from '../events/envelope.js';
import { verifyPortfolioLog } from '../projections/logVerification.js';
import { ProjectionRunner, attributionView, portfolioSummary, standardProjections } from '../src/index.js';
import { day, ofType, planned, readAllEvents, slice, testConfig } from './fixtures/engine/engineFixtures.js';

function rebalancingConfig(): PortfolioConfig {
  return parsePortfolioConfig({
    id: 'conservation',
    name: 'four built-ins under risk parity',
    capital: '1000000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.2' },
      { id: 'mom', kind: 'momentum', allocation: '0.25', params: { lookback: 20, topN: 2, rebalanceEvery: 10 } },
      { id: 'mr', kind: 'mean-reversion', allocation: '0.25', params: { lookback: 10, entryZ: 1, exitZ: 0.2 } },
      { id: 'tf', kind: 'trend-following', allocation: '0.2', params: { fast: 5, slow: 20 } },
    ],
    execution: { fillAt: 'close', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
    rebalancing: {
      algorithm: 'risk-parity',
      params: { method: 'equal-risk-contribution', lookback: 40 },
      constraints: { defaultMin: 0.05, defaultMax: 0.5, maxTotal: 0.95 },
      frequency: 'monthly',
      driftThreshold: 0.05,
    },
    lookback: 60,
  });
}

const market = { seed: 7, symbols: 6, bars: 200, start: '2022-01-03' } as const;

async function runOnce(config: PortfolioConfig): Promise<RecordedEvent[]> {
  const store = await openEventStore('memory:');
  const portfolio = await Portfolio.open({ store, config });
  await portfolio.run(syntheticMarket(market));
  portfolio.close();
  const events = await readAllEvents(store);
  await store.close();
  return events;
}

describe('conservation over a rebalanced run', async () => {
  const events = await runOnce(rebalancingConfig());

  it('runs every slice and rebalances on the schedule and on drift', () => {
    expect(ofType(events, 'BarMarked')).toHaveLength(200);
    const decided = ofType(events, 'RebalanceDecided');
    expect(decided.length).toBeGreaterThanOrEqual(5);
    expect(decided.some((e) => e.data.trigger === 'schedule')).toBe(true);
    expect(ofType(events, 'FillRecorded').length).toBeGreaterThan(50);
  });

  it('opens with allocation × capital for each strategy', () => {
    const initial = ofType(events, 'CapitalTransferred').filter((e) => e.data.reason === 'initial allocation');
    expect(initial.map((e) => [e.data.to, e.data.amount])).toEqual([
      ['bh', '200000'],
      ['mom', '250000'],
      ['mr', '250000'],
      ['tf', '200000'],
    ]);
  });

  it('after every slice, portfolioValue = reserve + Σ strategy values exactly', () => {
    for (const e of ofType(events, 'BarMarked')) {
      const sum = Object.values(e.data.strategyValues).reduce((t, v) => t.plus(v), dec(e.data.reserve));
      expect(dec(e.data.portfolioValue).eq(sum), `at ${e.metadata.barTime ?? ''}`).toBe(true);
    }
  });

  it('reserve, cash and values reconcile with an independent replay of transfers and fills at the marks', () => {
    let reserve = ZERO;
    const cash = new Map<string, Dec>();
    const held = new Map<string, Map<string, Dec>>();
    const marks = new Map<string, Dec>();
    const move = (party: string, amount: Dec): void => {
      if (party === 'reserve') reserve = reserve.plus(amount);
      else cash.set(party, (cash.get(party) ?? ZERO).plus(amount));
    };
    let checked = 0;
    for (const e of events) {
      if (e.type === 'PortfolioOpened') reserve = dec(e.data.totalCapital);
      else if (e.type === 'CapitalTransferred') {
        move(e.data.from, dec(e.data.amount).neg());
        move(e.data.to, dec(e.data.amount));
      } else if (e.type === 'FillRecorded') {
        const q = dec(e.data.quantity);
        move(e.data.strategyId, q.times(e.data.price).plus(e.data.commission).neg());
        const book = held.get(e.data.strategyId) ?? new Map<string, Dec>();
        book.set(e.data.symbol, (book.get(e.data.symbol) ?? ZERO).plus(q));
        held.set(e.data.strategyId, book);
      } else if (e.type === 'BarMarked') {
        for (const [s, p] of Object.entries(e.data.marks)) marks.set(s, dec(p));
        expect(dec(e.data.reserve).eq(reserve)).toBe(true);
        for (const [id, valueText] of Object.entries(e.data.strategyValues)) {
          const c = cash.get(id) ?? ZERO;
          expect(dec(e.data.strategyCash[id] ?? 'NaN').eq(c)).toBe(true);
          let value = c;
          for (const [s, q] of held.get(id) ?? []) value = value.plus(q.times(marks.get(s) ?? ZERO));
          expect(dec(valueText).eq(value), `${id} at ${e.metadata.barTime ?? ''}`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBe(800);
  });

  it('each strategy ends a rebalance at its target, or short of it only as far as its cash or the reserve allowed', () => {
    let ended = 0;
    for (const d of ofType(events, 'RebalanceDecided')) {
      const transfers = ofType(events, 'CapitalTransferred').filter((t) => t.data.rebalanceId === d.data.rebalanceId);
      const net = new Map<string, Dec>();
      for (const t of transfers) {
        net.set(t.data.from, (net.get(t.data.from) ?? ZERO).minus(t.data.amount));
        net.set(t.data.to, (net.get(t.data.to) ?? ZERO).plus(t.data.amount));
      }
      const mark = ofType(events, 'BarMarked').find((m) => m.metadata.barTime === d.metadata.barTime);
      if (mark === undefined) throw new Error(`no BarMarked closes the slice of ${d.data.rebalanceId}`);
      for (const [id, target] of Object.entries(d.data.targets)) {
        const value = dec(String(d.data.inputs[id]?.value ?? 'NaN'));
        const after = value.plus(net.get(id) ?? ZERO);
        // An increase is paid in whole cents, rounded down: up to a cent short of the target is on target.
        if (after.eq(target) || (after.lt(target) && dec(target).minus(after).lt('0.01'))) {
          ended += 1;
          continue;
        }
        // Short of a decrease: the strategy gave all the cash it had. Short of an increase: the reserve ran dry
        // (increases scaled down pro rata to what it held, each rounded down to the cent).
        if (after.gt(target)) expect(dec(mark.data.strategyCash[id] ?? 'NaN').isZero(), `${d.data.rebalanceId} ${id} kept cash above its target`).toBe(true);
        else expect(dec(mark.data.reserve).lt('0.01'), `${d.data.rebalanceId} ${id} below its target with ${mark.data.reserve} in the reserve`).toBe(true);
      }
      // Each target is weight × the decision's portfolio value, rounded down to the cent.
      for (const [id, target] of Object.entries(d.data.targets)) {
        const w = d.data.finalWeights[id] ?? NaN;
        const exact = dec(d.data.portfolioValue).times(w);
        expect(dec(target).lte(exact) && exact.minus(target).lt('0.01')).toBe(true);
      }
      // Only strategies the decision names move money.
      for (const party of net.keys()) expect(party === 'reserve' || Object.hasOwn(d.data.finalWeights, party)).toBe(true);
    }
    expect(ended).toBeGreaterThan(0);
  });

  it('the reserve never goes below zero: after every transfer, and at every mark', () => {
    let reserve: Dec | null = null;
    let transfers = 0;
    for (const e of events) {
      if (e.type === 'PortfolioOpened') reserve = dec(e.data.totalCapital);
      if (e.type === 'CapitalTransferred' && reserve !== null) {
        if (e.data.from === 'reserve') reserve = reserve.minus(e.data.amount);
        if (e.data.to === 'reserve') reserve = reserve.plus(e.data.amount);
        expect(reserve.isNegative(), `reserve ${reserve.toString()} after the transfer at revision ${e.metadata.revision}`).toBe(false);
        transfers += 1;
      }
      if (e.type === 'BarMarked') expect(dec(e.data.reserve).isNegative()).toBe(false);
    }
    expect(transfers).toBeGreaterThan(0);
  });
});

describe('a portfolio value of more than 34 significant digits', () => {
  it('is the exact sum of the reserve and the values, in BarMarked and status(), and the log verifies', async () => {
    // Each value has 34 digits (400.2 and 31 decimals); with the reserve of 200 the total needs 35, which a Decimal
    // sum rounds to 1000.4: the one-digit residue would be money made or lost by no fill and no transfer.
    const store = await openEventStore('memory:');
    const config = testConfig({ capital: '1000', strategies: [{ id: 'a', kind: 'ka', allocation: '0.4' }, { id: 'b', kind: 'kb', allocation: '0.4' }] });
    const kinds = { ka: () => planned('a', { 0: { AAA: '1' } }), kb: () => planned('b', { 0: { BBB: '1' } }) };
    const portfolio = await Portfolio.open({ store, config, kinds });
    await portfolio.processSlice(slice(day(0), { AAA: '0.5', BBB: '0.5' }));
    await portfolio.processSlice(slice(day(1), { AAA: '0.7000000000000000000000000000001', BBB: '0.7000000000000000000000000000003' }));
    const marked = ofType(await readAllEvents(store), 'BarMarked').at(-1)?.data;
    expect(marked?.strategyValues).toEqual({ a: '400.2000000000000000000000000000001', b: '400.2000000000000000000000000000003' });
    expect(marked?.reserve).toBe('200');
    expect(marked?.portfolioValue).toBe('1000.4000000000000000000000000000004');
    expect(portfolio.status().portfolioValue).toBe('1000.4000000000000000000000000000004');
    expect(await verifyPortfolioLog(store, portfolioStream('p1'))).toMatchObject({ ok: true, marks: 2 });
    // Replay's figures are as exact: the summary's value, and contributions that sum to the P&L.
    const { states } = await new ProjectionRunner(store, standardProjections({ period: 'daily' }), { stream: portfolioStream('p1'), checkpointEvery: 0 }).run();
    expect(portfolioSummary(states.portfolio, states.performance)).toMatchObject({ portfolioValue: '1000.4000000000000000000000000000004', cash: '999' });
    const attribution = attributionView(states.attribution);
    expect(attribution.strategies.map((x) => x.contribution)).toEqual(['0.2000000000000000000000000000001', '0.2000000000000000000000000000003']);
    expect(attribution.portfolioPnl).toBe('0.4000000000000000000000000000004');
    portfolio.close();
    await store.close();
  });
});

describe('determinism', () => {
  it('the same config and bars on two fresh stores give byte-identical event logs', async () => {
    const first = await runOnce(rebalancingConfig());
    const second = await runOnce(rebalancingConfig());
    expect(second.length).toBe(first.length);
    expect(second.map((e) => JSON.stringify(e))).toEqual(first.map((e) => JSON.stringify(e)));
    expect(second.at(-1)?.metadata.hash).toBe(first.at(-1)?.metadata.hash);
  });
});
