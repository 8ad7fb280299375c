// Folds what a report needs from a store: the standard projections and the report series in one checkpointed pass, and the log verification.
import { ConfigError } from '../../src/errors.js';
import { didYouMean } from '../../src/nearestName.js';
import type { EventStore } from '../../events/store.js';
import { markedSlices } from '../../events/markedSlices.js';
import { ProjectionRunner, type AsOf, type RunOptions } from '../runner.js';
import type { VerificationResult } from '../logVerification.js';
import type { FeedRecordVerification } from '../feedRecordVerification.js';
import { standardProjections } from '../index.js';
import { reportSeriesProjection, type ReportSeriesState } from './reportSeries.js';
import { buildReportModel, type ReportModel, type ReportStates } from './reportModel.js';
import { conventionOptions, type YearlyConventions } from '../../src/metrics/options.js';

/** Options of a report fold. */
export interface ReportRunOptions {
  readonly asOf: AsOf;
  readonly benchmark?: string;
  /** The verification of the log, done beforehand (null when skipped). */
  readonly verification: VerificationResult | null;
  /** The verdict on the feed record, done with it (null or absent: none, or not verified). */
  readonly feedRecord?: FeedRecordVerification | null;
  readonly rollingWindow?: number;
  /** The risk-free rate and bars a year the yearly figures are stated in (defaults 0 and 252), as `replay` takes them. */
  readonly conventions?: YearlyConventions;
  readonly onProgress?: RunOptions['onProgress'];
}

/**
 * The projections a report folds: the standard set in the same conventions as `replay` (so their checkpoints are
 * shared) plus the report series.
 */
export function reportProjections(benchmark?: string, conventions: YearlyConventions = {}) {
  return {
    ...standardProjections(conventionOptions(conventions)),
    series: reportSeriesProjection(benchmark === undefined ? {} : { benchmark }),
  };
}

/**
 * Refuses a benchmark the folded log never marked: its curve would be flat and its figures empty, which reads as a
 * benchmark that did not move rather than a symbol mistyped. `markedInLog` (the symbols the whole log marked, read only
 * when refusing) tells a symbol listed after the as-of point from one never marked at all, and names the one a typo is
 * close to.
 * @throws ConfigError naming the symbol.
 */
export async function refuseUnmarkedBenchmark(
  portfolioId: string,
  series: ReportSeriesState,
  asOf: AsOf = { kind: 'end' },
  markedInLog?: () => Promise<ReadonlySet<string>>,
): Promise<void> {
  const bench = series.benchmark;
  if (bench === null || bench.marks.some((x) => !Number.isNaN(x))) return;
  const marked = markedInLog === undefined ? undefined : await markedInLog();
  // Folded to an earlier point, the symbol may only be listed later: say so rather than that it was never marked.
  if (asOf.kind !== 'end' && (marked === undefined || marked.has(bench.symbol))) {
    throw new ConfigError(
      `--benchmark ${bench.symbol}: portfolio ${portfolioId} recorded no mark of that symbol up to the as-of point (its last bar folded is ${series.times[series.times.length - 1] ?? 'none'}); give a later --as-of, or another symbol`,
      'benchmark',
    );
  }
  const near = marked === undefined ? '' : didYouMean(bench.symbol, marked);
  throw new ConfigError(`--benchmark ${bench.symbol}: portfolio ${portfolioId} never recorded a mark of that symbol${near === '' ? ' (give a symbol one of its strategies trades)' : near}`, 'benchmark');
}

/** Every symbol the portfolio's log marked, read from its slices' `BarMarked` events. */
export async function markedSymbols(store: EventStore, stream: string): Promise<Set<string>> {
  const symbols = new Set<string>();
  for await (const slice of markedSlices(store.readStream(stream))) for (const symbol of Object.keys(slice.marks)) symbols.add(symbol);
  return symbols;
}

/**
 * Folds the portfolio's log to `asOf`, then builds the report's content.
 * @throws ConfigError when the benchmark symbol was never marked; ProjectionError or CorruptEventError when the log cannot be folded.
 */
export async function foldReport(store: EventStore, portfolioId: string, stream: string, options: ReportRunOptions): Promise<ReportModel> {
  const verification = options.verification;
  // Reads the checkpoints `replay` saved but writes none: the per-bar series would be encoded again at every checkpoint.
  const runner = new ProjectionRunner(store, reportProjections(options.benchmark, options.conventions), { stream, checkpointEvery: 0, restoreCheckpoints: true });
  const result = (await runner.run({ asOf: options.asOf, ...(options.onProgress ? { onProgress: options.onProgress } : {}) })) as ReportStates;
  await refuseUnmarkedBenchmark(portfolioId, result.states.series, options.asOf, () => markedSymbols(store, stream));
  return buildReportModel(portfolioId, result, {
    asOf: options.asOf,
    verification,
    feedRecord: options.feedRecord ?? null,
    ...(options.rollingWindow === undefined ? {} : { rollingWindow: options.rollingWindow }),
    ...(options.conventions === undefined ? {} : { conventions: options.conventions }),
  });
}
