import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { builtinStrategies, loadStrategy, loadStrategyWithSource, resolveStrategy, type StrategySpec } from '../src/strategy/registry.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { simulateBars } from './fixtures/strategies/simulateBars.js';

const baseDir = fileURLToPath(new URL('./fixtures/strategies/', import.meta.url));
const path = [{ AAA: '10' }, { AAA: '11' }, { AAA: '12' }];

async function configErrorOf(run: () => Promise<unknown> | unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolving built-in kinds', () => {
  it('resolves each built-in kind synchronously with its params', () => {
    expect(Object.keys(builtinStrategies).sort()).toEqual(['buy-and-hold', 'mean-reversion', 'momentum', 'trend-following']);
    const momentum = resolveStrategy({ kind: 'momentum', params: { lookback: 5 } });
    expect(momentum.name).toBe('momentum');
    expect((momentum as Strategy & { historyLength: number }).historyLength).toBe(6);
    expect(resolveStrategy({ kind: 'buy-and-hold' }).name).toBe('buy-and-hold');
  });

  it('names the unknown kind and the known ones', async () => {
    const error = await configErrorOf(() => resolveStrategy({ kind: 'momentun' }));
    expect(error.message).toBe('unknown strategy kind "momentun": did you mean "momentum"? (known: buy-and-hold, mean-reversion, momentum, trend-following)');
    expect(error.field).toBe('kind');
  });

  it('passes invalid params through as the built-in ConfigError naming the parameter', async () => {
    const error = await configErrorOf(() => resolveStrategy({ kind: 'trend-following', params: { fast: 9, slow: 3 } }));
    expect(error.field).toBe('slow');
  });

  it('resolves an extra kind passed alongside the built-ins', () => {
    const custom: Strategy = { name: 'custom', onBar: () => undefined };
    const kinds = { ...builtinStrategies, 'scored-universe': () => custom };
    expect(resolveStrategy({ kind: 'scored-universe' }, kinds)).toBe(custom);
  });

  it('rejects malformed specs', async () => {
    const bad: unknown[] = [null, [], {}, { kind: 'momentum', module: './x.js' }, { kind: 3 }, { kind: 'momentum', params: [1] }, { module: '' }];
    for (const spec of bad) await configErrorOf(() => resolveStrategy(spec as StrategySpec));
    expect((await configErrorOf(() => resolveStrategy({ module: './everyOtherBar.ts' }))).message).toMatch(/loadStrategy/);
  });
});

describe('loading user modules', () => {
  it('loads a factory export from a .ts module relative to the base directory, passing params', async () => {
    const strategy = await loadStrategy({ module: './everyOtherBar.ts', export: 'everyOtherBar', params: { symbol: 'AAA', quantity: 3 } }, { baseDir });
    expect(strategy.name).toBe('every-other-bar');
    expect(simulateBars(strategy, path).orders).toEqual([
      { bar: 0, orders: { AAA: '3' } },
      { bar: 2, orders: { AAA: '3' } },
    ]);
  });

  it('loads a plain strategy object from the default export and names it after its module', async () => {
    const strategy = await loadStrategy({ module: './everyOtherBar.ts' }, { baseDir });
    expect(strategy.name).toBe('./everyOtherBar.ts#default');
    expect(simulateBars(strategy, path).orders).toEqual([
      { bar: 0, orders: { AAA: '1' } },
      { bar: 2, orders: { AAA: '1' } },
    ]);
  });

  it('resolves kinds through loadStrategy too', async () => {
    expect((await loadStrategy({ kind: 'mean-reversion' }, { baseDir })).name).toBe('mean-reversion');
  });

  it('rejects an export that is not a strategy, naming the module and what is missing', async () => {
    const error = await configErrorOf(() => loadStrategy({ module: './everyOtherBar.ts', export: 'notAStrategy' }, { baseDir }));
    expect(error.message).toBe(
      'strategy module ./everyOtherBar.ts, export "notAStrategy" is an object with keys onTick, not a strategy (an object with an onBar function) or a factory (params) => strategy',
    );
  });

  it('rejects a factory whose result has no onBar', async () => {
    const error = await configErrorOf(() => loadStrategy({ module: './everyOtherBar.ts', export: 'badFactory' }, { baseDir }));
    expect(error.message).toMatch(/export "badFactory": the factory returned an object with keys name, which has no onBar function/);
  });

  it('rejects a missing export, listing what the module exports', async () => {
    const error = await configErrorOf(() => loadStrategy({ module: './everyOtherBar.ts', export: 'nope' }, { baseDir }));
    expect(error.message).toMatch(/export "nope" is missing \(the module exports: badFactory, default, everyOtherBar, notAStrategy\)/);
  });

  it('rejects a module that does not exist or does not parse, naming it', async () => {
    expect((await configErrorOf(() => loadStrategy({ module: './missing.js' }, { baseDir }))).message).toMatch(/^strategy module \.\/missing\.js: there is no file /);
    expect((await configErrorOf(() => loadStrategy({ module: './brokenSyntax.mjs' }, { baseDir }))).message).toMatch(/strategy module \.\/brokenSyntax\.mjs .* could not be loaded/);
  });

  it('with a timeout, a factory that never settles is a ConfigError once its timer fires; a load in time cancels the timer', async () => {
    let fire: (() => void) | undefined;
    const timeout = { ms: 250, setTimer: (_ms: number, f: () => void) => ((fire = f), () => (fire = undefined)) };
    const pending = configErrorOf(() => loadStrategy({ module: './neverSettles.mjs', export: 'neverSettles' }, { baseDir, timeout }));
    await new Promise((r) => setImmediate(r));
    fire?.();
    expect((await pending).message).toBe('strategy module ./neverSettles.mjs: its import and factory did not finish within 250 ms (a factory must return a strategy, or a promise that settles; raise --strategy-timeout (strategyTimeoutMs) if it needs longer)');
    await loadStrategy({ module: './everyOtherBar.ts', export: 'everyOtherBar', params: { symbol: 'AAA', quantity: 3 } }, { baseDir, timeout });
    expect(fire).toBeUndefined();
  });

  it('with a timeout, a factory that loops forever is a ConfigError naming it (its synchronous part runs under the time limit)', async () => {
    const timeout = { ms: 200, setTimer: () => () => undefined };
    const error = await configErrorOf(() => loadStrategy({ module: './spinsForever.mjs', export: 'spinsInFactory' }, { baseDir, timeout }));
    expect(error.message).toBe('strategy module ./spinsForever.mjs, export "spinsInFactory": the factory did not return within 200 ms (raise --strategy-timeout (strategyTimeoutMs) if it needs longer)');
  });

  it('a module path that names no file says so, with the folder it was looked for in and the modules there', async () => {
    const error = await configErrorOf(() => loadStrategy({ module: './everyOtherBr.ts' }, { baseDir }));
    expect(error.message).toContain(`strategy module ./everyOtherBr.ts: there is no file ${baseDir}everyOtherBr.ts (module paths are relative to ${baseDir.replace(/\/$/, '')}, the config file's folder; it holds `);
    expect(error.message).toContain('everyOtherBar.ts');
    expect(error.message).not.toContain('registry');
  });

  it('a factory gets its parameters read-only: one that writes to them is refused, naming the parameter, and the config is unchanged', async () => {
    const params = { symbol: 'SPY' };
    const error = await configErrorOf(() => loadStrategy({ module: './mutatesParams.mjs', params }, { baseDir }));
    expect(error.message).toBe(
      `strategy module ./mutatesParams.mjs, export "default": the factory threw: TypeError: Cannot assign to read only property 'symbol' of object '#<Object>' (a strategy's params are read-only: copy what you need to change)`,
    );
    expect(params).toEqual({ symbol: 'SPY' });
    const kinds = { ...builtinStrategies, writes: (p: Record<string, unknown>) => ((p['n'] = 2), { name: 'w', onBar: () => undefined }) };
    expect(() => resolveStrategy({ kind: 'writes', params: { n: 1 } }, kinds as unknown as typeof builtinStrategies)).toThrow(TypeError);
  });

  it('rejects a bare package name: modules are file paths', async () => {
    const error = await configErrorOf(() => loadStrategy({ module: 'some-package' }, { baseDir }));
    expect(error.message).toMatch(/must be a file path starting with \.\/ or \.\.\//);
  });
});

describe('the source of a module strategy', () => {
  it('is the SHA-256 of the code that runs: a file edited after this process imported it keeps the first hash, as the module it gets is the first one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratafolio-source-'));
    try {
      const v1 = "export default { name: 'edited', onBar() { return []; } };\n";
      writeFileSync(join(dir, 'edited.mjs'), v1);
      const first = await loadStrategyWithSource({ module: './edited.mjs' }, { baseDir: dir });
      expect(first.source?.sha256).toBe(createHash('sha256').update(v1).digest('hex'));
      writeFileSync(join(dir, 'edited.mjs'), "export default { name: 'edited', onBar() { return [{ symbol: 'AAA', quantity: '1' }]; } };\n");
      const again = await loadStrategyWithSource({ module: './edited.mjs' }, { baseDir: dir });
      // Node's module cache hands back version 1, so that is what the hash must name.
      expect(again.strategy.onBar).toBe(first.strategy.onBar);
      expect(again.source?.sha256).toBe(first.source?.sha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
