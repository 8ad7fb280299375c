// The Binance feed's REST backfill against a local server that behaves as Binance's REST endpoints do: `/api/v3/klines`
// in pages of at most 1000 klines from `startTime` to `endTime`, the kline still forming as the last row, 429/418 with
// Retry-After, slow answers; `/api/v3/time` with the server's clock, which may lag or lead the test's.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
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

/** What a local Binance answers. */
interface LocalRest {
  /** Binance's clock: `/api/v3/time` answers it as Binance does, `{"serverTime":<epoch ms>}`. */
  readonly serverNow: () => number;
  /** Answers `/api/v3/klines`. */
  readonly klines: (url: URL, res: ServerResponse) => void;
  /** Answers `/api/v3/time` in place of `serverNow`: a server whose time is missing, broken or rate-limited. */
  readonly time?: (res: ServerResponse) => void;
  /** Runs for each stream connection (numbered from 1); by default the stream sends nothing. */
  readonly stream?: (ws: WebSocket, connection: number) => void;
}

/** A local Binance; `requests` lists the REST requests it was sent (path and query), in order. */
async function localBinance(rest: LocalRest, requests: string[] = []): Promise<string> {
  server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    if (url.pathname === '/api/v3/klines') rest.klines(url, res);
    else if (rest.time !== undefined) rest.time(res);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ serverTime: rest.serverNow() }));
  });
  let connections = 0;
  new WebSocketServer({ server, path: '/stream' }).on('connection', (ws) => rest.stream?.(ws, (connections += 1)));
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
  readonly bars: { origin: string; symbol: string; ms: number; time: string }[];
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
      received.bars.push(...bars.map((b) => ({ origin, symbol: b.bar.symbol, ms: b.ms, time: new Date(b.ms).toISOString().slice(11, 16) })));
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
  const host = await localBinance({
    serverNow: () => clock.nowMs,
    klines: (url, res) => {
      const symbol = url.searchParams.get('symbol');
      const serverNow = clock.nowMs;
      // Three more minutes pass while BTCUSDT's page travels: its 00:10 kline was still forming when served.
      if (symbol === 'BTCUSDT') clock.nowMs = T0 + 13.5 * MINUTE;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, serverNow)));
    },
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
  const host = await localBinance({
    serverNow: () => clock.nowMs,
    klines: (url, res) => {
      const next = answers.shift();
      if (next !== undefined) {
        res.writeHead(next[0], { 'retry-after': next[1], 'content-type': 'application/json' }).end('{"code":-1003,"msg":"Too many requests"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, clock.nowMs)));
    },
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
  const host = await localBinance({
    serverNow: () => now,
    klines: (url, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, now))), 120);
    },
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
  const host = await localBinance({
    serverNow: () => now,
    klines: (url, res) => {
      requests += 1;
      // The first request is answered only after the client gave up on it.
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(klines(url, now))), requests === 1 ? 1500 : 0);
    },
  });
  const clock: FeedClock = { ...wallClock, now: () => now };
  const received = start(host, clock, T0 - MINUTE, { staleMs: 300 });
  await until(() => received.bars.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 1700));
  expect(received.notices.filter((n) => n.includes('did not answer'))).toEqual([expect.stringMatching(/\/api\/v3\/klines\?symbol=BTCUSDT.* did not answer within 300 ms/)]);
  expect(received.bars.map((b) => `${b.symbol} ${b.time}`)).toEqual(['BTCUSDT 00:00', 'ETHUSDT 00:00', 'BTCUSDT 00:01', 'ETHUSDT 00:01']);
});

/** A combined-stream message of `symbol`'s 1m kline opening at `t`, closed or still forming. */
function klineMessage(symbol: string, t: number, closed: boolean): string {
  const k = { t, T: t + MINUTE - 1, s: symbol, i: '1m', o: '10.0', c: closed ? '10.5' : '10.2', h: '11.0', l: '9.0', v: '1.0', x: closed };
  return JSON.stringify({ stream: `${symbol.toLowerCase()}@kline_1m`, data: { e: 'kline', E: closed ? t + MINUTE : t + MINUTE / 2, s: symbol, k } });
}

const ok = (res: ServerResponse, body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

it('takes no kline from REST that is still forming by Binance\'s clock, though this machine\'s clock is past its close: the stream brings it once closed', async () => {
  // This machine's clock reads 00:10:30; Binance's, a minute behind, 00:09:30: its 00:09 klines are still forming.
  const clock = new TestClock(T0 + 10.5 * MINUTE);
  const serverNow = T0 + 9.5 * MINUTE;
  const host = await localBinance({
    serverNow: () => serverNow,
    klines: (url, res) => ok(res, klines(url, serverNow)),
    // The stream's closed 00:09 klines arrive while the backfill runs: they wait for it.
    stream: (ws) => {
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) ws.send(klineMessage(symbol, T0 + 9 * MINUTE, true));
    },
  });
  const received = start(host, clock, T0 - MINUTE);
  await until(() => received.bars.length >= 20);
  const restMinutes = Array.from({ length: 9 }, (_, i) => `00:0${i}`);
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    expect(received.bars.filter((b) => b.symbol === symbol && b.origin === 'REST backfill').map((b) => b.time)).toEqual(restMinutes);
    expect(received.bars.filter((b) => b.symbol === symbol && b.origin !== 'REST backfill').map((b) => b.time)).toEqual(['00:09']);
  }
});

it.each([
  ['answers 404', (res: ServerResponse) => void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>'), /answered 404/],
  ['answers no serverTime in milliseconds', (res: ServerResponse) => ok(res, { serverTime: '2024-03-01T00:09:30Z' }), /serverTime/],
  ['answers no JSON', (res: ServerResponse) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"serverTime":'), /not JSON/],
])('when /api/v3/time %s, a backfill takes a kline only when a later one follows it, says so once, and goes on', async (_, time, why) => {
  // This machine's clock is ahead of Binance's, as above: its clock must not be what judges the 00:09 klines closed.
  const clock = new TestClock(T0 + 10.5 * MINUTE);
  const serverNow = T0 + 9.5 * MINUTE;
  const requests: string[] = [];
  const host = await localBinance(
    {
      serverNow: () => serverNow,
      time,
      klines: (url, res) => ok(res, klines(url, serverNow)),
      // The first connection drops once its backfill is through: the second backfills again, still without the time.
      stream: (ws, n) => {
        if (n === 1) setTimeout(() => ws.terminate(), 200);
      },
    },
    requests,
  );
  const received = start(host, clock, T0 - MINUTE);
  await until(() => requests.filter((r) => r.startsWith('/api/v3/time')).length >= 2 && requests.filter((r) => r.startsWith('/api/v3/klines')).length >= 4);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const restMinutes = Array.from({ length: 9 }, (_, i) => `00:0${i}`);
  expect(timesOf(received, 'BTCUSDT')).toEqual(restMinutes);
  expect(timesOf(received, 'ETHUSDT')).toEqual(restMinutes);
  const said = received.notices.filter((n) => n.includes('/api/v3/time'));
  expect(said).toEqual([expect.stringMatching(/Binance's time/)]);
  expect(said[0]).toMatch(why);
});

it('asks /api/v3/time again after the Retry-After of its 429, rather than judging without it', async () => {
  const clock = new TestClock(T0 + 2.5 * MINUTE);
  let limited = true;
  const host = await localBinance({
    serverNow: () => clock.nowMs,
    time: (res) => {
      if (limited) res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' }).end('{"code":-1003,"msg":"Too many requests"}');
      else ok(res, { serverTime: clock.nowMs });
      limited = false;
    },
    klines: (url, res) => ok(res, klines(url, clock.nowMs)),
  });
  const received = start(host, clock, T0 - MINUTE);
  await until(() => received.bars.length > 0);
  expect(clock.delays[0]).toBe(3000);
  expect(received.notices.filter((n) => n.includes('/api/v3/time'))).toEqual([expect.stringMatching(/answered 429 .*Retry-After: 3 s/)]);
  expect(timesOf(received, 'BTCUSDT')).toEqual(['00:00', '00:01']);
});

it('a 429 in the middle of a backfill keeps the pages fetched before it: after the wait it asks only for the rest', async () => {
  // 2,500 closed minutes a symbol: three pages each. BTCUSDT's second page is answered 429 once.
  const now = T0 + 2500.5 * MINUTE;
  const clock = new TestClock(now);
  const requests: string[] = [];
  let klinesRequests = 0;
  const host = await localBinance(
    {
      serverNow: () => now,
      klines: (url, res) => {
        klinesRequests += 1;
        if (klinesRequests === 2) res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"code":-1003,"msg":"Too many requests"}');
        else ok(res, klines(url, now));
      },
    },
    requests,
  );
  const received = start(host, clock, T0 - MINUTE);
  await until(() => received.bars.length > 0);
  expect(clock.delays[0]).toBe(1000);
  const pages = requests.filter((r) => r.startsWith('/api/v3/klines')).map((r) => {
    const q = new URL(r, 'http://localhost').searchParams;
    return `${q.get('symbol')} ${new Date(Number(q.get('startTime'))).toISOString().slice(0, 23)}`;
  });
  expect(pages).toEqual([
    'BTCUSDT 2024-02-29T23:59:00.001',
    'BTCUSDT 2024-03-01T16:39:00.001', // answered 429
    'BTCUSDT 2024-03-01T16:39:00.001',
    'BTCUSDT 2024-03-02T09:19:00.001',
    'ETHUSDT 2024-02-29T23:59:00.001',
    'ETHUSDT 2024-03-01T16:39:00.001',
    'ETHUSDT 2024-03-02T09:19:00.001',
  ]);
  const everyMinute = Array.from({ length: 2500 }, (_, i) => T0 + i * MINUTE);
  expect(received.bars.filter((b) => b.symbol === 'BTCUSDT').map((b) => b.ms)).toEqual(everyMinute);
  expect(received.bars.filter((b) => b.symbol === 'ETHUSDT').map((b) => b.ms)).toEqual(everyMinute);
});
