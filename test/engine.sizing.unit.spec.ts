// Position sizers in the order path: a strategy's configured sizer decides the quantity of ctx.orderSized.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { ConfigError } from '../src/errors.js';
import { day, ofType, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';

async function runOne(sizer: PortfolioConfigInput['strategies'][number]['sizer'], script: Parameters<typeof scripted>[1]) {
  const store = await openEventStore('memory:');
  const strategy = scripted('sized', script);
  const config = testConfig({ strategies: [{ id: 's', kind: 'k-s', allocation: '1', ...(sizer ? { sizer } : {}) }] });
  const portfolio = await Portfolio.open({ store, config, kinds: { 'k-s': () => strategy } });
  await portfolio.processSlice(slice(day(0), { AAA: '50', BBB: '20' }));
  const events = await readAllEvents(store);
  portfolio.close();
  await store.close();
  return events;
}

describe('ctx.orderSized', () => {
  it('risk-based: equity × risk ÷ stop distance (100,000 × 1% ÷ (50 − 45) = 200 units)', async () => {
    const events = await runOne({ kind: 'risk-based', riskPerTrade: '0.01' }, (ctx) => ctx.orderSized('AAA', 'buy', { stopPrice: '45' }));
    expect(ofType(events, 'FillRecorded').map((f) => [f.data.symbol, f.data.quantity])).toEqual([['AAA', '200']]);
  });

  it('portfolio-weight: weight × equity ÷ price (0.25 × 100,000 ÷ 20 = 1,250 units), and a sell is negative', async () => {
    const events = await runOne({ kind: 'portfolio-weight', weights: { BBB: '0.25' } }, (ctx) => {
      ctx.orderSized('BBB', 'buy');
      ctx.orderSized('BBB', 'sell');
      ctx.orderSized('BBB', 'buy');
    });
    expect(ofType(events, 'OrderPlaced').map((o) => [o.data.symbol, o.data.quantity])).toEqual([['BBB', '1250']]);
  });

  it('without a configured sizer the call is a contained strategy fault naming the missing field', async () => {
    const events = await runOne(undefined, (ctx) => ctx.orderSized('AAA', 'buy'));
    const faults = ofType(events, 'StrategyFaulted');
    expect(faults).toHaveLength(1);
    expect(faults[0]?.data.error).toContain('needs a "sizer"');
    expect(ofType(events, 'OrderPlaced')).toHaveLength(0);
  });

  it('a bad sizer parameter is a ConfigError naming the strategy and field when the portfolio opens', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 's', kind: 'k-s', allocation: '1', sizer: { kind: 'risk-based', riskPerTrade: '-1' } }] });
    await expect(Portfolio.open({ store, config, kinds: { 'k-s': () => scripted('x') } })).rejects.toThrow(ConfigError);
    await expect(Portfolio.open({ store, config, kinds: { 'k-s': () => scripted('x') } })).rejects.toThrow(/strategies\[0\]\.sizer/);
    await store.close();
  });
});

describe('beta sizer from the strategy’s history', () => {
  it('divides the risk-based size by the beta it estimates against the benchmark', async () => {
    const { RollingPriceHistory } = await import('../src/strategy/priceHistory.js');
    const { createSizerFactory } = await import('../src/sizing/sizerSpec.js');
    const { dec } = await import('../src/money/decimal.js');
    const bench = [100, 101, 99, 102, 100.5, 103];
    const asset = [50];
    for (let i = 1; i < bench.length; i += 1) asset.push((asset[i - 1] as number) * (1 + 2 * ((bench[i] as number) / (bench[i - 1] as number) - 1)));
    const history = new RollingPriceHistory(10);
    bench.forEach((b, i) => history.pushCloses(day(i), { IDX: String(b), AAA: String(asset[i]) }));
    const factory = createSizerFactory({ kind: 'beta', riskPerTrade: '0.01', stopLoss: '0.1', benchmark: 'IDX', lookback: 5 });
    const sizer = factory(history);
    // risk-based alone: 100,000 × 0.01 ÷ (40 × 0.1) = 250 units; beta 2 halves it.
    expect(sizer.size({ symbol: 'AAA', price: dec('40'), equity: dec('100000') }).toString()).toBe('125');
  });
});
