// NDJSON bars on a readable stream (stdin), so any tool can pipe a stream in; the end of the input ends the feed.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Feed, FeedSink } from './feed.js';
import { parseBarMessage } from './feedMessages.js';

/** A feed of NDJSON bar lines. */
export class LineStreamFeed implements Feed {
  readonly description = 'stdin';
  readonly symbols = null;
  readonly intervalMs = null;
  private stopped = false;
  private close: (() => void) | null = null;

  constructor(private readonly input: Readable) {}

  start(sink: FeedSink): void {
    const lines = createInterface({ input: this.input, crlfDelay: Infinity });
    this.close = () => lines.close();
    let n = 0;
    lines.on('line', (text) => {
      n += 1;
      if (this.stopped || text.trim() === '') return;
      const parsed = parseBarMessage(text);
      const origin = `stdin line ${n}`;
      if (!parsed.ok) {
        sink.invalid(origin, parsed.reason);
        return;
      }
      for (const part of parsed.refused) sink.invalid(origin, `${part.where}: ${part.reason}`);
      if (parsed.bars.length > 0) sink.bars(parsed.bars, origin);
    });
    lines.on('close', () => {
      if (!this.stopped) sink.ended('the input ended');
    });
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.close?.();
    return Promise.resolve();
  }
}
