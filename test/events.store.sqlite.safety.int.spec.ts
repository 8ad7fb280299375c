// What the SQLite store does to files it does not own, and to stores opened read-only: it refuses them unchanged, and reads without writing.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SQLITE_APPLICATION_ID,
  StoreConfigError,
  StoreReadOnlyError,
  openEventStore,
  portfolioStream,
} from '../events/index.js';
import { genesis, sealBatch } from './fixtures/sampleEvents.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-safety-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});

/** Another application's database: a table of its own and its own user_version. */
function foreignDatabase(file: string, userVersion: number): void {
  const db = new Database(file);
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')");
  db.pragma(`user_version = ${userVersion}`);
  db.close();
}

async function storeWithEvents(file: string): Promise<void> {
  const store = await openEventStore(`sqlite:${file}`);
  const { events } = sealBatch(genesis('p'), 0, 3);
  await store.append(portfolioStream('p'), events, { expectedRevision: 'no_stream' });
  await store.documents.put('c', 'k', 'v');
  await store.close();
}

describe('SQLite store: files it does not own', () => {
  for (const userVersion of [0, 1, 7]) {
    it(`refuses another application's database (user_version ${userVersion}) and leaves every byte of it as it was`, async () => {
      const dir = tempDir();
      const file = join(dir, 'other.db');
      foreignDatabase(file, userVersion);
      const before = readFileSync(file);
      for (const readOnly of [false, true]) {
        const opening = openEventStore(`sqlite:${file}`, { readOnly });
        await expect(opening).rejects.toBeInstanceOf(StoreConfigError);
        await expect(openEventStore(`sqlite:${file}`, { readOnly })).rejects.toThrow(/is not a stratafolio event store/);
      }
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(existsSync(`${file}-wal`)).toBe(false);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(userVersion);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
      db.close();
    });
  }

  it('marks a new store with its application id, and still opens a store made before the id existed', async () => {
    const dir = tempDir();
    const file = join(dir, 's.db');
    await storeWithEvents(file);
    const raw = new Database(file);
    expect(raw.pragma('application_id', { simple: true })).toBe(SQLITE_APPLICATION_ID);
    raw.pragma('application_id = 0');
    raw.close();
    const store = await openEventStore(`sqlite:${file}`);
    expect(await store.streamRevision(portfolioStream('p'))).toBe(2);
    await store.close();
  });
});

describe('SQLite store opened read-only', () => {
  it('reads events and documents, refuses appends and document writes with StoreReadOnlyError, and leaves the file unchanged', async () => {
    const dir = tempDir();
    const file = join(dir, 's.db');
    await storeWithEvents(file);
    const before = readFileSync(file);
    const store = await openEventStore(`sqlite:${file}`, { readOnly: true });
    const read: number[] = [];
    for await (const e of store.readStream(portfolioStream('p'))) read.push(e.metadata.revision);
    expect(read).toEqual([0, 1, 2]);
    expect(await store.documents.get('c', 'k')).toBe('v');
    const { events } = sealBatch({ portfolioId: 'p', nextRevision: 3, prevHash: '0'.repeat(64) }, 1, 1);
    await expect(store.append(portfolioStream('p'), events, { expectedRevision: 2 })).rejects.toBeInstanceOf(StoreReadOnlyError);
    await expect(store.documents.put('c', 'k', 'w')).rejects.toBeInstanceOf(StoreReadOnlyError);
    await expect(store.documents.delete('c', 'k')).rejects.toBeInstanceOf(StoreReadOnlyError);
    await store.close();
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a missing file instead of creating one', async () => {
    const dir = tempDir();
    const file = join(dir, 'absent.db');
    await expect(openEventStore(`sqlite:${file}`, { readOnly: true })).rejects.toThrow(/no such file/);
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('reads a store whose file and folder are read-only (chmod; skipped as root, which ignores modes: the CLI test uses a read-only mount)', async () => {
    const dir = tempDir();
    const file = join(dir, 's.db');
    await storeWithEvents(file);
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    const mtime = statSync(file).mtimeMs;
    const store = await openEventStore(`sqlite:${file}`, { readOnly: true });
    let n = 0;
    for await (const _ of store.readStream(portfolioStream('p'))) n += 1;
    expect(n).toBe(3);
    await store.close();
    expect(statSync(file).mtimeMs).toBe(mtime);
  });
});
