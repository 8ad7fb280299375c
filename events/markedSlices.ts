// The slices a portfolio log recorded: one per BarMarked, the event that closes a slice.
import type { RecordedEvent } from './envelope.js';

/** A slice of a log: its bar time, the marks its BarMarked recorded, and where that event stands. */
export interface MarkedSlice {
  readonly time: string;
  readonly marks: Readonly<Record<string, string>>;
  readonly revision: number;
  readonly position: number;
}

/** The slices of a portfolio stream, in log order. */
export async function* markedSlices(events: AsyncIterable<RecordedEvent>): AsyncGenerator<MarkedSlice, void, undefined> {
  for await (const e of events) {
    if (e.type === 'BarMarked' && e.metadata.barTime !== null) yield { time: e.metadata.barTime, marks: e.data.marks, revision: e.metadata.revision, position: e.position };
  }
}
