// The store benchmark beside its peer: our SQLite and PostgreSQL stores (and KurrentDB when configured) against Emmett's
// event store on the same backend, scenario by scenario: durable appends at batch 1, 100 and 1000; read + decode
// (+ verify, for ours); subscription catch-up; bytes per event. Emmett is installed at bench time into
// bench/.emmett/ (never a dependency of stratafolio), so `npm ci` and CI stay lean.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  ChainVerifier,
  GENESIS_HASH,
  domainEvent,
  openEventStore,
  portfolioStream,
  sealEvents,
  type ChainHead,
  type DomainEvent,
  type EventStore,
} from '../events/index.js';

export const name = 'storeComparison';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Emmett's packages per backend. emmett-sqlite 0.42.4 asks for @event-driven-io/emmett 0.42.4 as a peer, which the
 * registry does not serve; 0.42.0 is the newest emmett it has, so SQLite installs that with --legacy-peer-deps and
 * names emmett's own peers (uuid, async-retry, commander) explicitly.
 */
const EMMETT = {
  sqlite: {
    folder: 'sqlite',
    packages: ['@event-driven-io/emmett@0.42.0', '@event-driven-io/emmett-sqlite@0.42.4', 'sqlite3@5.1.7', 'uuid@10', 'async-retry@1', 'commander@12'],
    flags: ['--legacy-peer-deps'],
    main: '@event-driven-io/emmett-sqlite',
  },
  postgres: { folder: 'postgresql', packages: ['@event-driven-io/emmett@0.42.0', '@event-driven-io/emmett-postgresql@0.42.0'], flags: [], main: '@event-driven-io/emmett-postgresql' },
} as const;

/** Events per scenario: batch size → events appended. Small batches are bound by one durable commit each. */
const APPEND_SCENARIOS: readonly { batch: number; events: Record<Backend, number> }[] = [
  { batch: 1, events: { sqlite: 1000, postgres: 1000, kurrentdb: 500 } },
  { batch: 100, events: { sqlite: 20_000, postgres: 20_000, kurrentdb: 10_000 } },
  { batch: 1000, events: { sqlite: 100_000, postgres: 100_000, kurrentdb: 20_000 } },
];

type Backend = 'sqlite' | 'postgres' | 'kurrentdb';

/** A minimal view of the Emmett store API the scenarios use. */
interface EmmettStore {
  appendToStream(stream: string, events: { type: string; data: unknown }[], options?: { expectedStreamVersion?: bigint }): Promise<{ nextExpectedStreamVersion: bigint }>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
  consumer(options: Record<string, unknown>): {
    processor?: (options: Record<string, unknown>) => unknown;
    reactor?: (options: Record<string, unknown>) => unknown;
    start(): Promise<void>;
    close?(): Promise<void>;
  };
  close?(): Promise<void>;
}

/** The fill a strategy slice writes most; ours is sealed (hash-chained), Emmett's is the same type and data. */
function fillAt(n: number): DomainEvent {
  return domainEvent('FillRecorded', {
    orderId: `o-${n}`,
    strategyId: `strategy-${n % 4}`,
    symbol: `SYM${n % 7}`,
    quantity: n % 2 === 0 ? '125' : '-40',
    price: `${100 + (n % 50)}.${(n * 37) % 100}1`,
    commission: '1.25',
    slippage: '0.0375',
  });
}

interface Figures {
  [scenario: string]: number | null;
}

/** Appends `events` events to one stream of our store in batches of `batch`; events per second. */
async function oursAppend(store: EventStore, stream: string, batch: number, events: number): Promise<number> {
  const portfolioId = stream.slice('portfolio-'.length);
  let head: ChainHead = { portfolioId, nextRevision: 0, prevHash: GENESIS_HASH };
  let ms = 0;
  for (let n = 0; n < events; n += batch) {
    const pending = Array.from({ length: Math.min(batch, events - n) }, (_, i) => ({ event: fillAt(n + i), barTime: null }));
    const sealed = sealEvents(head, pending);
    const t0 = performance.now();
    await store.append(stream, sealed.events, { expectedRevision: head.nextRevision === 0 ? 'no_stream' : head.nextRevision - 1 });
    ms += performance.now() - t0;
    head = sealed.head;
  }
  return Math.round(events / (ms / 1000));
}

async function theirsAppend(store: EmmettStore, stream: string, batch: number, events: number): Promise<number> {
  let version: bigint | undefined;
  let ms = 0;
  for (let n = 0; n < events; n += batch) {
    const pending = Array.from({ length: Math.min(batch, events - n) }, (_, i) => {
      const e = fillAt(n + i);
      return { type: e.type, data: e.data };
    });
    const t0 = performance.now();
    const result = await store.appendToStream(stream, pending, version === undefined ? {} : { expectedStreamVersion: version });
    ms += performance.now() - t0;
    version = result.nextExpectedStreamVersion;
  }
  return Math.round(events / (ms / 1000));
}

/**
 * The read scenario does not time the same work on both sides; this is printed with the figures and kept in the results.
 */
const READ_SCENARIO =
  'readVerifyEventsPerSec times different work on the two sides. Ours: the stream read in pages (flat memory), every body checked ' +
  'against its stored SHA-256 hash, the envelope decoded, and the chain (revision, prevHash, deterministic event id) checked by the ' +
  'bench. On SQLite the read moves past 20 000 rows to a worker thread that fetches and hashes while the reading thread decodes (two ' +
  'cores; the worker\'s start is timed); on PostgreSQL it stays on one thread (the worker is for reads of over 250 000 rows) while the ' +
  'server reads the next page. Emmett: one query for the whole stream (all of it in memory at once), its JSON parsed, no integrity ' +
  'check; its first call on a new store object also checks its schema (timed).';

/** Reads one stream back: ours decodes, checks every stored hash and the chain; Emmett's parses (see READ_SCENARIO). Events per second. */
async function oursRead(store: EventStore, stream: string): Promise<number> {
  const t0 = performance.now();
  const verifier = new ChainVerifier();
  let n = 0;
  for await (const e of store.readStream(stream)) {
    if (!verifier.push(e)) throw new Error(`bench: chain broken at ${e.metadata.revision}`);
    n += 1;
  }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

async function theirsRead(store: EmmettStore, stream: string): Promise<number> {
  const t0 = performance.now();
  const { events } = await store.readStream(stream);
  return Math.round(events.length / ((performance.now() - t0) / 1000));
}

/** A subscription from the start of the log until it has delivered `total` events; events per second. */
async function oursCatchUp(store: EventStore, total: number): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let n = 0;
    const sub = store.subscribe().subscribe({
      next: () => {
        n += 1;
        if (n === total) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  return Math.round(total / ((performance.now() - t0) / 1000));
}

/** Emmett's consumer with one processor from the beginning, stopped after `total` messages. */
async function theirsCatchUp(store: EmmettStore, total: number, backend: 'sqlite' | 'postgres'): Promise<number> {
  let n = 0;
  const consumer = store.consumer(backend === 'sqlite' ? { pulling: { batchSize: 1000 } } : { pulling: { batchSize: 1000 }, stopWhen: { noMessagesLeft: true } });
  const options = {
    processorId: `bench-${Date.now()}`,
    startFrom: 'BEGINNING',
    eachMessage: async () => {
      n += 1;
    },
    stopAfter: () => n >= total,
  };
  if (backend === 'sqlite') consumer.processor?.(options);
  else consumer.reactor?.(options);
  const t0 = performance.now();
  await consumer.start();
  const seconds = (performance.now() - t0) / 1000;
  await consumer.close?.();
  if (n < total) throw new Error(`Emmett's consumer delivered ${n} of ${total} events`);
  return Math.round(total / seconds);
}

/** Installs Emmett's packages for `backend` into bench/.emmett/<folder> (once) and imports its main module. */
async function loadEmmett(backend: 'sqlite' | 'postgres'): Promise<{ module: Record<string, unknown>; version: string; require: NodeJS.Require }> {
  const spec = EMMETT[backend];
  const folder = join(repoRoot, 'bench', '.emmett', spec.folder);
  if (!existsSync(join(folder, 'node_modules', spec.main, 'package.json'))) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `emmett-bench-${spec.folder}`, private: true }));
    process.stderr.write(`bench: installing ${spec.packages.join(' ')} into ${folder}…\n`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...spec.flags, ...spec.packages], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const require = createRequire(join(folder, 'package.json'));
  const version = (JSON.parse(readFileSync(join(folder, 'node_modules', spec.main, 'package.json'), 'utf8')) as { version: string }).version;
  return { module: (await import(pathToFileURL(require.resolve(spec.main)).href)) as Record<string, unknown>, version, require };
}

/** A PostgreSQL for the bench: STRATAFOLIO_POSTGRES_URL, or a throwaway cluster from scripts/test-postgres.sh. */
function postgresServer(): { url: string; stop(): void } | null {
  const given = process.env.STRATAFOLIO_POSTGRES_URL;
  if (given) return { url: given, stop: () => undefined };
  const script = join(repoRoot, 'scripts', 'test-postgres.sh');
  const env = { ...process.env, STRATAFOLIO_PG_STATE: join(tmpdir(), `stratafolio-bench-pg-${process.pid}.state`) };
  try {
    const out = execFileSync('bash', [script, 'start', '54399'], { env }).toString();
    const url = /STRATAFOLIO_POSTGRES_URL=(\S+)/.exec(out)?.[1];
    if (!url) return null;
    return { url, stop: () => execFileSync('bash', [script, 'stop'], { env }) };
  } catch {
    return null;
  }
}

/** A fresh database on the server (so its size is the store's alone), with a URL to it. */
async function freshDatabase(serverUrl: string, dbName: string): Promise<{ url: string; bytes(): Promise<number>; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const size = async (): Promise<number> => Number((await admin.query<{ s: string }>('SELECT pg_database_size($1) AS s', [dbName])).rows[0]?.s ?? 0);
  const empty = await size();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  return {
    url: url.toString(),
    bytes: async () => {
      await admin.query('CHECKPOINT');
      return (await size()) - empty;
    },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Both sides of one backend: ours at `url`, Emmett's through `emmett` (null when it could not be loaded). */
interface Sides {
  readonly url: string;
  readonly oursBytes: () => Promise<number>;
  readonly emmett: (() => EmmettStore) | null;
  readonly emmettBytes: () => Promise<number>;
}

/**
 * Runs every scenario on both sides, ours then Emmett's scenario by scenario, so that a change in the machine's load
 * falls on both. An Emmett scenario that fails three times is left out and its error kept; the others still run.
 */
async function runBoth(sides: Sides, backend: Backend): Promise<{ ours: Figures; emmett: Figures | null; emmettError?: string; emmettRetries?: string[] }> {
  const ours: Figures = {};
  const emmett: Figures = {};
  let emmettError: string | undefined;
  const emmettRetries: string[] = [];
  // An Emmett scenario that fails is tried up to three times (an append on a fresh stream each time) and every failure
  // is reported.
  const theirs = async (key: string, run: (es: EmmettStore, attempt: number) => Promise<number>): Promise<void> => {
    if (sides.emmett === null) return;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const es = sides.emmett();
      try {
        emmett[key] = await run(es, attempt);
        return;
      } catch (e) {
        emmettRetries.push(`${key}, attempt ${attempt + 1}: ${(e as Error).message}`);
      } finally {
        await es.close?.().catch(() => undefined);
      }
    }
    // The scenario is left out (n/a); the others still run.
    emmettError = `${emmettError === undefined ? '' : `${emmettError}; `}${key} failed 3 times: ${emmettRetries[emmettRetries.length - 1] ?? ''}`;
  };
  let total = 0;
  let theirTotal = 0;
  let biggest = '';
  let theirBiggest = '';
  for (const s of APPEND_SCENARIOS) {
    const events = s.events[backend];
    const key = `appendBatch${s.batch}EventsPerSec`;
    const stream = portfolioStream(`b${s.batch}`);
    const store = await openEventStore(sides.url, { durability: 'full' });
    ours[key] = await oursAppend(store, stream, s.batch, events);
    await store.close();
    await theirs(key, async (es, attempt) => {
      // A failed attempt may have left part of its stream behind; the events it wrote still count for catch-up.
      const theirStream = attempt === 0 ? stream : `${stream}-retry${attempt}`;
      theirTotal += events;
      const rate = await theirsAppend(es, theirStream, s.batch, events);
      theirBiggest = theirStream;
      return rate;
    });
    total += events;
    biggest = stream;
  }
  const store = await openEventStore(sides.url);
  ours.readVerifyEventsPerSec = await oursRead(store, biggest);
  if (theirBiggest !== '') await theirs('readVerifyEventsPerSec', (es) => theirsRead(es, theirBiggest));
  ours.catchUpEventsPerSec = await oursCatchUp(store, total);
  await store.close();
  // Emmett's catch-up is stopped after as many events as ours delivered (a failed attempt's partial stream adds some).
  if (backend !== 'kurrentdb') await theirs('catchUpEventsPerSec', (es) => theirsCatchUp(es, total, backend));
  ours.bytesPerEvent = Math.round((await sides.oursBytes()) / total);
  if (sides.emmett !== null && theirTotal > 0) emmett.bytesPerEvent = Math.round((await sides.emmettBytes()) / theirTotal);
  return {
    ours,
    emmett: sides.emmett === null ? null : emmett,
    ...(emmettError !== undefined ? { emmettError } : {}),
    ...(emmettRetries.length > 0 ? { emmettRetries } : {}),
  };
}

/** ours ÷ theirs for each figure (throughputs: above 1 means ours is faster; bytes: below 1 means ours is smaller). */
function ratios(ours: Figures, theirs: Figures | null): Figures {
  const out: Figures = {};
  for (const key of Object.keys(ours)) {
    const a = ours[key];
    const b = theirs?.[key];
    out[key] = a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Number((a / b).toFixed(2));
  }
  return out;
}

/** The bench's result on one backend; `emmettError` says exactly what failed when Emmett could not run. */
interface BackendResult {
  ours: Figures;
  emmett: Figures | null;
  emmettVersion?: string;
  emmettError?: string;
  emmettRetries?: string[];
  oursOverEmmett: Figures;
}

/** One backend's result from its scenarios, the Emmett version loaded and why Emmett could not be loaded, if so. */
function backendResult(r: Awaited<ReturnType<typeof runBoth>>, version: string | undefined, loadError: string | undefined): BackendResult {
  const emmettError = loadError ?? r.emmettError;
  return {
    ours: r.ours,
    emmett: r.emmett,
    ...(version ? { emmettVersion: version } : {}),
    ...(emmettError ? { emmettError } : {}),
    ...(r.emmettRetries ? { emmettRetries: r.emmettRetries } : {}),
    oursOverEmmett: ratios(r.ours, r.emmett),
  };
}

/** The part of the `sqlite3` package the connection below uses. */
interface Sqlite3Module {
  Database: new (file: string) => Sqlite3Database;
}
/** What a statement run reports (Emmett's checkpoint code reads `changes`). */
interface RunResult {
  readonly changes: number;
  readonly lastID: number;
}
interface Sqlite3Database {
  serialize(): void;
  run(sql: string, params: unknown[], done: (this: RunResult, err: Error | null) => void): void;
  all(sql: string, params: unknown[], done: (err: Error | null, rows: unknown[]) => void): void;
  get(sql: string, params: unknown[], done: (err: Error | null, row: unknown) => void): void;
  close(): void;
}

/**
 * One long-lived connection for Emmett's SQLite store, its statements serialised. By default Emmett opens a
 * connection per operation and does not wait for its `PRAGMA journal_mode = WAL`; in sqlite3's parallel mode that
 * races with the append's own statements, and on this machine most runs died within 1,000 single-event appends with
 * SQLITE_BUSY ("cannot commit transaction - SQL statements in progress") or "cannot change into wal mode from within a
 * transaction". Given this connection (its documented `connectionOptions.connection`), Emmett's SQL, schema and
 * transactions are its own and nothing fails; one open connection is also its fastest setup, as ours is.
 */
function serialisedConnection(sqlite3: Sqlite3Module, fileName: string): Record<string, unknown> {
  const db = new sqlite3.Database(fileName);
  db.serialize();
  const run = (sql: string, params: unknown[] = []): Promise<RunResult> =>
    new Promise((resolve, reject) =>
      db.run(sql, params, function (this: RunResult, err) {
        if (err) reject(err);
        else resolve(this);
      }),
    );
  void run('PRAGMA journal_mode = WAL');
  let nesting = 0;
  return {
    close: () => db.close(),
    command: run,
    batchCommand: async (sqls: string[]) => {
      for (const sql of sqls) await run(sql);
    },
    query: (sql: string, params?: unknown[]) => new Promise((resolve, reject) => db.all(sql, params ?? [], (err, rows) => (err ? reject(err) : resolve(rows)))),
    querySingle: (sql: string, params?: unknown[]) => new Promise((resolve, reject) => db.get(sql, params ?? [], (err, row) => (err ? reject(err) : resolve(row)))),
    // Emmett's own nesting rule: only the outermost call begins and commits.
    withTransaction: async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        if (nesting++ === 0) await run('BEGIN IMMEDIATE TRANSACTION');
        const result = await fn();
        if (nesting === 1) await run('COMMIT');
        nesting -= 1;
        return result;
      } catch (err) {
        if (--nesting === 0) await run('ROLLBACK');
        throw err;
      }
    },
  };
}

async function sqliteBench(): Promise<BackendResult> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-storecmp-'));
  try {
    const oursFile = join(dir, 'ours.db');
    const theirFile = join(dir, 'emmett.db');
    let emmett: (() => EmmettStore) | null = null;
    let loadError: string | undefined;
    let version: string | undefined;
    try {
      const loaded = await loadEmmett('sqlite');
      version = loaded.version;
      const get = loaded.module.getSQLiteEventStore as (o: Record<string, unknown>) => EmmettStore;
      const sqlite3 = loaded.require('sqlite3') as Sqlite3Module;
      emmett = () => get({ fileName: theirFile, schema: { autoMigration: 'CreateOrUpdate' }, connectionOptions: { connection: serialisedConnection(sqlite3, theirFile), singleton: true } });
    } catch (e) {
      loadError = `Emmett not run: ${(e as Error).message}`;
    }
    const r = await runBoth({ url: `sqlite:${oursFile}`, oursBytes: async () => fileBytes(oursFile), emmett, emmettBytes: async () => fileBytes(theirFile) }, 'sqlite');
    return backendResult(r, version, loadError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fileBytes(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-journal']) if (existsSync(file + suffix)) total += statSync(file + suffix).size;
  return total;
}

async function postgresBench(server: string): Promise<BackendResult> {
  const oursDb = await freshDatabase(server, 'stratafolio_bench_ours');
  const theirDb = await freshDatabase(server, 'stratafolio_bench_emmett');
  try {
    let emmett: (() => EmmettStore) | null = null;
    let loadError: string | undefined;
    let version: string | undefined;
    try {
      const loaded = await loadEmmett('postgres');
      version = loaded.version;
      const get = loaded.module.getPostgreSQLEventStore as (url: string) => EmmettStore;
      emmett = () => get(theirDb.url);
    } catch (e) {
      loadError = `could not install or load Emmett: ${(e as Error).message}`;
    }
    const r = await runBoth({ url: oursDb.url, oursBytes: oursDb.bytes, emmett, emmettBytes: theirDb.bytes }, 'postgres');
    return backendResult(r, version, loadError);
  } finally {
    await oursDb.drop();
    await theirDb.drop();
  }
}

/** Runs the comparison and returns its figures; a table of them goes to stderr. */
export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const table: string[][] = [];
  const addRows = (backend: string, r: BackendResult): void => {
    for (const key of Object.keys(r.ours)) {
      table.push([backend, key, String(r.ours[key]), String(r.emmett?.[key] ?? 'n/a'), String(r.oursOverEmmett[key] ?? 'n/a')]);
    }
  };
  const sqlite = await sqliteBench();
  results.sqlite = sqlite;
  addRows('sqlite', sqlite);
  const server = postgresServer();
  if (server) {
    try {
      const postgres = await postgresBench(server.url);
      results.postgres = postgres;
      addRows('postgres', postgres);
    } finally {
      server.stop();
    }
  } else {
    results.postgres = { skipped: 'no PostgreSQL: set STRATAFOLIO_POSTGRES_URL or install the server (apt-get install postgresql)' };
  }
  const kurrent = process.env.STRATAFOLIO_KURRENTDB_URL;
  if (kurrent) {
    const namespace = `bench_${process.pid}`;
    const url = `${kurrent}${kurrent.includes('?') ? '&' : '?'}namespace=${namespace}`;
    const { ours } = await runBoth({ url, oursBytes: async () => Number.NaN, emmett: null, emmettBytes: async () => Number.NaN }, 'kurrentdb');
    ours.bytesPerEvent = null;
    results.kurrentdb = { ours, emmett: null, emmettError: 'not compared: this bench runs Emmett on SQLite and PostgreSQL only' };
  } else {
    results.kurrentdb = { skipped: 'STRATAFOLIO_KURRENTDB_URL is not set' };
  }
  results.readScenario = READ_SCENARIO;
  const widths = [8, 26, 10, 10, 8];
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 8)).join(' ');
  process.stderr.write(`${[line(['backend', 'scenario', 'ours', 'emmett', 'ours/em']), ...table.map(line)].join('\n')}\n${READ_SCENARIO}\n`);
  return results;
}
