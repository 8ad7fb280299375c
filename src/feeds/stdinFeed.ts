// NDJSON bars on a readable stream (stdin), so any tool can pipe a stream in; the end of the input ends the feed.
import type { Readable } from 'node:stream';
import type { Feed, FeedSink } from './feed.js';
import { parseBarMessage } from './feedMessages.js';

/**
 * Longest line taken (bytes). A bar line is a few hundred bytes; 1 MiB still takes an array of thousands of bars on one
 * line, and refuses what is plainly not a bar message rather than parsing megabytes of it.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits bytes into lines (`\n` or `\r\n`), holding at most {@link MAX_LINE_BYTES} of a line: the bytes of a longer one
 * are counted and dropped as they come. (node:readline holds the whole line first: a line of hundreds of MB, a binary
 * file piped in by mistake, ended the session with an uncaught RangeError once past the longest string V8 makes.)
 */
class LineSplitter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private lastByte = -1;

  constructor(private readonly onLine: (line: { readonly text: string } | { readonly tooLong: number }) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    this.take(chunk.subarray(start));
  }

  /** The input ended: a last line without its newline is still a line. */
  end(): void {
    if (this.bytes > 0) this.endLine();
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    this.lastByte = part[part.length - 1] as number;
    if (this.bytes + part.length <= MAX_LINE_BYTES + 1) this.parts.push(part);
    else this.parts = [];
    this.bytes += part.length;
  }

  private endLine(): void {
    const crlf = this.bytes > 0 && this.lastByte === CARRIAGE_RETURN;
    const bytes = crlf ? this.bytes - 1 : this.bytes;
    if (bytes > MAX_LINE_BYTES) {
      this.onLine({ tooLong: bytes });
    } else {
      const whole = Buffer.concat(this.parts);
      this.onLine({ text: whole.toString('utf8', 0, bytes) });
    }
    this.parts = [];
    this.bytes = 0;
    this.lastByte = -1;
  }
}

/** A feed of NDJSON bar lines. */
export class LineStreamFeed implements Feed {
  readonly description = 'stdin';
  readonly symbols = null;
  readonly intervalMs = null;
  private stopped = false;
  private close: (() => void) | null = null;

  constructor(private readonly input: Readable) {}

  start(sink: FeedSink): void {
    let n = 0;
    const splitter = new LineSplitter((line) => {
      n += 1;
      if (this.stopped) return;
      const origin = `stdin line ${n}`;
      if ('tooLong' in line) {
        sink.invalid(origin, `a line of ${line.tooLong} bytes is longer than the ${MAX_LINE_BYTES / 1024 / 1024} MiB limit of one message`);
        return;
      }
      if (line.text.trim() === '') return;
      const parsed = parseBarMessage(line.text);
      if (!parsed.ok) {
        sink.invalid(origin, parsed.reason);
        return;
      }
      for (const part of parsed.refused) sink.invalid(origin, `${part.where}: ${part.reason}`);
      if (parsed.bars.length > 0) sink.bars(parsed.bars, origin);
    });
    let ended = false;
    const onData = (chunk: Buffer | string): void => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const endWith = (detail: string, failed: boolean): void => {
      if (ended) return;
      ended = true;
      splitter.end();
      if (this.stopped) return;
      if (failed) sink.failed(detail);
      else sink.ended(detail);
    };
    const onEnd = (): void => endWith('the input ended', false);
    // An input that fails ends the feed as failed, named: the session's last line and exit code must not pass a read
    // error off as the end of the input. One closed without an end is taken as its end.
    const onError = (e: Error): void => endWith(`reading the input failed: ${e.message}`, true);
    this.input.on('data', onData);
    this.input.once('end', onEnd);
    // `on`, not `once`, and left in place by close: a second error, or one after the session stopped, must not become an
    // uncaught exception that ends the process.
    this.input.on('error', onError);
    this.input.once('close', onEnd);
    this.close = () => {
      this.input.off('data', onData);
      this.input.off('end', onEnd);
      this.input.off('close', onEnd);
      this.input.pause();
    };
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.close?.();
    return Promise.resolve();
  }
}
