// The writer lock of the store port: one process at a time owns a portfolio's streams; a second writer is refused at
// start with the holder named, and a lock left by a process that died is taken over (stale-lock detection).
import { hostname } from 'node:os';
import { StratafolioError } from '../src/errors.js';

/** Who holds a writer lock. */
export interface WriterLockHolder {
  readonly pid: number;
  readonly host: string;
  /** When it was taken (ISO-8601 UTC). */
  readonly since: string;
}

/** A holder a server store knows holds the lock but cannot name (its row is missing or unreadable). */
export const UNKNOWN_HOLDER: WriterLockHolder = Object.freeze({ pid: 0, host: 'an unknown host', since: 'an unknown time' });

/** A held writer lock. */
export interface WriterLock {
  readonly key: string;
  readonly holder: WriterLockHolder;
  /** Releases the lock (no error when already released). */
  release(): Promise<void>;
}

/** Another live process holds the writer lock. */
export class WriterLockedError extends StratafolioError {
  constructor(
    readonly key: string,
    readonly holder: WriterLockHolder,
    url: string,
  ) {
    super(
      `portfolio "${key}" in ${url} is being written by process ${holder.pid} on ${holder.host} since ${holder.since}; ` +
        'stop that process first (a lock left by a process that died is taken over automatically)',
    );
  }
}

export const isWriterLockedError = (e: unknown): e is WriterLockedError => e instanceof WriterLockedError;

/** This process as a lock holder, taken now. */
export function currentHolder(): WriterLockHolder {
  return { pid: process.pid, host: hostname(), since: new Date().toISOString() };
}

/**
 * Whether a recorded holder is known to be dead: same host and no process with its pid. A holder on another host is
 * never presumed dead (its liveness cannot be checked from here).
 */
export function holderIsDead(holder: WriterLockHolder, host: string = hostname()): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
