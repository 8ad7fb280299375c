// The generic feeds: NDJSON bars over a WebSocket (resumed with ?from=) and on stdin; a stale feed is reconnected;
// a session whose input ends before --until says so in its exit code.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { T0, barLine } from './fixtures/live/minuteBars.js';


let dir = '';
let wss: WebSocketServer | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = null;
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('resumes a WebSocket NDJSON feed with ?from= after a stale connection, and counts bad lines without stopping', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-ws-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const urls: string[] = [];
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss?.once('listening', () => resolve()));
  wss.on('connection', (ws, req) => {
    urls.push(req.url ?? '');
    const from = new URL(req.url ?? '/', 'http://x').searchParams.get('from');
    const start = from === null ? 0 : (Date.parse(from) - T0) / 60_000 + 1;
    if (urls.length === 1) {
      // The first connection sends minutes 0–4 (and one bad line), then goes silent: stale.
      for (let i = 0; i < 5; i += 1) ws.send(`[${barLine(i, 'BTCUSDT')},${barLine(i, 'ETHUSDT')}]`);
      ws.send('{"timestamp":"2024-03-01T00:05:00Z","symbol":"BTCUSDT","open":"0","high":"1","low":"0","close":"1","volume":"1"}');
      return;
    }
    for (let i = start; i < 10; i += 1) {
      ws.send(barLine(i, 'BTCUSDT'));
      ws.send(barLine(i, 'ETHUSDT'));
    }
  });
  const port = (wss.address() as AddressInfo).port;
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', `ws://127.0.0.1:${port}/bars`, '--store', store, '--until', '2024-03-01T00:09:00Z', '--stale-timeout', '400ms', '--json']);
  expect(await run.exited, run.err()).toBe(0);
  expect(run.err()).toMatch(/no valid message for 400 ms: the feed is stale, reconnecting/);
  expect(run.err()).toMatch(/refused message .*open 0 is not a positive price/);
  expect(urls[0]).toBe('/bars');
  expect(urls[1]).toBe('/bars?from=2024-03-01T00%3A04%3A00.000Z');
  const summary = JSON.parse(run.out().trim().split('\n').at(-1) as string) as { slices: number; feed: { invalid: number }; headHash: string };
  expect(summary).toMatchObject({ slices: 10, feed: { invalid: 1 } });
  const events = await streamEvents(store, 'portfolio-paper');
  expect(events.filter((e) => e.type === 'BarMarked')).toHaveLength(10);
  // The head hash to keep apart for audit --verify --expect-head, as after a backtest.
  expect(summary.headHash).toBe(events.at(-1)?.metadata.hash);
});

it('reads NDJSON bars on stdin and exits 3 when the input ends before --until', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-stdin-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const input = [0, 1, 2].flatMap((i) => [barLine(i, 'BTCUSDT'), barLine(i, 'ETHUSDT')]).join('\n');
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--until', '2024-03-01T00:09:00Z'], `${input}\n`);
  expect(await run.exited).toBe(3);
  expect(run.err()).toContain('the feed ended (the input ended) at 2024-03-01T00:02:00.000Z before --until 2024-03-01T00:09:00.000Z');
  expect((await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(3);
});
