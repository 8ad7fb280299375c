// The portfolio config file: defaults, and a ConfigError naming the field (and the file) for each kind of bad input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash, loadPortfolioConfig, parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { ConfigError } from '../src/errors.js';
import { canonicalJson } from '../events/canonicalJson.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-config-'));

function valid(): Record<string, unknown> {
  return {
    id: 'p',
    name: 'portfolio',
    capital: '100000',
    strategies: [
      { id: 'a', kind: 'buy-and-hold', allocation: '0.5' },
      { id: 'b', kind: 'momentum', allocation: 0.3, params: { topN: 2 } },
    ],
  };
}

function errorOf(input: unknown): ConfigError {
  try {
    parsePortfolioConfig(input, 'cfg.json');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePortfolioConfig', () => {
  it('fills in the documented defaults', () => {
    const c = parsePortfolioConfig(valid());
    expect(c.execution).toEqual({ fillAt: 'close', commission: { kind: 'none' }, slippageBps: '0' });
    expect(c.risk).toEqual({ exposureBuffer: 0, maxDrawdown: null, drawdownAction: 'pause', faultPolicy: 'pause' });
    expect(c).toMatchObject({ baseCurrency: 'USD', rebalancing: null, lookback: 252, durability: 'normal', snapshotEvery: 250 });
    expect(c.strategies[1]).toMatchObject({ allocation: '0.3', params: { topN: 2 }, metadata: {} });
  });

  const cases: [string, (c: Record<string, unknown>) => void, string, RegExp][] = [
    ['missing capital', (c) => delete c.capital, 'capital', /required, and missing/],
    ['non-positive capital', (c) => (c.capital = '0'), 'capital', /greater than 0/],
    ['capital not a number', (c) => (c.capital = '1e6x'), 'capital', /decimal number/],
    ['allocation > 1', (c) => ((c.strategies as Record<string, unknown>[])[0]!.allocation = '1.2'), 'strategies[0].allocation', /\(0, 1\]/],
    ['allocation ≤ 0', (c) => ((c.strategies as Record<string, unknown>[])[1]!.allocation = '0'), 'strategies[1].allocation', /greater than 0/],
    ['kind and module both', (c) => ((c.strategies as Record<string, unknown>[])[0]!.module = './mine.js'), 'strategies[0]', /exactly one of "kind".*"module"/],
    ['neither kind nor module', (c) => delete (c.strategies as Record<string, unknown>[])[0]!.kind, 'strategies[0]', /exactly one of/],
    ['unknown top-level field', (c) => (c.captial = '5'), 'captial', /not a field of the portfolio config: did you mean "capital"\?/],
    ['unknown strategy field', (c) => ((c.strategies as Record<string, unknown>[])[1]!.weight = 0.2), 'strategies[1].weight', /not a field of strategies\[1\] \(its fields: id, kind, module, export, params, allocation, min, max, metadata, sizer\)/],
    ['no strategies', (c) => (c.strategies = []), 'strategies', /at least one strategy/],
    ['bad fillAt', (c) => (c.execution = { fillAt: 'tomorrow' }), 'execution.fillAt', /./],
    ['bad commission kind', (c) => (c.execution = { commission: { kind: 'flat' } }), 'execution.commission.kind', /./],
    ['maxDrawdown above 1', (c) => (c.risk = { maxDrawdown: 1.5 }), 'risk.maxDrawdown', /./],
    ['bad faultPolicy', (c) => (c.risk = { faultPolicy: 'ignore' }), 'risk.faultPolicy', /./],
    ['bad id characters', (c) => (c.id = 'my portfolio'), 'id', /letters, digits/],
  ];

  for (const [what, mutate, field, message] of cases) {
    it(`${what} → ConfigError naming ${field}`, () => {
      const input = valid();
      mutate(input);
      const e = errorOf(input);
      expect(e.field).toBe(field);
      expect(e.message.startsWith(`cfg.json: ${field}`)).toBe(true);
      expect(e.message).toMatch(message);
    });
  }

  it('allocations summing above 100% → ConfigError naming strategies and the sum', () => {
    const input = valid();
    (input.strategies as Record<string, unknown>[])[1]!.allocation = '0.6';
    const e = errorOf(input);
    expect(e.field).toBe('strategies');
    expect(e.message).toBe('cfg.json: strategies: allocations sum to 110%, more than 100%');
  });

  it('a duplicate strategy id → ConfigError naming the second one', () => {
    const input = valid();
    (input.strategies as Record<string, unknown>[])[1]!.id = 'a';
    const e = errorOf(input);
    expect(e.field).toBe('strategies[1].id');
    expect(e.message).toMatch(/duplicate strategy id "a"/);
  });

  it('min above max → ConfigError naming min', () => {
    const input = valid();
    Object.assign((input.strategies as Record<string, unknown>[])[0]!, { min: 0.4, max: 0.2 });
    expect(errorOf(input).field).toBe('strategies[0].min');
  });
});

describe('loadPortfolioConfig', () => {
  it('reads and validates a JSON file, naming the file in errors', async () => {
    const good = join(scratch, 'good.json');
    writeFileSync(good, JSON.stringify(valid()));
    expect((await loadPortfolioConfig(good)).id).toBe('p');
    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...valid(), capital: undefined }));
    await expect(loadPortfolioConfig(bad)).rejects.toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: capital`));
  });

  it('bad JSON → ConfigError naming the file', async () => {
    const path = join(scratch, 'broken.json');
    writeFileSync(path, '{ "id": "p", ');
    const e = await loadPortfolioConfig(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toContain(`${path}, line 1, column 14: not valid JSON: the text ends inside the object opened at line 1`);
  });

  it('a missing file → ConfigError naming the file', async () => {
    const path = join(scratch, 'nope.json');
    await expect(loadPortfolioConfig(path)).rejects.toThrow(`${path}: cannot read the config file: there is no such file`);
  });
});

describe('configHash', () => {
  it('is the same for equal configs written differently and changes with any setting', () => {
    const a = parsePortfolioConfig(valid());
    const reordered = parsePortfolioConfig({ strategies: valid().strategies, capital: '100000', name: 'portfolio', id: 'p', execution: { fillAt: 'close' } });
    expect(configHash(reordered)).toBe(configHash(a));
    expect(configHash(parsePortfolioConfig({ ...valid(), capital: '100001' }))).not.toBe(configHash(a));
    expect(configHash(parsePortfolioConfig({ ...valid(), risk: { faultPolicy: 'stop' } }))).not.toBe(configHash(a));
  });

  it('leaves riskFree out of a config that does not set it, so configs written before it keep their hash', () => {
    const a = parsePortfolioConfig(valid());
    expect(Object.keys(a)).not.toContain('riskFree');
    expect(canonicalJson(a)).not.toContain('riskFree');
    const withRate = parsePortfolioConfig({ ...valid(), riskFree: 0.02 });
    expect(withRate.riskFree).toBe(0.02);
    expect(configHash(withRate)).not.toBe(configHash(a));
  });
});

describe('riskFree', () => {
  it('is an annual rate as a fraction in (-1, 1); anything else names the field', () => {
    for (const bad of [1, -1, 2, '0.02']) {
      expect(() => parsePortfolioConfig({ ...valid(), riskFree: bad })).toThrow(/config: riskFree: /);
    }
    expect(parsePortfolioConfig({ ...valid(), riskFree: -0.005 }).riskFree).toBe(-0.005);
  });
});

describe('what the arithmetic and the rules cannot carry out is refused before any run', () => {
  const withExecution = (execution: Record<string, unknown>): Record<string, unknown> => ({ ...valid(), execution });
  const cases: { name: string; input: Record<string, unknown>; field: string; says: string }[] = [
    { name: 'slippage of 10000 bps', input: withExecution({ slippageBps: '10000' }), field: 'execution.slippageBps', says: 'below 10000' },
    { name: 'negative slippage', input: withExecution({ slippageBps: '-1' }), field: 'execution.slippageBps', says: 'at least 0' },
    { name: 'a negative per-share commission', input: withExecution({ commission: { kind: 'per-share', perShare: '-0.01' } }), field: 'execution.commission.perShare', says: 'must not be negative' },
    { name: 'a negative commission minimum', input: withExecution({ commission: { kind: 'percent', rate: '0.001', minimum: '-1' } }), field: 'execution.commission.minimum', says: 'must not be negative' },
    { name: 'a commission rate of 100%', input: withExecution({ commission: { kind: 'percent', rate: '1' } }), field: 'execution.commission.rate', says: 'must be below 1' },
    { name: 'a capital of 1e20', input: { ...valid(), capital: '100000000000000000000' }, field: 'capital', says: 'at most 1000000000000000' },
    // Limits are compared on the decimals as written: as a double, each of these rounds onto the limit and passed.
    { name: 'a capital a hair above 10^15', input: { ...valid(), capital: '1000000000000000.0000000001' }, field: 'capital', says: 'at most 1000000000000000' },
    {
      name: 'an allocation a hair above 1',
      input: { ...valid(), strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '1.00000000000000001' }] },
      field: 'strategies[0].allocation',
      says: 'must be in (0, 1]',
    },
    {
      name: 'allocations summing a hair above 100%',
      input: { ...valid(), strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.5' }, { id: 'b', kind: 'momentum', allocation: '0.5000000000001' }] },
      field: 'strategies',
      says: 'allocations sum to 100.00000000001%, more than 100%',
    },
    {
      name: 'minimum weights that cannot fit under maxTotal',
      input: { ...valid(), rebalancing: { algorithm: 'risk-parity', constraints: { defaultMin: 0.5, maxTotal: 0.95 } } },
      field: 'rebalancing.constraints',
      says: 'sum to 100%, above maxTotal 95%',
    },
    {
      name: 'a strategy minimum that, with the others, exceeds maxTotal',
      input: { ...valid(), strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.5', min: 0.8 }, { id: 'b', kind: 'momentum', allocation: '0.3' }], rebalancing: { algorithm: 'fixed', constraints: { defaultMin: 0.2, maxTotal: 0.9 } } },
      field: 'rebalancing.constraints',
      says: 'sum to 100%, above maxTotal 90%',
    },
    {
      name: 'a resume level at or beyond the drawdown limit',
      input: { ...valid(), risk: { maxDrawdown: 0.35, resumeWhenDrawdownBelow: 0.5 } },
      field: 'risk.resumeWhenDrawdownBelow',
      says: 'must be below risk.maxDrawdown (0.35), got 0.5',
    },
    { name: 'a resume rule without a drawdown limit', input: { ...valid(), risk: { resumeAfterBars: 20 } }, field: 'risk.resumeAfterBars', says: 'risk.maxDrawdown is not set' },
    {
      name: 'a resume rule when the drawdown action liquidates',
      input: { ...valid(), risk: { maxDrawdown: 0.3, drawdownAction: 'liquidate', resumeWhenDrawdownBelow: 0.1 } },
      field: 'risk.resumeWhenDrawdownBelow',
      says: 'is "liquidate"',
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming the file and field`, () => {
      const e = errorOf(c.input);
      expect(e.field).toBe(c.field);
      expect(e.message).toContain(`cfg.json: ${c.field}`);
      expect(e.message).toContain(c.says);
    });
  }

  it('accepts the limits themselves and feasible minimums under a cardinality cap', () => {
    expect(() => parsePortfolioConfig({ ...valid(), capital: '1000000000000000', execution: { slippageBps: '9999.99', commission: { kind: 'percent', rate: '0.99' } } })).not.toThrow();
    // Below the limits, however close (a double would round each onto its limit), and positive, however small.
    const close = { slippageBps: '9999.99999999999999999', commission: { kind: 'percent', rate: '0.99999999999999999' } };
    expect(() => parsePortfolioConfig({ ...valid(), capital: `0.${'0'.repeat(400)}1`, execution: close })).not.toThrow();
    expect(() => parsePortfolioConfig({ ...valid(), strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.1' }, { id: 'b', kind: 'momentum', allocation: '0.2' }, { id: 'c', kind: 'momentum', allocation: '0.7' }] })).not.toThrow();
    const capped = { ...valid(), rebalancing: { algorithm: 'risk-parity', constraints: { defaultMin: 0.5, maxTotal: 0.5, maxStrategies: 1 } } };
    expect(() => parsePortfolioConfig(capped)).not.toThrow();
    expect(() => parsePortfolioConfig({ ...valid(), risk: { maxDrawdown: 0.35, resumeAfterBars: 20, resumeWhenDrawdownBelow: 0.2 } })).not.toThrow();
  });
});
