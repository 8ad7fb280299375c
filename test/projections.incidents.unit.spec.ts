// The incidents read model: faults, pauses, resumes, liquidations, removals and rejected orders counted per strategy, who is paused
// now since when and why, the events of the kinds asked for, and the same state whether folded whole or from a checkpoint.
import { describe, expect, it } from 'vitest';
import { ProjectionRunner, createMemoryEventStore, domainEvent, type DomainEvent, type PendingEvent } from '../src/index.js';
import { MemoryLog } from '../events/adapters/memoryStore.js';
import { incidentsProjection, pausedStrategies } from '../projections/incidents.js';
import { STREAM, T1, T2, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

const lifecycle = (strategyId: string, from: 'running' | 'paused', to: 'running' | 'paused' | 'liquidating', reason: string): DomainEvent =>
  domainEvent('StrategyLifecycleChanged', { strategyId, from, to, reason });
const rejected = (n: number, strategyId: string): DomainEvent =>
  domainEvent('OrderRejected', { orderId: `x${n}`, strategyId, symbol: 'X', quantity: '5', orderType: 'market', reason: 'not enough cash' });

/** The fixture log with incidents added: a faults and is paused at T1; b has two orders rejected and is paused at T2 and resumed at T3; a is liquidated at T3. */
function batches(): PendingEvent[][] {
  const [setup, t1, t2, t3] = fixtureBatches();
  const at = (barTime: string, events: DomainEvent[]): PendingEvent[] => events.map((event) => ({ event, barTime }));
  return [
    setup ?? [],
    [...(t1 ?? []), ...at(T1, [domainEvent('StrategyFaulted', { strategyId: 'a', phase: 'onBar', error: 'Error: boom', action: 'paused' }), lifecycle('a', 'running', 'paused', 'fault: Error: boom'), rejected(1, 'b')])],
    [...(t2 ?? []), ...at(T2, [rejected(2, 'b'), lifecycle('b', 'running', 'paused', 'drawdown 30% beyond 25%')])],
    [...(t3 ?? []), ...at(T3, [lifecycle('b', 'paused', 'running', 'resumed by hand'), lifecycle('a', 'paused', 'liquidating', 'liquidate')])],
  ];
}

async function fold(keep: Parameters<typeof incidentsProjection>[0], checkpointEvery = 0) {
  const store = createMemoryEventStore({ log: new MemoryLog() });
  await appendBatches(store, batches());
  return (await new ProjectionRunner(store, { incidents: incidentsProjection(keep) }, { stream: STREAM, checkpointEvery }).run()).states.incidents;
}

describe('incidents projection', () => {
  it('counts each kind overall and per strategy, keeps every fault, and knows who is paused now', async () => {
    const s = await fold({});
    expect(s.counts).toEqual({ fault: 1, pause: 2, resume: 1, liquidation: 1, removal: 0, rejection: 2 });
    expect(s.byStrategy.get('a')).toEqual({ fault: 1, pause: 1, resume: 0, liquidation: 1, removal: 0, rejection: 0 });
    expect(s.byStrategy.get('b')).toEqual({ fault: 0, pause: 1, resume: 1, liquidation: 0, removal: 0, rejection: 2 });
    expect(s.faults).toEqual([expect.objectContaining({ kind: 'fault', strategyId: 'a', barTime: T1, message: 'onBar: Error: boom (action: paused)' })]);
    // b resumed, and a left `paused` for `liquidating`: neither is paused at the end.
    expect(pausedStrategies(s)).toEqual([]);
    expect(s.events).toEqual([]);
  });

  it('says since when and why a strategy is paused', async () => {
    const store = createMemoryEventStore({ log: new MemoryLog() });
    await appendBatches(store, batches().slice(0, 3));
    const s = (await new ProjectionRunner(store, { incidents: incidentsProjection() }, { stream: STREAM, checkpointEvery: 0 }).run()).states.incidents;
    expect(pausedStrategies(s)).toEqual([
      { strategyId: 'a', since: T1, reason: 'fault: Error: boom' },
      { strategyId: 'b', since: T2, reason: 'drawdown 30% beyond 25%' },
    ]);
  });

  it('counts a liquidation by a drawdown limit, with its reason: the strategy sold everything and stopped', async () => {
    const store = createMemoryEventStore({ log: new MemoryLog() });
    const [setup, t1] = fixtureBatches();
    const limit = lifecycle('b', 'running', 'liquidating', 'risk: drawdown -15.16% beyond the limit of 15.00%');
    await appendBatches(store, [setup ?? [], [...(t1 ?? []), { event: limit, barTime: T1 }]]);
    const s = (await new ProjectionRunner(store, { incidents: incidentsProjection({ keep: ['liquidation'] }) }, { stream: STREAM, checkpointEvery: 0 }).run()).states.incidents;
    expect(s.counts.liquidation).toBe(1);
    expect(s.byStrategy.get('b')).toMatchObject({ liquidation: 1 });
    expect(s.events).toEqual([expect.objectContaining({ kind: 'liquidation', strategyId: 'b', barTime: T1, message: 'risk: drawdown -15.16% beyond the limit of 15.00%' })]);
  });

  it('keeps the events of the kinds asked for, in log order', async () => {
    const s = await fold({ keep: ['rejection', 'resume'] });
    expect(s.events.map((e) => `${e.kind}:${e.strategyId}:${e.barTime ?? ''}`)).toEqual([`rejection:b:${T1}`, `rejection:b:${T2}`, `resume:b:${T3}`]);
    expect(s.events[0]?.message).toBe('x1 X 5: not enough cash');
  });

  it('gives the same state folded whole and resumed from checkpoints', async () => {
    const store = createMemoryEventStore({ log: new MemoryLog() });
    const all = batches();
    const head = await appendBatches(store, all.slice(0, 2));
    const projections = { incidents: incidentsProjection({ keep: ['fault', 'pause', 'resume', 'liquidation', 'removal', 'rejection'] }) };
    await new ProjectionRunner(store, projections, { stream: STREAM, checkpointEvery: 1 }).run();
    await appendBatches(store, all.slice(2), head);
    const resumed = await new ProjectionRunner(store, projections, { stream: STREAM, checkpointEvery: 1 }).run();
    expect(resumed.resumed).toEqual(['incidents']);
    expect(resumed.states.incidents).toEqual(await fold({ keep: ['fault', 'pause', 'resume', 'liquidation', 'removal', 'rejection'] }));
  });
});
