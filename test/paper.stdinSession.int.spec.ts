// A paper session on NDJSON bars from stdin, stopped between runs: a command to a stopped session says that none is
// running and is applied at the next run's first slice; export-bars says which recorded commands a backtest over its
// bars does not replay; the text summary counts what the feed sent that was not applied; a signal during start-up
// ends the session cleanly before its first slice.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { runCli } from './fixtures/cliRun.js';
import { openEventStore } from '../events/openEventStore.js';
import { barLine, minuteBars } from './fixtures/live/minuteBars.js';


let dir = '';
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function paperOn(store: string, input: string, extra: readonly string[] = []): Promise<{ code: number | string; out: string; err: string }> {
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0', ...extra], input);
  const code = await run.exited;
  return { code, out: run.out(), err: run.err() };
}

it('a command to a stopped session says no session is running (exit 3, at once), and the next run applies it at its first slice', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-stopped-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  expect((await paperOn(store, minuteBars(0, 3))).code).toBe(0);

  const started = Date.now();
  const queued = await runCli('command', '--store', store, '--wait', '3s', 'pause', 'hold');
  expect(Date.now() - started).toBeLessThan(2500);
  expect(queued.code).toBe(3);
  expect(queued.out).toMatch(/^queued pause as command \S+: no paper session is running on portfolio "paper"; the next `stratafolio paper` run applies it at its first slice\n$/);
  const noWait = await runCli('command', '--store', store, '--wait', '0s', '--json', 'pause', 'trend');
  expect(noWait.code).toBe(0);
  expect(JSON.parse(noWait.out)).toMatchObject({ result: { status: 'queued' }, sessionRunning: false });
  expect(noWait.out).not.toMatch(/within/);

  expect((await paperOn(store, minuteBars(3, 5))).code).toBe(0);
  const paused = (await streamEvents(store, 'portfolio-paper')).flatMap((e) => (e.type === 'StrategyLifecycleChanged' && e.data.to === 'paused' ? [[e.data.strategyId, e.metadata.barTime]] : []));
  expect(paused).toEqual([
    ['hold', '2024-03-01T00:03:00.000Z'],
    ['trend', '2024-03-01T00:03:00.000Z'],
  ]);
});

it('a command whose session ends before answering says so and returns at once (exit 3), instead of waiting out --wait for a session that is gone', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-ended-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const session = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 2), { keepStdinOpen: true });
  await session.linesOut(2);

  const started = Date.now();
  const answer = runCli('command', '--store', store, '--wait', '20s', 'pause', 'hold');
  // Queued (so the command found the session running), then the input ends: the session stops without another slice.
  const reader = await openEventStore(store, { readOnly: true });
  try {
    while ((await reader.documents.list('commands')).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    await reader.close();
  }
  session.child.stdin?.end();
  expect(await session.exited).toBe(0);

  const queued = await answer;
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(queued.code).toBe(3);
  expect(queued.out).toMatch(/^queued pause as command \S+: the paper session on portfolio "paper" ended before answering; the next `stratafolio paper` run applies it at its first slice\n$/);
});

it('export-bars names on stderr the commands recorded with the slices, which a backtest over its bars does not replay', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-export-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  expect((await paperOn(store, minuteBars(0, 2))).code).toBe(0);
  const plain = await runCli('export-bars', '--store', store, '--out', join(dir, 'plain.ndjson'));
  expect(plain.code).toBe(0);
  expect(plain.err).toBe('');
  for (const id of ['hold', 'trend', 'revert']) expect((await runCli('command', '--store', store, '--wait', '0s', 'pause', id)).code).toBe(0);
  expect((await paperOn(store, minuteBars(2, 4))).code).toBe(0);
  expect((await runCli('command', '--store', store, '--wait', '0s', 'resume', 'hold')).code).toBe(0);
  expect((await paperOn(store, minuteBars(4, 6))).code).toBe(0);

  const out = join(dir, 'bars.ndjson');
  const exported = await runCli('export-bars', '--store', store, '--out', out);
  expect(exported.code).toBe(0);
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(12);
  expect(exported.err).toBe(
    'stratafolio: warning: 4 commands were applied during the session; a backtest over these bars does not replay them, so its log differs from the ' +
      'session’s from the slice of the first: pause hold at 2024-03-01T00:02:00.000Z, pause trend at 2024-03-01T00:02:00.000Z, ' +
      'pause revert at 2024-03-01T00:02:00.000Z, and 1 more\n',
  );
});

it('the text summary counts the bars applied and those not applied (duplicates, late, conflicting, invalid, unknown symbol) and the gaps', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-counts-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const late = JSON.stringify({ ...(JSON.parse(barLine(0, 'ETHUSDT')) as Record<string, string>), close: '2999.5' });
  const unknown = JSON.stringify({ ...(JSON.parse(barLine(2, 'BTCUSDT')) as Record<string, string>), symbol: 'XRPUSDT' });
  const input = [minuteBars(0, 2).trim(), barLine(1, 'BTCUSDT'), late, 'not json', unknown, barLine(2, 'BTCUSDT'), minuteBars(3, 4).trim()].join('\n') + '\n';
  const run = await paperOn(store, input);
  expect(run.code).toBe(0);
  const lines = run.out.trim().split('\n');
  expect(lines.at(-2)).toBe('feed this run: bars applied 7; not applied: duplicates 1, late 1, conflicting 0, invalid 1, unknown symbol 1, pending at the stop 0; gaps recorded 1');
});

it('bars applied counts the bars of durable slices; those of a slice still open at a stop are counted apart and named, not lost from the counts', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-pending-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  // Minutes 0 and 1 whole, then the BTCUSDT bar of minute 2: its slice waits for ETHUSDT when the signal comes.
  const session = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0', '--json'], `${minuteBars(0, 2)}${barLine(2, 'BTCUSDT')}\n`, {
    keepStdinOpen: true,
  });
  await session.linesOut(2);
  session.child.kill('SIGINT');
  expect(await session.exited).toBe(0);
  const lines = session.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; feed: { bars: number; pendingAtStop?: number } });
  expect(lines.map((l) => [l.type, l.feed.bars])).toEqual([
    ['slice', 2],
    ['slice', 4],
    ['summary', 4],
  ]);
  expect(lines[2]?.feed.pendingAtStop).toBe(1);
  // The signal came while the session waited for the feed: no slice was in progress, and the summary does not say one was.
  expect(lines[2]).toMatchObject({ ended: 'signal', detail: 'stopped by SIGINT between slices (every slice applied is durable)' });
  expect(session.err()).toMatch(
    /^stratafolio: 1 bar was not applied: its slice \(from 2024-03-01T00:02:00\.000Z\) was still open or queued when the session stopped; the next run applies it only if the feed sends it again \(stdin: feed it again\)$/m,
  );
});

it.each(['SIGINT', 'SIGTERM'] as const)('a %s during start-up (the JIT warm-up) ends it with exit 0 and one line, nothing applied, the lock released', async (signal) => {
  dir = mkdtempSync(join(tmpdir(), 'paper-startup-signal-'));
  const path = join(dir, 'paper.db');
  const store = `sqlite:${path}`;
  // A warm-up of minutes: the signal comes during it. The handlers are in place once the store file exists.
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '1000000'], minuteBars(0, 3));
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sent = Date.now();
  run.child.kill(signal);
  expect(await run.exited).toBe(0);
  expect(Date.now() - sent).toBeLessThan(5000);
  expect(run.out()).toBe(`stopped by ${signal} during start-up, before the first slice: nothing applied this run\n`);
  expect(run.err()).toBe('');
  expect((await streamEvents(store, 'feed-paper')).length).toBe(0);
  // The writer lock was released: the next run starts and applies the bars.
  const next = await paperOn(store, minuteBars(0, 3));
  expect(next.code).toBe(0);
  expect(next.out).toMatch(/3 slices this run, 3 in all/);
});

it('a store whose last slice is ahead of the clock is refused at start, naming the slice (exit 2), instead of a session where every bar is late', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-future-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  // A backtest takes any bar time; this one leaves the log at 2099.
  const future = join(dir, 'future.ndjson');
  const line = (symbol: string, close: string): string => JSON.stringify({ timestamp: '2099-01-01T00:00:00Z', symbol, open: close, high: close, low: close, close, volume: '1' });
  writeFileSync(future, `${line('BTCUSDT', '60000')}\n${line('ETHUSDT', '3000')}\n`);
  expect((await runCli('backtest', '--config', PAPER_CONFIG, '--bars', future, '--format', 'ndjson', '--store', store)).code).toBe(0);

  const run = await paperOn(store, minuteBars(0, 2));
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/the log of portfolio "paper" ends with a slice at 2099-01-01T00:00:00.000Z, ahead of this machine's clock/);
  // A backtest wrote it: export-bars, which writes out a session's bars, has none to offer.
  expect(run.err).toMatch(/Run the session on another store\n$/);
  expect((await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(1);
});

it('a backtest onto a paper session’s portfolio is refused (exit 2), writing nothing: its slices would have no feed record, so export-bars would leave them out', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-backtest-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  expect((await paperOn(store, minuteBars(0, 3))).code).toBe(0);
  // The session's own bars and two more: every close agrees with the log, so only the feed record tells them apart.
  const file = join(dir, 'more.ndjson');
  writeFileSync(file, minuteBars(0, 5));

  const refused = await runCli('backtest', '--config', PAPER_CONFIG, '--bars', file, '--store', store);
  expect(refused.code).toBe(2);
  expect(refused.err).toMatch(/^stratafolio: portfolio "paper" in \S+ is a paper session's \(feed-paper records the bars it acted on\): a backtest would append slices/);
  expect((await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(3);
});

it('export-bars --out writes through a temporary file it renames; an --out that cannot be written says which and why (exit 2), writing nothing', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-export-out-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  expect((await paperOn(store, minuteBars(0, 3))).code).toBe(0);
  const out = join(dir, 'bars.ndjson');
  expect((await runCli('export-bars', '--store', store, '--out', out)).code).toBe(0);
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(6);
  expect(existsSync(join(dir, '.bars.ndjson.tmp'))).toBe(false);

  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'not a folder');
  const refused = await runCli('export-bars', '--store', store, '--out', join(aFile, 'bars.ndjson'));
  expect(refused.code).toBe(2);
  expect(refused.err).toBe(`stratafolio: --out ${join(aFile, 'bars.ndjson')}: cannot write the bars: ${aFile} is not a folder\n`);
});

it('minute bars on stdin against a config without barsPerYear: warned once, after 60 slices, with the figure to set; not with it set', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-spacing-'));
  const plain = await paperOn(`sqlite:${join(dir, 'plain.db')}`, minuteBars(0, 70));
  expect(plain.code).toBe(0);
  const warnings = plain.err.split('\n').filter((l) => l.includes('slices came about'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^stratafolio: warning: .*: its first 60 slices came about 530000 a year; .*assume 252 bars a year.*set barsPerYear in the config .*\(e\.g\. 525600\)$/);
  const config = join(dir, 'minutes.json');
  writeFileSync(config, JSON.stringify({ ...(JSON.parse(readFileSync(PAPER_CONFIG, 'utf8')) as Record<string, unknown>), barsPerYear: 525_600 }));
  const run = startCli(['paper', '--config', config, '--feed', '-', '--store', `sqlite:${join(dir, 'minutes.db')}`, '--jit-warm-up', '0'], minuteBars(0, 70));
  expect(await run.exited).toBe(0);
  expect(run.err()).not.toContain('slices came about');
});

it('a Binance endpoint that is not a URL of its kind is refused at start, naming the flag (exit 2), before a store is made', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-endpoint-'));
  for (const [flag, value] of [['--endpoint', 'notaurl'], ['--rest-endpoint', 'ws://127.0.0.1:1']] as const) {
    const path = join(dir, `${flag.slice(2)}.db`);
    const { code, err } = await runCli('paper', '--config', PAPER_CONFIG, '--feed', 'binance:BTCUSDT,ETHUSDT@1m', '--store', `sqlite:${path}`, '--jit-warm-up', '0', '--endpoint', 'ws://127.0.0.1:1', flag, value);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^stratafolio: ${flag} "${value.replace(/[/.]/g, '\\$&')}" is not an? (WebSocket|HTTP) URL`));
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(path)).toBe(false);
  }
}, 20_000);

it('a session on a portfolio a backtest wrote resumes after the log\'s last slice: bars up to it are late, not a failed run', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-after-backtest-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const first = join(dir, 'first.ndjson');
  writeFileSync(first, minuteBars(0, 3));
  expect((await runCli('backtest', '--config', PAPER_CONFIG, '--bars', first, '--format', 'ndjson', '--store', store)).code).toBe(0);

  // The feed sends the backtest's minutes again before the new ones, as a stream started from its beginning does.
  const run = await paperOn(store, minuteBars(0, 5));
  expect(run.err).not.toMatch(/is not later than/);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/2 slices this run, 5 in all/);
  expect(run.out).toMatch(/bars applied 4; not applied: duplicates 0, late 6,/);
  const marks = (await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked');
  expect(marks).toHaveLength(5);
  const audit = await runCli('audit', '--store', store, '--verify', '--json');
  expect(audit.code).toBe(0);
  expect((JSON.parse(audit.out) as { feedRecord: { ok: boolean; link: { before: number } } }).feedRecord).toMatchObject({ ok: true, link: { before: 3 } });
});

it('export-bars of a session continuing a backtest\'s log says the slices before its record are not in the file, so a backtest over it alone writes another log', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-export-after-backtest-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const first = join(dir, 'first.ndjson');
  writeFileSync(first, minuteBars(0, 3));
  expect((await runCli('backtest', '--config', PAPER_CONFIG, '--bars', first, '--format', 'ndjson', '--store', store)).code).toBe(0);
  expect((await paperOn(store, minuteBars(3, 5))).code).toBe(0);

  const exported = await runCli('export-bars', '--store', store, '--out', join(dir, 'bars.ndjson'));
  expect(exported.code).toBe(0);
  expect(readFileSync(join(dir, 'bars.ndjson'), 'utf8').trim().split('\n')).toHaveLength(4);
  expect(exported.err).toBe(
    'stratafolio: warning: the log of portfolio "paper" begins with 3 slices (2024-03-01T00:00:00.000Z to 2024-03-01T00:02:00.000Z) written before ' +
      'the session recorded its first (2024-03-01T00:03:00.000Z), by a backtest: their bars are not in the feed record, nor in these; a backtest over ' +
      'these alone writes another log: backtest the bars of those slices first, then these onto the same store\n',
  );
});

it('export-bars names a subscribed symbol that never sent a bar: a backtest with the same config then needs --allow-missing-symbols, and writes the same log with it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-export-silent-symbol-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const onlyBtc = minuteBars(0, 4).split('\n').filter((l) => l.includes('BTCUSDT')).join('\n') + '\n';
  expect((await paperOn(store, onlyBtc)).code).toBe(0);
  const bars = join(dir, 'bars.ndjson');
  const exported = await runCli('export-bars', '--store', store, '--out', bars);
  expect(exported.code).toBe(0);
  expect(exported.err).toBe(
    'stratafolio: warning: ETHUSDT sent no bar during the session (a gap recorded in each of the 4 slices): these bars have none of it, so a backtest ' +
      'whose config names it needs --allow-missing-symbols\n',
  );
  const rerun = `sqlite:${join(dir, 'rerun.db')}`;
  expect((await runCli('backtest', '--config', PAPER_CONFIG, '--bars', bars, '--store', rerun, '--allow-missing-symbols')).code).toBe(0);
  const shape = (e: { type: string; data: unknown; metadata: unknown }): unknown => ({ type: e.type, data: e.data, metadata: e.metadata });
  expect((await streamEvents(rerun, 'portfolio-paper')).map(shape)).toEqual((await streamEvents(store, 'portfolio-paper')).map(shape));
});

it('a restart with an --until the log has passed already says so, not that it reached it, and applies nothing (exit 0)', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-until-passed-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  const first = await paperOn(store, minuteBars(0, 4));
  expect(first.code).toBe(0);
  // One status line per slice, the value to the cent as the summary gives it (the JSON lines keep it exact).
  const lines = first.out.split('\n').filter((l) => /^\d{4}-/.test(l));
  expect(lines).toHaveLength(4);
  for (const l of lines) expect(l).toMatch(/^\S+Z {2}value \d+\.\d{2} {2}return -?\d+\.\d{2}% {2}orders \d+ {2}latency /);
  const again = await paperOn(store, minuteBars(0, 6), ['--until', '2024-03-01T00:02:00Z']);
  expect(again.code).toBe(0);
  expect(again.out.split('\n')[0]).toBe(
    '--until 2024-03-01T00:02:00.000Z was passed before this run (the log ends at 2024-03-01T00:03:00.000Z): 0 slices this run, 4 in all; last bar 2024-03-01T00:03:00.000Z; value 100013.50',
  );
  const json = await paperOn(store, minuteBars(0, 6), ['--until', '2024-03-01T00:02:00Z', '--json']);
  expect(JSON.parse(json.out.trim())).toMatchObject({ ended: 'until', detail: '--until 2024-03-01T00:02:00.000Z was passed before this run (the log ends at 2024-03-01T00:03:00.000Z)', slicesThisRun: 0 });
  expect((await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(4);
});

it('two rebalances queued for one slice: the first is applied and recorded with it, the second is refused saying why', async () => {
  dir = mkdtempSync(join(tmpdir(), 'paper-two-rebalances-'));
  const store = `sqlite:${join(dir, 'paper.db')}`;
  expect((await paperOn(store, minuteBars(0, 2))).code).toBe(0);
  const ids: string[] = [];
  for (const weight of ['hold=0.2', 'hold=0.25']) {
    const queued = await runCli('command', '--store', store, '--wait', '0s', '--json', 'rebalance', weight);
    expect(queued.code, queued.err).toBe(0);
    ids.push((JSON.parse(queued.out) as { commandId: string }).commandId);
  }
  expect((await paperOn(store, minuteBars(2, 4))).code).toBe(0);

  const at = '2024-03-01T00:02:00.000Z';
  expect((await runCli('command', '--store', store, 'status', ids[0] ?? '')).out).toContain(`applied at the slice of ${at}`);
  const refused = await runCli('command', '--store', store, 'status', ids[1] ?? '');
  expect(refused.out).toContain('refused');
  expect(refused.out).toContain('another rebalance is already queued for the next slice (hold=0.2)');
  const decided = (await streamEvents(store, 'portfolio-paper')).filter((e) => e.type === 'RebalanceDecided' && e.data.trigger === 'manual');
  expect(decided.map((e) => [e.metadata.barTime, e.type === 'RebalanceDecided' ? e.data.finalWeights : null])).toEqual([[at, { hold: 0.2 }]]);
  const recorded = (await streamEvents(store, 'feed-paper')).flatMap((e) => (e.type === 'SliceBarsRecorded' ? e.data.commands.map((c) => c.commandId) : []));
  expect(recorded).toEqual([ids[0]]);
});
