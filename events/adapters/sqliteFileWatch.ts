// Whether an SQLite store's files are still the ones its connections opened. A file deleted or replaced under an open
// connection does not stop SQLite: every later commit succeeds, into a file no other process can open and that is gone
// when the process ends. A deleted -wal takes the commits since the last checkpoint with it; a deleted -shm lets the
// next process build a second index of the same -wal, and two indexes of one log corrupt it.
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreFileReplacedError } from '../errors.js';

/** A file's identity: device and inode (exact, as bigints: an inode may pass 2^53). */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** Watches a store's file, its -wal and its -shm. */
export interface StoreFileWatch {
  /** The store file's identity when the watch began (right after the store opened it). */
  readonly opened: FileIdentity | null;
  /** What happened to one of the files since it was first seen (`… was deleted`, `… was replaced by another file`), or null. */
  changed(): string | null;
}

/** The identity of the file at `path` now, or null when there is none. */
export function identityOf(path: string): FileIdentity | null {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s === undefined ? null : { dev: s.dev, ino: s.ino };
}

/**
 * Starts watching the store at `path`, which its connection has just opened. The -wal and -shm are taken as first seen:
 * they exist from the connection's first read on, and SQLite removes them only when the last connection closes, never
 * while this one is open.
 */
export function watchStoreFiles(path: string): StoreFileWatch {
  const files = [path, `${path}-wal`, `${path}-shm`];
  const seen: (FileIdentity | null)[] = files.map(identityOf);
  return {
    opened: seen[0] ?? null,
    changed() {
      for (let i = 0; i < files.length; i += 1) {
        const file = files[i] as string;
        const before = seen[i];
        const now = identityOf(file);
        if (before === null || before === undefined) {
          seen[i] = now;
          continue;
        }
        if (now === null) return `${file} was deleted`;
        if (now.dev !== before.dev || now.ino !== before.ino) return `${file} was replaced by another file`;
      }
      return null;
    },
  };
}

/** Where a rescued copy of the store at `path` goes: beside it, else in the temporary folder; never over a file. */
function rescuePaths(path: string): string[] {
  const name = `${basename(path)}.rescued-${process.pid}`;
  return [join(dirname(path), name), join(tmpdir(), name)].map((p) => {
    let candidate = p;
    for (let n = 2; existsSync(candidate); n += 1) candidate = `${p}-${n}`;
    return candidate;
  });
}

/**
 * The error of a store whose files changed under it (`change`, from {@link StoreFileWatch.changed}), found after a
 * write. The connection still reads the files it opened, so the log as this process committed it is copied out first
 * (SQLite's online backup), beside the store or else in the temporary folder, for the user to check and put back.
 */
export async function lostFileError(db: Database.Database, url: string, path: string, change: string): Promise<StoreFileReplacedError> {
  let rescued: string | null = null;
  const failures: string[] = [];
  for (const candidate of rescuePaths(path)) {
    try {
      await db.backup(candidate);
      rescued = candidate;
      break;
    } catch (e) {
      rmSync(candidate, { force: true });
      failures.push(`${candidate}: ${(e as Error).message}`);
    }
  }
  const consequence = change.startsWith(`${path} was`)
    ? `the log this process wrote is no longer at ${path}`
    : `${path} may lack what was committed since its last checkpoint, and a process that opens it now may read another log than this one`;
  const next = rescued !== null
    ? `The log as this process committed it (up to and including that write, which was not acknowledged) is saved to ${rescued}: ` +
      `check it with \`stratafolio audit --verify --store sqlite:${rescued}\`, then, with no process using ${path}, move it to ${path} ` +
      `(removing any ${basename(path)}-wal and ${basename(path)}-shm beside it) and run the same command again`
    : `Saving the log elsewhere failed (${failures.join('; ')}): restore ${path} from a copy`;
  return new StoreFileReplacedError(
    url,
    `event store ${url}: ${change} while the store had it open, so ${consequence}; the write that found it and every later one are refused. ${next}`,
    rescued,
  );
}
