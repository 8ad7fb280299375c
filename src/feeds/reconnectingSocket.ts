// A WebSocket client (the `ws` library) that stays connected: exponential backoff with a cap and jitter, ping/pong
// heartbeats, and a stale timeout that reconnects a connection on which nothing arrives.
import WebSocket from 'ws';
import { StratafolioError } from '../errors.js';
import type { FeedClock } from './feed.js';
import { MAX_TIMER_MS } from '../timerLimit.js';

/**
 * A connection's preparation failed and the server said how long to wait before asking again (HTTP 429 or 418 with
 * Retry-After): the next connection waits at least that long, beyond the backoff's cap. Asking sooner is what gets an
 * address banned (Binance answers 418 to a client that ignores its 429s, for minutes to days).
 */
export class RetryLaterError extends StratafolioError {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** Timings of a reconnecting socket (ms). */
export interface ReconnectTimings {
  /** First retry delay (default 250). */
  readonly initialBackoffMs?: number;
  /** Cap on the retry delay (default 30 000). */
  readonly maxBackoffMs?: number;
  /** Interval of pings (default 10 000). */
  readonly heartbeatMs?: number;
  /** No valid message for this long → reconnect (default 30 000); a ping without its pong by the next ping → reconnect too. */
  readonly staleMs?: number;
}

/** What a reconnecting socket connects to and reports to. */
export interface ReconnectingSocketOptions extends ReconnectTimings {
  /** The URL of the next connection (it may carry a resume point). */
  readonly url: () => string;
  readonly clock: FeedClock;
  /**
   * Runs once a connection is open, before its messages are delivered (e.g. a backfill); messages wait for it, and the
   * stale timeout starts once it is done (it bounds its own requests). `signal` is aborted when the connection is lost
   * or stopped: what it prepares is then for nothing, and must not be delivered.
   */
  readonly onOpen: (signal: AbortSignal) => Promise<void>;
  readonly onMessage: (text: string) => void;
  readonly onNotice: (line: string) => void;
}

/**
 * Largest message a feed may send (bytes). A bar message is a few hundred bytes and an array answering `?from=` a few
 * MB at most; 16 MiB leaves room for that and refuses a runaway message long before it exhausts memory. (ws's own
 * default, 100 MiB, was the only limit: a larger message closed the connection with no word of why.)
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** ws's error code for a message over `maxPayload`. */
const TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/** What the standard close codes a feed server may send mean (RFC 6455 §7.4.1, and 1012–1014 from IANA's registry). */
const CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [1000, 'normal closure'],
  [1001, 'going away'],
  [1002, 'protocol error'],
  [1003, 'unsupported data'],
  [1005, 'no code given'],
  [1007, 'invalid data'],
  [1008, 'policy violation'],
  [1009, 'message too big'],
  [1011, 'server error'],
  [1012, 'service restart'],
  [1013, 'try again later'],
  [1014, 'bad gateway'],
]);

/**
 * How the server closed a connection, for the line that reports it (empty for 1006: no close frame, as when this client
 * ended it itself after a line saying why, or the connection dropped).
 */
function closedBy(code: number, reason: Buffer): string {
  if (code === 1006) return '';
  const text = reason.toString('utf8');
  return `: the server closed it with code ${code}${CLOSE_CODES.has(code) ? ` (${CLOSE_CODES.get(code)})` : ''}${text === '' ? '' : `, ${JSON.stringify(text)}`}`;
}

/** The next retry delay: initial × 2^attempt, capped, with up to 20 % jitter taken off so clients do not retry in step. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - 0.2 * random));
}

/** A WebSocket connection that reconnects until stopped. */
export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private cancelRetry: (() => void) | null = null;
  private cancelHeartbeat: (() => void) | null = null;
  private cancelStale: (() => void) | null = null;
  private readonly initial: number;
  private readonly cap: number;
  private readonly heartbeat: number;
  private readonly stale: number;
  private pongCheck: () => boolean = () => false;
  /** The least delay before the next connection, asked for by a server (see {@link RetryLaterError}); 0 when none. */
  private retryNotBeforeMs = 0;
  /** Aborts what the current connection's preparation is doing. */
  private abortPreparation: (() => void) | null = null;

  constructor(private readonly options: ReconnectingSocketOptions) {
    this.initial = options.initialBackoffMs ?? 250;
    this.cap = options.maxBackoffMs ?? 30_000;
    this.heartbeat = options.heartbeatMs ?? 10_000;
    this.stale = options.staleMs ?? 30_000;
  }

  /** Opens the first connection. */
  start(): void {
    this.connect();
  }

  /** Closes the connection and cancels every timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRetry?.();
    this.clearTimers();
    this.abortPreparation?.();
    const socket = this.socket;
    this.socket = null;
    if (socket !== null && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.options.url();
    const socket = new WebSocket(url, { maxPayload: MAX_MESSAGE_BYTES });
    this.socket = socket;
    const queued: string[] = [];
    const preparation = new AbortController();
    this.abortPreparation = () => preparation.abort();
    let ready = false;
    let lost = false;
    let awaitingPong = false;
    this.pongCheck = () => {
      const missed = awaitingPong;
      awaitingPong = true;
      return missed;
    };
    socket.on('open', () => {
      this.options.onNotice(`connected to ${url}`);
      this.armHeartbeat(socket);
      this.options.onOpen(preparation.signal).then(
        () => {
          if (this.socket !== socket || preparation.signal.aborted) return;
          ready = true;
          // Only now: a backfill of many pages may take longer than the stale timeout, and cut off it would start over.
          this.armStale(socket);
          for (const text of queued.splice(0)) this.options.onMessage(text);
        },
        (e: unknown) => {
          if (this.socket !== socket || preparation.signal.aborted) return;
          // Capped at what a timer can wait: a longer delay would fire after 1 ms, as Node.js timers do past 2^31 - 1 ms.
          if (e instanceof RetryLaterError) this.retryNotBeforeMs = Math.min(e.delayMs, MAX_TIMER_MS);
          this.options.onNotice(`could not prepare the connection to ${url}: ${e instanceof Error ? e.message : String(e)}`);
          socket.terminate();
        },
      );
    });
    socket.on('message', (data: WebSocket.RawData) => {
      if (this.socket !== socket) return;
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      if (ready) this.options.onMessage(text);
      else queued.push(text);
    });
    socket.on('pong', () => {
      awaitingPong = false;
    });
    socket.on('error', (e: Error & { code?: string }) => {
      if (this.socket !== socket || lost) return;
      if (e.code === TOO_LARGE) {
        this.options.onNotice(`a message from ${url} is larger than the ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB limit of one feed message: closing the connection`);
      } else {
        this.options.onNotice(`connection to ${url} failed: ${e.message}`);
      }
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (lost) return;
      lost = true;
      preparation.abort();
      if (this.socket !== socket || this.stopped) return;
      this.clearTimers();
      const delay = Math.max(backoffDelay(this.attempt, this.initial, this.cap, this.options.clock.random()), this.retryNotBeforeMs);
      this.retryNotBeforeMs = 0;
      this.attempt += 1;
      this.options.onNotice(`connection to ${url} lost${closedBy(code, reason)}; reconnecting in ${delay} ms (attempt ${this.attempt})`);
      this.cancelRetry = this.options.clock.setTimer(delay, () => {
        this.cancelRetry = null;
        this.connect();
      });
    });
  }

  /**
   * Says a valid message arrived: restarts the stale timeout (a feed that sends nothing valid is reconnected) and the
   * backoff. Only a valid message resets the backoff, not an open: a connection that dies before delivering anything
   * (a message it cannot take, sent again on every reconnect) keeps lengthening the delay up to its cap.
   */
  markAlive(): void {
    this.attempt = 0;
    if (this.socket !== null) this.armStale(this.socket);
  }

  private armStale(socket: WebSocket): void {
    this.cancelStale?.();
    this.cancelStale = this.options.clock.setTimer(this.stale, () => {
      if (this.socket !== socket) return;
      this.options.onNotice(`no valid message for ${this.stale} ms: the feed is stale, reconnecting`);
      socket.terminate();
    });
  }

  private armHeartbeat(socket: WebSocket): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = this.options.clock.setTimer(this.heartbeat, () => {
      if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
      if (this.pongCheck()) {
        this.options.onNotice(`no pong within ${this.heartbeat} ms: reconnecting`);
        socket.terminate();
        return;
      }
      socket.ping();
      this.armHeartbeat(socket);
    });
  }

  private clearTimers(): void {
    this.cancelHeartbeat?.();
    this.cancelStale?.();
    this.cancelHeartbeat = null;
    this.cancelStale = null;
  }
}
