// Feed limits against a local WebSocket server, on a clock whose timers fire at once (the delays are recorded, not
// waited): the reconnect delay grows while connections die before delivering anything and resets only after a valid
// message; a message over the size limit is refused with one line naming it; so is an over-long stdin line.
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FeedClock, FeedSink } from '../src/feeds/feed.js';
import { MAX_MESSAGE_BYTES, ReconnectingSocket } from '../src/feeds/reconnectingSocket.js';
import { LineStreamFeed, MAX_LINE_BYTES } from '../src/feeds/stdinFeed.js';

/** Runs short timers (reconnect delays) at once and records them; long ones (heartbeat, stale) never fire. */
class InstantClock implements FeedClock {
  readonly delays: number[] = [];
  now(): number {
    return 0;
  }
  setTimer(ms: number, fn: () => void): () => void {
    if (ms >= 1_000_000) return () => undefined;
    this.delays.push(ms);
    const timer = setImmediate(fn);
    return () => clearImmediate(timer);
  }
  random(): number {
    return 0;
  }
}

/** Reads a line feed to its end: the bars it delivered and the lines it refused, each as `origin: …`. */
async function readToEnd(feed: LineStreamFeed): Promise<{ bars: string[]; invalid: string[] }> {
  const bars: string[] = [];
  const invalid: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink: FeedSink = {
      resumeAfterMs: () => null,
      bars: (b, origin) => bars.push(`${origin}: ${b.length}`),
      invalid: (origin, reason) => invalid.push(`${origin}: ${reason}`),
      notice: () => undefined,
      ended: () => resolve(),
      failed: (reason) => reject(new Error(reason)),
    };
    feed.start(sink);
  });
  return { bars, invalid };
}

let wss: WebSocketServer | null = null;
let socket: ReconnectingSocket | null = null;
afterEach(async () => {
  await socket?.stop();
  socket = null;
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = null;
});

async function serve(onConnection: (ws: WebSocket, n: number) => void): Promise<string> {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss?.once('listening', () => resolve()));
  let n = 0;
  wss.on('connection', (ws) => {
    n += 1;
    onConnection(ws, n);
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

function connect(url: string, clock: FeedClock, notices: string[], messages: string[]): ReconnectingSocket {
  const s = new ReconnectingSocket({
    url: () => url,
    clock,
    initialBackoffMs: 250,
    maxBackoffMs: 2000,
    heartbeatMs: 1e9,
    staleMs: 1e9,
    onOpen: () => Promise.resolve(),
    onMessage: (text) => {
      messages.push(text);
      s.markAlive();
    },
    onNotice: (line) => notices.push(line),
  });
  socket = s;
  s.start();
  return s;
}

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
};

it('grows the reconnect delay while connections die before a valid message, and resets it after one', async () => {
  // Every connection is dropped at once, except the fourth, which first delivers a message.
  const url = await serve((ws, n) => {
    if (n === 4) ws.send('a bar');
    ws.terminate();
  });
  const clock = new InstantClock();
  const notices: string[] = [];
  const messages: string[] = [];
  connect(url, clock, notices, messages);
  await until(() => clock.delays.length >= 6);
  await socket?.stop();
  expect(messages).toEqual(['a bar']);
  expect(clock.delays.slice(0, 6)).toEqual([250, 500, 1000, 250, 500, 1000]);
  expect(notices.filter((n) => n.includes('lost')).slice(0, 6).map((n) => /\(attempt (\d+)\)/.exec(n)?.[1])).toEqual(['1', '2', '3', '1', '2', '3']);
});

it('refuses a message over the size limit with one line naming the limit, and keeps what came before', async () => {
  const url = await serve((ws, n) => {
    if (n > 1) return;
    ws.send('a bar');
    ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
  });
  const clock = new InstantClock();
  const notices: string[] = [];
  const messages: string[] = [];
  connect(url, clock, notices, messages);
  await until(() => notices.some((n) => n.includes('lost')));
  expect(messages).toEqual(['a bar']);
  expect(notices.filter((n) => n.includes('16 MiB'))).toEqual([`a message from ${url} is larger than the 16 MiB limit of one feed message: closing the connection`]);
});

it('refuses an stdin line over the size limit, counted as invalid, and reads on', async () => {
  const bar = '{"timestamp":"2024-03-01T00:00:00Z","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}';
  const long = bar.replace('"volume":"1"', `"volume":"1","pad":"${'x'.repeat(MAX_LINE_BYTES)}"`);
  const { bars, invalid } = await readToEnd(new LineStreamFeed(Readable.from([`${bar}\n${long}\n${bar.replace('00:00:00', '00:01:00')}\n`])));
  expect(bars).toEqual(['stdin line 1: 1', 'stdin line 3: 1']);
  expect(invalid).toEqual([`stdin line 2: a line of ${Buffer.byteLength(long)} bytes is longer than the 1 MiB limit of one message`]);
});

it('refuses an stdin line far over the limit without holding it: a line of 600 MB (past the longest string V8 makes) is one refused line, and the input reads on', async () => {
  const bar = '{"timestamp":"2024-03-01T00:00:00Z","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}';
  const mib = Buffer.alloc(1024 * 1024, 'x'.charCodeAt(0));
  // One buffer sent 600 times: the input costs no memory, so only a reader that keeps the line runs out.
  function* input(): Generator<Buffer> {
    yield Buffer.from(`${bar}\r\n`);
    for (let i = 0; i < 600; i += 1) yield mib;
    yield Buffer.from(`\r\n\uFEFF${bar.replace('00:00:00', '00:01:00')}`);
  }
  const { bars, invalid } = await readToEnd(new LineStreamFeed(Readable.from(input())));
  expect(bars).toEqual(['stdin line 1: 1', 'stdin line 3: 1']);
  expect(invalid).toEqual([`stdin line 2: a line of ${600 * mib.length} bytes is longer than the 1 MiB limit of one message`]);
}, 20_000);

it('an stdin input that fails ends the feed naming the failure, not as an input that ended', async () => {
  const bar = '{"timestamp":"2024-03-01T00:00:00Z","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}';
  const input = new Readable({ read: () => undefined });
  const feed = new LineStreamFeed(input);
  const bars: string[] = [];
  const ended = new Promise<string>((resolve) => {
    feed.start({ resumeAfterMs: () => null, bars: (b, origin) => bars.push(`${origin}: ${b.length}`), invalid: () => undefined, notice: () => undefined, ended: (d) => resolve(`ended: ${d}`), failed: (d) => resolve(`failed: ${d}`) });
  });
  input.push(`${bar}\n`);
  await new Promise((resolve) => setImmediate(resolve));
  input.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
  expect(await ended).toBe('failed: reading the input failed: EIO: i/o error, read');
  expect(bars).toEqual(['stdin line 1: 1']);
});

it('an stdin error after the feed stopped, or a second one, is taken quietly, not an uncaught exception', async () => {
  const input = new Readable({ read: () => undefined });
  const feed = new LineStreamFeed(input);
  const ended: string[] = [];
  feed.start({ resumeAfterMs: () => null, bars: () => undefined, invalid: () => undefined, notice: () => undefined, ended: (d) => ended.push(d), failed: (d) => ended.push(d) });
  input.emit('error', new Error('first'));
  await feed.stop();
  // Without a listener, an 'error' event throws: this would end the process.
  expect(() => input.emit('error', new Error('after the stop'))).not.toThrow();
  expect(ended).toEqual(['reading the input failed: first']);
});

it('says how the server closed the connection: its close code and reason', async () => {
  const url = await serve((ws, n) => {
    if (n === 1) ws.close(1008, 'Invalid request: too many streams');
    else if (n === 2) ws.close();
  });
  const clock = new InstantClock();
  const notices: string[] = [];
  connect(url, clock, notices, []);
  await until(() => notices.filter((n) => n.includes('lost')).length >= 2);
  await socket?.stop();
  expect(notices.filter((n) => n.includes('lost')).slice(0, 2)).toEqual([
    `connection to ${url} lost: the server closed it with code 1008 (policy violation), "Invalid request: too many streams"; reconnecting in 250 ms (attempt 1)`,
    `connection to ${url} lost: the server closed it with code 1005 (no code given); reconnecting in 500 ms (attempt 2)`,
  ]);
});
