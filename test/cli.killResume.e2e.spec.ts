// A backtest killed with SIGKILL at seeded random moments and resumed each time with the same command ends with a log byte-identical to an uninterrupted run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runBinary, startBinary } from './fixtures/binaryRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-kill-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = {
  id: 'kr',
  name: 'kill and resume',
  capital: '250000',
  strategies: [
    { id: 'bh', kind: 'buy-and-hold', allocation: '0.3' },
    { id: 'tf', kind: 'trend-following', allocation: '0.3', params: { fast: 5, slow: 15 } },
    { id: 'mr', kind: 'mean-reversion', allocation: '0.3', params: { lookback: 10, entryZ: 1.0, exitZ: 0.25 } },
  ],
  execution: { commission: { kind: 'per-share', perShare: '0.005', minimum: '1' } },
  rebalancing: {
    algorithm: 'risk-parity',
    params: { method: 'equal-risk-contribution', lookback: 20 },
    constraints: { defaultMin: 0.05, defaultMax: 0.5, maxTotal: 0.95 },
    frequency: 'monthly',
    cooldownDays: 5,
    driftThreshold: 0.1,
  },
  lookback: 30,
  durability: 'normal',
  snapshotEvery: 40,
};

/** Every stored event row, all columns: what byte-identical logs must share. */
function rowsOf(path: string): unknown[][] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT position, stream, revision, event_id, type, body, hash FROM events ORDER BY position').raw(true).all() as unknown[][];
  } finally {
    db.close();
  }
}

/** Events stored so far (0 before the file exists), read on a connection of its own as another process would. */
function storedEvents(path: string): number {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded generator (mulberry32), so the kill moments are the same on every run of the test. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SIGKILL and resume through bin/stratafolio.js', () => {
  it('killed at ten or more random moments and resumed with the same command, the log ends byte-identical to an uninterrupted run', async () => {
    const bars = join(scratch, 'bars.csv');
    const configPath = join(scratch, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    await writeLongCsv(bars, syntheticSlices({ seed: 11, symbols: 5, bars: 600, start: '2019-01-07' }));
    const command = (db: string): string[] => ['backtest', '--config', configPath, '--bars', bars, '--store', `sqlite:${db}`, '--json'];

    const reference = join(scratch, 'reference.db');
    const whole = await runBinary(command(reference));
    expect(whole.code).toBe(0);
    const expected = rowsOf(reference);

    const resumed = join(scratch, 'resumed.db');
    const random = seeded(20240611);
    // Twelve kill points: event counts drawn at random over the run, in order; each run is killed once the log holds at
    // least that many events (one of them before the first append: the moment the store is opened).
    const targets = [0, ...Array.from({ length: 11 }, () => 1 + Math.floor(random() * (expected.length - 2)))].sort((a, b) => a - b);
    const killedAt: number[] = [];
    for (const target of targets) {
      const { child, done } = startBinary(command(resumed));
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited && storedEvents(resumed) < target) await sleep(5);
      child.kill('SIGKILL');
      const r = await done;
      expect(r.signal === 'SIGKILL' || r.code === 0).toBe(true);
      if (r.signal === 'SIGKILL') killedAt.push(storedEvents(resumed));
    }
    expect(killedAt.length).toBeGreaterThanOrEqual(10);
    // The kills landed at different points of the run, and before its end.
    expect(new Set(killedAt).size).toBeGreaterThanOrEqual(8);
    expect(Math.max(...killedAt)).toBeLessThan(expected.length);
    const last = await runBinary(command(resumed));
    expect(last.err).toBe('');
    expect(last.code).toBe(0);
    const actual = rowsOf(resumed);
    expect(actual.length).toBe(expected.length);
    expect(actual).toEqual(expected);
  }, 120_000);
});
