// Flags of `paper` and `command` that cannot do what they say are refused before anything is opened or queued: exit 2,
// one line naming the flag or argument, no store file made, no command left in the queue. Through the built binary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { BINARY } from './fixtures/binaryRun.js';

/** Runs the binary, killing it after 20 s: a flag that is not refused would leave `paper` reconnecting for ever. */
function runBounded(args: readonly string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [BINARY, ...args], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, err: r.stderr };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratafolio-paperflags-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('paper', () => {
  it.each([
    ['--stale-timeout', '0s', 'would reconnect at once after every connect'],
    ['--heartbeat', '0ms', 'would ping without waiting for the pong'],
    ['--max-backoff', '0s', 'would reconnect in a loop without pause'],
  ])('%s %s is refused: it %s', (flag, value) => {
    const db = join(dir, `zero${flag}.db`);
    const r = runBounded(['paper', '--config', PAPER_CONFIG, '--feed', 'ws://127.0.0.1:9/bars', '--store', `sqlite:${db}`, flag, value]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^stratafolio: ${flag} "${value}" must be longer than 0 \\(e\\.g\\. `));
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(db)).toBe(false);
  });

  it('--close-after 0s is refused: every slice would close at its first bar and leave the other symbols\' bars late', () => {
    const db = join(dir, 'close-after-zero.db');
    const r = runBounded(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', `sqlite:${db}`, '--close-after', '0s']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'stratafolio: --close-after "0s" must be longer than 0 (e.g. 500ms, 2s, 1m): at 0 every slice would close at its first bar, and the other symbols\' bars of that time would all be late; leave it out to close slices only when complete or passed by a later bar\n',
    );
    expect(existsSync(db)).toBe(false);
  });

  // A Node.js timer holds its delay in 32 bits and fires a longer one after 1 ms: a limit meant as "very long" would act
  // at once (a slice closed before its bars came, a feed reconnected in a loop).
  it.each([['--stale-timeout'], ['--heartbeat'], ['--max-backoff'], ['--allowed-lateness'], ['--close-after']])('%s longer than a timer can wait is refused', (flag) => {
    const db = join(dir, `long${flag}.db`);
    const r = runBounded(['paper', '--config', PAPER_CONFIG, '--feed', 'ws://127.0.0.1:9/bars', '--store', `sqlite:${db}`, flag, '600h']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: ${flag} "600h" is longer than a timer can wait (2147483647 ms, about 596h): give at most 596h\n`);
    expect(existsSync(db)).toBe(false);
  });

  it('--strategy-timeout longer than a timer can wait is refused, not turned into 1 ms', () => {
    const db = join(dir, 'long-strategy-timeout.db');
    const r = runBounded(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', `sqlite:${db}`, '--strategy-timeout', '3000000000']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --strategy-timeout must be a positive number of milliseconds up to 2147483647 (about 596h, the longest a timer can wait), got "3000000000"\n');
    expect(existsSync(db)).toBe(false);
  });

  it('--until before --from is refused naming both: the session would end before its first slice', async () => {
    const db = join(dir, 'until.db');
    const r = await runBin(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', `sqlite:${db}`, '--from', '2024-02-01', '--until', '2024-01-01']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --until 2024-01-01T00:00:00.000Z is before --from 2024-02-01T00:00:00.000Z: no slice could be taken; give an --until at or after --from\n');
    expect(existsSync(db)).toBe(false);
  });

  it('--symbols that names no symbol says so, not that the config names none', async () => {
    const db = join(dir, 'symbols.db');
    for (const symbols of ['', ' , ']) {
      const r = await runBin(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', `sqlite:${db}`, '--symbols', symbols]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`stratafolio: --symbols ${JSON.stringify(symbols)} names no symbol: give them comma-separated (--symbols BTCUSDT,ETHUSDT), or leave it out to slice on the config's\n`);
    }
    expect(existsSync(db)).toBe(false);
  });

  it('--symbols on a Binance feed is read as its symbols are, in any case; one the feed does not subscribe is refused, not a gap in every slice', () => {
    const db = join(dir, 'binanceSymbols.db');
    const feed = ['--feed', 'binance:BTCUSDT,ETHUSDT@1m', '--endpoint', 'ws://127.0.0.1:9', '--rest-endpoint', 'http://127.0.0.1:9', '--store', `sqlite:${db}`, '--jit-warm-up', '0'];
    const extra = runBounded(['paper', '--config', PAPER_CONFIG, ...feed, '--symbols', 'BTCUSDT,ethusdt,SolUsdt']);
    expect(extra.code).toBe(2);
    expect(extra.err).toBe('stratafolio: --symbols "BTCUSDT,ethusdt,SolUsdt": SOLUSDT is not delivered by binance BTCUSDT,ETHUSDT 1m, so every slice would wait for it and record it missing: add it to --feed (binance:BTCUSDT,ETHUSDT,SOLUSDT@1m) or leave it out\n');
    expect(existsSync(db)).toBe(false);
    // In lower case, the feed's own symbols are taken: the session starts (and is stopped, with nothing to connect to).
    const lower = startCli(['paper', '--config', PAPER_CONFIG, ...feed, '--symbols', 'btcusdt,EthUsdt']);
    return new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (!lower.err().includes('connection to ')) return;
        clearInterval(check);
        lower.child.kill('SIGINT');
        lower.exited.then((code) => {
          try {
            expect(lower.err()).not.toContain('is not delivered');
            expect(code).toBe(0);
            resolve();
          } catch (e) {
            reject(e as Error);
          }
        }, reject);
      }, 20);
    });
  }, 30_000);
});

describe('paper --from on a Binance feed', () => {
  it('a --from between two klines\' open times is refused, naming the two around it: the kline before it would be taken, though earlier than --from', () => {
    const db = join(dir, 'fromOffInterval.db');
    const r = runBounded(['paper', '--config', PAPER_CONFIG, '--feed', 'binance:BTCUSDT,ETHUSDT@1h', '--endpoint', 'ws://127.0.0.1:9', '--rest-endpoint', 'http://127.0.0.1:9', '--store', `sqlite:${db}`, '--from', '2024-03-01T12:30:00Z']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --from 2024-03-01T12:30:00.000Z is not the open time of a 1h kline (a bar time of binance BTCUSDT,ETHUSDT 1h): give 2024-03-01T12:00:00.000Z or 2024-03-01T13:00:00.000Z\n');
    expect(existsSync(db)).toBe(false);
  });
});

describe('command', () => {
  let store = '';
  beforeAll(async () => {
    store = `sqlite:${join(dir, 'session.db')}`;
    const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 3));
    expect(await run.exited).toBe(0);
  });

  it.each([
    [['pause', 'hol'], 'pause: portfolio "paper" has no strategy "hol": did you mean "hold"? (its strategies: hold, revert, trend); nothing was queued'],
    [['rebalance', 'hold=0.3', 'trnd=0.3'], 'rebalance: portfolio "paper" has no strategy "trnd": did you mean "trend"? (its strategies: hold, revert, trend); nothing was queued'],
    [['rebalance', 'hold=1.5'], 'rebalance: weight of hold must be a number in [0, 1], got 1.5'],
    [['rebalance', 'hold=0.6', 'trend=0.5'], 'rebalance: the weights sum to 1.1, more than the portfolio\'s whole value (1): lower them'],
    [['pause', 'hold', '--keep-positions'], '--keep-positions applies to remove only (pause keeps the positions anyway)'],
    [['rebalance', 'hold=0.3', 'hold=0.5'], 'rebalance: hold is given twice (0.3 and 0.5): give each strategy once'],
  ])('%j is refused before it is queued', async (args, message) => {
    const r = await runBin(['command', '--store', store, '--wait', '0s', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: ${message}\n`);
    expect(r.out).toBe('');
  });

  it('export-bars --out naming the store file is refused, and the store is left as it was', async () => {
    const file = store.slice('sqlite:'.length);
    const before = readFileSync(file);
    const r = await runBin(['export-bars', '--store', store, '--out', file]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: --out ${file}: cannot write the bars: it is the file of the event store ${store}, which writing would destroy; give another path (e.g. bars.ndjson)\n`);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('nothing refused was queued: the next command is the first in the queue', async () => {
    const r = await runBin(['command', '--store', store, '--wait', '0s', 'pause', 'hold']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^queued pause as command 0000000001-/);
  });
});
