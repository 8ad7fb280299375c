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
      if (parsed.ok) sink.bars(parsed.bars, `stdin line ${n}`);
      else sink.invalid(`stdin line ${n}`, parsed.reason);
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
