// The rebalance audit as a reviewer reads it: a strategy left out keeps its capital (no target of 0.00), and a
// strategy the plan moved less than its target asked is named with the cap that held it back, to the cent.
import { describe, expect, it } from 'vitest';
import { ProjectionRunner, createMemoryEventStore, domainEvent, type DomainEvent, type PendingEvent } from '../src/index.js';
import { MemoryLog } from '../events/adapters/memoryStore.js';
import { rebalanceAuditProjection, rebalanceShortfalls, weighedShare, type RebalanceRecord } from '../projections/rebalanceAudit.js';
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

describe('the share the weighed strategies split', () => {
  // pv 1000: c (left out, warming up) keeps 200, so 80% is free; d is re-admitted at its configured 20% of that (16%);
  // a and b share the remaining 64%. The algorithm's weights, bounded by max 0.3 (a) within that share, are 0.3 and 0.5.
  const record: RebalanceRecord = {
    rebalanceId: 'r7',
    barTime: T1,
    revision: 9,
    position: 10,
    decision: {
      rebalanceId: 'r7',
      trigger: 'schedule',
      reason: 'monthly',
      algorithm: 'sharpe',
      parameters: {},
      inputs: { a: { value: '300' }, b: { value: '300' }, c: { value: '200' }, d: { value: '0' } },
      weightsBefore: { a: 0.3, b: 0.3, c: 0.2, d: 0 },
      rawWeights: { a: 0.45, b: 0.55 },
      finalWeights: { a: 0.3 * 0.64, b: 0.5 * 0.64, d: 0.2 * 0.8 },
      bindingConstraints: ['max(a)=0.3', 'maxTotal=0.8'],
      solver: null,
      portfolioValue: '1000',
      targets: { a: '192', b: '320', d: '160' },
      leftOut: { c: 'warm-up: 4 of 20 returns' },
      readmitted: { d: `held nothing since ${T1} (20 bars): restarts at its configured 20.00%` },
    },
    transfers: [],
    capitalMoved: '0',
    netByAccount: {},
    reserveForIncreases: null,
  };

  it('is computed from the recorded values: what the left-out strategies do not keep, less what the re-admitted take', () => {
    expect(weighedShare(record)).toEqual({ free: 0.8, readmitted: expect.closeTo(0.16, 12) as number, share: expect.closeTo(0.64, 12) as number });
  });

  it('audit --rebalance says the bounds are of that share, so a final weight below a bound it names is explained', () => {
    const text = rebalanceLines(record).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain(
      'weighed share 64.00% of the portfolio value (80.00% not kept by the strategies left out, less 16.00% re-admitted): ' +
        'raw weights, bounds and binding constraints are fractions of this share; after = bounded weight × 64.00%',
    );
  });

  it('is not shown when the weighed strategies had the whole portfolio value, nor for a manual rebalance', () => {
    const whole = { ...record, decision: { ...record.decision, leftOut: undefined, readmitted: undefined, inputs: { a: { value: '500' }, b: { value: '500' } } } };
    expect(weighedShare(whole)).toBeNull();
    expect(rebalanceLines(whole).join('\n')).not.toContain('weighed share');
    const manual = { ...record, decision: { ...record.decision, algorithm: 'manual', trigger: 'manual' as const } };
    expect(weighedShare(manual)).toBeNull();
  });

  it('is not shown when no strategy was weighed (all in warm-up), nor when a left-out strategy has no recorded value', () => {
    const noneWeighed = { ...record, decision: { ...record.decision, leftOut: { a: 'warm-up', b: 'warm-up', c: 'warm-up', d: 'warm-up' }, readmitted: undefined, rawWeights: {}, finalWeights: {}, targets: {} } };
    expect(weighedShare(noneWeighed)).toBeNull();
    expect(rebalanceLines(noneWeighed).join('\n')).not.toContain('weighed share');
    const unknown = { ...record, decision: { ...record.decision, inputs: { a: { value: '300' }, b: { value: '300' }, c: {}, d: { value: '0' } } } };
    expect(weighedShare(unknown)).toBeNull();
  });
});
