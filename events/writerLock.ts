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
  /** `remedy` replaces the default advice, where the store knows a better one (a holder it can never judge dead). */
  constructor(
    readonly key: string,
    readonly holder: WriterLockHolder,
    url: string,
    remedy = 'stop that process first (a lock left by a process that died is taken over automatically)',
  ) {
    super(`portfolio "${key}" in ${url} is being written by process ${holder.pid} on ${holder.host} since ${holder.since}; ${remedy}`);
  }
}

export const isWriterLockedError = (e: unknown): e is WriterLockedError => e instanceof WriterLockedError;

/**
 * Another process has been starting a writer on the portfolio for longer than a start takes: it holds the lock's row
 * without finishing (its machine froze or died mid-start). Nothing was taken; a retry once the server has dropped that
 * process's session succeeds.
 */
export class WriterLockBusyError extends StratafolioError {
  constructor(
    readonly key: string,
    url: string,
    readonly waitedMs: number,
  ) {
    super(
      `portfolio "${key}" in ${url}: another process has been taking its writer lock for more than ${waitedMs} ms without finishing; ` +
        'nothing was started. Retry in a minute (the server drops a session whose machine stopped answering), or stop that process',
    );
  }
}

export const isWriterLockBusyError = (e: unknown): e is WriterLockBusyError => e instanceof WriterLockBusyError;

/**
 * The `since` of every holder this process made. A row naming this process's pid is this process's only if it is one
 * of them: in a container a restarted session gets the same pid on the same host name as the run killed before it, and
 * that run's row must read as dead, not as this process.
 */
const sinceOfOwnHolders = new Set<string>();

/** This process as a lock holder, taken now. */
export function currentHolder(): WriterLockHolder {
  const holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  sinceOfOwnHolders.add(holder.since);
  return holder;
}

/**
 * Whether a recorded holder is known to be dead: same host and no process with its pid, or this process's pid in a row
 * this process did not write (an earlier process that had the same pid). A holder on another host is never presumed
 * dead (its liveness cannot be checked from here).
 */
export function holderIsDead(holder: WriterLockHolder, host: string = hostname()): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return !sinceOfOwnHolders.has(holder.since);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
