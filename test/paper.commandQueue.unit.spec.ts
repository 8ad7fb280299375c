// The command queue of a paper session on a memory store: a command recorded with a slice whose answer was lost in a
// crash is answered at restart with that slice's bar time; answers say what happened to the strategy.
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import type { EventStore } from '../events/store.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { COMMANDS_COLLECTION, COMMAND_RESULTS_COLLECTION, commandKey, queuedCommands } from '../src/cli/queuedCommands.js';
import type { Bar } from '../src/market/bar.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';

const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });
const slice = (time: string): { time: string; bars: Record<string, Bar> } => ({ time, bars: { BTCUSDT: bar('BTCUSDT', '60000'), ETHUSDT: bar('ETHUSDT', '3400') } });

async function openPortfolio(store: EventStore): Promise<Portfolio> {
  return Portfolio.open({ store, config: await loadPortfolioConfig(PAPER_CONFIG) });
}

/** Queues `command` as `stratafolio command` does. */
async function queue(store: EventStore, commandId: string, command: Record<string, unknown>): Promise<void> {
  await store.documents.put(COMMANDS_COLLECTION, commandKey('paper', commandId), JSON.stringify(command));
}

async function answerOf(store: EventStore, commandId: string): Promise<unknown> {
  const text = await store.documents.get(COMMAND_RESULTS_COLLECTION, commandKey('paper', commandId));
  return text === null ? null : JSON.parse(text);
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
      expect(await store.documents.list(COMMANDS_COLLECTION)).toEqual([]);
    } finally {
      portfolio.close();
    }
  });
});
