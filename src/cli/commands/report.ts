// `stratafolio report`: writes the self-contained HTML tearsheet of a portfolio, rebuilt from its event log.
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { outputFileError, temporaryPathOf, unwritableOutput, whyNotWritable } from '../../fileAccess.js';
import { refuseOutputOverStore } from '../outputOverStore.js';
import { describeBreak, firstBreak, parseAsOf, verifyPortfolio, type AsOf } from '../../../projections/index.js';
import { DEFAULT_ROLLING_WINDOW, foldReport, renderReportHtml } from '../../../projections/report/index.js';
import { writeJson, type CliIO } from '../output.js';
import { BARS_PER_YEAR_HELP, RISK_FREE_HELP, parseConventionFlags, storedLogConventions } from '../yearlyConventions.js';
import { logAnnualisationWarning } from '../annualisationWarning.js';
import type { RegisterCommand } from './index.js';
import { markedSlices } from '../../../events/markedSlices.js';
import { openExistingStore, refuseAsOfBeforeLog } from './replay.js';
import { choosePortfolio } from '../portfolioChoice.js';

/** Exit code when the log is not intact (the report is not written). */
const EXIT_LOG_BROKEN = 1;

interface ReportFlags {
  readonly store: string;
  readonly portfolio?: string;
  readonly asOf?: string;
  readonly benchmark?: string;
  readonly out: string;
  readonly window: string;
  readonly riskFree?: string;
  readonly barsPerYear?: string;
  readonly verify: boolean;
  readonly json?: boolean;
}

/**
 * Parses `--window`.
 * @throws ConfigError when it is not an integer of at least 2.
 */
export function parseWindow(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 2) throw new ConfigError(`--window must be an integer of at least 2 bars, got "${text}"`, 'window');
  return n;
}

/**
 * Writes `text` to `path` through a temporary file beside it, so a failed write leaves no half-written report.
 * @throws OutputFileError naming `path` (not the temporary file) and why, when it cannot be written.
 */
export function writeAtomically(path: string, text: string): void {
  const tmp = temporaryPathOf(path);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw outputFileError(path, 'the report', e) ?? e;
  }
}

/** Registers `report`. */
export const registerReport: RegisterCommand = (program: Command, io: CliIO, setExit) => {
  program
    .command('report')
    .description('Write a self-contained HTML tearsheet (charts, metrics, rebalances, provenance) rebuilt from the event log')
    .requiredOption('--store <url>', 'event store URL (see the README)')
    .option('--portfolio <id>', 'portfolio id (default: the only one in the store)')
    .option('--as-of <time|position>', 'stop at an ISO bar time (inclusive) or a global position (inclusive)')
    .option('--benchmark <symbol>', 'a symbol of the recorded marks, held buy-and-hold, to compare against')
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--window <bars>', 'window of the rolling Sharpe and volatility', String(DEFAULT_ROLLING_WINDOW))
    .option('--risk-free <annual rate>', RISK_FREE_HELP)
    .option('--bars-per-year <n>', BARS_PER_YEAR_HELP)
    .option('--no-verify', "skip verifying the hash chain, recorded values and a paper session's feed record (the report then says it is unverified)")
    .option('--json', 'print what was written as JSON')
    .action(async (flags: ReportFlags) => {
      const asOf: AsOf = flags.asOf === undefined ? { kind: 'end' } : parseAsOf(flags.asOf);
      const window = parseWindow(flags.window);
      const given = parseConventionFlags(flags);
      // An unset variable (`--out "$OUT"`) gives '', which the filesystem check would call a folder that takes no file.
      if (flags.out === '') throw new ConfigError('--out is empty: give the HTML file to write (report.html when --out is left out)', 'out');
      // Refused before the fold when the filesystem already shows why the report could not be written.
      const unwritable = whyNotWritable(flags.out);
      if (unwritable !== null) throw unwritableOutput(flags.out, 'the report', unwritable);
      refuseOutputOverStore(flags.out, flags.store, 'the report', 'report.html');
      const store = await openExistingStore(flags.store);
      try {
        const { id, stream } = await choosePortfolio(store, flags.portfolio, 'any');
        const verified = flags.verify ? await verifyPortfolio(store, id, stream) : null;
        const broken = verified === null ? null : firstBreak(id, verified);
        if (broken !== null) {
          io.stderr.write(`stratafolio: ${describeBreak(broken)}; no report written\n`);
          setExit(EXIT_LOG_BROKEN);
          return;
        }
        const verification = verified === null ? null : verified.log;
        await refuseAsOfBeforeLog(store, stream, id, asOf);
        const conventions = await storedLogConventions(store, stream, given);
        const model = await foldReport(store, id, stream, {
          asOf,
          verification,
          feedRecord: verified === null ? null : verified.feedRecord,
          rollingWindow: window,
          conventions,
          ...(flags.benchmark === undefined ? {} : { benchmark: flags.benchmark }),
        });
        const p = model.provenance;
        const spacing = logAnnualisationWarning({ portfolioId: id, marks: p.bars, firstMarkTime: p.firstBarTime, lastBarTime: p.lastBarTime }, conventions);
        if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
        if (asOf.kind !== 'end' && p.bars === 0) {
          // A page of no bar is what the log was at that point; said, so that it is not taken for a log with no bars.
          for await (const first of markedSlices(store.readStream(stream))) {
            io.stderr.write(
              `stratafolio: warning: --as-of ${flags.asOf ?? ''} is before portfolio ${id}'s first bar (${first.time}, position ${first.position}): the report shows it as opened, with no bar\n`,
            );
            break;
          }
        }
        const v = verification;
        const html = renderReportHtml(model);
        writeAtomically(flags.out, html);
        const bytes = Buffer.byteLength(html);
        if (flags.json) {
          writeJson(io, {
            portfolioId: id,
            out: flags.out,
            bytes,
            events: model.provenance.events,
            bars: model.provenance.bars,
            headHash: model.provenance.headHash,
            verified: v === null ? null : v.ok,
            asOf,
            incompleteSlice: model.provenance.incompleteSlice,
          });
        } else {
          io.stdout.write(`wrote ${flags.out} (${(bytes / 1024).toFixed(0)} KiB): ${model.provenance.bars} bars, ${model.provenance.events} events, ${v === null ? 'not verified' : 'log verified'}\n`);
        }
      } finally {
        await store.close();
      }
    });
};
