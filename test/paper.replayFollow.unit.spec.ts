// `replay --follow`: its first line, printed once the log is folded, names the revision folded up to.
import { expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { followReplay } from '../src/cli/replayFollow.js';
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
