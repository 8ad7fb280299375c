// A live session runs for days: each slice it follows must be released once it is durable, or memory grows with every
// bar. The groups are watched through WeakRefs while the session is still running, after a forced garbage collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import { Portfolio } from '../actors/portfolio.js';
import type { LiveSlice } from '../actors/supervisorMachine.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import type { Bar } from '../src/market/bar.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const T0 = Date.parse('2024-03-01T00:00:00Z');
const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Portfolio.follow', () => {
  it('keeps no slice group alive once it is durable, while the session goes on', async () => {
    const store = createMemoryEventStore();
    const portfolio = await Portfolio.open({ store, config: await loadPortfolioConfig(PAPER_CONFIG) });
    const GROUPS = 60;
    const refs: WeakRef<readonly LiveSlice[]>[] = [];
    let reported = 0;
    let release: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => {
      release = resolve;
    });
    let paused: () => void = () => undefined;
    const atPause = new Promise<void>((resolve) => {
      paused = resolve;
    });
    async function* groups(): AsyncGenerator<readonly LiveSlice[]> {
      for (let i = 0; i < GROUPS; i++) {
        const close = String(100 + (i % 7));
        const group: LiveSlice[] = [{ slice: { time: new Date(T0 + i * 60_000).toISOString(), bars: { BTCUSDT: bar('BTCUSDT', close), ETHUSDT: bar('ETHUSDT', close) } }, before: [] }];
        refs.push(new WeakRef(group));
        yield group;
      }
      // The feed is quiet: the session waits for its next slice, as a live one does between bars.
      paused();
      await waiting;
    }
    const following = portfolio.follow(groups(), () => {
      reported += 1;
    });
    await atPause;
    for (let i = 0; i < 3; i++) {
      await settle();
      collectGarbage();
    }
    expect(reported).toBe(GROUPS);
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    // The group being committed or just reported may still be referenced; none of those before it.
    expect(alive).toBeLessThanOrEqual(2);
    release();
    expect(await following).toBe(GROUPS);
    portfolio.close();
    await store.close();
  });
});
