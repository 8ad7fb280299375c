// audit --verify checks every payload against its schema, which reads skip for current-version rows whose hash matches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLog, canonicalJson, createMemoryEventStore, openEventStore, sha256Hex, verifyPortfolioLog, type EventStore } from '../src/index.js';
import { STREAM, appendBatches, fixtureBatches } from './projections.fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store holding the fixture, and a way to rewrite a stored body (with its hash) behind the store's back. */
interface Subject {
  readonly store: EventStore;
  rewrite(position: number, change: (body: string) => string): Promise<void>;
}

const subjects: Record<string, () => Promise<Subject>> = {
  memory: async () => {
    const log = new MemoryLog();
    const store = createMemoryEventStore({ log });
    await appendBatches(store, fixtureBatches());
    return {
      store,
      rewrite: async (position, change) => {
        const row = log.rows[position - 1];
        if (!row) throw new Error(`no row at position ${position}`);
        row.body = change(row.body);
        row.hash = sha256Hex(row.body);
      },
    };
  },
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratafolio-verify-'));
    dirs.push(dir);
    const file = join(dir, 'log.db');
    const store = await openEventStore(`sqlite:${file}`);
    await appendBatches(store, fixtureBatches());
    return {
      store,
      rewrite: async (position, change) => {
        const raw = new Database(file);
        try {
          const row = raw.prepare<[number], { body: string }>('SELECT body FROM events WHERE position = ?').get(position);
          if (!row) throw new Error(`no row at position ${position}`);
          const body = change(row.body);
          raw.prepare('UPDATE events SET body = ?, hash = ? WHERE position = ?').run(body, sha256Hex(body), position);
        } finally {
          raw.close();
        }
      },
    };
  },
};

for (const [adapter, open] of Object.entries(subjects)) {
  describe(`audit verification of payloads (${adapter})`, () => {
    it('names the first event whose payload breaks its schema though its hash matches, before any chain or ledger check', async () => {
      const { store, rewrite } = await open();
      try {
        // Revision 7 (position 8) is a's buy of 10 X @ 50: its price becomes a number, and the row is rehashed.
        await rewrite(8, (body) => {
          expect(body).toContain('"price":"50"');
          return body.replace('"price":"50"', '"price":50');
        });
        const v = await verifyPortfolioLog(store, STREAM);
        expect(v).toMatchObject({ ok: false, check: 'decode', revision: 7, position: 8 });
        expect(v.ok ? '' : v.reason).toMatch(/^FillRecorded violates its schema: price/);
      } finally {
        await store.close();
      }
    });

    it('names an unknown member added to a payload (strict schemas), even when the data keeps canonical form', async () => {
      const { store, rewrite } = await open();
      try {
        await rewrite(8, (body) => {
          const event = JSON.parse(body) as { data: Record<string, unknown> };
          event.data['extra'] = 'x';
          return canonicalJson(event);
        });
        const v = await verifyPortfolioLog(store, STREAM);
        expect(v).toMatchObject({ ok: false, check: 'decode', revision: 7, position: 8 });
        expect(v.ok ? '' : v.reason).toMatch(/FillRecorded violates its schema/);
      } finally {
        await store.close();
      }
    });

    it('passes the intact log', async () => {
      const { store } = await open();
      try {
        expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: true, events: 16 });
      } finally {
        await store.close();
      }
    });
  });
}
