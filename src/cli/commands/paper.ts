// `stratafolio paper`: runs a portfolio on a live bar stream through the backtest's code path, crash-safe, one writer.
import type { Command } from 'commander';
import { configFieldError, readPortfolioConfigFile, type ConfigSource, type PortfolioConfig } from '../../config/portfolioConfig.js';
import { namedSymbols } from '../../config/configSymbols.js';
import { loadConfiguredStrategies, preflightConfig } from '../preflight.js';
import { ConfigError, DataError } from '../../errors.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { FeedRecorder } from '../../../events/feedRecord.js';
import { SpacingWatch, feedAnnualisationWarning } from '../annualisationWarning.js';
import { Portfolio } from '../../../actors/portfolio.js';
import { parseBarTime } from '../../market/barTime.js';
import { parseEndpointFlag, parseFeedSpec, type FeedSpec } from '../../feeds/feedSpec.js';
import { BinanceFeed } from '../../feeds/binanceFeed.js';
import { NdjsonSocketFeed } from '../../feeds/ndjsonSocketFeed.js';
import { LineStreamFeed } from '../../feeds/stdinFeed.js';
import type { Feed, FeedClock } from '../../feeds/feed.js';
import { klineOpenTimesAround } from '../../feeds/feedMessages.js';
import type { ReconnectTimings } from '../../feeds/reconnectingSocket.js';
import { moduleLoadTimer, latestPlausibleBarMs, wallClock } from '../../feeds/wallClock.js';
import { dec } from '../../money/decimal.js';
import { money, percent } from '../../display/figures.js';
import type { CliIO } from '../output.js';
import { PaperSession, paperStoreOptions, type FeedCounts, type SessionEnd, type SliceStatus } from '../paperSession.js';
import { describeAnswer, queuedCommands } from '../queuedCommands.js';
import { DEFAULT_JIT_WARM_UP_SLICES, jitWarmUp } from '../jitWarmUp.js';
import { printRecoveryWarnings, strategyTimeoutMs, strategyTimeoutOption } from '../portfolioOptions.js';
import { storedHeadHash } from '../runSummary.js';
import type { RegisterCommand } from './index.js';
import { MAX_TIMER_HOURS, MAX_TIMER_MS } from '../../timerLimit.js';
import { describeIncident } from '../../../projections/incidents.js';

interface PaperFlags {
  readonly config: string;
  readonly feed: string;
  readonly store: string;
  readonly until?: string;
  readonly from?: string;
  readonly json?: boolean;
  readonly symbols?: string;
  readonly endpoint?: string;
  readonly restEndpoint?: string;
  readonly allowedLateness: string;
  readonly closeAfter?: string;
  readonly staleTimeout: string;
  readonly heartbeat: string;
  readonly maxBackoff: string;
  readonly strategyTimeout: string;
  readonly jitWarmUp: string;
}

/** Exit code of a session whose feed ended before its --until bar time. */
export const EXIT_FEED_ENDED_EARLY = 3;
/** The feed could not be read on (stdin failed): the session ends after what it had, not done, as a failure. */
export const EXIT_FEED_FAILED = 1;

/** Registers `paper`. */
export const registerPaper: RegisterCommand = (program: Command, io: CliIO, setExit) => {
  program
    .command('paper')
    .description('run a portfolio on a live bar stream (paper trading); running it again resumes after the last durable slice')
    .requiredOption('--config <file>', 'portfolio config (JSON)')
    .requiredOption('--feed <spec>', 'binance:SYMBOL[,SYMBOL…]@interval | ws://… or wss://… (NDJSON bars) | - (NDJSON bars on stdin)')
    .option('--store <url>', 'event store URL (durability full unless the URL says otherwise)', 'sqlite:./runs/paper.db')
    .option('--until <bar time>', 'stop cleanly after the slice at this bar time')
    .option('--from <bar time>', 'first bar time of a new session (backfilled where the feed can)')
    .option('--symbols <list>', 'symbols to slice on, comma-separated (default: the feed’s, or those the config names)')
    .option('--endpoint <ws url>', 'Binance WebSocket endpoint (default wss://stream.binance.com:9443)')
    .option('--rest-endpoint <http url>', 'Binance REST endpoint, serving /api/v3/klines and /api/v3/time (default https://api.binance.com)')
    .option('--allowed-lateness <duration>', 'how long a slice waits for missing bars once a later bar has arrived', '0ms')
    .option('--close-after <duration>', 'close a slice this long after its first bar if no later bar has come by then (once one has, only --allowed-lateness closes it)')
    .option('--stale-timeout <duration>', 'reconnect when no valid message arrives for this long', '30s')
    .option('--heartbeat <duration>', 'ping interval (a missing pong by the next ping reconnects)', '10s')
    .option('--max-backoff <duration>', 'cap on the reconnect delay', '30s')
    .option('--json', 'print one JSON object per slice (NDJSON) and a summary at the end')
    .option('--jit-warm-up <slices>', 'synthetic slices the engine decides on a throwaway copy before connecting, so the first trading slices do not run cold (0: none)', String(DEFAULT_JIT_WARM_UP_SLICES))
    .addOption(strategyTimeoutOption())
    .action(async (flags: PaperFlags) => {
      setExit(await runPaper(flags, io, wallClock));
    });
};

/**
 * Parses a duration: a number with unit ms, s, m or h.
 * @throws ConfigError naming the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (m === null) throw new ConfigError(`${flag} ${JSON.stringify(text)} is not a duration (e.g. 500ms, 2s, 1m)`, flag);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/**
 * A duration the session sets a timer for: no longer than a timer can wait, which would fire it after 1 ms instead.
 * @throws ConfigError naming the flag.
 */
function timerDuration(text: string, flag: string): number {
  const ms = parseDuration(text, flag);
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(`${flag} ${JSON.stringify(text)} is longer than a timer can wait (${MAX_TIMER_MS} ms, about ${MAX_TIMER_HOURS}h): give at most ${MAX_TIMER_HOURS}h`, flag);
  }
  return ms;
}

/**
 * A timer's duration that must be longer than zero, `why` saying what a zero would do: a zero stale timeout, heartbeat
 * or reconnect delay turns the feed's reconnection into a loop without pause.
 * @throws ConfigError naming the flag.
 */
function positiveDuration(text: string, flag: string, why = 'the feed would reconnect in a loop without pause'): number {
  const ms = timerDuration(text, flag);
  if (ms <= 0) throw new ConfigError(`${flag} ${JSON.stringify(text)} must be longer than 0 (e.g. 500ms, 2s, 1m): at 0 ${why}`, flag);
  return ms;
}

function wholeNumberFlag(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${flag} ${JSON.stringify(text)} is not a whole number`, flag);
  return Number(text);
}

function barTimeFlag(text: string | undefined, flag: string): number | null {
  if (text === undefined) return null;
  const t = parseBarTime(text);
  if (!t.ok) throw new ConfigError(`${flag}: ${t.reason}`, flag);
  return t.ms;
}

function openFeed(spec: FeedSpec, flags: PaperFlags, clock: FeedClock, timings: ReconnectTimings): Feed {
  if (spec.kind === 'binance') {
    const endpoint = parseEndpointFlag(flags.endpoint, '--endpoint');
    const restEndpoint = parseEndpointFlag(flags.restEndpoint, '--rest-endpoint');
    return new BinanceFeed({ symbols: spec.symbols, interval: spec.interval, endpoint, restEndpoint, clock, ...timings });
  }
  if (flags.endpoint !== undefined || flags.restEndpoint !== undefined) {
    throw new ConfigError('--endpoint and --rest-endpoint apply to binance: feeds only', 'endpoint');
  }
  if (spec.kind === 'websocket') return new NdjsonSocketFeed({ url: spec.url, clock, ...timings });
  return new LineStreamFeed(process.stdin);
}

/**
 * A Binance feed's bars are its klines, at their open times: a --from between two would take the kline before it,
 * earlier than --from (its bars being accepted from --from less one interval).
 * @throws ConfigError naming the open times around it.
 */
function checkFromOnInterval(fromMs: number, interval: string, feed: Feed): void {
  const around = klineOpenTimesAround(fromMs, { name: interval, ms: feed.intervalMs ?? 0 });
  if (around === null) return;
  const iso = (ms: number): string => new Date(ms).toISOString();
  throw new ConfigError(`--from ${iso(fromMs)} is not the open time of a ${interval} kline (a bar time of ${feed.description}): give ${iso(around.before)} or ${iso(around.after)}`, 'from');
}

function subscribedSymbols(config: PortfolioConfig, source: ConfigSource, feed: Feed, flags: PaperFlags): string[] {
  // A feed that names its symbols (Binance) reads them in any case, as `--feed` does; a generic feed's are as its bars spell them.
  const delivered = feed.symbols;
  const given = flags.symbols
    ?.split(',')
    .map((s) => (delivered === null ? s.trim() : s.trim().toUpperCase()))
    .filter((s) => s !== '');
  if (given !== undefined && given.length === 0) {
    throw new ConfigError(`--symbols ${JSON.stringify(flags.symbols)} names no symbol: give them comma-separated (--symbols BTCUSDT,ETHUSDT), or leave it out to slice on the config's`, 'symbols');
  }
  const undelivered = delivered === null ? undefined : given?.find((s) => !delivered.includes(s));
  if (undelivered !== undefined && delivered !== null) {
    throw new ConfigError(
      `--symbols ${JSON.stringify(flags.symbols)}: ${undelivered} is not delivered by ${feed.description}, so every slice would wait for it and record it missing: ` +
        `add it to --feed (${flags.feed.replace(/@[^@]*$/, (at) => `,${undelivered}${at}`)}) or leave it out`,
      'symbols',
    );
  }
  const symbols = [...new Set(given ?? feed.symbols ?? namedSymbols(config).map((n) => n.symbol))].sort();
  if (symbols.length === 0) {
    throw new ConfigError(`${flags.config} names no symbols (params.symbol / params.symbols): pass --symbols A,B to say which bars make a slice`, 'symbols');
  }
  const missing = namedSymbols(config).filter((n) => !symbols.includes(n.symbol));
  if (missing.length > 0) {
    const m = missing[0] as (typeof missing)[number];
    throw configFieldError(source, m.field, `symbol "${m.symbol}" is not delivered by ${feed.description} (it delivers ${symbols.join(', ')})`);
  }
  return symbols;
}

/** Runs a paper session and returns the exit code (0: --until reached, stopped by a signal, or the input ended without --until). */
export async function runPaper(flags: PaperFlags, io: CliIO, clock: FeedClock): Promise<number> {
  const { config, source } = await readPortfolioConfigFile(flags.config);
  for (const warning of preflightConfig(config, source)) io.stderr.write(`stratafolio: warning: ${warning}\n`);
  const spec = parseFeedSpec(flags.feed);
  const untilMs = barTimeFlag(flags.until, '--until');
  const fromMs = barTimeFlag(flags.from, '--from');
  if (untilMs !== null && fromMs !== null && untilMs < fromMs) {
    throw new ConfigError(
      `--until ${new Date(untilMs).toISOString()} is before --from ${new Date(fromMs).toISOString()}: no slice could be taken; give an --until at or after --from`,
      'until',
    );
  }
  const maxBackoffMs = positiveDuration(flags.maxBackoff, '--max-backoff');
  const timings: ReconnectTimings = {
    staleMs: positiveDuration(flags.staleTimeout, '--stale-timeout'),
    heartbeatMs: positiveDuration(flags.heartbeat, '--heartbeat'),
    maxBackoffMs,
    initialBackoffMs: Math.min(250, maxBackoffMs),
  };
  const allowedLatenessMs = timerDuration(flags.allowedLateness, '--allowed-lateness');
  const warmUpSlices = wholeNumberFlag(flags.jitWarmUp, '--jit-warm-up');
  const closeAfterMs =
    flags.closeAfter === undefined
      ? null
      : positiveDuration(
          flags.closeAfter,
          '--close-after',
          "every slice would close at its first bar, and the other symbols' bars of that time would all be late; leave it out to close slices only when complete or passed by a later bar",
        );
  const feed = openFeed(spec, flags, clock, timings);
  if (spec.kind === 'binance' && fromMs !== null) checkFromOnInterval(fromMs, spec.interval, feed);
  const symbols = subscribedSymbols(config, source, feed, flags);
  const spacing = feedAnnualisationWarning(feed.description, feed.intervalMs, config.barsPerYear);
  if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
  // Installed before the store is opened: a signal during start-up (opening the portfolio, the JIT warm-up) ends the run
  // before its first slice, with nothing appended and the lock released; once the session runs, it ends the session
  // after the slice in progress, if any.
  const startup: { signal: NodeJS.Signals | null; session: PaperSession | null } = { signal: null, session: null };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (startup.session === null) startup.signal = signal;
    else startup.session.stop({ reason: 'signal', signal });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runPaperSession(flags, io, clock, { config, source, feed, symbols, untilMs, fromMs, allowedLatenessMs, closeAfterMs, warmUpSlices }, startup);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What `runPaper` reads from its flags before it opens the store. */
interface PaperSetup {
  readonly config: PortfolioConfig;
  readonly source: ConfigSource;
  readonly feed: Feed;
  readonly symbols: string[];
  readonly untilMs: number | null;
  readonly fromMs: number | null;
  readonly allowedLatenessMs: number;
  readonly closeAfterMs: number | null;
  readonly warmUpSlices: number;
}

async function runPaperSession(
  flags: PaperFlags,
  io: CliIO,
  clock: FeedClock,
  { config, source, feed, symbols, untilMs, fromMs, allowedLatenessMs, closeAfterMs, warmUpSlices }: PaperSetup,
  startup: { signal: NodeJS.Signals | null; session: PaperSession | null },
): Promise<number> {
  // Strategy modules load before the store opens: one that cannot load leaves no store behind.
  const timeoutMs = strategyTimeoutMs(flags.strategyTimeout);
  const baseDir = Portfolio.baseDirOf(flags.config);
  const loaded = await loadConfiguredStrategies(config, source, { baseDir, strategyTimeoutMs: timeoutMs, loadTimer: moduleLoadTimer });
  const store = await openEventStore(flags.store, paperStoreOptions(flags.store));
  const notice = (line: string): void => {
    io.stderr.write(`stratafolio: ${line}\n`);
  };
  const stoppedAtStart = (signal: NodeJS.Signals): number => {
    const detail = `stopped by ${signal} during start-up, before the first slice: nothing applied this run`;
    if (flags.json) writeLine(io, { type: 'summary', portfolioId: config.id, store: store.url, ended: 'signal', detail, exitCode: 0, slicesThisRun: 0 });
    else io.stdout.write(`${detail}\n`);
    return 0;
  };
  try {
    const lock = await store.acquireWriterLock(config.id);
    try {
      const portfolio = await Portfolio.open({ store, config, baseDir, strategyTimeoutMs: timeoutMs, loadTimer: moduleLoadTimer, loaded });
      printRecoveryWarnings(portfolio, io);
      try {
        const last = portfolio.status().lastBarTime;
        const recorder = await FeedRecorder.open(store, config.id, last);
        // A slice stamped ahead of the clock (applied before such bars were refused, or by a backtest) would make every
        // real bar late: said at once instead of a session that applies nothing.
        if (last !== null && Date.parse(last) > latestPlausibleBarMs()) {
          throw new DataError(
            `the log of portfolio "${config.id}" ends with a slice at ${last}, ahead of this machine's clock: every bar a live feed sends would be late. ` +
              (recorder.lastTime === null ? 'Run the session on another store' : 'Run the session on another store (export-bars writes out the bars of this one)'),
          );
        }
        // --from places a new session's first slice; a portfolio with slices resumes after its last whatever it says.
        // The same command run again after a stop gives a --from before that slice, which changes nothing: a later one
        // would have skipped bars the session applies now.
        if (fromMs !== null && last !== null && fromMs > Date.parse(last)) {
          io.stderr.write(
            `stratafolio: warning: --from ${new Date(fromMs).toISOString()} is not used: portfolio "${config.id}" has slices up to ${last} already, and the session resumes after its last\n`,
          );
        }
        // Before the feed connects, so no bar waits on it.
        const warmUp = startup.signal === null ? await jitWarmUp(config, symbols, warmUpSlices, () => startup.signal !== null) : null;
        if (startup.signal !== null) return stoppedAtStart(startup.signal);
        if (warmUp !== null && warmUp.skipped !== null && warmUpSlices > 0) notice(`JIT warm-up skipped: ${warmUp.skipped}`);
        const total = dec(portfolio.status().totalCapital);
        // A feed that names its interval was judged at the start; any other is judged by the slices it delivers.
        const spacingWatch = feed.intervalMs === null ? new SpacingWatch(feed.description, config.barsPerYear) : null;
        const session = new PaperSession({
          portfolio,
          store,
          recorder,
          feed,
          clock,
          symbols,
          untilMs,
          fromMs,
          allowedLatenessMs,
          closeAfterMs,
          commands: queuedCommands(store, config.id, (commandId, what, result, byEarlierRun) => notice(`command ${commandId} ${what}: ${describeAnswer(result, byEarlierRun)}`)),
          latestPlausibleBarMs,
          onNotice: notice,
          onSlice: (s) => {
            printSlice(io, s, total.isZero() ? 0 : dec(s.report.portfolioValue).div(total).minus(1).toNumber(), flags.json === true);
            // What happened to a strategy in the slice, as `audit --events` lists it; rejected orders are left to audit
            // (a gap in a symbol with next-open fills rejects one per strategy that ordered it, and the gap is told already).
            for (const event of s.report.events) {
              const incident = describeIncident(event);
              if (incident !== null && incident.kind !== 'rejection') notice(`${s.report.time}: strategy ${incident.strategyId} ${incident.kind}: ${incident.message}`);
            }
            const spacing = spacingWatch?.observe(s.report.time) ?? null;
            if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
          },
        });
        if (startup.signal !== null) return stoppedAtStart(startup.signal);
        // From here a signal ends the session after the slice in progress, if any.
        startup.session = session;
        const end: SessionEnd = await session.run();
        const status = portfolio.status();
        const code = exitCodeOf(end, untilMs);
        const why = describeEnd(end, untilMs, status.lastBarTime);
        // As after a backtest: kept apart, it lets `audit --verify --expect-head` tell a log cut at its end.
        const headHash = await storedHeadHash(store, config.id);
        if (flags.json) {
          writeLine(io, {
            type: 'summary',
            portfolioId: status.portfolioId,
            store: store.url,
            ended: end.reason,
            detail: why,
            exitCode: code,
            slicesThisRun: session.slices,
            slices: status.slices,
            lastBarTime: status.lastBarTime,
            portfolioValue: status.portfolioValue,
            headHash,
            feed: { ...session.counts },
          });
        } else {
          io.stdout.write(`${why}: ${session.slices} slices this run, ${status.slices} in all; last bar ${status.lastBarTime ?? '—'}; value ${money(status.portfolioValue)}\n`);
          io.stdout.write(`${feedCountsLine(session.counts)}\n`);
          io.stdout.write(`head hash ${headHash} (keep it apart: audit --verify --expect-head <hash> detects a cut log)\n`);
        }
        if (code !== 0) notice(why);
        return code;
      } finally {
        portfolio.close();
      }
    } finally {
      await lock.release();
    }
  } finally {
    await store.close();
  }
}

function exitCodeOf(end: SessionEnd, untilMs: number | null): number {
  if (end.reason === 'failed') throw end.error;
  if (end.reason === 'feed-ended' && untilMs !== null) return EXIT_FEED_ENDED_EARLY;
  if (end.reason === 'feed-failed') return EXIT_FEED_FAILED;
  return 0;
}

/** What the summary says of how the session ended (`last`: the log's last bar time). */
export function describeEnd(end: SessionEnd, untilMs: number | null, last: string | null): string {
  switch (end.reason) {
    case 'until': {
      const until = new Date(untilMs ?? 0).toISOString();
      // A restart with an earlier --until than the run before it (the log ends past it): nothing was there to reach.
      return last !== null && untilMs !== null && Date.parse(last) > untilMs ? `--until ${until} was passed before this run (the log ends at ${last})` : `reached --until ${until}`;
    }
    case 'signal':
      // Only a slice the signal interrupted is "in progress": one that came while the session waited for the feed
      // stopped it between two slices, with nothing left to finish.
      if (end.slicesInProgress === 0) return `stopped by ${end.signal} between slices (every slice applied is durable)`;
      return end.slicesInProgress === 1 ? `stopped by ${end.signal} after the slice in progress` : `stopped by ${end.signal} after the ${end.slicesInProgress} slices in progress`;
    case 'feed-ended':
      return untilMs === null ? `the feed ended (${end.detail})` : `the feed ended (${end.detail}) at ${last ?? 'no slice'} before --until ${new Date(untilMs).toISOString()}`;
    case 'feed-failed':
      return `the feed failed (${end.detail}) at ${last ?? 'no slice'}`;
    case 'failed':
      return 'failed';
  }
}

/** What the feed delivered this run and what of it was not applied, as the text summary's second line. */
function feedCountsLine(c: Readonly<FeedCounts>): string {
  return (
    `feed this run: bars applied ${c.bars}; not applied: duplicates ${c.duplicates}, late ${c.late}, conflicting ${c.conflicting}, ` +
    `invalid ${c.invalid}, unknown symbol ${c.unknownSymbol}, pending at the stop ${c.pendingAtStop}; gaps recorded ${c.gaps}`
  );
}

function printSlice(io: CliIO, s: SliceStatus, ret: number, json: boolean): void {
  const orders = s.report.events.filter((e) => e.type === 'OrderPlaced').length;
  if (json) {
    writeLine(io, {
      type: 'slice',
      time: s.report.time,
      portfolioValue: s.report.portfolioValue,
      return: ret,
      orders,
      latencyMs: s.latencyMs,
      closedBy: s.closedBy,
      // Bars pending at the stop are known only once the session has ended: the summary gives them.
      feed: { bars: s.counts.bars, duplicates: s.counts.duplicates, late: s.counts.late, conflicting: s.counts.conflicting, invalid: s.counts.invalid, unknownSymbol: s.counts.unknownSymbol, gaps: s.counts.gaps },
    });
    return;
  }
  const latency = s.latencyMs === null ? 'recovered' : `${s.latencyMs} ms`;
  io.stdout.write(`${s.report.time}  value ${money(s.report.portfolioValue)}  return ${percent(ret)}  orders ${orders}  latency ${latency}\n`);
}

/** One JSON object on one line (NDJSON). */
function writeLine(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
