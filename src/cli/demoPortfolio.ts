// The demo: its portfolio (the same as examples/demo-portfolio.json) and its synthetic market.
import { parsePortfolioConfig, type PortfolioConfig } from '../config/portfolioConfig.js';
import type { SyntheticMarketOptions } from '../market/syntheticMarket.js';

/** The demo's portfolio: four built-in strategies under monthly equal-risk-contribution risk parity with a drift trigger. */
export const DEMO_CONFIG_INPUT = {
  id: 'demo',
  name: 'Demo: four strategies under equal-risk-contribution risk parity',
  baseCurrency: 'USD',
  capital: '1000000',
  strategies: [
    { id: 'buy-hold', kind: 'buy-and-hold', allocation: '0.2', params: {} },
    { id: 'momentum', kind: 'momentum', allocation: '0.25', params: { lookback: 20, topN: 4, rebalanceEvery: 21 } },
    { id: 'mean-rev', kind: 'mean-reversion', allocation: '0.25', params: { lookback: 20, entryZ: 1.5, exitZ: 0.25 } },
    { id: 'trend', kind: 'trend-following', allocation: '0.2', params: { fast: 10, slow: 40 }, min: 0.05, max: 0.5 },
  ],
  execution: { fillAt: 'close', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
  risk: { exposureBuffer: 0, maxDrawdown: 0.35, drawdownAction: 'pause', faultPolicy: 'pause' },
  rebalancing: {
    algorithm: 'risk-parity',
    params: { method: 'equal-risk-contribution', lookback: 63 },
    constraints: { defaultMin: 0.05, defaultMax: 0.5, maxTotal: 0.95 },
    frequency: 'monthly',
    cooldownDays: 5,
    driftThreshold: 0.1,
  },
  lookback: 252,
  durability: 'normal',
  snapshotEvery: 250,
} as const;

/** The demo's validated config. */
export function demoConfig(): PortfolioConfig {
  return parsePortfolioConfig(DEMO_CONFIG_INPUT, 'demo config');
}

/** The demo's market: 20 correlated symbols with regime switches, three years of business days. */
export function demoMarket(bars = 756, seed = 42): SyntheticMarketOptions {
  return { seed, symbols: 20, bars, start: '2021-01-04' };
}
