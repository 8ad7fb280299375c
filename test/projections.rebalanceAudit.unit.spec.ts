// The rebalance audit as a reviewer reads it: a strategy left out keeps its capital (no target of 0.00), and a
// strategy the plan moved less than its target asked is named with the cap that held it back, to the cent.
import { describe, expect, it } from 'vitest';
import { ProjectionRunner, createMemoryEventStore, domainEvent, type DomainEvent, type PendingEvent } from '../src/index.js';
import { MemoryLog } from '../events/adapters/memoryStore.js';
import { rebalanceAuditProjection, rebalanceShortfalls } from '../projections/rebalanceAudit.js';
import { rebalanceLines } from '../src/cli/commands/audit.js';
import { PORTFOLIO, STREAM, T1, appendBatches } from './projections.fixture.js';

const added = (strategyId: string, capital: string): DomainEvent =>
  domainEvent('StrategyAdded', { strategyId, kind: 'test', parameters: {}, allocationPct: '0.3', capital, minAllocation: null, maxAllocation: null, metadata: {} });
const transfer = (from: string, to: string, amount: string, rebalanceId: string | null = null): DomainEvent =>
  domainEvent('CapitalTransferred', { from, to, amount, reason: rebalanceId ? 'rebalance' : 'initial allocation', rebalanceId });

/**
 * Capital 1000: a 500, b 300, c 100, reserve 100. At T1 rebalance r1 leaves c out (paused) and asks a for 300 (target 200)
 * and b for 480 more (target 780). a had only 250 in cash at the transfer: it gives 250, the reserve holds 350, and b's
 * increase, the only one, gets 350 of its 480 (72.92%).
 */
function batches(): PendingEvent[][] {
  const none = (events: DomainEvent[]): PendingEvent[] => events.map((event) => ({ event, barTime: null }));
  return [
    none([
      domainEvent('PortfolioOpened', { portfolioId: PORTFOLIO, name: 'short', baseCurrency: 'USD', totalCapital: '1000', configHash: 'h', codeVersion: 'test', config: {} }),
      added('a', '500'),
      transfer('reserve', 'a', '500'),
      added('b', '300'),
      transfer('reserve', 'b', '300'),
      added('c', '100'),
      transfer('reserve', 'c', '100'),
    ]),
    [
      domainEvent('RebalanceDecided', {
        rebalanceId: 'r1',
        trigger: 'schedule',
        reason: 'monthly',
        algorithm: 'sharpe',
        parameters: {},
        inputs: { a: { value: '500' }, b: { value: '300' }, c: { value: '100' } },
        weightsBefore: { a: 0.5, b: 0.3, c: 0.1 },
        rawWeights: { a: 0.2, b: 0.8 },
        finalWeights: { a: 0.2, b: 0.78 },
        bindingConstraints: [],
        solver: null,
        portfolioValue: '1000',
        targets: { a: '200', b: '780' },
        leftOut: { c: 'paused since 2023-12-31T00:00:00.000Z: risk review' },
      }),
      transfer('a', 'reserve', '250', 'r1'),
      transfer('reserve', 'b', '350', 'r1'),
    ].map((event) => ({ event, barTime: T1 })),
  ];
}

async function record() {
  const store = createMemoryEventStore({ log: new MemoryLog() });
  await appendBatches(store, batches());
  const { states } = await new ProjectionRunner(store, { audit: rebalanceAuditProjection({ keep: 0 }) }, { stream: STREAM, checkpointEvery: 0 }).run();
  return states.audit.rebalances[0] ?? expect.unreachable('rebalance r1');
}

describe('rebalance audit', () => {
  it('keeps the reserve its increases were paid from, and names each strategy left short of its target with why', async () => {
    const r = await record();
    expect(r.reserveForIncreases).toBe('350');
    expect(rebalanceShortfalls(r)).toEqual([
      { strategyId: 'a', asked: '-300', moved: '-250', why: 'all the cash it had at the transfer' },
      {
        strategyId: 'b',
        asked: '480',
        moved: '350',
        why: 'the increases asked 480.00 and the reserve held 350.00 after the decreases: each got 72.92% of its ask, rounded down to the cent',
      },
    ]);
  });

  it('audit --rebalance shows the shortfalls, and a strategy left out keeps its capital rather than a target of 0.00', async () => {
    const lines = rebalanceLines(await record()).join('\n').split('\n');
    expect(lines.find((l) => /^r1 +c /.test(l))).toMatch(/ kept$/);
    const text = lines.join('\n').replace(/\s+/g, ' ');
    expect(text).toContain('short of target a: gave 250.00 of the 300.00 its target asked: all the cash it had at the transfer');
    expect(text).toContain('b: received 350.00 of the 480.00 its target asked: the increases asked 480.00 and the reserve held 350.00');
    expect(lines.every((l) => l.length <= 80 && l === l.trimEnd())).toBe(true);
  });
});
