// Runs the EventStore contract against a real PostgreSQL (STRATAFOLIO_POSTGRES_URL), each test in a fresh schema.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreConfigError, StoreUnavailableError, openEventStore, parseStoreUrl, type ReadAheadOptions } from '../events/index.js';
import { eventStoreContract, type EventStoreHarness } from './contract/eventStore.contract.js';
import { POSTGRES_URL, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';

describe('PostgreSQL store URLs', () => {
  it('parses postgres:// and postgresql:// URLs, keeping the schema parameter for stratafolio', () => {
    expect(parseStoreUrl('postgres://u:p@db.example:5432/funds?schema=desk_a&sslmode=require')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db.example:5432/funds?sslmode=require',
      schema: 'desk_a',
    });
    expect(parseStoreUrl('postgresql://db/funds')).toMatchObject({ kind: 'postgres', schema: 'public' });
  });
  it('refuses a URL without a host or with a schema name it would have to quote', () => {
    expect(() => parseStoreUrl('postgres:///funds')).toThrow(StoreConfigError);
    expect(() => parseStoreUrl('postgres://db/funds?schema=Desk-A')).toThrow(/schema "Desk-A"/);
  });
  it('an unreachable server is a StoreUnavailableError naming the URL without its password', async () => {
    const error = await openEventStore('postgres://me:secret@127.0.0.1:1/none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain('postgres://me:***@127.0.0.1:1/none');
    expect((error as Error).message).not.toContain('secret');
  });
});

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('the EventStore contract on PostgreSQL');
} else {
  const base = POSTGRES_URL;
  const harness = (readAhead?: ReadAheadOptions) => async (): Promise<EventStoreHarness> => {
    const schema = `contract_${randomBytes(6).toString('hex')}`;
    const url = withSchema(base, schema);
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    return {
      open: () => openEventStore(url, { pollIntervalMs: 200, ...(readAhead ? { readAhead } : {}) }),
      rewrite: async (position, change) => {
        const found = await admin.query<{ body: string; hash: string }>(`SELECT body, hash FROM "${schema}".events WHERE position = $1`, [position]);
        const row = found.rows[0];
        if (!row) throw new Error(`no row at position ${position}`);
        const next = change(row);
        await admin.query(`UPDATE "${schema}".events SET body = $1, hash = $2 WHERE position = $3`, [next.body, next.hash, position]);
      },
      dispose: async () => {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  };
  eventStoreContract('postgres', harness());
  // The same contract with every read served by the read-ahead worker from its first row, two rows a page.
  eventStoreContract('postgres, reads through the read-ahead worker', harness({ afterRows: 0, pageSize: 2 }));
}
