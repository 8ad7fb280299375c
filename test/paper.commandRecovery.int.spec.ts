// A command is told on stderr once: when the session that applied it answers it. A restart that recovers the slice it
// was applied at (from the feed record, or a slice whose answer was lost) says nothing of a command answered before,
// and answers one that was not in one line saying an earlier run applied it. Through the built binary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openEventStore } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import type { EventStore } from '../events/store.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { COMMANDS_COLLECTION, COMMAND_RESULTS_COLLECTION, applyCommand, commandKey } from '../src/cli/queuedCommands.js';
import type { Bar, BarSlice } from '../src/market/bar.js';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { T0, minuteBars } from './fixtures/live/minuteBars.js';
import { runCli } from './fixtures/cliRun.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'command-recovery-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const COMMAND_ID = '0000000001-aaaaaaaa';
const COMMAND = { kind: 'pause', strategyId: 'revert', reason: 'risk review' };
const AT = '2024-03-01T00:03:00.000Z';

/** Minute `m`'s slice as `minuteBars` sends it. */
function minuteSlice(m: number): BarSlice {
  const bar = (symbol: string): Bar => {
    const close = (symbol === 'BTCUSDT' ? 60000 : 3000) + m;
    return { symbol, open: String(close), high: String(close + 1), low: String(close - 1), close: String(close), volume: '2' };
  };
  return { time: new Date(T0 + m * 60_000).toISOString(), bars: { BTCUSDT: bar('BTCUSDT'), ETHUSDT: bar('ETHUSDT') } };
}

async function withStore<T>(url: string, fn: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openEventStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Runs `paper` over minutes `from` to `to` (exclusive) on stdin and returns its stderr lines naming the command. */
async function paper(store: string, from: number, to: number): Promise<string[]> {
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(from, to));
  expect(await run.exited, run.err()).toBe(0);
  return run.err().split('\n').filter((l) => l.includes(COMMAND_ID));
}

/**
 * A log whose feed record holds minute 3's slice, with the command applied at it, and whose portfolio stream stops at
 * minute 2: what a store without a transaction across streams (KurrentDB) keeps of a session killed between its two
 * appends, or a copy cut between them.
 */
async function recordedNotApplied(name: string): Promise<string> {
  const store = `sqlite:${join(dir, name)}`;
  await paper(store, 0, 3);
  await withStore(store, async (s) => {
    const recorder = await FeedRecorder.open(s, 'paper', null);
    await recorder.record(minuteSlice(3), [], [{ commandId: COMMAND_ID, command: COMMAND }]);
  });
  return store;
}

it('a command answered before, at a slice recovered from the feed record, is not told again at this restart nor the next', async () => {
  const store = await recordedNotApplied('answered.db');
  const answer = JSON.stringify({ status: 'applied', at: AT, command: COMMAND });
  await withStore(store, (s) => s.documents.put(COMMAND_RESULTS_COLLECTION, commandKey('paper', COMMAND_ID), answer));

  expect(await paper(store, 4, 6)).toEqual([]);
  expect(await paper(store, 6, 7)).toEqual([]);
  expect(await withStore(store, (s) => s.documents.get(COMMAND_RESULTS_COLLECTION, commandKey('paper', COMMAND_ID)))).toBe(answer);
  // The slice was applied from the record, with the command.
  const status = await runCli('command', '--store', store, 'status', COMMAND_ID);
  expect(status.out).toBe(`command ${COMMAND_ID} pause revert (reason: risk review): applied at the slice of ${AT}\n`);
});

it('a command at a slice recovered from the feed record, never answered, is answered at the restart in one line saying an earlier run applied it', async () => {
  const store = await recordedNotApplied('unanswered.db');
  await withStore(store, (s) => s.documents.put(COMMANDS_COLLECTION, commandKey('paper', COMMAND_ID), JSON.stringify(COMMAND)));

  expect(await paper(store, 4, 6)).toEqual([
    `stratafolio: command ${COMMAND_ID} pause revert (reason: risk review): applied at the slice of ${AT} by an earlier run, which stopped before answering it`,
  ]);
  expect(await paper(store, 6, 7)).toEqual([]);
  const status = await runCli('command', '--store', store, 'status');
  expect(status.out).toBe(`command ${COMMAND_ID} pause revert (reason: risk review): applied at the slice of ${AT}\n`);
});

it('a command whose slice is durable but whose answer was lost is answered at the restart in one line saying an earlier run applied it, and not again', async () => {
  const store = `sqlite:${join(dir, 'lost-answer.db')}`;
  await paper(store, 0, 3);
  // The slice of minute 3 durable with the command, the process gone before answering: the queued document is left.
  await withStore(store, async (s) => {
    await s.documents.put(COMMANDS_COLLECTION, commandKey('paper', COMMAND_ID), JSON.stringify(COMMAND));
    const portfolio = await Portfolio.open({ store: s, config: await loadPortfolioConfig(PAPER_CONFIG) });
    try {
      const recorder = await FeedRecorder.open(s, 'paper', portfolio.status().lastBarTime);
      await recorder.record(minuteSlice(3), [], [{ commandId: COMMAND_ID, command: COMMAND }]);
      applyCommand(portfolio, COMMAND);
      await portfolio.processSlice(minuteSlice(3));
    } finally {
      portfolio.close();
    }
  });

  expect(await paper(store, 4, 6)).toEqual([
    `stratafolio: command ${COMMAND_ID} pause revert (reason: risk review): applied at the slice of ${AT} by an earlier run, which stopped before answering it`,
  ]);
  expect(await paper(store, 6, 7)).toEqual([]);
});

it('a slice recorded with two rebalances (by a version that took both) is recovered as that version applied it: the last one, the one before answered as replaced', async () => {
  const store = `sqlite:${join(dir, 'two-rebalances.db')}`;
  await paper(store, 0, 3);
  const first = { commandId: '0000000002-bbbbbbbb', command: { kind: 'rebalance', weights: { hold: 0.2 }, reason: 'first' } };
  const second = { commandId: '0000000003-cccccccc', command: { kind: 'rebalance', weights: { hold: 0.25 }, reason: 'second' } };
  await withStore(store, async (s) => {
    for (const c of [first, second]) await s.documents.put(COMMANDS_COLLECTION, commandKey('paper', c.commandId), JSON.stringify(c.command));
    const recorder = await FeedRecorder.open(s, 'paper', null);
    await recorder.record(minuteSlice(3), [], [first, second]);
  });

  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(4, 6));
  expect(await run.exited, run.err()).toBe(0);
  const rebalances = await withStore(store, async (s) => {
    const out: unknown[] = [];
    for await (const e of s.readStream('portfolio-paper')) if (e.type === 'RebalanceDecided' && e.metadata.barTime === AT) out.push(e.data);
    return out;
  });
  expect(rebalances).toHaveLength(1);
  expect(rebalances[0]).toMatchObject({ trigger: 'manual', reason: 'second', finalWeights: { hold: 0.25 } });
  const status = await runCli('command', '--store', store, 'status', first.commandId);
  expect(status.out).toContain('refused');
  expect(status.out).toContain('replaced by a later rebalance');
});
