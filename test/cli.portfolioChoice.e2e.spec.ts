// Which portfolio a command works on when --portfolio is not given, in a store of several: `command` and `export-bars`
// need a paper session's (one with a feed record; for `command`, also one a session runs on before its first slice) and
// take the only one even beside backtested portfolios; every
// command refuses an ambiguous choice naming the candidates, and says so when none qualifies. Through the built binary.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { openEventStore } from '../events/openEventStore.js';


let dir = '';
let barsFile = '';
/** The paper tests' config under another portfolio id. */
const configAs = (id: string): string => {
  const path = join(dir, `${id}.json`);
  writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(PAPER_CONFIG, 'utf8')) as Record<string, unknown>), id }));
  return path;
};

async function paperOn(store: string, config: string): Promise<void> {
  const run = startCli(['paper', '--config', config, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 3));
  expect(await run.exited).toBe(0);
}

async function backtestOn(store: string, config: string): Promise<void> {
  const run = await runBin(['backtest', '--config', config, '--bars', barsFile, '--format', 'ndjson', '--store', store]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portfolio-choice-'));
  barsFile = join(dir, 'bars.ndjson');
  writeFileSync(barsFile, minuteBars(0, 3));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('one paper session beside a backtested portfolio', () => {
  let store = '';
  beforeAll(async () => {
    store = `sqlite:${join(dir, 'mixed.db')}`;
    await paperOn(store, PAPER_CONFIG);
    await backtestOn(store, configAs('bt'));
  });

  it('command takes the paper session’s portfolio', async () => {
    const r = await runBin(['command', '--store', store, '--wait', '0s', 'pause', 'hold']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^queued pause as command \S+: no paper session is running on portfolio "paper"/);
  });

  it('export-bars takes the same portfolio', async () => {
    const r = await runBin(['export-bars', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n').map((l) => (JSON.parse(l) as { symbol: string }).symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'BTCUSDT', 'ETHUSDT', 'BTCUSDT', 'ETHUSDT']);
  });

  it('replay, which reads any portfolio, refuses naming both and the flag to pass', async () => {
    const r = await runBin(['replay', '--store', store]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds 2 portfolios \(bt, paper\): pass --portfolio <id>/);
  });
});

describe('two paper sessions', () => {
  let store = '';
  beforeAll(async () => {
    store = `sqlite:${join(dir, 'two-sessions.db')}`;
    await paperOn(store, PAPER_CONFIG);
    await paperOn(store, configAs('paper2'));
  });

  it.each([
    ['command', ['--wait', '0s', 'pause', 'hold']],
    ['export-bars', []],
  ])('%s refuses, naming both and the flag to pass', async (command, extra) => {
    const r = await runBin([command, '--store', store, ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds 2 paper sessions \(paper, paper2\): pass --portfolio <id>/);
  });

  it('command --portfolio picks one of them', async () => {
    const r = await runBin(['command', '--store', store, '--portfolio', 'paper2', '--wait', '0s', 'pause', 'hold']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no paper session is running on portfolio "paper2"/);
  });
});

/** Resolves once a process holds the writer lock of `portfolioId` in `store` and its log has its opening events. */
async function sessionOpen(store: string, portfolioId: string): Promise<void> {
  for (;;) {
    const s = await openEventStore(store);
    try {
      if ((await s.writerLockHolder(portfolioId)) !== null && (await s.listStreams()).includes(`portfolio-${portfolioId}`)) return;
    } finally {
      await s.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a paper session running before its first slice (no feed record yet)', () => {
  it('command queues for it, and the session applies it at its first slice', async () => {
    const store = `sqlite:${join(dir, 'before-first-slice.db')}`;
    await backtestOn(store, configAs('bt'));
    const paper = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], '', { keepStdinOpen: true });
    await sessionOpen(store, 'paper');
    const r = await runBin(['command', '--store', store, '--wait', '0s', 'pause', 'revert']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^queued pause as command \S+: not waiting for the answer \(--wait 0s\); the running session applies it at its next slice/);
    paper.child.stdin?.end(minuteBars(0, 2));
    expect(await paper.exited).toBe(0);
    expect(paper.err()).toMatch(/command \S+ pause revert \(reason: paused by command\): applied at the slice of 2024-03-01T00:00:00.000Z/);
  });
});

describe('no paper session', () => {
  let store = '';
  beforeAll(async () => {
    store = `sqlite:${join(dir, 'backtests.db')}`;
    await backtestOn(store, configAs('bt'));
    await backtestOn(store, configAs('bt2'));
  });

  it.each([
    ['command', ['--wait', '0s', 'pause', 'hold']],
    ['export-bars', []],
  ])('%s refuses, saying none of the portfolios is a paper session’s', async (command, extra) => {
    const r = await runBin([command, '--store', store, ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds no paper session: portfolios "bt", "bt2" were written by backtest or demo/);
  });

  it('command --portfolio naming a backtested portfolio says it has no paper session', async () => {
    const r = await runBin(['command', '--store', store, '--portfolio', 'bt', '--wait', '0s', 'pause', 'hold']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/portfolio "bt" in \S+ has no paper session/);
  });
});
