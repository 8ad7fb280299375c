// The drawdown limit acts on the worst bar of all: one that loses the whole value of a strategy, or more (a short).
import { describe, expect, it } from 'vitest';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

// Shorts A for its whole value on the first bar; A then rises 150% in one bar, so the strategy owes more than it has.
const shorter = scripted('shorter', (ctx) => {
  if (ctx.barIndex === 0) ctx.orderTargetPercent('A', '-1');
});
const squeeze = ['100', '250', '250', '250'].map((c, i) => slice(day(i), { A: c }));

async function lifecycle(risk: PortfolioConfigInput['risk']): Promise<{ barTime: string | null; to: string; reason: string }[]> {
  const config = testConfig({ strategies: [{ id: 's', kind: 'shorter', allocation: '1' }], risk });
  const events = await runSlices(config, squeeze, { shorter: () => shorter });
  return events.flatMap((e) =>
    e.type === 'StrategyLifecycleChanged' && e.data.from !== 'initializing' ? [{ barTime: e.metadata.barTime, to: e.data.to, reason: e.data.reason }] : [],
  );
}

describe('drawdown limit on a bar that loses the whole value or more', () => {
  it('liquidates a strategy whose value went below zero in one bar (a loss of 150%)', async () => {
    const changes = await lifecycle({ maxDrawdown: 0.3, drawdownAction: 'liquidate' });
    expect(changes[0]).toEqual(expect.objectContaining({ barTime: day(1), to: 'liquidating' }));
    expect(changes[0]?.reason).toMatch(/drawdown -150\.00% beyond the limit of 30\.00%/);
  });

  it('pauses it under drawdownAction pause', async () => {
    const changes = await lifecycle({ maxDrawdown: 0.3, drawdownAction: 'pause' });
    expect(changes).toEqual([expect.objectContaining({ barTime: day(1), to: 'paused' })]);
  });
});
