// Strategy actor logic: what one bar's CALL message costs with XState transition logic against the same actor as a statechart.
import { createActor } from 'xstate';
import { strategyLogic, strategyMachine, type StrategyCallInput } from '../actors/strategyActor.js';
import { RollingPriceHistory } from '../src/strategy/priceHistory.js';
import { dec } from '../src/money/decimal.js';
import type { Strategy } from '../src/strategy/strategy.js';

export const name = 'strategy-actor';

const CALLS = Number(process.env.BENCH_ACTOR_CALLS ?? 200_000);
const REPEATS = 3;

// An onBar that does nothing: the figure is the message's own cost, not the strategy's.
const idle: Strategy = { name: 'idle', onBar: () => {} };

function callInput(): StrategyCallInput {
  const history = new RollingPriceHistory(4);
  const slice = { time: '2024-01-02T00:00:00.000Z', bars: { AAA: { symbol: 'AAA', open: '10', high: '10', low: '10', close: '10', volume: '1' } } };
  history.push(slice);
  const mark = dec('10');
  return { slice, barIndex: 1, history, markOf: () => mark };
}

function measure(logic: typeof strategyLogic | typeof strategyMachine): number {
  const actor = createActor(logic as typeof strategyLogic, { input: { strategyId: 's', strategy: idle, params: {} } });
  let replies = 0;
  actor.on('outcome', () => {
    replies += 1;
  });
  actor.start();
  actor.send({ type: 'BOOK', events: [{ type: 'StrategyLifecycleChanged', data: { strategyId: 's', from: 'initializing', to: 'running' } }] });
  const input = callInput();
  const message = { type: 'CALL' as const, phase: 'onBar' as const, ...input };
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i += 1) actor.send(message);
  const us = ((performance.now() - t0) * 1000) / CALLS;
  if (replies !== CALLS) throw new Error(`expected ${CALLS} replies, got ${replies}`);
  actor.stop();
  return us;
}

/** Best of three: microseconds per CALL (a bar's message to one strategy, answered with an emitted outcome). */
export async function run(): Promise<Record<string, unknown>> {
  const transition: number[] = [];
  const statechart: number[] = [];
  for (let r = 0; r < REPEATS; r += 1) {
    transition.push(measure(strategyLogic));
    statechart.push(measure(strategyMachine));
  }
  const best = (xs: number[]): number => Number(Math.min(...xs).toFixed(2));
  return {
    calls: CALLS,
    transitionLogicMicrosecondsPerCall: best(transition),
    statechartMicrosecondsPerCall: best(statechart),
    eachRun: { transition: transition.map((x) => Number(x.toFixed(2))), statechart: statechart.map((x) => Number(x.toFixed(2))) },
  };
}
