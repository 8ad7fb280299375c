// Recovery from a snapshot: the state it restores is the state a full fold reaches, and resuming from it writes
// exactly the events of one uninterrupted run; a snapshot that does not match the stream is ignored.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Portfolio, SNAPSHOT_COLLECTION, SNAPSHOT_DOCUMENT_KIND } from '../actors/portfolio.js';
import { openDocument, sealDocument } from '../events/sealedDocument.js';
import { dec } from '../src/money/decimal.js';
import { openEventStore } from '../events/openEventStore.js';
import type { EventStore } from '../events/store.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { parsePortfolioConfig, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-snapshot-'));
let n = 0;
const dbUrl = (): string => `sqlite:${join(scratch, `run${(n += 1)}.db`)}`;

function config(snapshotEvery: number): PortfolioConfig {
  return parsePortfolioConfig({
    id: 'snap',
    name: 'snapshots',
    capital: '500000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.25' },
      { id: 'mom', kind: 'momentum', allocation: '0.25', params: { lookback: 15, topN: 2, rebalanceEvery: 5 } },
      { id: 'mr', kind: 'mean-reversion', allocation: '0.2', params: { lookback: 10, entryZ: 1, exitZ: 0.2 } },
      { id: 'tf', kind: 'trend-following', allocation: '0.25', params: { fast: 5, slow: 15 } },
    ],
    execution: { fillAt: 'next-open', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '1' },
    rebalancing: { algorithm: 'risk-parity', params: { method: 'equal-risk-contribution', lookback: 20 }, frequency: 'monthly', driftThreshold: 0.05 },
    lookback: 40,
    snapshotEvery,
  });
}

const slices = [...syntheticSlices({ seed: 5, symbols: 6, bars: 130, start: '2023-01-02' })];

async function runSlices(store: EventStore, cfg: PortfolioConfig, from: number, to: number): Promise<Portfolio> {
  const p = await Portfolio.open({ store, config: cfg });
  for (const s of slices.slice(from, to)) await p.processSlice(s);
  return p;
}

/** Counts the events a reopen reads, to tell a snapshot restore from a full fold. */
function countingReads(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  const counting: EventStore = Object.create(store) as EventStore;
  counting.readStream = (stream, options) => {
    const inner = store.readStream(stream, options);
    return (async function* () {
      for await (const e of inner) {
        read += 1;
        yield e;
      }
    })();
  };
  return { store: counting, read: () => read };
}

describe('recovery snapshots', () => {
  it('restores from the latest snapshot to the same state as a full fold, and resumes byte for byte', async () => {
    const cfg = config(25);
    const whole = await openEventStore(dbUrl());
    const uninterrupted = await runSlices(whole, cfg, 0, 130);
    const expected = (await readAllEvents(whole)).map((e) => e.metadata.hash);
    uninterrupted.close();

    const url = dbUrl();
    const first = await openEventStore(url);
    const before = await runSlices(first, cfg, 0, 110); // the last snapshot is after slice 100
    const stateAt110 = before.kernel.toSnapshot();
    before.close();
    await first.close();

    const reopened = await openEventStore(url);
    const counting = countingReads(reopened);
    const restored = await Portfolio.open({ store: counting.store, config: cfg });
    const total = (await readAllEvents(reopened)).length;
    expect(counting.read()).toBeLessThan(total / 2); // only the snapshot's own event and the slices after it were read
    expect(restored.kernel.toSnapshot()).toEqual(stateAt110);

    // A kernel folded from the whole stream reaches the same state.
    await reopened.documents.delete(SNAPSHOT_COLLECTION, 'portfolio-snap');
    const folded = await Portfolio.open({ store: reopened, config: cfg });
    expect(folded.kernel.toSnapshot()).toEqual(stateAt110);
    folded.close();

    for (const s of slices.slice(110)) await restored.processSlice(s);
    restored.close();
    expect((await readAllEvents(reopened)).map((e) => e.metadata.hash)).toEqual(expected);
    await reopened.close();
    await whole.close();
  });

  it('ignores a snapshot whose reserve was raised by 1,000,000, reports it, and resumes byte-identical to an uninterrupted run', async () => {
    const cfg = config(20);
    const whole = await openEventStore(dbUrl());
    (await runSlices(whole, cfg, 0, 70)).close();
    const expected = (await readAllEvents(whole)).map((e) => e.metadata.hash);
    await whole.close();

    const store = await openEventStore(dbUrl());
    const p = await runSlices(store, cfg, 0, 45);
    const state = p.kernel.toSnapshot();
    p.close();
    // Edit the stored document as a hand with a text editor would: the body changes, its content hash does not.
    const text = (await store.documents.get(SNAPSHOT_COLLECTION, 'portfolio-snap')) ?? '';
    const stored = JSON.parse(text) as { body: string };
    const body = JSON.parse(stored.body) as { kernel: { reserve: string } };
    body.kernel.reserve = dec(body.kernel.reserve).plus(1_000_000).toString();
    stored.body = JSON.stringify(body);
    await store.documents.put(SNAPSHOT_COLLECTION, 'portfolio-snap', JSON.stringify(stored));

    const counting = countingReads(store);
    const reopened = await Portfolio.open({ store: counting.store, config: cfg });
    expect(reopened.recovery.from).toBe('log');
    expect(reopened.recovery.warnings).toHaveLength(1);
    expect(reopened.recovery.warnings[0]).toMatch(/snapshot of portfolio-snap ignored \(content hash mismatch/);
    expect(reopened.kernel.toSnapshot()).toEqual(state);
    expect(counting.read()).toBe(state.revision + 1); // the whole stream, folded
    for (const s of slices.slice(45, 70)) await reopened.processSlice(s);
    reopened.close();
    expect((await readAllEvents(store)).map((e) => e.metadata.hash)).toEqual(expected);
    await store.close();
  });

  it('ignores a resealed snapshot whose anchor is not an event of the log, and one of another config or version', async () => {
    const cfg = config(20);
    const store = await openEventStore(dbUrl());
    const p = await runSlices(store, cfg, 0, 45);
    const state = p.kernel.toSnapshot();
    p.close();
    const opened = openDocument((await store.documents.get(SNAPSHOT_COLLECTION, 'portfolio-snap')) ?? '', { kind: SNAPSHOT_DOCUMENT_KIND });
    if (!opened.ok) throw new Error(opened.reason);
    const body = opened.body as { configHash: string; kernel: { headHash: string; reserve: string; revision: number } };
    const reseal = async (header: Parameters<typeof sealDocument>[0], b: unknown): Promise<Portfolio> => {
      await store.documents.put(SNAPSHOT_COLLECTION, 'portfolio-snap', sealDocument(header, b));
      return Portfolio.open({ store, config: cfg });
    };
    const forged = { ...body, kernel: { ...body.kernel, headHash: 'f'.repeat(64), reserve: '1' } };
    const a = await reseal({ ...opened.header, anchor: { ...opened.header.anchor, eventHash: 'f'.repeat(64) } }, forged);
    expect(a.recovery.warnings[0]).toMatch(/whose hash in the log differs/);
    expect(a.kernel.toSnapshot()).toEqual(state);
    a.close();
    const b = await reseal(opened.header, { ...body, configHash: '0'.repeat(64) });
    expect(b.recovery.warnings[0]).toMatch(/another configuration/);
    b.close();
    const c = await reseal({ ...opened.header, version: 99 }, body);
    expect(c.recovery.warnings[0]).toMatch(/version 99/);
    c.close();
    // The intact document is used again.
    const d = await reseal(opened.header, body);
    expect(d.recovery).toEqual({ from: 'snapshot', snapshotRevision: body.kernel.revision, warnings: [] });
    d.close();
    await store.close();
  });
});
