// The Binance feed's REST backfill against a local server that behaves as Binance's `/api/v3/klines` does: pages of at
// most 1000 klines from `startTime`, the kline still forming as the last row, 429/418 with Retry-After, slow answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BinanceFeed } from '../src/feeds/binanceFeed.js';
import type { FeedClock, FeedSink } from '../src/feeds/feed.js';
import { wallClock } from '../src/feeds/wallClock.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 2, 1);

/** Klines of `symbol` from `startTime` (at most `limit`, 1000 at most) whose open time is at or before `serverNow`. */
function klines(url: URL, serverNow: number): unknown[][] {
  const start = Number(url.searchParams.get('startTime'));
  const end = url.searchParams.has('endTime') ? Number(url.searchParams.get('endTime')) : Infinity;
  const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? '500'));
  const rows: unknown[][] = [];
  for (let t = Math.ceil(start / MINUTE) * MINUTE; t <= serverNow && t <= end && rows.length < limit; t += MINUTE) {
    rows.push([t, '10.0', '11.0', '9.0', '10.5', '1.0', t + MINUTE - 1, '0', 1, '0', '0', '0']);
  }
  return rows;
}

let server: Server | null = null;
let feed: BinanceFeed | null = null;
afterEach(async () => {
  await feed?.stop();
  feed = null;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A local Binance: `rest` answers `/api/v3/klines`; the stream accepts connections and sends nothing. */
async function localBinance(rest: (url: URL, res: ServerResponse, req: IncomingMessage) => void): Promise<string> {
  server = createServer((req, res) => rest(new URL(req.url ?? '/', 'http://localhost'), res, req));
  new WebSocketServer({ server, path: '/stream' });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  return `127.0.0.1:${(server?.address() as AddressInfo).port}`;
}

/** A clock set by the test; reconnect delays are recorded and run at once, long timers (heartbeat, stale) never fire. */
class TestClock implements FeedClock {
  readonly delays: number[] = [];
  constructor(public nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  setTimer(ms: number, fn: () => void): () => void {
    if (ms >= 1_000_000_000) return () => undefined;
    this.delays.push(ms);
    const timer = setImmediate(fn);
    return () => clearImmediate(timer);
  }
  random(): number {
    return 0;
  }
}

interface Received {
  readonly bars: { origin: string; symbol: string; time: string }[];
  readonly notices: string[];
}

function start(host: string, clock: FeedClock, resumeAfterMs: number, timings: { staleMs?: number; maxBackoffMs?: number } = {}): Received {
  const received: Received = { bars: [], notices: [] };
  // As a session's: after the last bar received.
  let after = resumeAfterMs;
  feed = new BinanceFeed({ symbols: ['BTCUSDT', 'ETHUSDT'], interval: '1m', endpoint: `ws://${host}`, restEndpoint: `http://${host}`, clock, heartbeatMs: 1_000_000_000, staleMs: 1_000_000_000, ...timings });
  const sink: FeedSink = {
    resumeAfterMs: () => after,
    bars: (bars, origin) => {
      after = Math.max(after, ...bars.map((b) => b.ms));
      received.bars.push(...bars.map((b) => ({ origin, symbol: b.bar.symbol, time: new Date(b.ms).toISOString().slice(11, 16) })));
    },
    invalid: (origin, reason) => received.notices.push(`refused ${origin}: ${reason}`),
    notice: (line) => received.notices.push(line),
    ended: () => undefined,
    failed: () => undefined,
  };
  feed.start(sink);
  return received;
}

const until = async (done: () => boolean, ms = 5000): Promise<void> => {
  for (const t0 = Date.now(); !done() && Date.now() - t0 < ms; ) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
};

const timesOf = (r: Received, symbol: string): string[] => r.bars.filter((b) => b.symbol === symbol).map((b) => b.time);

it('backfills every symbol up to the same moment: a later symbol fetched after more klines closed (or a page read late) does not pass the watermark over the earlier symbol\'s', async () => {
  const clock = new TestClock(T0 + 10.5 * MINUTE);
  const host = await localBinance((url, res) => {
    const symbol = url.searchParams.get('symbol');
    const serverNow = clock.nowMs;
    // Three more minutes pass while BTCUSDT's page travels: its 00:10 kline was still forming when served.
    if (symbol === 'BTCUSDT') clock.nowMs = T0 + 13.5 * MINUTE;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, serverNow)));
  });
  const received = start(host, clock, T0 - MINUTE);
  await until(() => received.bars.length > 0);
  const minutes = Array.from({ length: 10 }, (_, i) => `00:0${i}`);
  expect(timesOf(received, 'BTCUSDT')).toEqual(minutes);
  expect(timesOf(received, 'ETHUSDT')).toEqual(minutes);
});

it('waits as long as a 429 or 418 answer\'s Retry-After asks before it asks again, beyond --max-backoff, and says why', async () => {
  const clock = new TestClock(T0 + 2.5 * MINUTE);
  const answers: [number, string][] = [
    [429, '7'],
    [418, '120'],
  ];
  const host = await localBinance((url, res) => {
    const next = answers.shift();
    if (next !== undefined) {
      res.writeHead(next[0], { 'retry-after': next[1], 'content-type': 'application/json' }).end('{"code":-1003,"msg":"Too many requests"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, clock.nowMs)));
  });
  const received = start(host, clock, T0 - MINUTE, { maxBackoffMs: 2000 });
  await until(() => received.bars.length > 0);
  expect(clock.delays.slice(0, 2)).toEqual([7000, 120_000]);
  expect(received.notices.filter((n) => n.includes('Retry-After'))).toEqual([
    expect.stringMatching(/answered 429 .*Retry-After: 7 s/),
    expect.stringMatching(/answered 418 .*Retry-After: 120 s/),
  ]);
  expect(timesOf(received, 'BTCUSDT')).toEqual(['00:00', '00:01']);
});

it('a backfill of several pages that takes longer than the stale timeout is not cut off as a stale feed and started over', async () => {
  // 2,500 closed minutes a symbol: three pages each, 120 ms a page, about 720 ms against a stale timeout of 300 ms.
  const now = T0 + 2500.5 * MINUTE;
  const host = await localBinance((url, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, now))), 120);
  });
  const clock: FeedClock = { ...wallClock, now: () => now };
  const received = start(host, clock, T0 - MINUTE, { staleMs: 300 });
  await until(() => received.bars.length > 0);
  expect(received.notices.filter((n) => n.includes('stale') || n.includes('lost'))).toEqual([]);
  expect(received.bars.length).toBe(5000);
});

it('a REST request that does not answer within the stale timeout is given up, named, and the connection retried; the abandoned one delivers nothing', async () => {
  const now = T0 + 2.5 * MINUTE;
  let requests = 0;
  const host = await localBinance((url, res) => {
    requests += 1;
    // The first request is answered only after the client gave up on it.
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, now))), requests === 1 ? 1500 : 0);
  });
  const clock: FeedClock = { ...wallClock, now: () => now };
  const received = start(host, clock, T0 - MINUTE, { staleMs: 300 });
  await until(() => received.bars.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 1700));
  expect(received.notices.filter((n) => n.includes('did not answer'))).toEqual([expect.stringMatching(/\/api\/v3\/klines\?symbol=BTCUSDT.* did not answer within 300 ms/)]);
  expect(received.bars.map((b) => `${b.symbol} ${b.time}`)).toEqual(['BTCUSDT 00:00', 'ETHUSDT 00:00', 'BTCUSDT 00:01', 'ETHUSDT 00:01']);
});
