// The engine's oracle: event counts and head hashes of fixed runs, compared before and after a change to the engine.
// `node dist/bench/oracle.js [prices.csv]` prints them as JSON; a run whose hash moves changed the log.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Portfolio, openEventStore, parsePortfolioConfig, syntheticMarket, type PortfolioConfigInput, type Strategy } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'stratafolio.js');

interface OracleEntry {
  readonly events: number;
  readonly head: string;
  /** How many events of each type, so a changed log shows where it changed. */
  readonly types: Readonly<Record<string, number>>;
}

async function headOf(url: string): Promise<OracleEntry> {
  const store = await openEventStore(url);
  try {
    let events = 0;
    let head = '';
    const types = new Map<string, number>();
    for await (const e of store.readAll()) {
      events += 1;
      head = e.metadata.hash;
      types.set(e.type, (types.get(e.type) ?? 0) + 1);
    }
    return { events, head, types: Object.fromEntries([...types.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) };
  } finally {
    await store.close();
  }
}

/** A strategy that trades a little and throws on its 150th bar, so the fault policy is exercised. */
function faulty(): Strategy {
  return {
    name: 'faulty',
    onBar(ctx, slice) {
      if (ctx.barIndex === 150) throw new Error('deliberate fault at bar 150');
      if (ctx.barIndex % 30 === 5) {
        const symbol = Object.keys(slice.bars).sort()[0];
        if (symbol) ctx.order(symbol, '10');
      }
    },
  };
}

const EVERY_KIND = (algorithm: string, params: Record<string, unknown>, fillAt: 'close' | 'next-open'): PortfolioConfigInput => ({
  id: `oracle-${algorithm}`,
  name: `oracle ${algorithm}`,
  capital: '1000000',
  strategies: [
    { id: 'bh', kind: 'buy-and-hold', allocation: '0.15', params: {} },
    { id: 'mom', kind: 'momentum', allocation: '0.2', params: { lookback: 20, topN: 3, rebalanceEvery: 21 } },
    { id: 'mr', kind: 'mean-reversion', allocation: '0.2', params: { lookback: 20, entryZ: 1.5, exitZ: 0.25 } },
    { id: 'tf', kind: 'trend-following', allocation: '0.15', params: { fast: 10, slow: 40 } },
    { id: 'su', kind: 'scored-universe', allocation: '0.1', params: { lookback: 20, rebalanceEvery: 20, maxPositions: 4 } },
    { id: 'ft', kind: 'faulty', allocation: '0.05', params: {} },
  ],
  execution: { fillAt, commission: { kind: 'percent', rate: '0.001', minimum: '1' }, slippageBps: '5' },
  risk: { exposureBuffer: 0, maxDrawdown: 0.2, drawdownAction: 'pause', faultPolicy: 'pause' },
  rebalancing: { algorithm, params, constraints: algorithm === 'mip' ? {} : { defaultMin: 0.02, defaultMax: 0.6, maxTotal: 0.95 }, frequency: 'monthly', cooldownDays: 5, driftThreshold: 0.1 },
  lookback: 126,
  durability: 'normal',
  snapshotEvery: 100,
} as PortfolioConfigInput);

/** Every strategy kind, percent commission, slippage, a fault, a pause and resume, a manual rebalance and a removal. */
async function everyFeature(dir: string, algorithm: string, params: Record<string, unknown>, fillAt: 'close' | 'next-open'): Promise<OracleEntry> {
  const url = `sqlite:${join(dir, `${algorithm}-${fillAt}.db`)}`;
  const store = await openEventStore(url);
  const config = parsePortfolioConfig(EVERY_KIND(algorithm, params, fillAt));
  const portfolio = await Portfolio.open({ store, config, kinds: { faulty } });
  let i = 0;
  await portfolio.run(syntheticMarket({ seed: 7, symbols: 8, bars: 400, start: '2020-01-06' }), () => {
    i += 1;
    if (i === 60) portfolio.pauseStrategy('mr', 'oracle pause');
    if (i === 90) portfolio.resumeStrategy('mr', 'oracle resume');
    if (i === 200) portfolio.rebalance({ bh: 0.15, mom: 0.15, mr: 0.15, tf: 0.15, su: 0.1, ft: 0.02 }, 'oracle manual rebalance');
    if (i === 395) portfolio.removeStrategy('su', { liquidate: true });
  });
  portfolio.close();
  await store.close();
  return headOf(url);
}

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-oracle-'));
try {
  const out: Record<string, OracleEntry> = {};
  execFileSync(process.execPath, [bin, 'demo', '--store', `sqlite:${join(dir, 'demo.db')}`, '--json'], { stdio: 'ignore' });
  out['demo'] = await headOf(`sqlite:${join(dir, 'demo.db')}`);
  const prices = process.argv[2] ?? join(root, '..', 'shared', 'data', 'pypfopt_stock_prices.csv');
  if (existsSync(prices)) {
    const url = `sqlite:${join(dir, 'example.db')}`;
    execFileSync(process.execPath, [bin, 'backtest', '--config', join(root, 'examples', 'demo-portfolio.json'), '--bars', prices, '--store', url, '--json'], { stdio: 'ignore' });
    out['example-on-real-prices'] = await headOf(url);
  }
  const algorithms: [string, Record<string, unknown>][] = [
    ['risk-parity', { method: 'equal-risk-contribution', lookback: 63 }],
    ['fixed', { allocations: { bh: 0.2, mom: 0.2, mr: 0.2, tf: 0.2, su: 0.1, ft: 0.05 } }],
    ['dynamic', { lookback: 63 }],
    ['kelly', { lookback: 63 }],
    ['drawdown', {}],
    ['sharpe', { lookback: 63 }],
    ['mip', {}],
  ];
  for (const [name, params] of algorithms) out[`every-feature-${name}`] = await everyFeature(dir, name, params, 'close');
  out['every-feature-risk-parity-next-open'] = await everyFeature(dir, 'risk-parity', { method: 'equal-risk-contribution', lookback: 63 }, 'next-open');
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
