// Long PostgreSQL reads: past one in-thread page a read asks how long it is, and a long one starts its read-ahead worker
// at once, ahead of the rows this thread reads; the events, their order and the errors are those of an in-thread read.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptEventError, openEventStore, portfolioStream, verifyChain, type ReadAheadOptions, type RecordedEvent } from '../events/index.js';
import { collect, collectUntilError } from './contract/eventStore.contract.js';
import { POSTGRES_URL, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';
import { genesis, sealBatch } from './fixtures/sampleEvents.js';

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('long PostgreSQL reads through the read-ahead worker');
} else {
  const base = POSTGRES_URL;
  describe('long PostgreSQL reads', () => {
    const schema = `readahead_${randomBytes(6).toString('hex')}`;
    const url = withSchema(base, schema);
    const admin = new pg.Client({ connectionString: base });
    // Rows read in-thread before the worker's first (the in-thread page holds 2 000, so the read asks after one page).
    const ahead: ReadAheadOptions = { afterRows: 2300, pageSize: 128 };
    const read = async <T>(readAhead: ReadAheadOptions | false, body: (store: Awaited<ReturnType<typeof openEventStore>>) => Promise<T>): Promise<T> => {
      const store = await openEventStore(url, { readAhead });
      try {
        return await body(store);
      } finally {
        await store.close();
      }
    };

    beforeAll(async () => {
      await admin.connect();
      // Two portfolios, interleaved: 'pa' holds 2 800 events, 'pb' 280.
      const store = await openEventStore(url);
      let a = genesis('pa');
      let b = genesis('pb');
      for (let n = 0; n < 14; n += 1) {
        const sa = sealBatch(a, n, 200);
        await store.append(portfolioStream('pa'), sa.events, { expectedRevision: n === 0 ? 'no_stream' : a.nextRevision - 1 });
        a = sa.head;
        const sb = sealBatch(b, n, 20);
        await store.append(portfolioStream('pb'), sb.events, { expectedRevision: n === 0 ? 'no_stream' : b.nextRevision - 1 });
        b = sb.head;
      }
      await store.close();
    });

    afterAll(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('readStream and readAll give the in-thread read\'s events, from the start or part-way', async () => {
      const inThread = await read(false, async (store) => ({
        stream: await collect(store.readStream(portfolioStream('pa'))),
        from: await collect(store.readStream(portfolioStream('pa'), { fromRevision: 300 })),
        all: await collect(store.readAll()),
        allFrom: await collect(store.readAll({ fromPosition: 150 })),
      }));
      expect(inThread.stream).toHaveLength(2800);
      expect(inThread.all).toHaveLength(3080);
      const worker = await read(ahead, async (store) => ({
        stream: await collect(store.readStream(portfolioStream('pa'))),
        from: await collect(store.readStream(portfolioStream('pa'), { fromRevision: 300 })),
        all: await collect(store.readAll()),
        allFrom: await collect(store.readAll({ fromPosition: 150 })),
      }));
      expect(worker).toEqual(inThread);
    });

    it('rows missing from a stream (a gap in its revisions, or whole pages of it) do not end a read early: the chain check names the gap', async () => {
      const all = await read(false, (store) => collect(store.readStream(portfolioStream('pa'))));
      // One row in the first in-thread page, all of a worker page (revisions 2 556 to 2 683) and more, and the last row.
      const missing = [1000, ...Array.from({ length: 145 }, (_, i) => 2556 + i), 2799];
      const removed = await admin.query<{ position: string; stream: string; revision: number; event_id: string; type: string; body: string; hash: string }>(
        `DELETE FROM "${schema}".events WHERE stream = $1 AND revision = ANY($2::int[]) RETURNING *`,
        [portfolioStream('pa'), missing],
      );
      try {
        const expected = all.filter((e) => !missing.includes(e.metadata.revision));
        for (const readAhead of [false, ahead] as const) {
          const events = await read(readAhead, (store) => collect(store.readStream(portfolioStream('pa'))));
          expect(events).toEqual(expected);
          expect(await verifyChain(events)).toMatchObject({ ok: false, revision: 1001 });
        }
      } finally {
        for (const r of removed.rows) {
          await admin.query(`INSERT INTO "${schema}".events (position, stream, revision, event_id, type, body, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
            r.position,
            r.stream,
            r.revision,
            r.event_id,
            r.type,
            r.body,
            r.hash,
          ]);
        }
      }
    });

    it('an altered row before or after the worker\'s first raises CorruptEventError there, after every row before it', async () => {
      const all = await read(false, (store) => collect(store.readStream(portfolioStream('pa'))));
      // Revision 2 100 is read in-thread; 2 700 by the worker.
      for (const revision of [2100, 2700]) {
        const bad = all[revision] as RecordedEvent;
        await admin.query(`UPDATE "${schema}".events SET body = replace(body, '187.25', '187.26') WHERE position = $1`, [bad.position]);
        try {
          const got = await read(ahead, (store) => collectUntilError(store.readStream(portfolioStream('pa'))));
          expect(got.events).toEqual(all.slice(0, revision));
          expect(got.error).toBeInstanceOf(CorruptEventError);
          expect((got.error as CorruptEventError).location).toEqual({ stream: bad.stream, revision, position: bad.position });
        } finally {
          await admin.query(`UPDATE "${schema}".events SET body = replace(body, '187.26', '187.25') WHERE position = $1`, [bad.position]);
        }
      }
    });
  });
}
