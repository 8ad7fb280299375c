// Feed messages → bars: Binance combined-stream klines and REST klines, the generic NDJSON bar message, `--feed` specs.
import { describe, expect, it } from 'vitest';
import { parseBarMessage, parseBinanceKlineMessage, parseBinanceRestKlines } from '../src/feeds/feedMessages.js';
import { parseEndpointFlag, parseFeedSpec } from '../src/feeds/feedSpec.js';
import { backoffDelay } from '../src/feeds/reconnectingSocket.js';
import { recordedMessages } from './fixtures/live/localBinance.js';

const M1 = { name: '1m', ms: 60_000 };

describe('Binance kline messages', () => {
  it('reads a recorded closed kline as a bar at its open time, numbers kept as sent, and marks updates as unclosed', () => {
    const [update, , closed] = recordedMessages();
    const u = parseBinanceKlineMessage(update as string, M1);
    expect(u.ok && u.kline.closed).toBe(false);
    const c = parseBinanceKlineMessage(closed as string, M1);
    expect(c).toEqual({
      ok: true,
      kline: { ms: Date.parse('2024-03-01T00:00:00Z'), closed: true, bar: { symbol: 'BTCUSDT', open: '61950.50', high: '61964.52', low: '61765.13', close: '61782.88', volume: '40.88132' } },
    });
  });

  it('refuses what is not a valid kline, saying what is wrong', () => {
    const closed = recordedMessages()[2] as string;
    expect(parseBinanceKlineMessage('{"stream":', M1)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(parseBinanceKlineMessage('{"data":{"e":"trade"}}', M1)).toEqual({ ok: false, reason: 'not a kline event (data.e is not "kline")' });
    expect(parseBinanceKlineMessage(closed.replace('"l":"61765.13"', '"l":"0"'), M1)).toEqual({ ok: false, reason: 'kline BTCUSDT 2024-03-01T00:00:00.000Z: low 0 is not a positive price' });
    expect(parseBinanceKlineMessage(closed.replace('"x":true', '"x":"yes"'), M1)).toEqual({ ok: false, reason: 'k.x (closed) is not a boolean' });
  });

  it('refuses a kline whose open time is off the subscribed interval, or whose interval is another', () => {
    const closed = recordedMessages()[2] as string;
    expect(parseBinanceKlineMessage(closed.replace('"t":1709251200000', '"t":1709251230000'), M1)).toEqual({ ok: false, reason: 'kline BTCUSDT 2024-03-01T00:00:30.000Z: open time is not on the 1m interval' });
    expect(parseBinanceKlineMessage(closed.replace('"i":"1m"', '"i":"5m"'), M1)).toEqual({ ok: false, reason: 'k.i (interval) is "5m", not the subscribed 1m' });
    // Weeks open on Monday 00:00 UTC (2024-02-26 was a Monday); 3-day klines are checked to open at midnight UTC.
    const at = (t: number, name: string, ms: number) => parseBinanceKlineMessage(closed.replace('"t":1709251200000', `"t":${t}`).replace('"i":"1m"', `"i":"${name}"`), { name, ms }).ok;
    expect(at(Date.parse('2024-02-26T00:00:00Z'), '1w', 604_800_000)).toBe(true);
    expect(at(Date.parse('2024-02-29T00:00:00Z'), '1w', 604_800_000)).toBe(false);
    expect(at(Date.parse('2024-03-01T00:00:00Z'), '3d', 259_200_000)).toBe(true);
    expect(at(Date.parse('2024-03-01T01:00:00Z'), '3d', 259_200_000)).toBe(false);
  });

  it('refuses a REST kline off the interval by its index and keeps the others', () => {
    const body = JSON.stringify([
      [1709251200000, '10', '11', '9', '10.5', '3', 1709251259999, '0', 1, '0', '0', '0'],
      [1709251230000, '10', '11', '9', '10.5', '3', 1709251289999, '0', 1, '0', '0', '0'],
      [1709251260000, '10.5', '12', '10', '11', '4', 1709251319999, '0', 1, '0', '0', '0'],
    ]);
    const parsed = parseBinanceRestKlines(body, 'BTCUSDT', M1, 1709251400000);
    expect(parsed.ok && parsed.bars.map((b) => b.ms)).toEqual([1709251200000, 1709251260000]);
    expect(parsed.ok && parsed.refused).toEqual([{ where: 'kline 1', reason: 'open time 2024-03-01T00:00:30.000Z is not on the 1m interval' }]);
  });

  it('reads REST klines and leaves out the one still forming', () => {
    const body = JSON.stringify([
      [1709251200000, '10', '11', '9', '10.5', '3', 1709251259999, '0', 1, '0', '0', '0'],
      [1709251260000, '10.5', '12', '10', '11', '4', 1709251319999, '0', 1, '0', '0', '0'],
    ]);
    // Binance's time 00:01:40: the 00:01 kline is still forming, whatever this machine's clock says.
    const parsed = parseBinanceRestKlines(body, 'BTCUSDT', M1, 1709251300000);
    expect(parsed).toEqual({ ok: true, bars: [{ ms: 1709251200000, bar: { symbol: 'BTCUSDT', open: '10', high: '11', low: '9', close: '10.5', volume: '3' } }], refused: [], rows: 2 });
  });

  it('without Binance\'s time, takes a REST kline as closed only when a later one follows it', () => {
    const row = (t: number): unknown[] => [t, '10', '11', '9', '10.5', '3', t + 59_999, '0', 1, '0', '0', '0'];
    const body = JSON.stringify([row(1709251200000), row(1709251260000), row(1709251320000)]);
    const parsed = parseBinanceRestKlines(body, 'BTCUSDT', M1, null);
    expect(parsed.ok && parsed.bars.map((b) => b.ms)).toEqual([1709251200000, 1709251260000]);
    expect(parsed.ok && parsed.rows).toBe(3);
  });
});

describe('generic NDJSON bar messages', () => {
  it('reads one bar object or an array of them', () => {
    const one = '{"timestamp":"2024-03-01T00:01:00Z","symbol":"A","open":"1.10","high":"1.2","low":"1","close":"1.1","volume":"5"}';
    expect(parseBarMessage(one)).toEqual({ ok: true, bars: [{ ms: Date.parse('2024-03-01T00:01:00Z'), bar: { symbol: 'A', open: '1.10', high: '1.2', low: '1', close: '1.1', volume: '5' } }], refused: [] });
    const many = parseBarMessage(`[${one},${one.replace('"A"', '"B"')}]`);
    expect(many.ok && many.bars.map((b) => b.bar.symbol)).toEqual(['A', 'B']);
  });

  it('names what is wrong in a bad bar, once', () => {
    expect(parseBarMessage('{"timestamp":"2024-03-01","symbol":"A","open":"1","high":"1","low":"1","close":"1"}')).toEqual({ ok: false, reason: 'missing or non-scalar member "volume"' });
    expect(parseBarMessage('{"timestamp":"2024-03-01","symbol":"A","open":"0","high":"1","low":"1","close":"1","volume":"1"}')).toEqual({ ok: false, reason: 'open 0 is not a positive price' });
    expect(parseBarMessage('{"timestamp":"yesterday","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}')).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp: "yesterday" is not a timestamp') });
    expect(parseBarMessage('{"timestamp":"2024-03-01","symbol":"A","open":"1","high":"1","low":"2","close":"1","volume":"1"}')).toMatchObject({ ok: false, reason: expect.stringContaining('high 1 is below low 2') });
  });
});

describe('several NDJSON lines in one message', () => {
  it('reads each line as a message of its own (a server that forwards NDJSON as it comes batches lines), and refuses a bad one by its line', () => {
    const bar = (m: number, symbol = 'A'): string => `{"timestamp":"2024-03-01T00:0${m}:00Z","symbol":"${symbol}","open":"1","high":"1","low":"1","close":"1","volume":"1"}`;
    const parsed = parseBarMessage(`${bar(1)}\n${bar(1, 'B')}\r\n\n${bar(2).replace('"open":"1"', '"open":"0"')}\n[${bar(3)},7]\n`);
    expect(parsed.ok && parsed.bars.map((b) => `${b.bar.symbol} ${new Date(b.ms).toISOString().slice(11, 16)}`)).toEqual(['A 00:01', 'B 00:01', 'A 00:03']);
    expect(parsed.ok && parsed.refused).toEqual([
      { where: 'line 4', reason: 'open 0 is not a positive price' },
      { where: 'line 5, element 1', reason: 'not a bar object' },
    ]);
  });

  it('still reads one bar written over several lines as one', () => {
    const pretty = JSON.stringify({ timestamp: '2024-03-01T00:01:00Z', symbol: 'A', open: '1', high: '1', low: '1', close: '1', volume: '1' }, null, 2);
    expect(parseBarMessage(pretty)).toMatchObject({ ok: true, bars: [{ bar: { symbol: 'A' } }], refused: [] });
  });
});

describe('array messages', () => {
  it('keeps the valid elements of an array and refuses each bad one by its index', () => {
    const good = (m: number): string => `{"timestamp":"2024-03-01T00:0${m}:00Z","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}`;
    const parsed = parseBarMessage(`[${good(1)},${good(2).replace('"open":"1"', '"open":"0"')},7,${good(3)}]`);
    expect(parsed.ok && parsed.bars.map((b) => new Date(b.ms).toISOString())).toEqual(['2024-03-01T00:01:00.000Z', '2024-03-01T00:03:00.000Z']);
    expect(parsed.ok && parsed.refused).toEqual([
      { where: 'element 1', reason: 'open 0 is not a positive price' },
      { where: 'element 2', reason: 'not a bar object' },
    ]);
  });
});

describe('--feed specs and backoff', () => {
  it('parses the three kinds of feed and refuses others', () => {
    expect(parseFeedSpec('binance:btcusdt,ETHUSDT@1m')).toEqual({ kind: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'], interval: '1m' });
    expect(parseFeedSpec('ws://localhost:9000/bars')).toEqual({ kind: 'websocket', url: 'ws://localhost:9000/bars' });
    expect(parseFeedSpec('-')).toEqual({ kind: 'stdin' });
    expect(() => parseFeedSpec('binance:BTCUSDT@1M')).toThrow(/interval "1M" is not one of/);
    expect(() => parseFeedSpec('http://x')).toThrow(/is not a feed/);
  });

  it('--endpoint takes a ws:// or wss:// URL and --rest-endpoint an http:// or https:// one, naming the flag otherwise', () => {
    expect(parseEndpointFlag(undefined, '--endpoint')).toBeUndefined();
    expect(parseEndpointFlag('ws://127.0.0.1:9000', '--endpoint')).toBe('ws://127.0.0.1:9000');
    expect(parseEndpointFlag('wss://stream.binance.com:9443/', '--endpoint')).toBe('wss://stream.binance.com:9443/');
    expect(parseEndpointFlag('http://127.0.0.1:9000', '--rest-endpoint')).toBe('http://127.0.0.1:9000');
    expect(() => parseEndpointFlag('notaurl', '--endpoint')).toThrow('--endpoint "notaurl" is not a WebSocket URL: give ws://host:port or wss://host:port');
    expect(() => parseEndpointFlag('http://127.0.0.1:9000', '--endpoint')).toThrow(/--endpoint "http:\/\/127.0.0.1:9000" is not a WebSocket URL/);
    expect(() => parseEndpointFlag('ws://127.0.0.1:9000', '--rest-endpoint')).toThrow('--rest-endpoint "ws://127.0.0.1:9000" is not an HTTP URL: give http://host:port or https://host:port');
    expect(() => parseEndpointFlag('--rest-endpoint', '--endpoint')).toThrow(/--endpoint "--rest-endpoint" is not a WebSocket URL/);
  });

  it('doubles the reconnect delay up to its cap, taking off at most 20 % jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 250, 1000, 0))).toEqual([250, 500, 1000, 1000]);
    expect(backoffDelay(1, 250, 1000, 0.5)).toBe(450);
  });
});
