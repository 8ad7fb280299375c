// Reading events a page at a time: a fold over millions of events need not await each one.
import type { RecordedEvent } from './envelope.js';

/** A read whose events can also be taken a batch at a time (the SQLite and in-memory stores' reads). */
export interface BatchedRead extends AsyncIterable<RecordedEvent> {
  /** The events ready now (at least one), or null at the end; it throws where `next()` would, after the events before. */
  nextBatch(): Promise<readonly RecordedEvent[] | null>;
}

/** Whether a read offers {@link BatchedRead.nextBatch}. */
function isBatched(read: AsyncIterable<RecordedEvent>): read is BatchedRead {
  return typeof (read as Partial<BatchedRead>).nextBatch === 'function';
}

/**
 * The events of `read` in batches, in order: its own batches when it has them, else one event per batch.
 * Stopping early (break, return) ends the read, as it would for a `for await` over the events.
 */
export async function* readBatches(read: AsyncIterable<RecordedEvent>): AsyncGenerator<readonly RecordedEvent[], void, undefined> {
  if (!isBatched(read)) {
    for await (const event of read) yield [event];
    return;
  }
  const iterator = read[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (let batch = await read.nextBatch(); batch !== null; batch = await read.nextBatch()) yield batch;
    ended = true;
  } finally {
    if (!ended) await iterator.return?.();
  }
}
