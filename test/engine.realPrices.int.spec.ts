// On real prices (20 US stocks, 1989–2018, outside the repository): a long-only strategy trades alike under `close`
// and `next-open` and never goes short. The generated markets of the unit specs say the same on synthetic bars; real
// prices have the gaps, splits and quiet stretches that made next-open order twice before.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBarSource } from '../src/market/barSource.js';
import { ofType, runSlices, testConfig } from './fixtures/engine/engineFixtures.js';

const prices = process.env['STRATAFOLIO_REAL_PRICES'] ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'pypfopt_stock_prices.csv');
const present = existsSync(prices);

if (!present) {
  process.stderr.write(`\nSKIPPED: test/engine.realPrices.int.spec.ts — no real-price file at ${prices} (set STRATAFOLIO_REAL_PRICES to a wide CSV of daily closes)\n`);
}

describe.runIf(present)('trend-following alone on the real-price file', () => {
  it('fills under next-open within a fifth of those under close, and no holding below zero in either mode', async () => {
    const fills: Record<string, number> = {};
    for (const fillAt of ['close', 'next-open'] as const) {
      const config = testConfig({
        capital: '1000000',
        strategies: [{ id: 'trend', kind: 'trend-following', allocation: '1', params: { fast: 10, slow: 40 } }],
        execution: { fillAt, commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
        snapshotEvery: 0,
      });
      const events = await runSlices(config, openBarSource({ path: prices }));
      const held = new Map<string, number>();
      for (const f of ofType(events, 'FillRecorded')) {
        const q = (held.get(f.data.symbol) ?? 0) + Number(f.data.quantity);
        held.set(f.data.symbol, q);
        expect(q, `${fillAt}: ${f.data.symbol} at ${f.metadata.barTime}`).toBeGreaterThanOrEqual(0);
      }
      fills[fillAt] = ofType(events, 'FillRecorded').length;
    }
    const { close = 0, 'next-open': nextOpen = 0 } = fills;
    expect(close).toBeGreaterThan(500);
    expect(nextOpen / close).toBeGreaterThan(0.8);
    expect(nextOpen / close).toBeLessThan(1.25);
  }, 120_000);
});
