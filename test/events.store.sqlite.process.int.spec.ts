// SQLite across processes: a SIGKILLed writer leaves whole batches and an intact chain; other processes' appends reach subscriptions; two processes race.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, portfolioStream, verifyChain, type RecordedEvent } from '../events/index.js';
import { collect } from './contract/eventStore.contract.js';
import { child, killChildren } from './fixtures/childScript.js';
import { batchOf, genesis, sealBatch } from './fixtures/sampleEvents.js';

const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function storeUrl(durability: 'full' | 'normal'): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-proc-'));
  dirs.push(dir);
  return `sqlite:${join(dir, 'store.db')}?durability=${durability}`;
}

describe('SQLite store across processes', () => {
  it('a writer SIGKILLed mid-stream (durability full) leaves an openable store with an intact chain, whole batches only, and every acknowledged batch', async () => {
    const url = storeUrl('full');
    const size = 5;
    const writer = child('appendLoop.ts', [url, String(size), '0']);
    await writer.waitFor((lines) => lines.filter((l) => l.startsWith('appended')).length >= 40);
    writer.proc.kill('SIGKILL');
    await writer.exited;
    const acknowledged = writer.lines.filter((l) => l.startsWith('appended')).length;

    const store = await openEventStore(url);
    try {
      const events = await collect(store.readStream(portfolioStream('child')));
      const verdict = await verifyChain(events);
      expect(verdict.ok).toBe(true);
      expect(events.length % size).toBe(0);
      const batches = events.length / size;
      expect(batches).toBeGreaterThanOrEqual(acknowledged);
      for (let b = 0; b < batches; b += 1) {
        expect(events.slice(b * size, (b + 1) * size).map(batchOf)).toEqual(Array(size).fill(b));
      }
      // The store stays writable after the crash: the next batch continues the chain.
      const last = events[events.length - 1];
      const head = last ? { portfolioId: 'child', nextRevision: last.metadata.revision + 1, prevHash: last.metadata.hash } : genesis('child');
      await store.append(portfolioStream('child'), sealBatch(head, batches, size).events, { expectedRevision: head.nextRevision - 1 });
    } finally {
      await store.close();
    }
  });

  it("a subscription sees another process's appends, every one, in order", async () => {
    const url = storeUrl('normal');
    const store = await openEventStore(url, { pollIntervalMs: 20 });
    try {
      const received: RecordedEvent[] = [];
      const total = 40 * 3;
      const done = new Promise<void>((resolve, reject) => {
        const sub = store.subscribe().subscribe({
          next: (e) => {
            received.push(e);
            if (received.length === total) {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      const writer = child('appendLoop.ts', [url, '3', '40', '3']);
      await done;
      expect(await writer.exited).toBe(0);
      expect(received.map((e) => e.metadata.revision)).toEqual(Array.from({ length: total }, (_, i) => i));
      expect((await verifyChain(received)).ok).toBe(true);
      const all = await collect(store.readAll());
      expect(received.map((e) => e.position)).toEqual(all.map((e) => e.position));
    } finally {
      await store.close();
    }
  });

  it('two processes racing to append at the same revision: exactly one wins, the other gets WrongExpectedRevisionError', async () => {
    const url = storeUrl('full');
    const seed = await openEventStore(url);
    await seed.append(portfolioStream('race'), sealBatch(genesis('race'), 0, 2).events, { expectedRevision: 'no_stream' });
    await seed.close();
    const a = child('appendOnce.ts', [url, '3']);
    const b = child('appendOnce.ts', [url, '-4']);
    await Promise.all([a.waitFor((l) => l.includes('ready')), b.waitFor((l) => l.includes('ready'))]);
    a.proc.stdin.write('go\n');
    b.proc.stdin.write('go\n');
    await Promise.all([a.exited, b.exited]);
    const outcomes = [a.lines, b.lines].map((l) => l.find((x) => x === 'won' || x.startsWith('lost')));
    expect(outcomes.sort()).toEqual(['lost WrongExpectedRevisionError', 'won']);

    const store = await openEventStore(url);
    try {
      const events = await collect(store.readStream(portfolioStream('race')));
      expect(events).toHaveLength(4);
      const winner = a.lines.includes('won') ? '3' : '-4';
      expect(events.slice(2).map((e) => (e.type === 'FillRecorded' ? e.data.quantity : null))).toEqual([winner, winner]);
      expect((await verifyChain(events)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
