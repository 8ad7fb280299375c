// The generic WebSocket feed: each message is one bar in the NDJSON bar format (or a JSON array of them). A reconnect
// asks for the bars after the resume point with `?from=<ISO bar time>`; a server that ignores it leaves a gap.
import type { Feed, FeedClock, FeedSink } from './feed.js';
import { parseBarMessage } from './feedMessages.js';
import { ReconnectingSocket, type ReconnectTimings } from './reconnectingSocket.js';

/** Where the generic feed connects. */
export interface NdjsonSocketFeedOptions extends ReconnectTimings {
  readonly url: string;
  readonly clock: FeedClock;
}

/** A generic NDJSON-bar WebSocket feed. */
export class NdjsonSocketFeed implements Feed {
  readonly description: string;
  readonly symbols = null;
  readonly intervalMs = null;
  private socket: ReconnectingSocket | null = null;

  constructor(private readonly options: NdjsonSocketFeedOptions) {
    this.description = options.url;
  }

  start(sink: FeedSink): void {
    const socket = new ReconnectingSocket({
      ...this.options,
      url: () => {
        const after = sink.resumeAfterMs();
        if (after === null) return this.options.url;
        const u = new URL(this.options.url);
        u.searchParams.set('from', new Date(after).toISOString());
        return u.toString();
      },
      onOpen: () => Promise.resolve(),
      onMessage: (text) => {
        const origin = `message ${text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}…` : JSON.stringify(text)}`;
        const parsed = parseBarMessage(text);
        if (!parsed.ok) {
          sink.invalid(origin, parsed.reason);
          return;
        }
        for (const part of parsed.refused) sink.invalid(origin, `${part.where}: ${part.reason}`);
        // A message all of whose parts were refused is not a sign of life; an empty array is.
        if (parsed.bars.length === 0 && parsed.refused.length > 0) return;
        socket.markAlive();
        if (parsed.bars.length > 0) sink.bars(parsed.bars, origin);
      },
      onNotice: (line) => sink.notice(line),
    });
    this.socket = socket;
    socket.start();
  }

  async stop(): Promise<void> {
    await this.socket?.stop();
  }
}
