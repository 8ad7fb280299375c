// Typed errors of the event log and its stores.
import { StratafolioError } from '../src/errors.js';

/** What a store expected a stream's last revision to be: none yet, anything, or an exact revision. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

/** Another writer got there first: the stream's revision is not the one the append expected. */
export class WrongExpectedRevisionError extends StratafolioError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(
      `wrong expected revision on stream "${stream}": expected ${String(expected)}, but the stream is at ${String(actual)} ` +
        `(another writer appended to it; reopen the portfolio to continue from its latest state)`,
    );
  }
}

/** Type guard for {@link WrongExpectedRevisionError}. */
export const isWrongExpectedRevisionError = (e: unknown): e is WrongExpectedRevisionError =>
  e instanceof WrongExpectedRevisionError;

/** Where in a store an event sits. */
export interface EventLocation {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
}

/** A stored event cannot be trusted (unparseable, schema violation, hash mismatch, broken chain); reading stops there. */
export class CorruptEventError extends StratafolioError {
  constructor(readonly location: EventLocation, readonly reason: string) {
    super(`corrupt event at stream "${location.stream}", revision ${location.revision}, position ${location.position}: ${reason}`);
  }
}

/** Type guard for {@link CorruptEventError}. */
export const isCorruptEventError = (e: unknown): e is CorruptEventError => e instanceof CorruptEventError;

/** An event offered for append is invalid (schema, hash, revision or id does not match); nothing was written. */
export class InvalidEventError extends StratafolioError {}

/** A store URL or option is not understood, or the file it names is not a stratafolio store. */
export class StoreConfigError extends StratafolioError {}

/** A write (append, document) was asked of a store opened read-only; nothing was written. */
export class StoreReadOnlyError extends StratafolioError {
  constructor(
    readonly url: string,
    message = `event store ${url} is open read-only; nothing was written`,
  ) {
    super(message);
  }
}

/**
 * The store may not be written by this process: a PostgreSQL role granted SELECT only, or an SQLite file, its `-wal` or
 * `-shm`, or its folder that this user (or a read-only filesystem) may not write. To this process the store is
 * read-only, so a reader degrades as for {@link StoreReadOnlyError}, and a writer is refused naming the store and why;
 * nothing was written.
 */
export class StorePermissionError extends StoreReadOnlyError {
  constructor(
    url: string,
    readonly denied: string,
    message = `event store ${url} cannot be written by this role (${denied}); nothing was written`,
  ) {
    super(url, message);
  }
}

/** Type guard for {@link StoreReadOnlyError}. */
export const isStoreReadOnlyError = (e: unknown): e is StoreReadOnlyError => e instanceof StoreReadOnlyError;

/** Another connection held the store's write lock for longer than the busy timeout; nothing was written. */
export class StoreBusyError extends StratafolioError {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(
      `event store ${url} stayed locked by another writer for more than ${timeoutMs} ms; nothing was written. ` +
        `Wait for the other process (another backtest or replay on the same file) to finish and retry, or raise busyTimeoutMs`,
    );
  }
}

/** Type guard for {@link StoreBusyError}. */
export const isStoreBusyError = (e: unknown): e is StoreBusyError => e instanceof StoreBusyError;

/**
 * A write to a store failed because of where the store lives, not what was written: its device is full or reported an
 * I/O error, or its file was deleted or replaced while it was open. The message names the store, the write and what to
 * do; what the store acknowledged before the failure is kept.
 */
export class StoreWriteError extends StratafolioError {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** The device that holds the store is full: the write was not stored. Free space, and the same run resumes. */
export class StoreFullError extends StoreWriteError {}

/**
 * The store's file (or its `-wal` or `-shm`) was deleted or replaced while the store had it open: what was written
 * since went to a file no other process can open. The store writes nothing more; `rescued` is where the log as this
 * process last committed it was saved, or null when it could not be.
 */
export class StoreFileReplacedError extends StoreWriteError {
  constructor(
    url: string,
    message: string,
    readonly rescued: string | null,
  ) {
    super(url, message);
  }
}

/** Type guard for {@link StoreWriteError}. */
export const isStoreWriteError = (e: unknown): e is StoreWriteError => e instanceof StoreWriteError;
/** Type guard for {@link StoreFullError}. */
export const isStoreFullError = (e: unknown): e is StoreFullError => e instanceof StoreFullError;
