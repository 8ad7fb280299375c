// The strategy actor alone: guarded lifecycle transitions, onBar only while running, its own ledger, contained errors.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { callStrategy, strategyMachine, type StrategyCallInput } from '../actors/strategyActor.js';
import { emptyLedger } from '../src/ledger/ledger.js';
import { RollingPriceHistory } from '../src/strategy/priceHistory.js';
import { dec } from '../src/money/decimal.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { day, scripted, slice } from './fixtures/engine/engineFixtures.js';

function actorFor(strategy: Strategy) {
  const actor = createActor(strategyMachine, { input: { strategyId: 's1', strategy, params: { k: 1 }, ledger: emptyLedger() } });
  actor.start();
  return actor;
}

const history = new RollingPriceHistory(10);
const markOf = (symbol: string) => (symbol === 'AAA' ? dec('10') : undefined);
function bar(i: number): StrategyCallInput {
  return { slice: slice(day(i), { AAA: '10' }), barIndex: i, history, markOf };
}

describe('strategy actor lifecycle', () => {
  it('starts in initializing and runs init only there, without leaving it', () => {
    let inits = 0;
    const actor = actorFor({ name: 'x', init: () => void (inits += 1), onBar: () => {} });
    expect(actor.getSnapshot().value).toBe('initializing');
    expect(callStrategy(actor, 'init', bar(0))).toEqual({ ok: true, intents: [] });
    expect(inits).toBe(1);
    expect(actor.getSnapshot().value).toBe('initializing');
    actor.send({ type: 'START' });
    expect(actor.getSnapshot().value).toBe('running');
    expect(callStrategy(actor, 'init', bar(1))).toBeNull();
    expect(inits).toBe(1);
  });

  it('calls onBar only while running', () => {
    const s = scripted('x');
    const actor = actorFor(s);
    const outcomes = [callStrategy(actor, 'onBar', bar(0))]; // initializing: not run
    actor.send({ type: 'START' });
    outcomes.push(callStrategy(actor, 'onBar', bar(1)));
    actor.send({ type: 'PAUSE' });
    outcomes.push(callStrategy(actor, 'onBar', bar(2))); // paused: not run
    actor.send({ type: 'RESUME' });
    outcomes.push(callStrategy(actor, 'onBar', bar(3)));
    actor.send({ type: 'LIQUIDATE' });
    outcomes.push(callStrategy(actor, 'onBar', bar(4))); // liquidating: not run
    actor.send({ type: 'STOP' });
    outcomes.push(callStrategy(actor, 'onBar', bar(5))); // stopped: not run
    expect(s.calls).toEqual([day(1), day(3)]);
    expect(outcomes.map((o) => o !== null)).toEqual([false, true, false, true, false, false]);
  });

  it('goes paused → running only by RESUME or START, and running ⇄ paused repeatedly', () => {
    const actor = actorFor(scripted('x'));
    actor.send({ type: 'START' });
    actor.send({ type: 'PAUSE' });
    expect(actor.getSnapshot().value).toBe('paused');
    expect(callStrategy(actor, 'init', bar(0))).toBeNull();
    expect(actor.getSnapshot().value).toBe('paused');
    actor.send({ type: 'RESUME' });
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'PAUSE' });
    actor.send({ type: 'START' });
    expect(actor.getSnapshot().value).toBe('running');
  });

  it('leaves liquidating only for stopped', () => {
    const actor = actorFor(scripted('x'));
    actor.send({ type: 'START' });
    actor.send({ type: 'LIQUIDATE' });
    for (const type of ['START', 'PAUSE', 'RESUME'] as const) {
      expect(actor.getSnapshot().can({ type })).toBe(false);
      actor.send({ type });
      expect(actor.getSnapshot().value).toBe('liquidating');
    }
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('never leaves stopped, and ignores ledger events there', () => {
    const actor = actorFor(scripted('x'));
    actor.send({ type: 'START' });
    actor.send({ type: 'LEDGER', events: [{ kind: 'transfer', amount: dec('500') }] });
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().status).toBe('done');
    for (const type of ['START', 'PAUSE', 'RESUME', 'LIQUIDATE', 'STOP'] as const) actor.send({ type });
    actor.send({ type: 'LEDGER', events: [{ kind: 'transfer', amount: dec('100') }] });
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(actor.getSnapshot().context.ledger.cash.toString()).toBe('500');
  });

  it('applies ledger events (transfer, then a fill with commission) in running and paused', () => {
    const actor = actorFor(scripted('x'));
    actor.send({ type: 'START' });
    actor.send({ type: 'LEDGER', events: [{ kind: 'transfer', amount: dec('1000') }] });
    actor.send({ type: 'PAUSE' });
    actor.send({ type: 'LEDGER', events: [{ kind: 'fill', fill: { symbol: 'AAA', quantity: dec('20'), price: dec('10.5'), commission: dec('1') } }] });
    const ledger = actor.getSnapshot().context.ledger;
    // 1000 − 20 × 10.5 − 1 = 789
    expect(ledger.cash.toString()).toBe('789');
    expect(ledger.positions.get('AAA')?.quantity.toString()).toBe('20');
  });

  it('returns the orders a bar asked for as the intents of the call', () => {
    const actor = actorFor(scripted('x', (ctx) => ctx.order('AAA', '7')));
    actor.send({ type: 'START' });
    const h = new RollingPriceHistory(10);
    const s = slice(day(1), { AAA: '10' });
    h.push(s);
    const call = callStrategy(actor, 'onBar', { slice: s, barIndex: 1, history: h, markOf });
    expect(call?.ok).toBe(true);
    expect(call?.ok && call.intents.map((i) => [i.symbol, i.quantity.toString()])).toEqual([['AAA', '7']]);
  });

  it('captures a throwing onBar as ok === false with the message, and stays running', () => {
    const actor = actorFor(scripted('x', () => {
      throw new Error('boom at bar');
    }));
    actor.send({ type: 'START' });
    const call = callStrategy(actor, 'onBar', bar(1));
    expect(call?.ok).toBe(false);
    expect(call && !call.ok && call.phase).toBe('onBar');
    expect(call && !call.ok && call.error).toContain('boom at bar');
    expect(actor.getSnapshot().value).toBe('running');
  });

  it('captures a throwing init as ok === false in phase init', () => {
    const actor = actorFor({ name: 'x', init: () => { throw new RangeError('bad init'); }, onBar: () => {} });
    const call = callStrategy(actor, 'init', bar(0));
    expect(call).toEqual({ ok: false, phase: 'init', error: 'RangeError: bad init' });
  });

  it('gives the strategy only its own ledger and parameters', () => {
    let seen: unknown;
    const actor = actorFor(scripted('x', (ctx) => {
      seen = { id: ctx.strategyId, params: ctx.params, cash: ctx.ledger.cash.toString() };
    }));
    actor.send({ type: 'START' });
    actor.send({ type: 'LEDGER', events: [{ kind: 'transfer', amount: dec('250') }] });
    callStrategy(actor, 'onBar', bar(1));
    expect(seen).toEqual({ id: 's1', params: { k: 1 }, cash: '250' });
  });
});
