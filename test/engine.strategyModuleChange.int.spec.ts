// A strategy module's code is part of what a log was written with: the SHA-256 of each module's entry file is recorded
// when the portfolio is created, and reopening it with other bytes in that file is refused before any slice, as a
// changed config is (also when a recovery snapshot would let the fold start past the opening event).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import { Portfolio, SNAPSHOT_COLLECTION } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { portfolioStream, sealEvents, GENESIS_HASH } from '../events/envelope.js';
import type { DomainEvent } from '../events/catalogue.js';
import type { EventStore } from '../events/store.js';
import { ConfigError, StratafolioError } from '../src/errors.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { parsePortfolioConfig, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-module-change-'));
let n = 0;
const dbUrl = (): string => `sqlite:${join(scratch, `run${(n += 1)}.db`)}`;

// What the quant first ran, and the same strategy after an edit that changes its trades.
const V1 = `export default function make() {\n  return { name: 'thirds', onBar(ctx) { if (ctx.barIndex % 3 === 0) ctx.order('SYN01', 2); } };\n}\n`;
const V2 = V1.replace('% 3', '% 2');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fresh folder holding the module as `strategies/thirds.mjs`. */
function folderWith(code: string): { dir: string } {
  const dir = join(scratch, `case${(n += 1)}`);
  mkdirSync(join(dir, 'strategies'), { recursive: true });
  writeFileSync(join(dir, 'strategies', 'thirds.mjs'), code);
  return { dir };
}

function config(snapshotEvery = 0): PortfolioConfig {
  return parsePortfolioConfig({
    id: 'mod',
    name: 'module strategy',
    capital: '100000',
    snapshotEvery,
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.3' },
      { id: 'mine', module: './strategies/thirds.mjs', allocation: '0.5' },
    ],
  });
}

const slices = [...syntheticSlices({ seed: 5, symbols: 2, bars: 40, start: '2023-01-02' })];

async function runInto(store: EventStore, cfg: PortfolioConfig, baseDir: string, upTo: number): Promise<Portfolio> {
  const p = await Portfolio.open({ store, config: cfg, baseDir });
  await p.run(from(slices.slice(0, upTo)));
  return p;
}

const hashesOf = async (store: EventStore): Promise<string[]> => (await readAllEvents(store)).map((e) => e.metadata.hash);

describe("a strategy module's code and the log", () => {
  it("PortfolioOpened records the SHA-256 of each module's entry file, keyed by strategy id; a built-in-only config records none", async () => {
    const { dir } = folderWith(V1);
    const store = await openEventStore('memory:');
    const p = await runInto(store, config(), dir, 1);
    p.close();
    const opened = (await readAllEvents(store))[0];
    expect(opened?.type).toBe('PortfolioOpened');
    expect((opened?.data as { moduleHashes?: unknown }).moduleHashes).toEqual({ mine: sha256(V1) });
    await store.close();

    const builtIn = await openEventStore('memory:');
    const q = await Portfolio.open({ store: builtIn, config: parsePortfolioConfig({ id: 'b', name: 'b', capital: '1000', strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }] }) });
    q.close();
    expect(Object.keys((await readAllEvents(builtIn))[0]?.data ?? {})).not.toContain('moduleHashes');
    await builtIn.close();
  });

  // This process keeps the module it imported first (node's cache), so the edited code is another file at the same
  // module path, as a checkout with the edit would hold it; editing in place between processes: cli.strategyAuthoring.
  it('a reopen with an edited module is refused before any slice, naming strategy, module, both hashes and what to do; restored, it resumes to the log of one run', async () => {
    const { dir } = folderWith(V1);
    const edited = folderWith(V2);
    const store = await openEventStore(dbUrl());
    (await runInto(store, config(), dir, 20)).close();
    const before = await hashesOf(store);

    const refused = await Portfolio.open({ store, config: config(), baseDir: edited.dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    const message = (refused as Error).message;
    expect(message).toContain('strategy mine');
    expect(message).toContain('./strategies/thirds.mjs');
    expect(message).toContain(`${sha256(V1).slice(0, 12)}…`);
    expect(message).toContain(`${sha256(V2).slice(0, 12)}…`);
    expect(message).toMatch(/restore the file/);
    expect(message).toMatch(/another store or under another portfolio id/);
    expect(message).not.toContain('\n');
    expect(await hashesOf(store)).toEqual(before);

    const resumed = await Portfolio.open({ store, config: config(), baseDir: dir });
    expect(resumed.resumed).toBe(true);
    expect(await resumed.run(from(slices))).toBe(slices.length - 20);
    resumed.close();
    const whole = await openEventStore('memory:');
    (await runInto(whole, config(), dir, slices.length)).close();
    expect(await hashesOf(store)).toEqual(await hashesOf(whole));
    await whole.close();
    await store.close();
  });

  it('a recovery snapshot does not let the check be skipped', async () => {
    const { dir } = folderWith(V1);
    const edited = folderWith(V2);
    const store = await openEventStore(dbUrl());
    (await runInto(store, config(5), dir, 20)).close();
    expect(await store.documents.get(SNAPSHOT_COLLECTION, portfolioStream('mod'))).not.toBeNull();

    await expect(Portfolio.open({ store, config: config(5), baseDir: edited.dir })).rejects.toThrow(/strategy mine's module \.\/strategies\/thirds\.mjs/);

    const resumed = await Portfolio.open({ store, config: config(5), baseDir: dir });
    expect(resumed.recovery.from).toBe('snapshot');
    resumed.close();
    await store.close();
  });

  it('a log written before module hashes were recorded still opens: there is nothing to compare', async () => {
    const { dir } = folderWith(V1);
    const edited = folderWith(V2);
    const written = await openEventStore('memory:');
    (await runInto(written, config(), dir, 10)).close();
    // The same log without the record, chained and hashed anew, as a version that did not record it wrote it.
    const pending = (await readAllEvents(written)).map((e) => {
      const data = e.type === 'PortfolioOpened' ? (({ moduleHashes: _dropped, ...rest }) => rest)(e.data) : e.data;
      return { event: { type: e.type, data } as DomainEvent, barTime: e.metadata.barTime };
    });
    await written.close();
    const { events } = sealEvents({ portfolioId: 'mod', nextRevision: 0, prevHash: GENESIS_HASH }, pending);
    const store = await openEventStore('memory:');
    await store.append(portfolioStream('mod'), events, { expectedRevision: 'no_stream' });

    const p = await Portfolio.open({ store, config: config(), baseDir: edited.dir });
    expect(p.resumed).toBe(true);
    expect(p.status().slices).toBe(10);
    p.close();
    await store.close();
  });

  it('strategies loaded by hand without their module hashes are refused: the check cannot be skipped that way either', async () => {
    const { dir } = folderWith(V1);
    const cfg = config();
    const loaded = await Portfolio.loadStrategies(cfg, { baseDir: dir });
    const store = await openEventStore('memory:');
    await expect(Portfolio.open({ store, config: cfg, baseDir: dir, loaded: { config: cfg, byId: loaded.byId } as typeof loaded })).rejects.toBeInstanceOf(StratafolioError);
    expect(await store.streamRevision(portfolioStream('mod'))).toBe('no_stream');
    await store.close();
  });
});
