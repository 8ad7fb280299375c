// A live portfolio's feed record: the stream `feed-<portfolio id>` that holds, for each slice, the bars of that slice
// and the commands applied with it (SliceBarsRecorded), and the gaps the feed left (FeedGap). A paper session commits
// it with the slice's events in one transaction, just before them; where a store cannot (KurrentDB appends stream by
// stream) it is the write-ahead half: after a crash, recorded slices the portfolio has not yet applied are applied
// from it, so a restart replays exactly what the killed process saw.
import type { Bar, BarSlice } from '../src/market/bar.js';
import { domainEvent, type EventData } from './catalogue.js';
import { GENESIS_HASH, sealEvents, type ChainHead, type PendingEvent } from './envelope.js';
import type { EventStore, StreamAppend } from './store.js';

/** The stream of a portfolio's feed record. */
export function feedStream(portfolioId: string): string {
  return `feed-${portfolioId}`;
}

/**
 * The owner named in the feed record's event metadata: event ids are derived from it and its revision, so it must
 * differ from the portfolio's own id (whose stream has the same revisions).
 */
export function feedRecordOwner(portfolioId: string): string {
  return `${portfolioId}#feed`;
}

/** A command recorded with the slice it was applied at. */
export type RecordedCommand = EventData<'SliceBarsRecorded'>['commands'][number];

/** How many recorded slices a recorder keeps at hand after opening. */
export const RECENT_SLICES = 64;

/** A recorded slice: its bars and the commands applied with it. */
export interface RecordedSlice {
  readonly slice: BarSlice;
  readonly commands: readonly RecordedCommand[];
}

/** A gap to record: bars of `symbol` from `from` to `to` that the feed never delivered. */
export interface FeedGapRecord {
  readonly symbol: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** Appends to one portfolio's feed record; the only writer of that stream (the session holding the writer lock). */
export class FeedRecorder {
  private constructor(
    private readonly store: EventStore,
    private readonly stream: string,
    private head: ChainHead,
    /** Recorded slices in order, after `since` when the recorder was opened. */
    readonly pending: readonly RecordedSlice[],
    /** Bar time of the last recorded slice, or null. */
    public lastTime: string | null,
    /** Ids of every command ever recorded (a queued command is applied once). */
    readonly appliedCommands: Set<string>,
    /** The last recorded slices (up to {@link RECENT_SLICES}), so bars a feed sends again are known as repeats. */
    readonly recent: readonly BarSlice[],
  ) {}

  /** Opens the record, reading it once: its head, the slices after `since` (bar time, exclusive), the commands applied. */
  static async open(store: EventStore, portfolioId: string, since: string | null): Promise<FeedRecorder> {
    const stream = feedStream(portfolioId);
    let head: ChainHead = { portfolioId: feedRecordOwner(portfolioId), nextRevision: 0, prevHash: GENESIS_HASH };
    const pending: RecordedSlice[] = [];
    const applied = new Set<string>();
    let lastTime: string | null = null;
    const recent: BarSlice[] = [];
    for await (const event of store.readStream(stream)) {
      head = { portfolioId: head.portfolioId, nextRevision: event.metadata.revision + 1, prevHash: event.metadata.hash };
      if (event.type !== 'SliceBarsRecorded') continue;
      lastTime = event.data.time;
      for (const c of event.data.commands) applied.add(c.commandId);
      const slice = sliceFromRecord(event.data);
      recent.push(slice);
      if (recent.length > RECENT_SLICES) recent.shift();
      if (since === null || event.data.time > since) pending.push({ slice, commands: event.data.commands });
    }
    return new FeedRecorder(store, stream, head, pending, lastTime, applied, recent);
  }

  /**
   * The append that records a slice (with the gaps found before it and the commands applied with it), for the caller
   * to commit, in the order prepared (a live session commits it with the slice's own events, in one transaction).
   * The recorder moves past it at once: if it is never committed, the recorder must not be used again.
   */
  prepare(slice: BarSlice, gaps: readonly FeedGapRecord[], commands: readonly RecordedCommand[]): StreamAppend {
    const pendingEvents: PendingEvent[] = gaps.map((g) => ({ event: domainEvent('FeedGap', { ...g }), barTime: slice.time }));
    pendingEvents.push({
      event: domainEvent('SliceBarsRecorded', {
        time: slice.time,
        bars: Object.values(slice.bars).map((b) => ({ symbol: b.symbol, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })),
        commands: [...commands],
      }),
      barTime: slice.time,
    });
    const sealed = sealEvents(this.head, pendingEvents);
    const expectedRevision = this.head.nextRevision === 0 ? 'no_stream' : this.head.nextRevision - 1;
    this.head = sealed.head;
    this.lastTime = slice.time;
    for (const c of commands) this.appliedCommands.add(c.commandId);
    return { stream: this.stream, events: sealed.events, expectedRevision };
  }

  /** Records a slice (with the gaps found before it and the commands applied with it) in one durable append of its own. */
  async record(slice: BarSlice, gaps: readonly FeedGapRecord[], commands: readonly RecordedCommand[]): Promise<void> {
    const write = this.prepare(slice, gaps, commands);
    await this.store.append(write.stream, write.events, { expectedRevision: write.expectedRevision });
  }
}

/** The slice a SliceBarsRecorded event holds. */
export function sliceFromRecord(data: EventData<'SliceBarsRecorded'>): BarSlice {
  return { time: data.time, bars: Object.fromEntries(data.bars.map((b): [string, Bar] => [b.symbol, { ...b }])) };
}
