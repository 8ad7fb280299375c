// `replay --follow` from another process prints an updated summary as each slice of a running paper session lands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { recordedMessages, startLocalBinance, type LocalBinance } from './fixtures/live/localBinance.js';
import { PAPER_CONFIG, localBinancePaperArgs, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { openEventStore } from '../events/openEventStore.js';
import { runBin } from './fixtures/cliRun.js';

let server: LocalBinance | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('prints one summary line per slice the session appends, with the value the log records for it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-follow-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  server = await startLocalBinance({ messages: recordedMessages(), tickMs: 40 });
  const paper = startCli(localBinancePaperArgs(store, server, ['--json']));
  await paper.linesOut(1);
  const follow = startCli(['replay', '--store', store, '--follow', '--json']);
  await follow.linesOut(6);
  follow.child.kill('SIGTERM');
  expect(await follow.exited).toBe(0);
  paper.child.kill('SIGTERM');
  expect(await paper.exited).toBe(0);

  const lines = follow.out().trim().split('\n').map((l) => JSON.parse(l) as { time: string; portfolioValue: string });
  const live = lines.slice(1);
  expect(live.length).toBeGreaterThanOrEqual(5);
  const marks = new Map((await streamEvents(store, 'portfolio-paper')).flatMap((e) => (e.type === 'BarMarked' ? [[e.metadata.barTime, e.data.portfolioValue] as const] : [])));
  for (let i = 1; i < live.length; i += 1) {
    expect(Date.parse(live[i]?.time ?? '') - Date.parse(live[i - 1]?.time ?? '')).toBe(60_000);
  }
  for (const l of live) expect(l.portfolioValue).toBe(marks.get(l.time));
});

it('started before the session has written its portfolio, waits for it (saying so once) and follows it; without --follow, refuses', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-follow-first-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  // The store exists (a database made for the session, a store of other runs), the portfolio not yet.
  await (await openEventStore(store)).close();
  const once = await runBin(['replay', '--store', store]);
  expect(once.code).toBe(2);
  expect(once.err).toMatch(/holds no portfolio$/m);

  const follow = startCli(['replay', '--store', store, '--follow', '--json']);
  while (!follow.err().includes('\n')) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(follow.err()).toMatch(/^stratafolio: sqlite:\S+ holds no portfolio yet: waiting for one to be written \(--follow; SIGINT or SIGTERM stops\)\n$/);
  const paper = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 4));
  expect(await paper.exited).toBe(0);
  const head = (await streamEvents(store, 'portfolio-paper')).at(-1)?.metadata.revision;
  while (!follow.out().includes(`"revision":${String(head)}`)) await new Promise((resolve) => setTimeout(resolve, 20));
  follow.child.kill('SIGTERM');
  expect(await follow.exited).toBe(0);
  expect(follow.err().split('\n').filter((l) => l !== '')).toHaveLength(1);
  expect(JSON.parse(follow.out().trim().split('\n').at(-1) ?? '')).toMatchObject({ time: '2024-03-01T00:03:00.000Z', revision: head });
});
