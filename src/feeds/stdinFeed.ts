// NDJSON bars on a readable stream (stdin), so any tool can pipe a stream in; the end of the input ends the feed.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Feed, FeedSink } from './feed.js';
import { parseBarMessage } from './feedMessages.js';

/**
 * Longest line taken (bytes). A bar line is a few hundred bytes; 1 MiB still takes an array of thousands of bars on one
 * line, and refuses what is plainly not a bar message rather than parsing megabytes of it.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

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
      const origin = `stdin line ${n}`;
      const bytes = text.length > MAX_LINE_BYTES / 4 ? Buffer.byteLength(text) : 0;
      if (bytes > MAX_LINE_BYTES) {
        sink.invalid(origin, `a line of ${bytes} bytes is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MiB limit of one message`);
        return;
      }
      const parsed = parseBarMessage(text);
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
