// Catch-up-then-live subscriptions over a paged log: every delivery is pulled by position, so none is skipped or repeated.
import { Observable, type Subscriber } from 'rxjs';
import { decodeReuse, decodeStoredAt, type DecodeReuse, type RecordedEvent } from '../envelope.js';

/** A stored row as every adapter keeps it: body and hash apart, so reading verifies without re-serialising. */
export interface StoredRow {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly body: string;
  readonly hash: string;
}

/** Decodes a stored row (a reader passes one `reuse` for all its rows). @throws CorruptEventError naming its stream, revision and position. */
export function decodeRow(row: StoredRow, reuse: DecodeReuse = decodeReuse()): RecordedEvent {
  return decodeStoredAt(row.body, row.hash, row.stream, row.revision, row.position, reuse);
}

/** What a subscription needs from an adapter's log. */
export interface PagedLog {
  /**
   * Up to `limit` rows with position > `afterPosition`, ascending (decoded one by one by the reader); a server
   * store answers later. A page must never hold a row while a lower position can still appear.
   */
  readPage(afterPosition: number, limit: number): readonly StoredRow[] | Promise<readonly StoredRow[]>;
  /** Calls `listener` after every append made through this process; returns the unregister function. */
  onAppend(listener: () => void): () => void;
  /**
   * How to notice appends made elsewhere (another process on the same file): every `intervalMs` while idle,
   * a subscription runs the cheap check `watch()` made for it, true when the log may have grown.
   * Absent for logs only this process writes.
   */
  readonly externalPoll?: { readonly intervalMs: number; watch(): () => boolean };
}

/** A live subscription the store can complete on close. */
export interface LiveSubscription {
  complete(): void;
}

const PAGE_SIZE = 1000;

/**
 * An Observable that delivers events from `fromPosition` (inclusive) in order, then new appends as they land.
 * Each pump reads a page after the last delivered position; notifications only wake the pump, so a
 * notification racing the catch-up can neither open a gap nor deliver twice.
 */
export function catchUpSubscription(
  log: PagedLog,
  fromPosition: number,
  live: Set<LiveSubscription>,
): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber: Subscriber<RecordedEvent>) => {
    let after = fromPosition - 1;
    const reuse = decodeReuse();
    let stopped = false;
    let pumping = false;
    let immediate: ReturnType<typeof setImmediate> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const clearSchedule = (): void => {
      if (immediate) clearImmediate(immediate);
      if (timer) clearTimeout(timer);
      immediate = null;
      timer = null;
    };
    const stop = (): void => {
      stopped = true;
      clearSchedule();
      unregister();
      live.delete(handle);
    };
    const pumpSoon = (): void => {
      if (stopped || immediate) return;
      if (timer) clearTimeout(timer);
      timer = null;
      immediate = setImmediate(pump);
    };
    const poll = log.externalPoll;
    const changed = poll?.watch();
    const waitIdle = (): void => {
      if (stopped || immediate || timer || !poll || !changed) return;
      timer = setTimeout(() => {
        timer = null;
        if (changed()) pumpSoon();
        else waitIdle();
      }, poll.intervalMs);
    };
    // Set when a wake-up arrives while a page is in flight, so an append landing then is not slept through.
    let again = false;
    const fail = (e: unknown): void => {
      // A corrupt row (or a closed store) ends the subscription at that row: nothing after it is delivered.
      pumping = false;
      stop();
      subscriber.error(e);
    };
    const deliver = (page: readonly StoredRow[]): void => {
      try {
        for (const row of page) {
          if (stopped || subscriber.closed) break;
          const event = decodeRow(row, reuse);
          after = event.position;
          subscriber.next(event);
        }
      } catch (e) {
        fail(e);
        return;
      }
      pumping = false;
      // A full page means more history to catch up on; yield to the event loop between pages.
      if (page.length === PAGE_SIZE || again) {
        again = false;
        pumpSoon();
      } else waitIdle();
    };
    function pump(): void {
      immediate = null;
      if (stopped) return;
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      let page: readonly StoredRow[] | Promise<readonly StoredRow[]>;
      try {
        page = log.readPage(after, PAGE_SIZE);
      } catch (e) {
        fail(e);
        return;
      }
      if (page instanceof Promise) {
        page.then(
          (rows) => {
            if (!stopped) deliver(rows);
          },
          (e: unknown) => {
            if (!stopped) fail(e);
          },
        );
      } else deliver(page);
    }

    const handle: LiveSubscription = {
      complete: () => {
        stop();
        subscriber.complete();
      },
    };
    const unregister = log.onAppend(pumpSoon);
    live.add(handle);
    pumpSoon();
    return stop;
  });
}
