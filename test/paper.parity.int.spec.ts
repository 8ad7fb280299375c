// A paper session's log is a complete record: `export-bars` then `backtest` over that file with the same config
// writes the same portfolio events (types, data, metadata and hashes, in order) as the live session did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { recordedMessages, startLocalBinance, type LocalBinance } from './fixtures/live/localBinance.js';
import { localBinancePaperArgs, PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { runCli } from './fixtures/cliRun.js';


let server: LocalBinance | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('backtest over the exported bars of a paper session writes the same events as the session', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-parity-'));
  const paperStore = `sqlite:${join(dir, 'paper.db')}`;
  const backtestStore = `sqlite:${join(dir, 'backtest.db')}`;
  const messages = recordedMessages();
  // A disconnect mid-stream, so part of the session comes from the REST backfill.
  server = await startLocalBinance({ messages, tickMs: 10, dropAfter: new Set([61]) });
  const paper = startCli(localBinancePaperArgs(paperStore, server, ['--from', '2024-03-01T00:00:00Z', '--until', '2024-03-01T00:39:00Z']));
  expect(await paper.exited).toBe(0);

  const barsFile = join(dir, 'bars.ndjson');
  const exported = await runCli('export-bars', '--store', paperStore, '--out', barsFile);
  expect(exported.code).toBe(0);
  const backtest = await runCli('backtest', '--config', PAPER_CONFIG, '--bars', barsFile, '--format', 'ndjson', '--store', backtestStore, '--json');
  // Minute bars: the one line on stderr says the yearly figures assume daily bars.
  expect(backtest.err.trim().split('\n')).toEqual([expect.stringContaining('its 40 slices come about 530000 a year')]);
  expect(backtest.code).toBe(0);

  const live = await streamEvents(paperStore, 'portfolio-paper');
  const rerun = await streamEvents(backtestStore, 'portfolio-paper');
  expect(live.filter((e) => e.type === 'BarMarked')).toHaveLength(40);
  expect(live.some((e) => e.type === 'FillRecorded')).toBe(true);
  const shape = (e: (typeof live)[number]): unknown => ({ type: e.type, data: e.data, metadata: e.metadata });
  expect(rerun.map(shape)).toEqual(live.map(shape));
});
