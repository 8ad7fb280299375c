// Commands to a running paper session: queued durably by `stratafolio command`, validated and applied at the next
// slice exactly as the Portfolio methods are, recorded with that slice; a refused command says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { recordedMessages, startLocalBinance, type LocalBinance } from './fixtures/live/localBinance.js';
import { localBinancePaperArgs, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { runCli } from './fixtures/cliRun.js';

let server: LocalBinance | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('applies a queued pause at the next slice and records it with that slice; refuses an unknown strategy before queueing it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-commands-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  server = await startLocalBinance({ messages: recordedMessages(), tickMs: 40 });
  const paper = startCli(localBinancePaperArgs(store, server, ['--json']));
  await paper.linesOut(2);

  const refused = await runCli('command', '--store', store, 'pause', 'nosuch');
  expect(refused.code).toBe(2);
  expect(refused.err).toMatch(/pause: portfolio "paper" has no strategy "nosuch" \(its strategies: hold, revert, trend\); nothing was queued/);

  const paused = await runCli('command', '--store', store, '--json', 'pause', 'revert', '--reason', 'risk review');
  expect(paused.code).toBe(0);
  const answer = JSON.parse(paused.out) as { commandId: string; result: { status: string; at: string } };
  expect(answer.result.status).toBe('applied');
  paper.child.kill('SIGTERM');
  expect(await paper.exited).toBe(0);

  const events = await streamEvents(store, 'portfolio-paper');
  const change = events.find((e) => e.type === 'StrategyLifecycleChanged' && e.data.strategyId === 'revert' && e.data.to === 'paused');
  expect(change?.data).toMatchObject({ from: 'running', reason: 'risk review' });
  expect(change?.metadata.barTime).toBe(answer.result.at);
  const recorded = (await streamEvents(store, 'feed-paper')).find((e) => e.type === 'SliceBarsRecorded' && e.data.commands.length > 0);
  expect(recorded?.type === 'SliceBarsRecorded' ? { time: recorded.data.time, commands: recorded.data.commands } : null).toEqual({
    time: answer.result.at,
    commands: [{ commandId: answer.commandId, command: { kind: 'pause', strategyId: 'revert', reason: 'risk review' } }],
  });
});
