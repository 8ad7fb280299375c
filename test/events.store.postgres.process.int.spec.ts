// PostgreSQL across processes: concurrent writers with a reader following both, a writer killed mid-append,
// and a live subscription that outlives a server restart.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, portfolioStream, verifyChain, type EventStore, type RecordedEvent } from '../events/index.js';
import { collect } from './contract/eventStore.contract.js';
import { child, killChildren } from './fixtures/childScript.js';
import { POSTGRES_URL, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';
import { batchOf, sealBatch } from './fixtures/sampleEvents.js';

const script = fileURLToPath(new URL('../scripts/test-postgres.sh', import.meta.url));
const schemas: { base: string; schema: string }[] = [];

afterEach(async () => {
  killChildren();
  for (const { base, schema } of schemas.splice(0)) {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
});

/** A URL to a fresh schema on `base`, dropped after the test. */
function freshUrl(base: string): string {
  const schema = `proc_${randomBytes(6).toString('hex')}`;
  schemas.push({ base, schema });
  return withSchema(base, schema);
}

/** Every appended event's position, stream and revision as the follower printed them. */
function followed(lines: readonly string[]): { position: number; stream: string; revision: number }[] {
  return lines
    .filter((l) => l.startsWith('event '))
    .map((l) => {
      const [, position, stream, revision] = l.split(' ');
      return { position: Number(position), stream: String(stream), revision: Number(revision) };
    });
}

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('PostgreSQL across processes (concurrent writers, killed writer, server restart)');
} else {
  const base = POSTGRES_URL;
  describe('PostgreSQL store across processes', () => {
    it('two processes append to different portfolios at once; a third follows both and misses nothing, in position order', async () => {
      const url = freshUrl(base);
      // Created first so the follower and both writers meet an existing schema.
      await (await openEventStore(url)).close();
      const size = 4;
      const batches = 60;
      const total = 2 * size * batches;
      const follower = child('followAll.ts', [url, String(total)]);
      await follower.waitFor((l) => l.includes('ready'));
      // Both writers wait at a gate and pause a little between batches, so their appends overlap however the
      // scheduler starts the two processes.
      const a = child('appendLoop.ts', [url, String(size), String(batches), '2', 'alpha', 'gated']);
      const b = child('appendLoop.ts', [url, String(size), String(batches), '2', 'beta', 'gated']);
      await Promise.all([a.waitFor((l) => l.includes('ready')), b.waitFor((l) => l.includes('ready'))]);
      a.proc.stdin.write('go\n');
      b.proc.stdin.write('go\n');
      expect(await a.exited).toBe(0);
      expect(await b.exited).toBe(0);
      await follower.waitFor((l) => l.includes('done'));
      const seen = followed(follower.lines);
      // Positions are contiguous and delivered once each, in order, although the writers committed interleaved.
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      for (const p of ['alpha', 'beta']) {
        expect(seen.filter((e) => e.stream === portfolioStream(p)).map((e) => e.revision)).toEqual(Array.from({ length: size * batches }, (_, i) => i));
      }
      // The two writers really ran at once: their batches interleave in the log.
      const switches = seen.filter((e, i) => i > 0 && e.stream !== seen[i - 1]?.stream).length;
      expect(switches).toBeGreaterThan(2);
      const store = await openEventStore(url);
      try {
        for (const p of ['alpha', 'beta']) expect((await verifyChain(await collect(store.readStream(portfolioStream(p))))).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('a writer SIGKILLed mid-append leaves whole batches, an intact chain, contiguous positions, and a log the next writer continues', async () => {
      const url = freshUrl(base);
      const size = 5;
      const writer = child('appendLoop.ts', [url, String(size), '0']);
      await writer.waitFor((lines) => lines.filter((l) => l.startsWith('appended')).length >= 40);
      writer.proc.kill('SIGKILL');
      await writer.exited;
      const acknowledged = writer.lines.filter((l) => l.startsWith('appended')).length;
      const store = await openEventStore(url);
      try {
        const events = await collect(store.readStream(portfolioStream('child')));
        expect((await verifyChain(events)).ok).toBe(true);
        expect(events.length % size).toBe(0);
        const stored = events.length / size;
        expect(stored).toBeGreaterThanOrEqual(acknowledged);
        for (let n = 0; n < stored; n += 1) expect(events.slice(n * size, (n + 1) * size).map(batchOf)).toEqual(Array(size).fill(n));
        // A rolled-back append leaves no hole in the positions.
        expect(events.map((e) => e.position)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
        const next = child('appendLoop.ts', [url, String(size), String(stored + 3)]);
        expect(await next.exited).toBe(0);
        const after = await collect(store.readStream(portfolioStream('child')));
        expect(after.length).toBe((stored + 3) * size);
        expect((await verifyChain(after)).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    const hasServerBinaries = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').length > 0;
    (hasServerBinaries ? it : it.skip)(
      'a live subscription survives a server restart: it reconnects and resumes without gap or duplicate (own throwaway cluster)',
      async () => {
        // Its own cluster, so restarting it cannot disturb the suites running beside it.
        const port = 55000 + Math.floor(Math.random() * 4000);
        const env = { ...process.env, STRATAFOLIO_PG_STATE: `/tmp/stratafolio-restart-${port}.state` };
        const started = execFileSync('bash', [script, 'start', String(port)], { env }).toString();
        const ownBase = /STRATAFOLIO_POSTGRES_URL=(\S+)/.exec(started)?.[1] ?? '';
        let store: EventStore | undefined;
        try {
          const url = withSchema(ownBase, 'restart');
          store = await openEventStore(url, { pollIntervalMs: 100, reconnectTimeoutMs: 30_000 });
          const size = 5;
          const total = 40 * size;
          const received: RecordedEvent[] = [];
          let failure: unknown = null;
          const done = new Promise<void>((resolve) => {
            const sub = (store as EventStore).subscribe().subscribe({
              next: (e) => {
                received.push(e);
                if (received.length === total) {
                  sub.unsubscribe();
                  resolve();
                }
              },
              error: (e: unknown) => {
                failure = e;
                resolve();
              },
            });
          });
          const first = child('appendLoop.ts', [url, String(size), '20']);
          expect(await first.exited).toBe(0);
          while (received.length < 20 * size && failure === null) await new Promise((r) => setTimeout(r, 20));
          execFileSync('bash', [script, 'restart'], { env });
          const second = child('appendLoop.ts', [url, String(size), '40']);
          expect(await second.exited).toBe(0);
          await done;
          expect(failure).toBeNull();
          expect(received.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
          expect((await verifyChain(received)).ok).toBe(true);
          // Once back, it is live again: an append from this process arrives too.
          const last = received[received.length - 1] as RecordedEvent;
          const more = new Promise<RecordedEvent>((resolve) => {
            const sub = (store as EventStore).subscribe({ fromPosition: total + 1 }).subscribe((e) => {
              sub.unsubscribe();
              resolve(e);
            });
          });
          await store.append(portfolioStream('child'), sealBatch({ portfolioId: 'child', nextRevision: total, prevHash: last.metadata.hash }, 40, size).events, {
            expectedRevision: total - 1,
          });
          expect((await more).position).toBe(total + 1);
        } finally {
          await store?.close();
          execFileSync('bash', [script, 'stop'], { env });
        }
      },
    );
  });
}
