// A config that cannot run is refused before the store is touched: no file is created, nothing is written.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import type { RunSummaryJson } from '../src/cli/runSummary.js';
import { runBin, runCli } from './fixtures/cliRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-preflight-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const base = {
  id: 'pf',
  name: 'preflight',
  capital: '100000',
  strategies: [
    { id: 'tf', kind: 'trend-following', allocation: '0.4', params: { fast: 5, slow: 15, symbols: ['SYN01', 'SYN02'] } },
    { id: 'bh', kind: 'buy-and-hold', allocation: '0.4' },
  ],
};

function write(name: string, value: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('backtest refuses before it opens the store', async () => {
  const bars = join(scratch, 'bars.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 5, symbols: 3, bars: 40, start: '2023-01-02' }));

  it('a symbol the config names that never appears in the bars, naming the field', async () => {
    const config = write('typo.json', { ...base, strategies: [{ ...base.strategies[0], params: { fast: 5, slow: 15, symbols: ['SYN01', 'SYN0X'] } }, base.strategies[1]] });
    const db = join(scratch, 'typo.db');
    const { code, err } = await runCli('backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`);
    expect(code).toBe(2);
    expect(err).toContain(`${config}: strategies[0].params.symbols[1]: symbol "SYN0X" never appears in ${bars}`);
    expect(err).toContain('(the file has 3 symbols: SYN01, SYN02, SYN03)');
    expect(existsSync(db)).toBe(false);
  });

  it('with --allow-missing-symbols it runs, and says which symbol will never trade', async () => {
    const config = write('typo-allowed.json', { ...base, strategies: [{ ...base.strategies[0], params: { fast: 5, slow: 15, symbols: ['SYN0X'] } }, base.strategies[1]] });
    const { code, out, err } = await runCli('backtest', '--config', config, '--bars', bars, '--store', 'memory:', '--json', '--allow-missing-symbols');
    expect(code).toBe(0);
    expect(err).toBe(`stratafolio: warning: ${config}: strategies[0].params.symbols[0]: symbol "SYN0X" never appears in ${bars}: the strategy will never trade it\n`);
    expect((JSON.parse(out) as RunSummaryJson).slicesThisRun).toBe(40);
  });

  it('a bar file with a header and no bars, naming the file', async () => {
    const headerOnly = join(scratch, 'header-only.csv');
    writeFileSync(headerOnly, 'date,SYN01,SYN02\n');
    const db = join(scratch, 'header-only.db');
    const { code, err } = await runCli('backtest', '--config', write('header-only.json', base), '--bars', headerOnly, '--store', `sqlite:${db}`);
    expect(code).toBe(2);
    expect(err).toContain(`${headerOnly}: the file holds no bars`);
    expect(existsSync(db)).toBe(false);
  });

  it('an allocation algorithm parameter it does not know, naming the field', async () => {
    const config = write('algo.json', { ...base, rebalancing: { algorithm: 'risk-parity', params: { lookbak: 20 } } });
    const db = join(scratch, 'algo.db');
    const { code, err } = await runCli('backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`);
    expect(code).toBe(2);
    expect(err).toMatch(/algo\.json: rebalancing\.params\.lookbak/);
    expect(existsSync(db)).toBe(false);
  });

  it.each([
    ['fixed allocations', { algorithm: 'fixed', params: { allocations: { tf: 0.4, bhh: 0.4 } } }, 'rebalancing.params.allocations.bhh'],
    ['constraints.strategyMax', { algorithm: 'risk-parity', params: {}, constraints: { strategyMax: { TF: 0.5 } } }, 'rebalancing.constraints.strategyMax.TF'],
    ['constraints.strategyMin', { algorithm: 'sharpe', params: {}, constraints: { strategyMin: { nope: 0.1 } } }, 'rebalancing.constraints.strategyMin.nope'],
  ])('a strategy id in %s that no strategy has, naming the field and the ids there are', async (_what, rebalancing, field) => {
    const config = write(`unknown-id-${field}.json`, { ...base, rebalancing });
    const db = join(scratch, `unknown-id-${field}.db`);
    const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^stratafolio: ${config.replace(/[.\\/]/g, '\\$&')}: ${field.replace(/\./g, '\\.')}: no strategy has the id "[^"]+"(: did you mean "[^"]+"\\?)? \\(the config's strategies: bh, tf\\)\n$`));
    expect(existsSync(db)).toBe(false);
  });

  it.each([
    ['constraints', { ...base, rebalancing: { algorithm: 'mip', params: {}, constraints: { maxTotal: 0.9 } } }, 'rebalancing.constraints: mip does not apply constraints (maxTotal would be ignored); bound it with rebalancing.params minWeight, maxWeight and maxStrategies'],
    ['a strategy max', { ...base, strategies: [{ ...base.strategies[0], max: 0.5 }, base.strategies[1]], rebalancing: { algorithm: 'mip', params: {} } }, 'strategies[0].max: mip does not apply a strategy\'s own min or max; bound every strategy with rebalancing.params minWeight and maxWeight'],
  ])('mip with %s, which it cannot apply, naming the field and what to use instead', async (what, value, message) => {
    const config = write(`mip-${what}.json`, value);
    const db = join(scratch, `mip-${what}.db`);
    const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(code).toBe(2);
    expect(err).toBe(`stratafolio: ${config}: ${message}\n`);
    expect(existsSync(db)).toBe(false);
  });

  it('a built-in strategy parameter out of range, naming the strategy', async () => {
    const config = write('param.json', { ...base, strategies: [{ ...base.strategies[0], params: { fast: 20, slow: 10 } }, base.strategies[1]] });
    const db = join(scratch, 'param.db');
    const { code, err } = await runCli('backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`);
    expect(code).toBe(2);
    expect(err).toMatch(/param\.json: strategies\[0\]\.params\.slow: trend-following: /);
    expect(existsSync(db)).toBe(false);
  });
});

describe('a strategy module that cannot be loaded is refused before the store is touched', async () => {
  const bars = join(scratch, 'bars-modules.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 5, symbols: 3, bars: 10, start: '2023-01-02' }));
  const modules: [string, string, RegExp][] = [
    ['throws.mjs', 'export default function factory() { throw new Error("factory exploded"); }\n', /the factory threw: factory exploded/],
    ['syntax.mjs', 'export default { onBar(ctx) { return [; } };\n', /could not be loaded: /],
    ['imports.mjs', "import 'no-such-package-of-stratafolio';\nexport default { onBar() {} };\n", /could not be loaded: Cannot find package 'no-such-package-of-stratafolio'/],
  ];

  it.each(modules)('backtest with %s: exit 2, the strategy and module named, no store file', async (file, source, message) => {
    writeFileSync(join(scratch, file), source);
    const config = write(`module-${file}.json`, { ...base, strategies: [base.strategies[1], { id: 'mine', module: `./${file}`, allocation: '0.2' }] });
    const db = join(scratch, `module-${file}.db`);
    const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^stratafolio: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: strategies\\[1\\] \\(mine\\): strategy module \\./${file.replace('.', '\\.')}`));
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(db)).toBe(false);
  });

  it('paper with a module whose factory throws: exit 2, no store file', async () => {
    writeFileSync(join(scratch, 'throws-paper.mjs'), 'export default function factory() { throw new Error("factory exploded"); }\n');
    const config = write('module-paper.json', { ...base, strategies: [base.strategies[1], { id: 'mine', module: './throws-paper.mjs', allocation: '0.2' }] });
    const db = join(scratch, 'module-paper.db');
    const { code, err } = await runBin(['paper', '--config', config, '--feed', '-', '--symbols', 'SYN01', '--store', `sqlite:${db}`, '--jit-warm-up', '0']);
    expect(code).toBe(2);
    expect(err).toMatch(/strategies\[1\] \(mine\): strategy module \.\/throws-paper\.mjs, export "default": the factory threw: factory exploded/);
    expect(existsSync(db)).toBe(false);
  });
});
