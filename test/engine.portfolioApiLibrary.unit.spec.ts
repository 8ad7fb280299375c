// The portfolio API as a program that embeds the engine uses it: strategy objects written in plain JavaScript (which no
// type checker stopped), commands given before a strategy's first slice, and a portfolio used after close.
import { afterEach, describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { EventStore } from '../events/store.js';
import { AllocationError, StratafolioError } from '../src/errors.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { day, ofType, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const open: { store: EventStore; portfolio: Portfolio }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.portfolio.close();
    await o.store.close();
  }
});

async function openWith(members: Readonly<Record<string, Strategy>>): Promise<{ store: EventStore; portfolio: Portfolio }> {
  const store = await openEventStore('memory:');
  const kinds = Object.fromEntries(Object.entries(members).map(([id, s]) => [`k-${id}`, () => s]));
  const config = testConfig({ strategies: Object.keys(members).map((id) => ({ id, kind: `k-${id}`, allocation: '0.2' })) });
  const portfolio = await Portfolio.open({ store, config, kinds });
  const o = { store, portfolio };
  open.push(o);
  return o;
}

/** What a JavaScript caller can hand the engine: an onBar or init that returns a promise. */
function asyncStrategy(name: string, phase: 'init' | 'onBar'): Strategy {
  const later = async (ctx: { order(symbol: string, quantity: string): void }): Promise<void> => {
    await null;
    ctx.order('AAA', '1');
  };
  const s = phase === 'init' ? { name, init: later, onBar: () => undefined } : { name, onBar: later };
  return s as unknown as Strategy;
}

describe('a strategy whose code is async', () => {
  it.each(['onBar', 'init'] as const)('an async %s is a fault naming the promise, and its late rejection does not reach the process', async (phase) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { portfolio, store } = await openWith({ a: asyncStrategy('a', phase), b: scripted('b') });
      await portfolio.processSlice(slice(day(0), { AAA: '100' }));
      await portfolio.processSlice(slice(day(1), { AAA: '100' }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      const faults = ofType(await readAllEvents(store), 'StrategyFaulted').map((e) => e.data);
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatchObject({ strategyId: 'a', phase, action: 'paused' });
      expect(faults[0]?.error).toMatch(new RegExp(`${phase} returned a promise: strategy code must be synchronous`));
      expect(portfolio.status().strategies.map((s) => [s.id, s.state])).toEqual([
        ['a', 'paused'],
        ['b', 'running'],
      ]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('commands before a strategy has started', () => {
  const withInit = (name: string, calls: string[]): Strategy => ({
    name,
    init: () => void calls.push(`${name} init`),
    onBar: (ctx) => void calls.push(`${name} onBar ${ctx.barIndex}`),
  });

  it('a pause or resume given before its first slice is taken once the strategy has run its init and started', async () => {
    const calls: string[] = [];
    const { portfolio, store } = await openWith({ a: withInit('a', calls), b: withInit('b', calls) });
    portfolio.pauseStrategy('a', 'from the start');
    portfolio.resumeStrategy('b');
    portfolio.addStrategy('c', withInit('c', calls), '0.1');
    portfolio.pauseStrategy('c', 'added paused');
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    expect(calls).toEqual(['a init', 'b init', 'c init', 'b onBar 0']);
    const moves = ofType(await readAllEvents(store), 'StrategyLifecycleChanged').map((e) => [e.data.strategyId, e.data.from, e.data.to, e.data.reason]);
    expect(moves).toEqual([
      ['a', 'initializing', 'running', 'started'],
      ['b', 'initializing', 'running', 'started'],
      ['c', 'initializing', 'running', 'started'],
      ['a', 'running', 'paused', 'from the start'],
      ['c', 'running', 'paused', 'added paused'],
    ]);
    portfolio.resumeStrategy('a');
    await portfolio.processSlice(slice(day(1), { AAA: '100' }));
    expect(calls.slice(4)).toEqual(['a onBar 1', 'b onBar 1']);
  });
});

describe('a closed portfolio', () => {
  it('refuses commands, naming that it is closed, and may be closed again; status still reads its last slice', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    portfolio.close();
    expect(() => portfolio.close()).not.toThrow();
    const commands: [string, () => void][] = [
      ['pauseStrategy', () => portfolio.pauseStrategy('a')],
      ['resumeStrategy', () => portfolio.resumeStrategy('a')],
      ['removeStrategy', () => portfolio.removeStrategy('a', { liquidate: true })],
      ['rebalance', () => portfolio.rebalance({ a: 0.5 })],
      ['addStrategy', () => portfolio.addStrategy('b', scripted('b'), '0.1')],
    ];
    for (const [entry, command] of commands) {
      expect(command).toThrow(StratafolioError);
      expect(command).toThrow(`${entry}: portfolio p1 is closed: open it again to give it commands`);
    }
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
    await expect(portfolio.processSlice(slice(day(1), { AAA: '100' }))).rejects.toThrow('portfolio p1 is closed, not ready for a slice');
    expect(portfolio.status().slices).toBe(1);
  });
});

describe('command arguments as JavaScript passes them', () => {
  it('an allocation that is not a decimal is an AllocationError naming the strategy; a weight given as text is named as text', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    const loose = portfolio as unknown as { addStrategy(id: string, s: Strategy, pct: unknown): void; rebalance(w: Record<string, unknown>): void };
    for (const [pct, shown] of [
      [0.05, "0.05 must be given as a decimal string ('0.05'), not a binary float"],
      [Number.NaN, 'NaN is not a finite number'],
      ['abc', '"abc" is not a decimal number'],
    ] as const) {
      expect(() => loose.addStrategy('b', scripted('b'), pct)).toThrow(AllocationError);
      expect(() => loose.addStrategy('b', scripted('b'), pct)).toThrow(`addStrategy(b): allocationPct: ${shown}`);
    }
    expect(() => loose.rebalance({ a: '0.2' })).toThrow('rebalance: weight of a must be a number in [0, 1], got the string "0.2"');
    expect(() => loose.rebalance({ a: Number.NaN })).toThrow('rebalance: weight of a must be a number in [0, 1], got NaN');
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
  });
});
