// The command queue of a paper session on a memory store: a command recorded with a slice whose answer was lost in a
// crash is answered at restart with that slice's bar time; answers say what happened to the strategy, keep the
// command they answer, and are kept for the last commands only.
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import type { EventStore } from '../events/store.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { COMMANDS_COLLECTION, COMMAND_RESULTS_COLLECTION, commandKey, prunedAnswers, queuedCommands } from '../src/cli/queuedCommands.js';
import type { Bar } from '../src/market/bar.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';
import { commandOf } from '../src/cli/commands/command.js';
import { EXIT_BAD_INPUT, exitCodeOf } from '../src/cli/exitCodes.js';

const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });
const slice = (time: string): { time: string; bars: Record<string, Bar> } => ({ time, bars: { BTCUSDT: bar('BTCUSDT', '60000'), ETHUSDT: bar('ETHUSDT', '3400') } });

async function openPortfolio(store: EventStore): Promise<Portfolio> {
  return Portfolio.open({ store, config: await loadPortfolioConfig(PAPER_CONFIG) });
}

/** Queues `command` as `stratafolio command` does. */
async function queue(store: EventStore, commandId: string, command: Record<string, unknown>): Promise<void> {
  await store.documents.put(COMMANDS_COLLECTION, commandKey('paper', commandId), JSON.stringify(command));
}

/** The answer stored for a command, without the command it keeps beside it (see {@link keptCommandOf}). */
async function answerOf(store: EventStore, commandId: string): Promise<unknown> {
  const text = await store.documents.get(COMMAND_RESULTS_COLLECTION, commandKey('paper', commandId));
  if (text === null) return null;
  const { command: _kept, ...answer } = JSON.parse(text) as Record<string, unknown>;
  return answer;
}

/** The command an answer keeps, for `command status` once the queued document is gone. */
async function keptCommandOf(store: EventStore, commandId: string): Promise<unknown> {
  const text = await store.documents.get(COMMAND_RESULTS_COLLECTION, commandKey('paper', commandId));
  return text === null ? undefined : (JSON.parse(text) as { command?: unknown }).command;
}

describe('queued commands', () => {
  it('answers a command recorded with a slice before a crash lost its answer, with that slice’s bar time', async () => {
    const store = createMemoryEventStore();
    const command = { kind: 'pause', strategyId: 'hold', reason: 'paused by command' };
    const first = await FeedRecorder.open(store, 'paper', null);
    const write = first.prepare(slice('2024-03-01T10:00:00.000Z'), [], [{ commandId: '0000000001-aaaaaaaa', command }]);
    await store.append(write.stream, write.events, { expectedRevision: write.expectedRevision });
    const later = first.prepare(slice('2024-03-01T10:01:00.000Z'), [], []);
    await store.append(later.stream, later.events, { expectedRevision: later.expectedRevision });
    // The crash: the slice is durable, the queued document is still there and no answer was written.
    await queue(store, '0000000001-aaaaaaaa', command);

    const recorder = await FeedRecorder.open(store, 'paper', '2024-03-01T10:01:00.000Z');
    const portfolio = await openPortfolio(store);
    try {
      const taken = await queuedCommands(store, 'paper').applyQueued(portfolio, recorder.appliedCommands);
      expect(taken).toEqual([]);
      expect(await answerOf(store, '0000000001-aaaaaaaa')).toEqual({ status: 'applied', at: '2024-03-01T10:00:00.000Z' });
      expect(await keptCommandOf(store, '0000000001-aaaaaaaa')).toEqual(command);
      expect(await store.documents.list(COMMANDS_COLLECTION)).toEqual([]);
    } finally {
      portfolio.close();
    }
  });

  it('says what a command did: a pause of a paused strategy changed nothing, a removed strategy was removed, an unknown one is named with the known ones', async () => {
    const store = createMemoryEventStore();
    const portfolio = await openPortfolio(store);
    const commands = queuedCommands(store, 'paper');
    const none = new Set<string>();
    let minute = 0;
    /** Queues `command`, takes it at the next slice, decides and settles that slice, and returns the answer. */
    const send = async (commandId: string, command: Record<string, unknown>): Promise<unknown> => {
      await queue(store, commandId, command);
      const taken = await commands.applyQueued(portfolio, none);
      const s = slice(`2024-03-01T10:${String(minute++).padStart(2, '0')}:00.000Z`);
      await portfolio.processSlice(s);
      await commands.settle(taken, s);
      return answerOf(store, commandId);
    };
    try {
      expect(await send('0000000001-a', { kind: 'pause', strategyId: 'hold', reason: 'r' })).toEqual({ status: 'applied', at: '2024-03-01T10:00:00.000Z' });
      expect(await send('0000000002-a', { kind: 'pause', strategyId: 'hold', reason: 'r' })).toEqual({
        status: 'applied',
        at: '2024-03-01T10:01:00.000Z',
        unchanged: 'hold was paused already',
      });
      // Two in one slice: the second sees what the first leaves.
      await queue(store, '0000000003-a', { kind: 'resume', strategyId: 'hold', reason: 'r' });
      await queue(store, '0000000003-b', { kind: 'resume', strategyId: 'hold', reason: 'r' });
      const both = await commands.applyQueued(portfolio, none);
      const s = slice('2024-03-01T10:02:00.000Z');
      await portfolio.processSlice(s);
      await commands.settle(both, s);
      minute++;
      expect(await answerOf(store, '0000000003-a')).toEqual({ status: 'applied', at: s.time });
      expect(await answerOf(store, '0000000003-b')).toEqual({ status: 'applied', at: s.time, unchanged: 'hold was running already' });

      // A remove, then a pause in the same slice: the strategy is liquidating by then, and a pause does not stop that.
      await queue(store, '0000000004-a', { kind: 'remove', strategyId: 'revert', liquidate: true });
      await queue(store, '0000000004-b', { kind: 'pause', strategyId: 'revert', reason: 'r' });
      const removal = await commands.applyQueued(portfolio, none);
      const s3 = slice(`2024-03-01T10:${String(minute++).padStart(2, '0')}:00.000Z`);
      await portfolio.processSlice(s3);
      await commands.settle(removal, s3);
      expect(await answerOf(store, '0000000004-a')).toEqual({ status: 'applied', at: s3.time });
      expect(await answerOf(store, '0000000004-b')).toEqual({ status: 'applied', at: s3.time, unchanged: 'revert is being removed' });
      // A liquidating strategy is removed once flat.
      for (let i = 0; i < 5 && portfolio.status().strategies.find((x) => x.id === 'revert')?.removed !== true; i++) {
        await portfolio.processSlice(slice(`2024-03-01T10:${String(minute++).padStart(2, '0')}:00.000Z`));
      }
      expect(portfolio.status().strategies.find((x) => x.id === 'revert')?.removed).toBe(true);
      expect(await send('0000000007-a', { kind: 'remove', strategyId: 'revert', liquidate: true })).toEqual({ status: 'refused', reason: 'strategy revert was removed from portfolio paper' });
      expect(await send('0000000008-a', { kind: 'pause', strategyId: 'nosuch', reason: 'r' })).toEqual({
        status: 'refused',
        reason: 'portfolio paper has no strategy nosuch (its strategies: hold, trend; removed: revert)',
      });
      expect(await send('0000000009-a', { kind: 'rebalance', weights: { revert: 0.1 }, reason: 'r' })).toEqual({ status: 'refused', reason: 'strategy revert was removed from portfolio paper' });
      // A refused command is kept with its answer; one written by hand that is no command, as its text.
      expect(await keptCommandOf(store, '0000000008-a')).toEqual({ kind: 'pause', strategyId: 'nosuch', reason: 'r' });
      await store.documents.put(COMMANDS_COLLECTION, commandKey('paper', '0000000010-a'), 'pause hold');
      await commands.applyQueued(portfolio, none);
      expect(await answerOf(store, '0000000010-a')).toMatchObject({ status: 'refused' });
      expect(await keptCommandOf(store, '0000000010-a')).toBe('pause hold');
    } finally {
      portfolio.close();
    }
  });

  it.each([
    [['hold=1.5'], { hold: 1.5 }],
    [['hold=0.6', 'trend=0.5'], { hold: 0.6, trend: 0.5 }],
    [['hold=0.4', 'trend=0.4', 'revert=0.3'], { hold: 0.4, trend: 0.4, revert: 0.3 }],
  ])('`command rebalance %j` is refused before it is queued, as bad input and in the words the session refuses it with (its weights are wrong whatever the portfolio holds)', async (args, weights) => {
    const store = createMemoryEventStore();
    const portfolio = await openPortfolio(store);
    try {
      // What the session answers when it takes the command at its next slice.
      await queue(store, '0000000001-a', { kind: 'rebalance', weights, reason: 'rebalance by command' });
      await queuedCommands(store, 'paper').applyQueued(portfolio, new Set());
      const answer = (await answerOf(store, '0000000001-a')) as { status: string; reason: string };
      expect(answer.status).toBe('refused');
      // What `stratafolio command` says before it opens the store.
      let refusal: unknown = null;
      try {
        commandOf('rebalance', args, {});
      } catch (e) {
        refusal = e;
      }
      expect(refusal instanceof Error ? refusal.message : refusal).toBe(answer.reason);
      expect(exitCodeOf(refusal)).toBe(EXIT_BAD_INPUT);
    } finally {
      portfolio.close();
    }
  });

  it('keeps the answers of the last commands only: older ones are pruned once newer ones are answered, and are still known as answered', async () => {
    const store = createMemoryEventStore();
    const portfolio = await openPortfolio(store);
    const commands = queuedCommands(store, 'paper', undefined, { answersKept: 3 });
    try {
      for (let i = 1; i <= 5; i += 1) {
        await queue(store, `000000000${i}-a`, { kind: i % 2 === 1 ? 'pause' : 'resume', strategyId: 'hold', reason: 'r' });
        const taken = await commands.applyQueued(portfolio, new Set());
        const s = slice(`2024-03-01T10:0${i}:00.000Z`);
        await portfolio.processSlice(s);
        await commands.settle(taken, s);
      }
      expect(await store.documents.list(COMMAND_RESULTS_COLLECTION)).toEqual(['paper/0000000003-a', 'paper/0000000004-a', 'paper/0000000005-a']);
      expect(await prunedAnswers(store, 'paper')).toEqual({ through: '0000000002-a', count: 2 });
      // A pruned command left in the queue (a crash between its slice and its answer's removal) is not answered again.
      const told: string[] = [];
      const restarted = queuedCommands(store, 'paper', (id) => told.push(id), { answersKept: 3 });
      await queue(store, '0000000001-a', { kind: 'pause', strategyId: 'hold', reason: 'r' });
      expect(await restarted.applyQueued(portfolio, new Set(['0000000001-a']))).toEqual([]);
      expect(told).toEqual([]);
      expect(await store.documents.list(COMMANDS_COLLECTION)).toEqual([]);
      expect(await store.documents.list(COMMAND_RESULTS_COLLECTION)).toHaveLength(3);
    } finally {
      portfolio.close();
    }
  });
});

