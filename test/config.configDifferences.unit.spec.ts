// A refused configuration change names the fields that differ, so a user sees what to revert or where to run instead.
import { describe, expect, it } from 'vitest';
import { configDifferences, describeConfigDifferences } from '../src/config/configDifferences.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';

const base = {
  id: 'p',
  name: 'portfolio',
  capital: '100000',
  strategies: [
    { id: 'a', kind: 'buy-and-hold', allocation: '0.5' },
    { id: 'b', kind: 'momentum', allocation: '0.3', params: { topN: 2 } },
  ],
};
const json = (input: unknown): unknown => JSON.parse(JSON.stringify(parsePortfolioConfig(input)));

describe('configDifferences', () => {
  it('is empty for the same config, and for the strategies listed in another order', () => {
    expect(configDifferences(json(base), json(base))).toEqual([]);
    expect(configDifferences(json(base), json({ ...base, strategies: [...base.strategies].reverse() }))).toEqual([]);
  });

  it('names each changed field with its recorded and current value', () => {
    const changed = {
      ...base,
      name: 'renamed',
      execution: { slippageBps: '5' },
      strategies: [base.strategies[0], { id: 'b', kind: 'momentum', allocation: '0.3', params: { topN: 3 } }],
    };
    const d = configDifferences(json(base), json(changed));
    expect(d).toEqual([
      { path: 'execution.slippageBps', recorded: '0', current: '5' },
      { path: 'name', recorded: 'portfolio', current: 'renamed' },
      { path: 'strategies[b].params.topN', recorded: 2, current: 3 },
    ]);
    expect(describeConfigDifferences(d)).toBe('execution.slippageBps: "0" → "5"; name: "portfolio" → "renamed"; strategies[b].params.topN: 2 → 3');
  });

  it('two long texts are shown from just before where they differ, so a change at their end is visible', () => {
    const name = 'Demo: four strategies under equal-risk-contribution risk parity';
    const d = configDifferences(json({ ...base, name }), json({ ...base, name: `${name} (synthetic market: seed 7, 756 slices)` }));
    expect(describeConfigDifferences(d)).toBe(
      'name: "…ribution risk parity" → "…ribution risk parity (synthetic market: seed 7, 756 slices)" (from character 44)',
    );
    expect(describeConfigDifferences([{ path: 'name', recorded: `${'a'.repeat(70)}`, current: `b${'a'.repeat(69)}` }])).toBe(
      `name: "${'a'.repeat(60)}…" → "b${'a'.repeat(59)}…"`,
    );
  });

  it('a strategy on one side only is one difference; long lists are cut', () => {
    const more = { ...base, strategies: [...base.strategies, { id: 'c', kind: 'buy-and-hold', allocation: '0.1' }] };
    const d = configDifferences(json(base), json(more));
    expect(d.map((x) => x.path)).toEqual(['strategies[c]']);
    expect(describeConfigDifferences(d)).toMatch(/^strategies\[c\]: \(absent\) → \{"id":"c"/);
    const many = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, recorded: i, current: i + 1 }));
    expect(describeConfigDifferences(many, 10)).toMatch(/f9: 9 → 10; … and 2 more$/);
  });
});
