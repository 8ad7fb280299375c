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

/** The demo market's defaults: three years of business days from seed 42. */
export const DEMO_SLICES = 756;
export const DEMO_SEED = 42;

/**
 * The demo's validated config. Another market (seed or length) is named in the config, so its log records the market
 * it ran on and a store holding another market's demo refuses it instead of showing the old market's results.
 */
export function demoConfig(slices = DEMO_SLICES, seed = DEMO_SEED): PortfolioConfig {
  const market = slices === DEMO_SLICES && seed === DEMO_SEED ? '' : ` (synthetic market: seed ${seed}, ${slices} slices)`;
  return parsePortfolioConfig({ ...DEMO_CONFIG_INPUT, name: `${DEMO_CONFIG_INPUT.name}${market}` }, 'demo config');
}

/** The demo's market: 20 correlated symbols with regime switches, three years of business days by default. */
export function demoMarket(slices = DEMO_SLICES, seed = DEMO_SEED): SyntheticMarketOptions {
  return { seed, symbols: 20, bars: slices, start: '2021-01-04' };
}
