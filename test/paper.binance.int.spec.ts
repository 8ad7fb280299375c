// `stratafolio paper` against local Binance stand-ins (WebSocket combined stream + REST klines) replaying recorded
// kline messages: disconnects, repeats, unclosed updates, out-of-order and late bars, bad messages, gaps filled and
// unfillable, one writer, SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordedMessages, startLocalBinance, type LocalBinance } from './fixtures/live/localBinance.js';
import { localBinancePaperArgs, PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { runCli } from './fixtures/cliRun.js';

const FIRST = '2024-03-01T00:00:00Z';
const LAST = '2024-03-01T00:39:00.000Z';
const minute = (i: number): number => Date.parse(FIRST) + i * 60_000;
/** Index in the recording of the closed kline of `symbol` (0 = BTCUSDT, 1 = ETHUSDT) at minute `i`. */
const closedIndex = (i: number, symbol: 0 | 1): number => i * 4 + 2 + symbol;

let server: LocalBinance | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  server = null;
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function paperArgs(store: string, s: LocalBinance, extra: readonly string[] = []): string[] {
  return localBinancePaperArgs(store, s, ['--from', FIRST, ...extra]);
}

describe('paper on a Binance kline stream', () => {
  it('survives a disconnect, repeats, unclosed updates, out-of-order, late and bad messages: every minute becomes exactly one slice, backfilled over REST', async () => {
    dir = mkdtempSync(join(tmpdir(), 'paper-binance-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    const messages = recordedMessages();
    // Repeats of closed klines, a malformed message, a non-positive price and an unknown symbol, mid-stream.
    const bad = [
      'this is not json',
      messages[closedIndex(5, 0)]?.replace(/"c":"[^"]+"/, '"c":"-1"') ?? '',
      messages[closedIndex(6, 1)]?.replaceAll('ETHUSDT', 'XRPUSDT').replace('ethusdt', 'xrpusdt') ?? '',
    ];
    // Minute 20's ETHUSDT kline arrives after minute 21's BTCUSDT one (out of order, within the allowed lateness),
    // and a different minute-5 BTCUSDT kline arrives long after its slice closed (late).
    const outOfOrder = [...messages.slice(40, 160)];
    const eth20 = outOfOrder.splice(closedIndex(20, 1) - 40, 1)[0] as string;
    outOfOrder.splice(outOfOrder.indexOf(messages[closedIndex(21, 0)] as string) + 1, 0, eth20);
    outOfOrder.splice(outOfOrder.indexOf(messages[closedIndex(30, 1)] as string) + 1, 0, (messages[closedIndex(5, 0)] as string).replace(/"c":"[^"]+"(.*)"l":"([^"]+)"/, '"c":"$2"$1"l":"$2"'));
    const played = [
      ...messages.slice(0, 40),
      messages[closedIndex(3, 0)] as string,
      ...bad,
      messages[closedIndex(9, 1)] as string,
      ...outOfOrder,
    ];
    // The connection drops after minute 12; minutes 13–15 are sent while no one listens; REST has them.
    const drop = played.indexOf(messages[closedIndex(12, 1)] as string);
    const skipLive = new Set<number>();
    for (let i = drop + 1; i <= played.indexOf(messages[closedIndex(15, 1)] as string); i += 1) skipLive.add(i);
    server = await startLocalBinance({ messages: played, tickMs: 15, dropAfter: new Set([drop]), skipLive });
    const run = startCli([...paperArgs(store, server, ['--until', LAST, '--json', '--allowed-lateness', '2s'])]);
    const code = await run.exited;
    expect(run.err()).toContain('refused message "this is not json"');
    expect(run.err()).toMatch(/close -1 is not a positive price/);
    expect(run.err()).toMatch(/unknown symbol XRPUSDT/);
    expect(run.err()).toMatch(/connection to .* lost; reconnecting/);
    // 1-minute bars against a config that says nothing of its bars a year: said once, at the start.
    expect(run.err().match(/its bars come 525600 a year round the clock; .* assume 252 bars a year, .*: set barsPerYear in the config/g)).toHaveLength(1);
    expect(code).toBe(0);
    const lines = run.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines[lines.length - 1] as { ended: string; slices: number; feed: Record<string, number> };
    expect(summary).toMatchObject({ ended: 'until', slices: 40, lastBarTime: LAST });
    expect(run.err()).toMatch(/late bar BTCUSDT 2024-03-01T00:05:00.000Z from message .*: its slice closed already/);
    expect(summary.feed).toMatchObject({ invalid: 2, unknownSymbol: 1, gaps: 0, late: 1, conflicting: 0 });
    expect(summary.feed.duplicates).toBeGreaterThanOrEqual(2);
    expect(server.restRequests()).toBeGreaterThanOrEqual(2);

    const marks = (await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked');
    expect(marks.map((e) => e.metadata.barTime)).toEqual(Array.from({ length: 40 }, (_, i) => new Date(minute(i)).toISOString()));
    const feed = await streamEvents(store, 'feed-paper');
    expect(feed.filter((e) => e.type === 'FeedGap')).toEqual([]);
    // Each recorded bar is the closed kline, never an unclosed update.
    const closedAt14 = JSON.parse(messages[closedIndex(14, 0)] as string) as { data: { k: { c: string } } };
    const slice14 = feed.find((e) => e.type === 'SliceBarsRecorded' && e.data.time === new Date(minute(14)).toISOString());
    expect(slice14?.type === 'SliceBarsRecorded' ? slice14.data.bars.find((b) => b.symbol === 'BTCUSDT')?.close : null).toBe(closedAt14.data.k.c);
  });

  it('records a gap the backfill cannot fill as FeedGap events and invents no slice for it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'paper-binance-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    const messages = recordedMessages().slice(0, 4 * 12);
    // Minutes 5 and 6 never reach the stream, the connection drops then, and REST does not have them either.
    const skipLive = new Set<number>();
    for (let i = 4 * 5; i < 4 * 7; i += 1) skipLive.add(i);
    server = await startLocalBinance({ messages, tickMs: 15, skipLive, dropAfter: new Set([4 * 7 - 1]), restMissing: new Set([minute(5), minute(6)]) });
    const run = startCli(paperArgs(store, server, ['--until', new Date(minute(11)).toISOString()]));
    expect(await run.exited).toBe(0);
    expect(run.err()).toMatch(/gap: BTCUSDT has no bars from 2024-03-01T00:05:00.000Z to 2024-03-01T00:06:00.000Z/);
    const feed = await streamEvents(store, 'feed-paper');
    const gaps = feed.filter((e) => e.type === 'FeedGap').map((e) => e.data);
    expect(gaps).toEqual([
      { symbol: 'BTCUSDT', from: '2024-03-01T00:05:00.000Z', to: '2024-03-01T00:06:00.000Z', reason: 'not delivered and not recoverable from the feed' },
      { symbol: 'ETHUSDT', from: '2024-03-01T00:05:00.000Z', to: '2024-03-01T00:06:00.000Z', reason: 'not delivered and not recoverable from the feed' },
    ]);
    const times = (await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked').map((e) => e.metadata.barTime?.slice(11, 16));
    expect(times).toEqual(['00:00', '00:01', '00:02', '00:03', '00:04', '00:07', '00:08', '00:09', '00:10', '00:11']);
  });

  it('applies a kline still forming on Binance only once the stream says it closed, though this machine\'s clock is far ahead of Binance\'s', async () => {
    dir = mkdtempSync(join(tmpdir(), 'paper-binance-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    const messages = recordedMessages().slice(0, 4 * 8);
    // The session joins as minute 5 is forming: REST lists minutes 0–4 closed and minute 5 with its numbers so far, and
    // Binance's clock (the replay's, in 2024) has not reached minute 5's close, which this machine's clock passed long ago.
    // The stream goes on once both symbols' klines were asked for: the backfill sees minute 5 still forming.
    server = await startLocalBinance({ messages, tickMs: 15, startAt: closedIndex(5, 0), holdUntilRestRequests: 2 });
    const closeAt5 = (i: number): string => (JSON.parse(messages[i] as string) as { data: { k: { c: string } } }).data.k.c;
    expect([closeAt5(closedIndex(5, 0) - 2), closeAt5(closedIndex(5, 0) - 1)]).not.toEqual([closeAt5(closedIndex(5, 0)), closeAt5(closedIndex(5, 1))]);
    const run = startCli(paperArgs(store, server, ['--until', new Date(minute(7)).toISOString(), '--json']));
    expect(await run.exited).toBe(0);
    const summary = JSON.parse(run.out().trim().split('\n').at(-1) as string) as { slices: number; feed: Record<string, number> };
    expect(summary).toMatchObject({ slices: 8, feed: { conflicting: 0, gaps: 0, late: 0 } });
    const feed = await streamEvents(store, 'feed-paper');
    const slice5 = feed.find((e) => e.type === 'SliceBarsRecorded' && e.data.time === new Date(minute(5)).toISOString());
    const closes = slice5?.type === 'SliceBarsRecorded' ? slice5.data.bars.map((b) => `${b.symbol} ${b.close}`) : [];
    expect(closes).toEqual([`BTCUSDT ${closeAt5(closedIndex(5, 0))}`, `ETHUSDT ${closeAt5(closedIndex(5, 1))}`]);
  });

  it('refuses a second writer at start naming the holder, and stops on SIGTERM after appending the slice in progress, if any', async () => {
    dir = mkdtempSync(join(tmpdir(), 'paper-binance-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    server = await startLocalBinance({ messages: recordedMessages(), tickMs: 60 });
    const first = startCli(paperArgs(store, server));
    await first.linesOut(2);
    const second = await runCli(...paperArgs(store, server, ['--until', LAST]));
    expect(second.code).toBe(2);
    expect(second.err).toMatch(new RegExp(`portfolio "paper" in ${store.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is being written by process ${first.child.pid} on \\S+ since 20\\d\\d-`));
    const bars = join(dir, 'bars.ndjson');
    writeFileSync(bars, ['BTCUSDT', 'ETHUSDT'].map((symbol) => JSON.stringify({ timestamp: '2024-03-02T00:00:00Z', symbol, open: '1', high: '1', low: '1', close: '1', volume: '1' })).join('\n'));
    const backtest = await runCli('backtest', '--config', PAPER_CONFIG, '--bars', bars, '--store', store);
    expect(backtest.err).toMatch(/is being written by process/);
    expect(backtest.code).toBe(2);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The signal lands wherever the session is (here most likely waiting for the next kline): the summary says which,
    // and every slice it printed is in the log either way. Each case is pinned down where its timing is controlled
    // (paper.session.unit, paper.stdinSession.int).
    expect(first.out()).toMatch(/^stopped by SIGTERM (after the (\d+ )?slices? in progress|between slices \(every slice applied is durable\)): \d+ slices this run/m);
    const printed = first.out().split('\n').filter((l) => / value /.test(l) && !l.startsWith('stopped')).length;
    const marks = (await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked');
    expect(marks).toHaveLength(printed);
    // The lock is released: the same command runs again and resumes after the last durable slice.
    const again = await runCli(...paperArgs(store, server, ['--until', new Date(minute(printed)).toISOString(), '--json']));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out.trim().split('\n').at(-1) as string)).toMatchObject({ slices: printed + 1, slicesThisRun: 1 });
  });
});
