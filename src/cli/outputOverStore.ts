// An output file (`--out`) must not be the event store it is made from: writing it there would replace the log.
import { parseStoreUrl } from '../../events/adapters/storeUrl.js';
import { sameFile, unwritableOutput } from '../fileAccess.js';

/** The files SQLite keeps a store in: the database, and beside it its write-ahead log, shared memory and journal. */
const SQLITE_FILES = ['', '-wal', '-shm', '-journal'];

/**
 * Refuses `--out path` when it names a file of the SQLite store `storeUrl` (by its path or through a link): the
 * output is written over it, and a typo (`--out runs/demo.db` for `demo.html`) would destroy the log.
 * @throws OutputFileError naming the file, the store and what to do
 */
export function refuseOutputOverStore(path: string, storeUrl: string, what: string, example: string): void {
  const location = parseStoreUrl(storeUrl);
  if (location.kind !== 'sqlite') return;
  if (SQLITE_FILES.some((suffix) => sameFile(path, `${location.path}${suffix}`))) {
    throw unwritableOutput(path, what, `it is the file of the event store ${storeUrl}, which writing would destroy; give another path (e.g. ${example})`);
  }
}
