// The writer lock of the store port: one process at a time owns a portfolio's streams; a second writer is refused at
// start with the holder named, and a lock left by a process that died is taken over (stale-lock detection).
import { hostname } from 'node:os';
import { StratafolioError } from '../src/errors.js';
import { PROC_ROOT, readBootId, readStartTime } from './processIdentity.js';

/** Who holds a writer lock. */
export interface WriterLockHolder {
  readonly pid: number;
  readonly host: string;
  /** When it was taken (ISO-8601 UTC). */
  readonly since: string;
  /**
   * The boot the holder ran in (Linux: /proc/sys/kernel/random/boot_id). Absent where it could not be read, and in
   * locks taken by versions that did not record it.
   */
  readonly bootId?: string;
  /** When the holder's process started, in clock ticks after boot (Linux: field 22 of /proc/<pid>/stat); absent likewise. */
  readonly startTime?: number;
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

/** This process as a lock holder, taken now, with its boot and start time where `procRoot` shows them. */
export function currentHolder(procRoot: string = PROC_ROOT): WriterLockHolder {
  const bootId = readBootId(procRoot);
  const startTime = readStartTime(process.pid, procRoot);
  const holder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(bootId === undefined ? {} : { bootId }),
    ...(startTime === undefined ? {} : { startTime }),
  };
  sinceOfOwnHolders.add(holder.since);
  return holder;
}

/**
 * Whether a recorded holder is known to be dead. A holder on another host is never presumed dead (its liveness cannot
 * be checked from here). On this host it is dead when:
 * - it has this process's pid but this process did not write it (an earlier process that had the same pid);
 * - it was recorded in another boot of this machine;
 * - the process that has its pid now started at another time than the holder (the pid was reused);
 * - no process has its pid.
 * A pid alone cannot tell the holder from an unrelated process that took its pid after a reboot or once pids wrapped
 * around, which would refuse every restart; so the boot and start time decide where they were recorded and can be read
 * now, and the pid where not (a lock recorded by an earlier version, no /proc, a /proc hiding other users' processes).
 */
export function holderIsDead(holder: WriterLockHolder, host: string = hostname(), procRoot: string = PROC_ROOT): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return !sinceOfOwnHolders.has(holder.since);
  // Rows and events are written outside this program too: an identity of the wrong type is no evidence either way.
  const { bootId, startTime } = holder as { bootId?: unknown; startTime?: unknown };
  if (typeof bootId === 'string') {
    const boot = readBootId(procRoot);
    if (boot !== undefined && boot !== bootId) return true;
  }
  if (typeof startTime === 'number' && Number.isSafeInteger(startTime)) {
    const now = readStartTime(holder.pid, procRoot);
    if (now !== undefined) return now !== startTime;
  }
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
