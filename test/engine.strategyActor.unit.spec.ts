// The strategy actor alone, in both of its logics (the transition logic the engine runs and the statechart it was measured
// against): guarded lifecycle (nothing leaves stopped), its code run only when its lifecycle allows, its own ledger, contained errors.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { strategyLogic, strategyMachine, type StrategyCallInput, type StrategyCallReply } from '../actors/strategyActor.js';
import type { BookEvent } from '../src/portfolio/strategyBook.js';
import { RollingPriceHistory } from '../src/strategy/priceHistory.js';
import { dec } from '../src/money/decimal.js';
import type { Strategy } from '../src/strategy/strategy.js';
import type { LifecycleState } from '../events/catalogue.js';
import { day, scripted, slice } from './fixtures/engine/engineFixtures.js';

const history = new RollingPriceHistory(10);
const markOf = (symbol: string) => (symbol === 'AAA' ? dec('10') : undefined);
function bar(i: number): StrategyCallInput {
  return { slice: slice(day(i), { AAA: '10' }), barIndex: i, history, markOf };
}

const logics = [
  ['transition logic', strategyLogic],
  ['statechart', strategyMachine],
] as const;

describe.each(logics)('strategy actor (%s)', (_name, logic) => {
  function actorFor(strategy: Strategy) {
    const actor = createActor(logic as typeof strategyLogic, { input: { strategyId: 's1', strategy, params: { k: 1 } } });
    const replies: StrategyCallReply[] = [];
    actor.on('outcome', (r) => replies.push(r));
    // A refused move ends the statechart with an error; the tests read it from the snapshot.
    actor.subscribe({ error: () => {} });
    actor.start();
    const lifecycle = (): LifecycleState => actor.getSnapshot().context.book.lifecycle;
    return {
      actor,
      lifecycle,
      move(to: LifecycleState) {
        actor.send({ type: 'BOOK', events: [{ type: 'StrategyLifecycleChanged', data: { strategyId: 's1', from: lifecycle(), to } }] });
      },
      book(events: readonly BookEvent[]) {
        actor.send({ type: 'BOOK', events });
      },
      /**
       * The error of a refused fold: the transition logic keeps it (for the supervisor to throw) and goes on; the
       * statechart stops in error. Neither throws into the sender.
       */
      refusal(): unknown {
        const snapshot = actor.getSnapshot();
        return snapshot.status === 'error' ? snapshot.error : snapshot.context.refused;
      },
      /** Asks for a call and returns the reply it emitted (outcome null: not run in this state). */
      call(phase: 'init' | 'onBar', input: StrategyCallInput) {
        const before = replies.length;
        actor.send({ type: 'CALL', phase, ...input });
        expect(replies.length).toBe(before + 1);
        return replies[replies.length - 1]?.outcome ?? null;
      },
    };
  }

  it('starts initializing and runs init only there', () => {
    let inits = 0;
    const a = actorFor({ name: 'x', init: () => void (inits += 1), onBar: () => {} });
    expect(a.lifecycle()).toBe('initializing');
    expect(a.call('init', bar(0))).toEqual({ ok: true, intents: [] });
    a.move('running');
    expect(a.call('init', bar(1))).toBeNull();
    expect(inits).toBe(1);
  });

  it('runs onBar only while running', () => {
    const s = scripted('x');
    const a = actorFor(s);
    const ran = [a.call('onBar', bar(0)) !== null];
    a.move('running');
    ran.push(a.call('onBar', bar(1)) !== null);
    a.move('paused');
    ran.push(a.call('onBar', bar(2)) !== null);
    a.move('running');
    ran.push(a.call('onBar', bar(3)) !== null);
    a.move('liquidating');
    ran.push(a.call('onBar', bar(4)) !== null);
    a.move('stopped');
    ran.push(a.call('onBar', bar(5)) !== null);
    expect(ran).toEqual([false, true, false, true, false, false]);
    expect(s.calls).toEqual([day(1), day(3)]);
  });

  it('refuses a move out of liquidating other than to stopped, and any move out of stopped', () => {
    const a = actorFor(scripted('x'));
    a.move('running');
    a.move('liquidating');
    expect(() => a.move('running')).not.toThrow(); // the actor reports the error; it does not throw into the sender
    expect(String(a.refusal())).toMatch(/liquidating → running recorded while it is liquidating/);
    expect(a.lifecycle()).toBe('liquidating');

    const b = actorFor(scripted('y'));
    b.move('running');
    b.move('stopped');
    expect(b.lifecycle()).toBe('stopped');
    b.move('running');
    expect(String(b.refusal())).toMatch(/stopped → running recorded while it is stopped/);
    expect(b.lifecycle()).toBe('stopped');
  });

  it('folds its own transfers and fills into its ledger in any state but stopped', () => {
    const a = actorFor(scripted('x'));
    a.move('running');
    a.book([{ type: 'CapitalTransferred', data: { from: 'reserve', to: 's1', amount: '1000' } }]);
    a.move('paused');
    a.book([{ type: 'FillRecorded', data: { strategyId: 's1', symbol: 'AAA', quantity: '20', price: '10.5', commission: '1' } }]);
    const ledger = a.actor.getSnapshot().context.book.ledger;
    // 1000 − 20 × 10.5 − 1 = 789
    expect(ledger.cash.toString()).toBe('789');
    expect(ledger.positions.get('AAA')?.quantity.toString()).toBe('20');
  });

  it('answers a bar with the orders it asked for', () => {
    const a = actorFor(scripted('x', (ctx) => ctx.order('AAA', '7')));
    a.move('running');
    const h = new RollingPriceHistory(10);
    const s = slice(day(1), { AAA: '10' });
    h.push(s);
    const outcome = a.call('onBar', { slice: s, barIndex: 1, history: h, markOf });
    expect(outcome?.ok && outcome.intents.map((i) => [i.symbol, i.quantity.toString()])).toEqual([['AAA', '7']]);
  });

  it('contains a throwing onBar or init as a failed outcome and stays where it was', () => {
    const a = actorFor(scripted('x', () => {
      throw new Error('boom at bar');
    }));
    a.move('running');
    expect(a.call('onBar', bar(1))).toEqual({ ok: false, phase: 'onBar', error: 'Error: boom at bar' });
    expect(a.lifecycle()).toBe('running');
    const b = actorFor({ name: 'y', init: () => { throw new RangeError('bad init'); }, onBar: () => {} });
    expect(b.call('init', bar(0))).toEqual({ ok: false, phase: 'init', error: 'RangeError: bad init' });
  });

  it('gives the strategy only its own ledger and parameters', () => {
    let seen: unknown;
    const a = actorFor(scripted('x', (ctx) => {
      seen = { id: ctx.strategyId, params: ctx.params, cash: ctx.ledger.cash.toString() };
    }));
    a.move('running');
    a.book([{ type: 'CapitalTransferred', data: { from: 'reserve', to: 's1', amount: '250' } }]);
    a.call('onBar', bar(1));
    expect(seen).toEqual({ id: 's1', params: { k: 1 }, cash: '250' });
  });
});
