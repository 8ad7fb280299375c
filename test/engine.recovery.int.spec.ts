// Recovery on a real SQLite file: stop and reopen gives exactly the log of one uninterrupted run, `run` skips what is
// persisted, a second supervisor that is behind is refused by the expected-revision check, and a changed config is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { WrongExpectedRevisionError } from '../events/errors.js';
import { ConfigError } from '../src/errors.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { parsePortfolioConfig, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-recovery-'));
let n = 0;
const dbUrl = (): string => `sqlite:${join(scratch, `run${(n += 1)}.db`)}`;

function config(overrides: Record<string, unknown> = {}): PortfolioConfig {
  return parsePortfolioConfig({
    id: 'rec',
    name: 'recovery',
    capital: '500000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.3' },
      { id: 'mom', kind: 'momentum', allocation: '0.3', params: { lookback: 15, topN: 2, rebalanceEvery: 5 } },
      { id: 'tf', kind: 'trend-following', allocation: '0.3', params: { fast: 5, slow: 15 } },
    ],
    execution: { commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '1' },
    rebalancing: { algorithm: 'risk-parity', params: { lookback: 20 }, frequency: 'monthly', driftThreshold: 0.05 },
    lookback: 40,
    ...overrides,
  });
}

const slices = [...syntheticSlices({ seed: 11, symbols: 5, bars: 120, start: '2023-01-02' })];
const N = 50;

async function hashesOf(url: string): Promise<string[]> {
  const store = await openEventStore(url);
  const events = await readAllEvents(store);
  await store.close();
  return events.map((e) => `${e.metadata.revision}:${e.metadata.hash}`);
}

describe('recovery from the log', () => {
  it('running N slices, closing and reopening, then M more gives exactly the events of N + M in one go', async () => {
    const whole = dbUrl();
    {
      const store = await openEventStore(whole);
      const p = await Portfolio.open({ store, config: config() });
      expect(await p.run(from(slices))).toBe(120);
      p.close();
      await store.close();
    }
    const split = dbUrl();
    {
      const store = await openEventStore(split);
      const p = await Portfolio.open({ store, config: config() });
      for (const s of slices.slice(0, N)) await p.processSlice(s);
      p.close();
      await store.close();
    }
    {
      const store = await openEventStore(split);
      const p = await Portfolio.open({ store, config: config() });
      expect(p.resumed).toBe(true);
      expect(p.status().slices).toBe(N);
      // The whole source again: slices at or before the last persisted time are skipped.
      expect(await p.run((async function* () { yield* slices; })())).toBe(120 - N);
      p.close();
      await store.close();
    }
    const a = await hashesOf(whole);
    const b = await hashesOf(split);
    expect(a.length).toBeGreaterThan(120 * 2);
    expect(b).toEqual(a);
  });

  it('a run over slices that are all persisted appends nothing', async () => {
    const url = dbUrl();
    const store = await openEventStore(url);
    const p = await Portfolio.open({ store, config: config() });
    await p.run(from(slices.slice(0, 10)));
    const before = (await readAllEvents(store)).length;
    expect(await p.run(from(slices.slice(0, 10)))).toBe(0);
    expect((await readAllEvents(store)).length).toBe(before);
    p.close();
    await store.close();
  });

  it('a second supervisor whose state is behind is refused, appends nothing, and halts', async () => {
    const store = await openEventStore(dbUrl());
    const first = await Portfolio.open({ store, config: config() });
    const second = await Portfolio.open({ store, config: config() });
    await first.processSlice(slices[0]!);
    await first.processSlice(slices[1]!);
    const before = await readAllEvents(store);
    // The second still expects the stream as it was opened: its slice would overwrite the first's history.
    await expect(second.processSlice(slices[1]!)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const after = await readAllEvents(store);
    expect(after.map((e) => e.metadata.hash)).toEqual(before.map((e) => e.metadata.hash));
    await expect(second.processSlice(slices[2]!)).rejects.toThrow(/halted/);
    // The first supervisor is not disturbed.
    await first.processSlice(slices[2]!);
    expect(first.status().slices).toBe(3);
    first.close();
    second.close();
    await store.close();
  });

  it('a behind supervisor that decides a different slice 0 (a queued command) is refused too', async () => {
    const store = await openEventStore(dbUrl());
    const first = await Portfolio.open({ store, config: config() });
    const second = await Portfolio.open({ store, config: config() });
    await first.processSlice(slices[0]!);
    const before = (await readAllEvents(store)).length;
    second.pauseStrategy('bh');
    await expect(second.processSlice(slices[0]!)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect((await readAllEvents(store)).length).toBe(before);
    first.close();
    second.close();
    await store.close();
  });

  it('refuses to reopen a portfolio with a different config, naming it', async () => {
    const url = dbUrl();
    const store = await openEventStore(url);
    const p = await Portfolio.open({ store, config: config() });
    await p.processSlice(slices[0]!);
    p.close();
    const changed = config({ capital: '600000' });
    await expect(Portfolio.open({ store, config: changed })).rejects.toBeInstanceOf(ConfigError);
    await expect(Portfolio.open({ store, config: changed })).rejects.toThrow(/"rec" already exists .* different configuration/);
    // The refusal names each field that differs, recorded value first.
    await expect(Portfolio.open({ store, config: changed })).rejects.toThrow(/capital: "500000" → "600000"/);
    await expect(Portfolio.open({ store, config: config({ name: 'renamed' }) })).rejects.toThrow(/name: ".*" → "renamed"/);
    await store.close();
  });
});
