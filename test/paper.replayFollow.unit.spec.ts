// `replay --follow`: its first line, printed once the log is folded, names the revision folded up to.
import { expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { followPortfolio, followReplay } from '../src/cli/replayFollow.js';
import type { Bar } from '../src/market/bar.js';
import { captureIO } from './fixtures/cliRun.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';

const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });

it.each([false, true])('the first line gives the head revision of the log (json: %s)', async (json) => {
  const store = createMemoryEventStore();
  const portfolio = await Portfolio.open({ store, config: await loadPortfolioConfig(PAPER_CONFIG) });
  for (let i = 0; i < 3; i++) {
    await portfolio.processSlice({ time: `2024-03-01T10:0${i}:00.000Z`, bars: { BTCUSDT: bar('BTCUSDT', String(60000 + i)), ETHUSDT: bar('ETHUSDT', '3400') } });
  }
  portfolio.close();
  const head = await store.streamRevision('portfolio-paper');
  expect(head).toBeGreaterThan(10);

  const c = captureIO();
  const following = followReplay(store, 'portfolio-paper', c.io, json);
  while (c.out() === '') await new Promise((resolve) => setTimeout(resolve, 5));
  process.emit('SIGTERM', 'SIGTERM');
  await following;
  const first = c.out().split('\n')[0] ?? '';
  if (json) expect(JSON.parse(first)).toMatchObject({ time: '2024-03-01T10:02:00.000Z', revision: head });
  else expect(first).toMatch(new RegExp(`^2024-03-01T10:02:00.000Z .* revision ${String(head)}$`));
});

it('waits for the portfolio when the store holds none yet, says so once, and follows it once written', async () => {
  const store = createMemoryEventStore();
  const c = captureIO();
  const following = followPortfolio(store, undefined, c.io, true);
  while (c.err() === '') await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(c.err()).toBe('stratafolio: memory: holds no portfolio yet: waiting for one to be written (--follow; SIGINT or SIGTERM stops)\n');
  expect(c.out()).toBe('');

  const portfolio = await Portfolio.open({ store, config: await loadPortfolioConfig(PAPER_CONFIG) });
  for (let i = 0; i < 2; i++) {
    await portfolio.processSlice({ time: `2024-03-01T10:0${i}:00.000Z`, bars: { BTCUSDT: bar('BTCUSDT', String(60000 + i)), ETHUSDT: bar('ETHUSDT', '3400') } });
  }
  portfolio.close();
  while (!c.out().includes('10:01:00')) await new Promise((resolve) => setTimeout(resolve, 5));
  process.emit('SIGTERM', 'SIGTERM');
  await following;
  const last = JSON.parse(c.out().trim().split('\n').at(-1) ?? '') as unknown;
  expect(last).toMatchObject({ time: '2024-03-01T10:01:00.000Z', revision: await store.streamRevision('portfolio-paper') });
});

it('waits for the portfolio --portfolio names, naming the ones the store holds', async () => {
  const store = createMemoryEventStore();
  const other = await Portfolio.open({ store, config: { ...(await loadPortfolioConfig(PAPER_CONFIG)), id: 'other' } });
  other.close();
  const c = captureIO();
  const following = followPortfolio(store, 'paper', c.io, false);
  while (c.err() === '') await new Promise((resolve) => setTimeout(resolve, 5));
  expect(c.err()).toMatch(/holds no portfolio "paper" \(it holds: other\): waiting for it to be written/);
  process.emit('SIGINT', 'SIGINT');
  await following;
  expect(c.out()).toBe('');
});

it('keeps the --portfolio rule when several portfolios are there', async () => {
  const store = createMemoryEventStore();
  for (const id of ['a', 'b']) (await Portfolio.open({ store, config: { ...(await loadPortfolioConfig(PAPER_CONFIG)), id } })).close();
  await expect(followPortfolio(store, undefined, captureIO().io, false)).rejects.toThrow(/holds 2 portfolios \(a, b\): pass --portfolio <id>/);
});
