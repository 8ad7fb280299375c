// Audit of a paper session's feed record (`feed-<id>`, events/feedRecord.ts): its own hash chain, and its link to the
// portfolio log. The record is a chain of its own, under the owner `<id>#feed`, from the genesis hash: no hash joins it
// to the log, so what ties the two is checked by content, slice by slice.
import { Dec } from '../src/money/decimal.js';
import { ownValue } from '../src/records/ownKeys.js';
import { ChainVerifier } from '../events/chain.js';
import { invalidEventData, portfolioStream, type RecordedEvent } from '../events/envelope.js';
import { isCorruptEventError } from '../events/errors.js';
import { feedRecordOwner, feedStream } from '../events/feedRecord.js';
import type { EventStore } from '../events/store.js';
import { markedSlices, type MarkedSlice } from '../events/markedSlices.js';

/** Which check of the feed record failed. */
export type FeedRecordCheck = 'decode' | 'chain' | 'record' | 'link';

/** What tying the record to the portfolio log proved. */
export interface FeedRecordLink {
  /** Recorded slices that are slices of the log, each bar's close the mark the log recorded for its symbol. */
  readonly slices: number;
  /** Slices of the log before the record's first (written before a session ran on the portfolio). */
  readonly before: number;
  /** Recorded slices after the log's last: recorded ahead of the log (a store without cross-stream transactions), applied at the next session's start. */
  readonly notApplied: number;
}

/** The first place the record breaks, or what was proved. */
export type FeedRecordVerification =
  | {
      readonly ok: true;
      readonly stream: string;
      readonly events: number;
      readonly slices: number;
      readonly gaps: number;
      readonly headHash: string;
      /** Null when the link was not checked (the portfolio log itself failed, so it proves nothing about the record). */
      readonly link: FeedRecordLink | null;
    }
  | {
      readonly ok: false;
      /** The stream of the event where it breaks: the record's, or the log's for a slice of the log the record lacks. */
      readonly stream: string;
      readonly events: number;
      readonly check: FeedRecordCheck;
      readonly revision: number;
      readonly position: number;
      readonly reason: string;
    };

/** Options of a feed record verification. */
export interface FeedRecordOptions {
  /** Whether to check the record against the portfolio log (default true; pass false when the log failed its own audit). */
  readonly link?: boolean;
}

/** A slice of the portfolio log: its BarMarked. */
class Broken extends Error {
  constructor(
    readonly check: FeedRecordCheck,
    reason: string,
    readonly at: Pick<RecordedEvent, 'stream' | 'position'> & { readonly revision: number },
  ) {
    super(reason);
  }
}

const where = (e: RecordedEvent) => ({ stream: e.stream, revision: e.metadata.revision, position: e.position });

/**
 * Verifies the feed record of portfolio `portfolioId` from its first event, stopping at the first failure, named by
 * stream, revision and position; null when the portfolio has no feed record. It proves: every payload decodes and
 * matches its schema and self-hash; revisions are contiguous, every prevHash links, and every event is the record's
 * own (owner `<id>#feed`, deterministic id); the record holds only gaps and recorded slices, in increasing bar time.
 * With the link (the default) it also proves, reading the log alongside: every recorded slice up to the log's last is
 * a slice of the log, each bar's close equal to the mark the log's BarMarked recorded for its symbol and no other
 * symbol marked; and every slice of the log from the record's first on is recorded. Opens, highs, lows, volumes, the
 * commands and the gaps appear nowhere in the log: a record rewritten there and re-hashed to its end is a sound chain
 * that links, which nothing inside the store can tell.
 */
export async function verifyFeedRecord(store: EventStore, portfolioId: string, options: FeedRecordOptions = {}): Promise<FeedRecordVerification | null> {
  const stream = feedStream(portfolioId);
  if ((await store.streamRevision(stream)) === 'no_stream') return null;
  const owner = feedRecordOwner(portfolioId);
  const linking = options.link !== false;
  const chain = new ChainVerifier();
  const log = linking ? markedSlices(store.readStream(portfolioStream(portfolioId))) : null;
  let next: MarkedSlice | null = log === null ? null : await nextOf(log);
  let events = 0;
  let slices = 0;
  let gaps = 0;
  let lastTime: string | null = null;
  let linked = 0;
  let before = 0;
  let notApplied = 0;
  try {
    for await (const event of store.readStream(stream)) {
      events += 1;
      const at = where(event);
      const invalid = invalidEventData(event);
      if (invalid !== null) throw new Broken('decode', invalid, at);
      if (!chain.push(event)) {
        const v = chain.verdict();
        if (!v.ok) throw new Broken('chain', v.reason, at);
      }
      if (event.metadata.portfolioId !== owner) {
        throw new Broken('chain', `the event is sealed for "${event.metadata.portfolioId}", not the feed record's owner "${owner}"`, at);
      }
      if (event.type === 'FeedGap') {
        gaps += 1;
        continue;
      }
      if (event.type !== 'SliceBarsRecorded') throw new Broken('record', `${event.type} is not an event of a feed record (FeedGap, SliceBarsRecorded)`, at);
      const time = event.data.time;
      if (event.metadata.barTime !== time) throw new Broken('record', `the slice of ${time} is sealed with the bar time ${String(event.metadata.barTime)}`, at);
      if (lastTime !== null && time <= lastTime) throw new Broken('record', `the slice of ${time} is not after the slice recorded before it (${lastTime})`, at);
      lastTime = time;
      slices += 1;
      if (log === null) continue;
      // The log's slices before the record began were written before any session ran on the portfolio.
      if (slices === 1) {
        while (next !== null && next.time < time) {
          before += 1;
          next = await nextOf(log);
        }
      }
      if (next !== null && next.time < time) {
        throw new Broken('link', `the portfolio log has a slice at ${next.time} (its BarMarked) that is not in the feed record, whose next slice is at ${time}`, {
          stream: portfolioStream(portfolioId),
          revision: next.revision,
          position: next.position,
        });
      }
      if (next === null) {
        notApplied += 1;
        continue;
      }
      if (next.time > time) throw new Broken('link', `the recorded slice of ${time} is not a slice of the portfolio log, whose next slice is at ${next.time}`, at);
      checkCloses(event.data.bars, next, at);
      linked += 1;
      next = await nextOf(log);
    }
    if (log !== null && next !== null && slices > 0) {
      throw new Broken('link', `the portfolio log has slices after the feed record's last (${lastTime ?? ''}), from ${next.time} on (its BarMarked): the record does not hold their bars`, {
        stream: portfolioStream(portfolioId),
        revision: next.revision,
        position: next.position,
      });
    }
  } catch (e) {
    if (e instanceof Broken) return { ok: false, ...e.at, events, check: e.check, reason: e.message };
    if (isCorruptEventError(e)) return { ok: false, ...e.location, events, check: 'decode', reason: e.reason };
    throw e;
  } finally {
    await log?.return(undefined);
  }
  const v = chain.verdict();
  return {
    ok: true,
    stream,
    events,
    slices,
    gaps,
    headHash: v.ok ? v.headHash : '',
    link: log === null ? null : { slices: linked, before, notApplied },
  };
}

/** The recorded bars' closes are the marks of the log's slice: the same symbols, equal decimals. */
function checkCloses(bars: readonly { readonly symbol: string; readonly close: string }[], slice: MarkedSlice, at: Broken['at']): void {
  const recorded = bars.map((b) => b.symbol).sort();
  const marked = Object.keys(slice.marks).sort();
  if (recorded.join('\u0000') !== marked.join('\u0000')) {
    throw new Broken('link', `the slice of ${slice.time} records bars of [${recorded.join(', ')}]; the portfolio marked [${marked.join(', ')}] (position ${slice.position})`, at);
  }
  for (const b of bars) {
    const mark = ownValue(slice.marks, b.symbol) ?? '';
    if (!new Dec(b.close).equals(new Dec(mark))) {
      throw new Broken('link', `in the slice of ${slice.time}, ${b.symbol} closed at ${b.close} in the record, the portfolio marked ${mark} (position ${slice.position})`, at);
    }
  }
}

/** The log's slices, one per BarMarked, in order. */
async function nextOf(log: AsyncGenerator<MarkedSlice, void, undefined>): Promise<MarkedSlice | null> {
  const r = await log.next();
  return r.done === true ? null : r.value;
}
