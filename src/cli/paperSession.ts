// A paper-trading session: bars from a live feed → slices (BarSlicer) → the same slice decisions a backtest runs,
// each slice committed with its feed record in one transaction. Recovers from the feed record after a crash, stops
// cleanly on a signal or after the --until slice, and reports every slice, refused message and gap.
import type { Portfolio, SliceReport } from '../../actors/portfolio.js';
import type { LiveSlice } from '../../actors/supervisorMachine.js';
import type { OpenEventStoreOptions } from '../../events/openEventStore.js';
import type { EventStore } from '../../events/store.js';
import type { FeedGapRecord, FeedRecorder, RecordedCommand } from '../../events/feedRecord.js';
import { BarSlicer, type ClosedSlice } from '../feeds/barSlicer.js';
import type { Feed, FeedClock, FeedSink } from '../feeds/feed.js';
import type { TimedBar } from '../feeds/feedMessages.js';
import { formatBarTime } from '../market/barTime.js';
import type { BarSlice } from '../market/bar.js';

/** Counters of what the feed sent: the bars applied (in durable slices) and those that were not, and why. */
export interface FeedCounts {
  /** Bars of the slices applied and durable this run (a recovered slice's are not the feed's this run). */
  bars: number;
  duplicates: number;
  late: number;
  conflicting: number;
  invalid: number;
  unknownSymbol: number;
  gaps: number;
  /**
   * Bars taken from the feed that were in no applied slice when the session stopped: a slice still open (waiting for a
   * symbol) or closed but not started (past --until, or queued at a signal). Counted once the session has ended.
   */
  pendingAtStop: number;
}

/** What one live slice did, for the status line and NDJSON. */
export interface SliceStatus {
  readonly report: SliceReport;
  /** Wall-clock ms from the slice's closing (its last bar's arrival, or what else closed it) to its events being durable; null when recovered. */
  readonly latencyMs: number | null;
  readonly closedBy: ClosedSlice['closedBy'] | 'recovered';
  readonly counts: Readonly<FeedCounts>;
}

/** Why a session is asked to stop: by a signal ({@link PaperSession.stop}), or by itself. */
export type StopRequest =
  | { readonly reason: 'until' }
  | { readonly reason: 'signal'; readonly signal: string }
  | { readonly reason: 'feed-ended'; readonly detail: string }
  /** The feed could not go on (its input could not be read): the run is not done, and not by the user's choice. */
  | { readonly reason: 'feed-failed'; readonly detail: string }
  | { readonly reason: 'failed'; readonly error: unknown };

/**
 * Why a session ended. A signal's end says how many slices were in progress when it came (handed to the portfolio,
 * or being handed to it) and were finished and made durable before the session ended: 0 when it came between slices.
 */
export type SessionEnd = Exclude<StopRequest, { readonly reason: 'signal' }> | { readonly reason: 'signal'; readonly signal: string; readonly slicesInProgress: number };

/** Applies a queued command to the portfolio (validated by it); returns the command as recorded. */
export interface CommandSource {
  /** Commands queued since the last slice that the paper session has not yet applied, validated and applied now. */
  applyQueued(portfolio: Portfolio, applied: ReadonlySet<string>): Promise<readonly RecordedCommand[]>;
  /** Re-applies the commands recorded with a slice (recovery of a slice recorded before a crash), as the run that recorded them applied them. */
  reapply(portfolio: Portfolio, commands: readonly RecordedCommand[]): void;
  /**
   * Tells the queue the commands are durable with their slice. `recovered`: the slice was recorded by an earlier run
   * and is applied again from the record, so its commands were applied then (and may have been answered then).
   */
  settle(commands: readonly RecordedCommand[], slice: BarSlice, recovered?: boolean): Promise<void>;
}

/** How a session runs. */
export interface PaperSessionOptions {
  readonly portfolio: Portfolio;
  /** The portfolio's store, whose upkeep the session does between slices (see {@link PaperSession}). */
  readonly store: Pick<EventStore, 'maintain'>;
  readonly recorder: FeedRecorder;
  readonly feed: Feed;
  readonly clock: FeedClock;
  readonly symbols: readonly string[];
  /** Stop after the slice at this bar time (epoch ms). */
  readonly untilMs: number | null;
  /** First bar time wanted by a new session (epoch ms): the feed backfills from it. */
  readonly fromMs: number | null;
  readonly allowedLatenessMs: number;
  readonly closeAfterMs: number | null;
  readonly commands: CommandSource | null;
  /**
   * The latest bar time (epoch ms) a bar may carry when it arrives, or null for no bound. The CLI derives it from the
   * wall clock; `clock` may be any monotonic clock (benches, tests), so bar times are never compared with it. A bar
   * past the bound is refused before the slicer: once accepted it would pass the watermark over every real bar.
   */
  readonly latestPlausibleBarMs?: (() => number) | null;
  readonly onSlice: (status: SliceStatus) => void;
  /** A line for stderr (refused message, connection change, gap). */
  readonly onNotice: (line: string) => void;
}

/**
 * How a paper session opens its store: every slice durable unless the URL says otherwise, appended on the session's
 * own thread. A writer thread overlaps a commit with the next slice's decision, which a live session rarely has (its
 * slices arrive one at a time), and the round trip to it lengthens every slice: in-thread, trading slices p50 5.45 →
 * 4.11 ms and latency p99 8.78 → 7.52 ms, for 2,736 → 2,130 slices/s (paper bench, medians of 5 interleaved runs).
 */
export function paperStoreOptions(url: string): OpenEventStoreOptions {
  return { ...(url.includes('durability=') ? {} : { durability: 'full' }), writerThread: false };
}

/**
 * Most slices committed in one transaction. Slices queue up only when they close faster than they commit (a backfill,
 * a burst); a group of them shares one fsync, and its first slice is reported once the group is durable.
 */
const GROUP_COMMIT_LIMIT = 64;

/**
 * Late bars, conflicting bars, refused messages and each symbol's gaps, reported one line each before they are summarised. A restart that
 * feeds its input again from the start makes every bar before the resume point late, a server that sends a status
 * message every second is refused every second, and a symbol that never reports (a config naming one the input lacks,
 * a stock listed years into a file) has a gap in every slice: a line each would bury everything else on stderr.
 */
const LINES_SHOWN = 5;

/** Reports summarised once they are no longer shown one by one, per line (a last line covers the rest at the end). */
const SUMMARY_EVERY = 100;

/**
 * Reports of one kind shown on stderr one by one up to {@link LINES_SHOWN}, then one summary line per
 * {@link SUMMARY_EVERY} naming the latest, and a last one for the rest ({@link flush}). Counting is the caller's: every
 * report is counted, shown or not.
 */
class ThrottledLines {
  private seen = 0;
  private unshown = 0;
  private latest = '';

  constructor(
    private readonly emit: (line: string) => void,
    /** The line of one report (`what` and its `detail`); `more` is set on the last shown, saying what follows. */
    private readonly line: (what: string, detail: string, more: string) => string,
    /** What the summaries count (`late bars`, `refused messages`). */
    private readonly plural: string,
    /** Appended to each summary line. */
    private readonly tail: string,
  ) {}

  /** Reports `what` (named again by a summary as the latest) with its `detail` (shown on its own line only). */
  report(what: string, detail: string): void {
    this.seen += 1;
    if (this.seen <= LINES_SHOWN) {
      this.emit(this.line(what, detail, this.seen === LINES_SHOWN ? `; further ${this.plural} are summarised, one line per ${SUMMARY_EVERY}` : ''));
      return;
    }
    this.unshown += 1;
    this.latest = what;
    if (this.unshown >= SUMMARY_EVERY) this.flush();
  }

  /** Summarises the reports not shown yet, if any. */
  flush(): void {
    if (this.unshown === 0) return;
    this.emit(`${this.plural}: ${this.unshown} more not shown (${this.seen} in all), the latest ${this.latest}${this.tail}`);
    this.unshown = 0;
  }
}

/** A closed slice waiting for the engine, with the wall-clock time it closed. */
interface QueuedSlice {
  readonly closed: ClosedSlice;
  readonly closedAt: number;
}

/** A slice handed to the portfolio: its feed record to commit with it, and what to report once durable. */
interface SessionSlice extends LiveSlice, QueuedSlice {
  readonly commands: readonly RecordedCommand[];
  readonly gaps: number;
}

/**
 * One live session over one portfolio. Whenever a slice is durable and no other is closed or being decided, the session
 * has the store do its upkeep (SQLite's checkpoint), which would otherwise run inside some later slice's commit; a bar
 * that arrives meanwhile waits for it. (A slice still being handed over, its commands being read, is not counted.)
 */
export class PaperSession {
  readonly counts: FeedCounts = { bars: 0, duplicates: 0, late: 0, conflicting: 0, invalid: 0, unknownSymbol: 0, gaps: 0, pendingAtStop: 0 };
  private slicer: BarSlicer | null = null;
  /** Closed slices not yet handed to the portfolio, in bar-time order. */
  private queue: QueuedSlice[] = [];
  private wake: (() => void) | null = null;
  /** Set when the feed has ended: the queue is drained, then the session ends. */
  private feedEnded: { readonly detail: string; readonly failed: boolean } | null = null;
  /** Groups handed to the portfolio whose commands are not yet answered (commands are taken when none is). */
  private commandsInFlight = 0;
  private end: StopRequest | null = null;
  /** Slices durable when the stop was asked for: those made durable after it were in progress then. */
  private durableAtStop = 0;
  private cancelDeadline: (() => void) | null = null;
  private slicesThisRun = 0;
  /** Slices handed to the portfolio and not yet reported durable. */
  private inFlight = 0;
  /** Late bars (`BTCUSDT <time> from <origin>`) and refused messages (`<origin>: <reason>`), as stderr shows them. */
  private readonly lateLines: ThrottledLines;
  private readonly refusedLines: ThrottledLines;
  private readonly conflictLines: ThrottledLines;
  /** Gap lines per symbol (every gap is still recorded and counted). */
  private readonly gapLines = new Map<string, ThrottledLines>();
  /** Bars refused per symbol the session does not trade. */
  private readonly unknownSymbols = new Map<string, number>();
  /** Bars of the slices the end of the input left for the next run (said by their own line, counted as pending). */
  private heldBackAtEnd = 0;

  constructor(private readonly options: PaperSessionOptions) {
    this.lateLines = new ThrottledLines(options.onNotice, (what, detail, more) => `late bar ${what}: ${detail}; not applied${more}`, 'late bars', '; not applied');
    this.refusedLines = new ThrottledLines(options.onNotice, (what, detail, more) => `refused ${what}${detail}${more}`, 'refused messages', '');
    this.conflictLines = new ThrottledLines(options.onNotice, (what, detail, more) => `conflicting bar ${what}: ${detail}${more}`, 'conflicting bars', '; the first is kept');
  }

  /** Slices applied by this process (recovered ones included). */
  get slices(): number {
    return this.slicesThisRun;
  }

  /** Runs until --until, a stop request, the end of the feed, or a failure. */
  async run(): Promise<SessionEnd> {
    const o = this.options;
    // Slices recorded but not applied before a crash are applied first, exactly as recorded: a store without a
    // transaction across streams (KurrentDB), or a log written by a version that appended the two apart.
    for (const recorded of o.recorder.pending) {
      const last = o.portfolio.status().lastBarTime;
      if (last !== null && recorded.slice.time <= last) continue;
      o.commands?.reapply(o.portfolio, recorded.commands);
      const report = await o.portfolio.processSlice(recorded.slice);
      await o.commands?.settle(recorded.commands, recorded.slice, true);
      this.slicesThisRun += 1;
      o.onSlice({ report, latencyMs: null, closedBy: 'recovered', counts: { ...this.counts } });
    }
    // The portfolio's last slice, not the record's: a portfolio a backtest wrote before any session ran holds slices the
    // record does not, and the feed resumes after them (its earlier bars are late) as after a recorded one. Every
    // recorded slice was applied above, so the log reaches at least the record's last.
    const lastTime = o.portfolio.status().lastBarTime;
    const lastMs = lastTime === null ? null : Date.parse(lastTime);
    if (o.untilMs !== null && lastMs !== null && lastMs >= o.untilMs) return { reason: 'until' };
    const interval = o.feed.intervalMs;
    const afterMs = lastMs ?? (o.fromMs === null ? null : o.fromMs - (interval ?? 1));
    this.slicer = new BarSlicer({ symbols: o.symbols, allowedLatenessMs: o.allowedLatenessMs, closeAfterMs: o.closeAfterMs, afterMs, intervalMs: interval });
    for (const slice of o.recorder.recent) this.slicer.remember(Date.parse(slice.time), Object.values(slice.bars));
    o.feed.start(this.sink());
    let failure: Extract<SessionEnd, { readonly reason: 'failed' }> | null = null;
    try {
      await o.portfolio.follow(this.groups(), (report, item) => this.report(report, item));
    } catch (error) {
      // A failure wins over a stop already asked for: the session did not end cleanly.
      failure = { reason: 'failed', error };
      this.stop(failure);
    }
    await o.feed.stop();
    this.cancelDeadline?.();
    // A failed session's one error line says what to do; the same command then resumes where the log ends.
    this.reportPendingAtStop(failure === null);
    this.lateLines.flush();
    this.refusedLines.flush();
    this.conflictLines.flush();
    for (const lines of this.gapLines.values()) lines.flush();
    this.reportUnknownSymbols();
    if (failure !== null) return failure;
    const end = this.end ?? { reason: 'feed-ended', detail: 'no more slices' };
    return end.reason === 'signal' ? { ...end, slicesInProgress: this.slicesThisRun - this.durableAtStop } : end;
  }

  /** Asks the session to stop: the slices handed to the portfolio are finished and appended, nothing after them is started. */
  stop(end: StopRequest): void {
    if (this.end !== null) return;
    this.end = end;
    this.durableAtStop = this.slicesThisRun;
    this.cancelDeadline?.();
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * The closed slices, in groups: whatever queued up since the portfolio last took some (at most
   * {@link GROUP_COMMIT_LIMIT}), each with its gaps noticed and its feed record prepared. Ends at a stop, after the
   * --until slice, or once the feed has ended and the queue is drained.
   */
  private async *groups(): AsyncGenerator<SessionSlice[]> {
    const o = this.options;
    for (;;) {
      while (this.queue.length === 0 && this.end === null && this.feedEnded === null) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.end !== null) return;
      if (this.queue.length === 0) {
        const ended = this.feedEnded ?? { detail: '', failed: false };
        this.stop({ reason: ended.failed ? 'feed-failed' : 'feed-ended', detail: ended.detail });
        return;
      }
      const group: SessionSlice[] = [];
      const batch = this.queue.splice(0, GROUP_COMMIT_LIMIT);
      for (let i = 0; i < batch.length; i += 1) {
        const queued = batch[i] as QueuedSlice;
        const closed = queued.closed;
        if (o.untilMs !== null && closed.ms > o.untilMs) {
          // Not started: back in the queue, counted as pending at the stop.
          this.queue.unshift(...batch.slice(i));
          this.stop({ reason: 'until' });
          break;
        }
        const gaps = this.gapsOf(closed);
        for (const g of gaps) this.gapLinesOf(g.symbol).report(`from ${g.from} to ${g.to}`, g.reason);
        // Commands go with a group's first slice (the others are decided right after it), and only once the commands
        // taken before are answered, so a command still in flight is never taken twice.
        const queue = group.length === 0 && this.commandsInFlight === 0 ? o.commands : null;
        const commands = queue === null ? [] : await queue.applyQueued(o.portfolio, o.recorder.appliedCommands);
        if (commands.length > 0) this.commandsInFlight += 1;
        group.push({ ...queued, slice: closed.slice, before: [o.recorder.prepare(closed.slice, gaps, commands)], commands, gaps: gaps.length });
        if (o.untilMs !== null && closed.ms >= o.untilMs) {
          this.queue.unshift(...batch.slice(i + 1));
          this.stop({ reason: 'until' });
          break;
        }
      }
      if (group.length > 0) {
        this.inFlight += group.length;
        yield group;
      }
    }
  }

  /** A slice is durable: its commands are answered, then it is reported. */
  private async report(report: SliceReport, item: SessionSlice): Promise<void> {
    const o = this.options;
    if (item.commands.length > 0) {
      await o.commands?.settle(item.commands, item.slice);
      this.commandsInFlight -= 1;
    }
    this.counts.gaps += item.gaps;
    this.counts.bars += Object.keys(item.slice.bars).length;
    this.slicesThisRun += 1;
    this.inFlight -= 1;
    o.onSlice({ report, latencyMs: o.clock.now() - item.closedAt, closedBy: item.closed.closedBy, counts: { ...this.counts } });
    if (this.inFlight === 0 && this.queue.length === 0) {
      try {
        await o.store.maintain?.();
      } catch (error) {
        // Upkeep, not a write of the log: every durable slice stays durable, so the session goes on (the store does the
        // checkpoint inside a later commit, or here again once more is written).
        o.onNotice(`the store's upkeep between slices failed (${error instanceof Error ? error.message : String(error)}); the session goes on`);
      }
    }
  }

  private sink(): FeedSink {
    const o = this.options;
    return {
      resumeAfterMs: () => this.slicer?.lastClosedMs ?? null,
      bars: (bars, origin) => this.offer(bars, origin),
      invalid: (origin, reason) => this.refused(origin, reason),
      notice: (line) => o.onNotice(line),
      ended: (detail) => this.inputEnded(detail, false),
      failed: (detail) => this.inputEnded(detail, true),
    };
  }

  /** The feed sends no more bars: the slices its end closes are queued, and the session ends once they are applied. */
  private inputEnded(detail: string, failed: boolean): void {
    const o = this.options;
    if (this.end !== null || this.slicer === null) return;
    // Before --until, a slice a later bar passed is closed by the watermark (no bar can reach it within the lateness
    // now) before the rest are flushed: with a lateness longer than the input takes to read, it would otherwise be
    // left for the next run, and a run over the same input would never get past it.
    const passed = o.untilMs === null ? [] : this.slicer.closePassed();
    this.enqueue([...passed, ...this.finalSlices(this.slicer.flush())], o.clock.now());
    this.feedEnded = { detail, failed };
    this.wakeUp();
  }

  /**
   * The slices the end of the input closes that are applied. Without --until, all of them: the input is the session, as
   * a file is a backtest's. With an --until not reached, the run is not done (exit 3) and the next one resumes after its
   * last slice: an incomplete slice applied now would make the bars its input sends later late, and the log differ from
   * an uninterrupted session's. So from the first incomplete one on, they are left for the next run, with one line.
   */
  private finalSlices(flushed: readonly ClosedSlice[]): readonly ClosedSlice[] {
    const o = this.options;
    if (o.untilMs === null) return flushed;
    const cut = flushed.findIndex((c) => c.closedBy !== 'complete');
    if (cut < 0) return flushed;
    const first = flushed[cut] as ClosedSlice;
    if (first.ms > o.untilMs) return flushed;
    const held = flushed.slice(cut).reduce((n, c) => n + Object.keys(c.slice.bars).length, 0);
    this.heldBackAtEnd += held;
    o.onNotice(
      `the input ended before --until with the slice at ${first.slice.time} incomplete (no bar of ${first.missing.join(', ')}): not applied, ` +
        `${flushed.length - cut > 1 ? 'nor the ones after it, ' : ''}so that the next run takes it whole from its input (${held} bar${held === 1 ? '' : 's'} held back)`,
    );
    return flushed.slice(0, cut);
  }

  private offer(bars: readonly TimedBar[], origin: string): void {
    const slicer = this.slicer;
    if (slicer === null || this.end !== null) return;
    const o = this.options;
    const now = o.clock.now();
    const latest = o.latestPlausibleBarMs?.() ?? null;
    for (const { ms, bar } of bars) {
      const at = `${bar.symbol} ${formatBarTime(ms)}`;
      if (latest !== null && ms > latest) {
        this.refused(origin, `${bar.symbol} bar time ${formatBarTime(ms)} is later than the latest plausible bar time ${formatBarTime(latest)} (this machine's clock plus a tolerance)`);
        continue;
      }
      const outcome = slicer.offer(bar, ms, now);
      switch (outcome.kind) {
        case 'accepted':
          // Counted as applied once its slice is durable; one still open at a stop is counted apart.
          break;
        case 'duplicate':
          this.counts.duplicates += 1;
          break;
        case 'late':
          this.late(`${at} from ${origin}`, outcome.lastClosedMs);
          break;
        case 'conflict':
          this.counts.conflicting += 1;
          this.conflictLines.report(`${at} from ${origin}`, 'another bar with other numbers came first and is kept');
          break;
        case 'unknown-symbol':
          this.unknownSymbol(bar.symbol, origin);
          break;
      }
    }
    this.enqueue(slicer.poll(now), now);
  }

  /**
   * Counts a bar of a symbol the session does not trade. A file or stream of more symbols than the config sends one
   * every bar: the first of each symbol is reported, the rest are counted and summed up when the session ends.
   */
  private unknownSymbol(symbol: string, origin: string): void {
    this.counts.unknownSymbol += 1;
    const seen = this.unknownSymbols.get(symbol) ?? 0;
    this.unknownSymbols.set(symbol, seen + 1);
    if (seen === 0) this.options.onNotice(`refused ${origin}: unknown symbol ${symbol} (subscribed: ${this.options.symbols.join(', ')}); its further bars are counted, not shown`);
  }

  private reportUnknownSymbols(): void {
    for (const [symbol, count] of this.unknownSymbols) {
      if (count > 1) this.options.onNotice(`unknown symbol ${symbol}: ${count} bars refused in all`);
    }
  }

  private gapLinesOf(symbol: string): ThrottledLines {
    let lines = this.gapLines.get(symbol);
    if (lines === undefined) {
      lines = new ThrottledLines(this.options.onNotice, (what, detail, more) => `gap: ${symbol} has no bars ${what} (${detail}); recorded, nothing invented${more}`, `gaps of ${symbol}`, '; recorded, nothing invented');
      this.gapLines.set(symbol, lines);
    }
    return lines;
  }

  /** Counts a late bar; reports the first ones one by one, the rest in summary lines. */
  private late(what: string, lastClosedMs: number): void {
    this.counts.late += 1;
    this.lateLines.report(what, `its slice closed already (last slice ${formatBarTime(lastClosedMs)})`);
  }

  /**
   * Counts and names the bars the session took but did not apply when it stopped: those of slices still open, and of
   * closed slices it did not start (past --until, or queued at a signal or a failure). Only a feed that sends them again
   * brings them to the next run, so they are said, not left out of every count. Those the end of the input held back
   * were said by {@link finalSlices}: counted here, not said again.
   */
  private reportPendingAtStop(say: boolean): void {
    const held = this.slicer?.held ?? { bars: 0, fromMs: null };
    let bars = held.bars;
    let fromMs = held.fromMs;
    for (const q of this.queue) {
      bars += Object.keys(q.closed.slice.bars).length;
      fromMs = fromMs === null ? q.closed.ms : Math.min(fromMs, q.closed.ms);
    }
    this.queue = [];
    this.counts.pendingAtStop = bars + this.heldBackAtEnd;
    if (!say || bars === 0 || fromMs === null) return;
    const one = bars === 1;
    this.options.onNotice(
      `${bars} ${one ? 'bar was' : 'bars were'} not applied: ${one ? 'its slice' : 'their slices'} (from ${formatBarTime(fromMs)}) ${one ? 'was' : 'were'} still open or queued when the session stopped; ` +
        `the next run applies ${one ? 'it' : 'them'} only if the feed sends ${one ? 'it' : 'them'} again (stdin: feed ${one ? 'it' : 'them'} again)`,
    );
  }

  /** Counts a refused message (or part of one); reports the first ones one by one, the rest in summary lines. */
  private refused(origin: string, reason: string): void {
    this.counts.invalid += 1;
    // A summary names the latest refused message with its reason: refusals differ, late bars do not.
    this.refusedLines.report(`${origin}: ${reason}`, '');
  }

  private enqueue(closed: readonly ClosedSlice[], closedAt: number): void {
    for (const c of closed) this.queue.push({ closed: c, closedAt });
    if (closed.length > 0) this.wakeUp();
    this.armDeadline();
  }

  /** Wakes the slicer when lateness or close-after may close a slice without a new bar. */
  private armDeadline(): void {
    this.cancelDeadline?.();
    this.cancelDeadline = null;
    const slicer = this.slicer;
    if (slicer === null || this.end !== null) return;
    const deadline = slicer.nextDeadline();
    if (deadline === null) return;
    const clock = this.options.clock;
    this.cancelDeadline = clock.setTimer(Math.max(0, deadline - clock.now()), () => {
      this.cancelDeadline = null;
      const now = clock.now();
      this.enqueue(slicer.poll(now), now);
    });
  }

  private gapsOf(closed: ClosedSlice): FeedGapRecord[] {
    const gaps: FeedGapRecord[] = [];
    if (closed.skipped !== null) {
      for (const symbol of [...this.options.symbols].sort()) {
        gaps.push({ symbol, from: formatBarTime(closed.skipped.fromMs), to: formatBarTime(closed.skipped.toMs), reason: 'not delivered and not recoverable from the feed' });
      }
    }
    for (const symbol of closed.missing) {
      gaps.push({ symbol, from: closed.slice.time, to: closed.slice.time, reason: `no bar when the slice closed (${closed.closedBy})` });
    }
    return gaps;
  }
}
