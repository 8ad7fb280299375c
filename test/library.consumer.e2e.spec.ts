// The package as a TypeScript program that depends on it sees it: `import … from 'stratafolio'` through package.json's
// exports (dist/, so build first), compiled by tsc in strict mode with the library's declarations checked too
// (skipLibCheck off), the code examples of README.md and docs/*.md compiled and run as written, and the types holding:
// what a user writes right compiles, and what a user gets wrong does not.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
// Inside the repository (runs/ is ignored), so that `import … from 'stratafolio'` resolves to this package by its exports.
mkdirSync(join(repoRoot, 'runs'), { recursive: true });
const dir = mkdtempSync(join(repoRoot, 'runs', 'consumer-'));
cpSync(join(repoRoot, 'examples'), join(dir, 'examples'), { recursive: true });
mkdirSync(join(dir, 'src'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      types: ['node'],
      rootDir: 'src',
      outDir: 'out',
    },
    include: ['src'],
  }),
);

/** Every ```ts block of the README and the docs that imports the package, by where it is. */
function examples(): { name: string; body: string }[] {
  const files = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out: { name: string; body: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
      .map((m) => m[1] ?? '')
      .filter((body) => /from 'stratafolio'/.test(body))
      .forEach((body, i) => out.push({ name: `${file.replace(/[/.]/g, '-')}-${i}`, body }));
  }
  return out;
}

// What a user writes right, and what a user gets wrong, each line of the second kind marked: tsc fails on a mark
// that has no error under it.
const TYPES = `
import {
  Portfolio, dec, type AsOf, type Bar, type BarSlice, type EventData, type EventStore, type IncidentsState, type LifecycleState,
  type LoadedStrategies, type OpenEventStoreOptions, type OpenPortfolioOptions, type OpenTrip, type OrderIntent,
  type PortfolioCommand, type PortfolioConfig, type PortfolioConfigInput, type PortfolioStatus, type PortfolioSummary,
  type PositionsState, type RecordedEvent, type RecoveryReport, type RoundTrip, type RunResult, type SliceReport,
  type StrategyMetrics, type Strategy, type StrategyContext, type StrategyKinds, type StrategyParams, type StrategyStatus,
  type TradesState, type VerificationResult, type Weights,
} from 'stratafolio';

declare const store: EventStore;
declare const config: PortfolioConfig;
export async function rightAndWrong(): Promise<void> {
  const p = await Portfolio.open({ store, config });
  // @ts-expect-error a config object as written, not parsed
  await Portfolio.open({ store, config: { id: 'x', name: 'x', capital: '1', strategies: [] } });
  // @ts-expect-error the store is required
  await Portfolio.open({ config });
  // @ts-expect-error prices are decimal strings
  await p.executeBar('2020-01-02', { A: { open: 1.5, high: 2, low: 1, close: 1.5, volume: 0 } });
  // @ts-expect-error a bar has every field
  await p.executeBar('2020-01-02', { A: { close: '1' } });
  // @ts-expect-error weights are numbers
  p.rebalance({ a: '0.5' });
  // @ts-expect-error an allocation is a decimal string or a Dec
  p.addStrategy('x', { name: 'x', onBar() {} }, 0.1);
  // @ts-expect-error liquidate is a boolean
  p.removeStrategy('x', { liquidate: 'yes' });
  // @ts-expect-error status is read-only
  p.status().portfolioValue = '1';
  const status: PortfolioStatus = p.status();
  const first: StrategyStatus | undefined = status.strategies[0];
  const state: LifecycleState | undefined = first?.state;
  const recovery: RecoveryReport = p.recovery;
  const report: SliceReport = await p.executeBar('2020-01-02', { A: { open: '1', high: '1', low: '1', close: '1', volume: '0' } });
  for (const e of report.events) if (e.type === 'BarMarked') void (e.data.portfolioValue satisfies string);
  const weights: Weights = { a: 0.5 };
  p.rebalance(weights, 'review');
  void state;
  void recovery;
}

// @ts-expect-error onBar returns intents or nothing
export const returnsNumber: Strategy = { name: 'b', onBar() { return 5; } };
// @ts-expect-error strategy code is synchronous
export const asynchronous: Strategy = { name: 'b', async onBar() {} };
// @ts-expect-error an intent's quantity is a Dec
export const textQuantity: Strategy = { name: 'b', onBar() { return [{ symbol: 'A', quantity: '1' }]; } };
// @ts-expect-error the ledger is read-only
export const writesLedger: Strategy = { name: 'b', onBar(ctx) { ctx.ledger.cash = dec('1'); } };

interface PairParams extends StrategyParams { readonly long: string }
class Pair implements Strategy<PairParams> {
  readonly name = 'pair';
  onBar(ctx: StrategyContext<PairParams>, slice: BarSlice): readonly OrderIntent[] | void {
    const bar: Bar | undefined = slice.bars[ctx.params.long];
    if (bar !== undefined) ctx.orderTargetPercent(ctx.params.long, '0.5');
    return [{ symbol: ctx.params.long, quantity: dec('1') }];
  }
}
export const kinds: StrategyKinds = { pair: () => new Pair() };

export function readModels(t: TradesState, i: IncidentsState, pos: PositionsState): string[] {
  const open: OpenTrip[] = [...t.open.values()];
  const closed: readonly RoundTrip[] = t.recent;
  return [String(open.length), String(closed.length), String(i.counts.fault), String(pos.ledgers.size)];
}
export type Used = [AsOf, EventData<'FillRecorded'>, LoadedStrategies, OpenEventStoreOptions, OpenPortfolioOptions, PortfolioCommand,
  PortfolioConfigInput, PortfolioSummary, RecordedEvent, RunResult<{}>, StrategyMetrics, VerificationResult];
`;

function tsc(): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the package as a dependency of a strict TypeScript program', () => {
  const snippets = examples();
  for (const s of snippets) writeFileSync(join(dir, 'src', `${s.name}.ts`), s.body);
  writeFileSync(join(dir, 'src', 'types.ts'), TYPES);
  let compiled: { code: number | null; out: string } | null = null;
  const compile = (): { code: number | null; out: string } => (compiled ??= tsc());

  it('compiles with the library declarations checked, every type a user names exported, and every mistake marked refused', () => {
    expect(compile()).toEqual({ code: 0, out: '' });
  });

  it('has code examples in the README and docs, and each runs as written', () => {
    expect(snippets.map((s) => s.name)).toEqual(
      expect.arrayContaining(['README-md-0', 'docs-event-store-md-0', 'docs-market-data-md-0', 'docs-strategies-md-0']),
    );
    expect(compile().code).toBe(0);
    for (const s of snippets) {
      const r = spawnSync(process.execPath, [join(dir, 'out', `${s.name}.js`)], { cwd: dir, encoding: 'utf8' });
      expect({ example: s.name, code: r.status, err: r.stderr }).toEqual({ example: s.name, code: 0, err: '' });
    }
  });
});
