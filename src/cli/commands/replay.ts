// `stratafolio replay`: rebuilds the portfolio summary, per-strategy metrics and correlation matrix from an event log, as of any moment.
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { conventionOptions, resolveMetricOptions, type YearlyConventions } from '../../metrics/index.js';
import { logAnnualisationWarning } from '../annualisationWarning.js';
import { incidentLines, statisticsLines, statisticsOf } from '../runSummary.js';
import { BARS_PER_YEAR_HELP, RISK_FREE_HELP, parseConventionFlags, storedLogConventions } from '../yearlyConventions.js';
import { openEventStore, parseStoreUrl } from '../../../events/openEventStore.js';
import type { EventStore } from '../../../events/store.js';
import {
  ProjectionRunner,
  attributionView,
  correlationView,
  parseAsOf,
  portfolioSummary,
  positionsView,
  standardProjections,
  strategyMetrics,
  averageCashFraction,
  tradeSummaries,
  type AsOf,
  type RunResult,
} from '../../../projections/index.js';
import { firstBreak, verifyPortfolio } from '../../../projections/portfolioVerification.js';
import { LogBrokenError } from '../logBrokenError.js';
import { ownValue } from '../../records/ownKeys.js';
import { fixed, money, percent } from '../../display/figures.js';
import { formatTable, writeJson, type CliIO, wrapText } from '../output.js';
import type { RegisterCommand } from './index.js';
import { followPortfolio } from '../replayFollow.js';
import { choosePortfolio } from '../portfolioChoice.js';

/** How a command opens an existing store: `read-only` never writes; `cache-if-writable` may save projection checkpoints when the file and its folder can be written. */
export type StoreAccess = 'read-only' | 'cache-if-writable';

/**
 * Opens an existing store (a missing SQLite file or a PostgreSQL schema without the store's tables is an error, never a
 * new empty store). A file that is not a stratafolio store is refused unchanged. Read-only access works on a read-only
 * file or filesystem, or with a PostgreSQL role that may only read.
 * @throws ConfigError when the SQLite file does not exist; StoreConfigError for a malformed URL, a file that is not a store or a schema that holds none.
 */
export async function openExistingStore(url: string, access: StoreAccess = 'read-only', flag = '--store'): Promise<EventStore> {
  const location = parseStoreUrl(url);
  if (location.kind === 'sqlite' && !existsSync(location.path)) {
    throw new ConfigError(`${flag} ${url}: no such file ${location.path}`, flag.replace(/^--/, ''));
  }
  // A PostgreSQL role that may not write is found at the first write (StoreReadOnlyError), which the projection runner takes as read-only.
  const readOnly = (location.kind === 'sqlite' && (access === 'read-only' || !writable(location.path))) || (location.kind === 'postgres' && access === 'read-only');
  return openEventStore(url, { durability: 'normal', readOnly, existing: true });
}

/** Whether the file and its folder (where SQLite keeps its journal) can be written. */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses an `--as-of` position before the portfolio's first event: nothing of it would be folded, and the view would
 * read as an empty portfolio (in a store of several portfolios, a position where another one was being written).
 * @throws ConfigError naming the position its log starts at.
 */
export async function refuseAsOfBeforeLog(store: EventStore, stream: string, id: string, asOf: AsOf): Promise<void> {
  if (asOf.kind !== 'position') return;
  for await (const first of store.readStream(stream, { fromRevision: 0 })) {
    if (first.position > asOf.position) {
      throw new ConfigError(`--as-of ${asOf.position}: portfolio ${id} has no event at or before that position (its log starts at position ${first.position})`, 'asOf');
    }
    return;
  }
}

/** A number for JSON: non-finite statistics (NaN, ±Infinity) become null. */
export function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Replaces every non-finite number in a JSON-bound value by null. */
function finiteOnly<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as T;
}

const pct = (x: number): string => (Number.isFinite(x) ? percent(x) : 'n/a');
const ratio = (x: number): string => (Number.isFinite(x) ? fixed(x) : 'n/a');
const moneyOrNa = (s: string | null): string => (s === null ? 'n/a' : money(s));

interface ReplayFlags {
  readonly store: string;
  readonly riskFree?: string;
  readonly barsPerYear?: string;
  readonly portfolio?: string;
  readonly asOf?: string;
  readonly json?: boolean;
  readonly verify?: boolean;
  readonly follow?: boolean;
}

/** Folds every projection of one portfolio up to `asOf`, with progress on a TTY when asked. */
export async function replayPortfolio(store: EventStore, stream: string, asOf: AsOf, io: CliIO, progress: boolean, conventions: YearlyConventions = {}) {
  const runner = new ProjectionRunner(store, standardProjections(conventionOptions(conventions)), { stream });
  const bar = progress ? new cliProgress.SingleBar({ stream: io.stderr, format: 'replay [{bar}] {value}/{total} events', hideCursor: true }) : null;
  let started = false;
  try {
    return await runner.run({
      asOf,
      onProgress: (done, total) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
  } finally {
    if (bar && started) bar.stop();
  }
}

type Result = RunResult<ReturnType<typeof standardProjections>>;

function replayJson(id: string, stream: string, asOf: AsOf, r: Result, conventions: YearlyConventions) {
  const s = r.states;
  const options = conventionOptions(conventions);
  const trades = new Map(tradeSummaries(s.trades).map((t) => [t.strategyId, t]));
  const summary = portfolioSummary(s.portfolio, s.performance, options);
  const lifecycle = summary.strategies;
  const statistics = statisticsOf(s, conventions);
  return finiteOnly({
    portfolioId: id,
    stream,
    asOf,
    revision: r.revision,
    position: r.position,
    incompleteSlice: r.incompleteSlice,
    conventions: {
      ...resolveMetricOptions(options),
      annualRiskFree: conventions.annualRiskFree ?? 0,
      returns: 'simple, one per BarMarked, net of capital transfers',
      volatility: 'sample standard deviation (ddof 1)',
    },
    summary,
    faults: statistics.faults,
    liquidations: statistics.liquidations,
    paused: statistics.paused,
    strategies: strategyMetrics(s.performance, options).map((m) => ({
      ...m,
      state: ownValue(lifecycle, m.strategyId) ?? null,
      value: s.performance.accounts.strategies.get(m.strategyId)?.value.toString() ?? null,
      trades: trades.get(m.strategyId) ?? null,
      averageCashFraction: averageCashFraction(s.cashFraction, m.strategyId),
    })),
    correlation: correlationView(s.correlation, s.performance),
    attribution: attributionView(s.attribution),
    positions: positionsView(s.positions),
  });
}

/** Human report: summary lines, the metrics table, faults and pauses, and the correlation matrix, within 80 columns. */
function printReplay(io: CliIO, id: string, asOf: AsOf, r: Result, conventions: YearlyConventions): void {
  const s = r.states;
  const options = conventionOptions(conventions);
  const sum = portfolioSummary(s.portfolio, s.performance, options);
  const statistics = statisticsOf(s, conventions);
  const attribution = new Map(attributionView(s.attribution).strategies.map((a) => [a.strategyId, a.contribution]));
  const out: string[] = [];
  out.push(...wrapText(`portfolio ${id}: `, sum.name), `as of ${sum.asOf ?? 'the start'}: ${r.revision + 1} events, position ${r.position}`);
  if (r.incompleteSlice !== null && asOf.kind === 'position') {
    out.push(...wrapText('', `(--as-of ${asOf.position} falls inside the slice of ${r.incompleteSlice}, which is left out: every figure is at the end of the last complete slice)`));
  }
  out.push(
    `value ${money(sum.portfolioValue)} ${sum.baseCurrency}  capital ${money(sum.totalCapital)}  reserve ${money(sum.reserve)}  cash ${money(sum.cash)}`,
  );
  out.push(`return on capital ${pct(sum.returnOnCapital)}  active ${sum.activeStrategies.length}/${Object.keys(sum.strategies).length}`);
  out.push(...statisticsLines(statistics));
  out.push('');
  const rows = strategyMetrics(s.performance, options).map((m) => [
    m.strategyId,
    ownValue(sum.strategies, m.strategyId) ?? '-',
    moneyOrNa(s.performance.accounts.strategies.get(m.strategyId)?.value.toString() ?? null),
    moneyOrNa(attribution.get(m.strategyId) ?? null),
    pct(m.totalReturn),
    pct(m.annualVolatility),
    ratio(m.sharpeRatio),
    ratio(m.sortinoRatio),
    pct(m.maxDrawdown),
  ]);
  out.push(formatTable(['strategy', 'state', 'value', 'P&L', 'return', 'vol', 'Sharpe', 'Sortino', 'max DD'], rows));
  const cash = strategyMetrics(s.performance).map((m) => `${m.strategyId} ${pct(averageCashFraction(s.cashFraction, m.strategyId) ?? Number.NaN)}`);
  if (cash.length > 0) out.push(...wrapText('average cash (share of value, per bar): ', cash.join(', ')));
  out.push(...incidentLines(statistics));
  const c = correlationView(s.correlation, s.performance);
  if (c.ids.length > 1) {
    out.push('', 'correlation of returns (common bars)');
    out.push(formatTable(['', ...c.ids], c.ids.map((a, i) => [a, ...(c.matrix[i] ?? []).map(ratio)])));
  }
  const o = resolveMetricOptions(options);
  const annualRiskFree = conventions.annualRiskFree ?? 0;
  out.push('', `returns per bar net of transfers; ×${o.annualization} a year, ddof 1; risk-free ${pct(annualRiskFree)} a year`);
  // Sortino sits beside Sharpe in the table but measures the returns below 0 (empyrical's required return), not the excess
  // over the rate: without this line a Sortino far above the Sharpe reads as a mild downside rather than a rate left out.
  if (annualRiskFree !== 0) out.push('Sharpe and omega over the risk-free rate; Sortino and downside risk below 0');
  io.stdout.write(`${out.join('\n')}\n`);
}

/** Registers `replay`. */
export const registerReplay: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('replay')
    .description('Rebuild the portfolio summary, per-strategy metrics and correlations from the event log')
    .requiredOption('--store <url>', 'event store URL (see the README)')
    .option('--portfolio <id>', 'portfolio id (default: the only one in the store)')
    .option('--as-of <time|position>', 'stop at an ISO bar time (inclusive) or a global position (inclusive)')
    .option('--json', 'print JSON (money as decimal strings)')
    .option('--verify', "verify the whole log and a paper session's feed record (as `audit --verify` does) before printing any number")
    .option('--risk-free <annual rate>', RISK_FREE_HELP)
    .option('--bars-per-year <n>', BARS_PER_YEAR_HELP)
    .option('--follow', 'keep running: print an updated summary line (NDJSON with --json) as each slice lands, until SIGINT/SIGTERM; waits for a portfolio not written yet')
    .action(async (flags: ReplayFlags) => {
      const given = parseConventionFlags(flags);
      if (flags.follow) {
        if (flags.asOf !== undefined) throw new ConfigError('--follow and --as-of cannot be combined', 'follow');
        const store = await openExistingStore(flags.store);
        try {
          await followPortfolio(store, flags.portfolio, io, flags.json === true);
        } finally {
          await store.close();
        }
        return;
      }
      const asOf = flags.asOf === undefined ? ({ kind: 'end' } as const) : parseAsOf(flags.asOf);
      const store = await openExistingStore(flags.store, 'cache-if-writable');
      try {
        const { id, stream } = await choosePortfolio(store, flags.portfolio, 'any');
        if (flags.verify) {
          const broken = firstBreak(id, await verifyPortfolio(store, id, stream));
          if (broken !== null) throw new LogBrokenError(broken);
        }
        await refuseAsOfBeforeLog(store, stream, id, asOf);
        const conventions = await storedLogConventions(store, stream, given);
        const result = await replayPortfolio(store, stream, asOf, io, !flags.json && io.stderr.isTTY === true, conventions);
        for (const r of result.rejectedCheckpoints) {
          io.stderr.write(`stratafolio: the ${r.projection} checkpoint does not match the log or itself (${r.reason}); ignored and rebuilt from the log\n`);
        }
        if (result.checkpointsFull) {
          io.stderr.write(`stratafolio: warning: no space left for the projection checkpoints in ${store.url}: not saved, so the next replay folds the whole log again; the numbers are the log's all the same\n`);
        }
        const spacing = logAnnualisationWarning(result.states.portfolio, conventions);
        if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
        if (flags.json) writeJson(io, replayJson(id, stream, asOf, result, conventions));
        else printReplay(io, id, asOf, result, conventions);
      } finally {
        await store.close();
      }
    });
};
