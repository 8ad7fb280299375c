// `stratafolio export-bars`: writes the bars a live portfolio acted on (its feed record) as NDJSON bars, the format
// `backtest --format ndjson` reads, so a paper session can be rerun as a backtest. The commands applied during the session
// are not bars: a backtest does not replay them, and stderr says which there were.
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { outputFileError, temporaryPathOf, unwritableOutput, whyNotWritable } from '../../fileAccess.js';
import { refuseOutputOverStore } from '../outputOverStore.js';
import { openExistingStore } from './replay.js';
import { choosePortfolio } from '../portfolioChoice.js';
import { feedStream } from '../../../events/feedRecord.js';
import { portfolioStream } from '../../../events/envelope.js';
import { markedSlices } from '../../../events/markedSlices.js';
import type { EventStore } from '../../../events/store.js';
import type { PortfolioCommand } from '../queuedCommands.js';
import type { CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';

interface ExportFlags {
  readonly store: string;
  readonly portfolio?: string;
  readonly out?: string;
}

/** How many recorded commands the warning names. */
const SHOWN_COMMANDS = 3;

/** A recorded command as a user typed it: `pause hold`, `rebalance hold=0.4 trend=0.4`. */
function describeCommand(command: Readonly<Record<string, unknown>>): string {
  const c = command as PortfolioCommand;
  return c.kind === 'rebalance' ? `rebalance ${Object.entries(c.weights).map(([k, w]) => `${k}=${w}`).join(' ')}` : `${c.kind} ${c.strategyId}`;
}

/** Registers `export-bars`. */
export const registerExportBars: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('export-bars')
    .description('write the bars a paper session acted on as NDJSON bars (backtest over them gives the same events, unless commands were applied: stderr names them)')
    .requiredOption('--store <url>', 'event store URL')
    .option('--portfolio <id>', 'portfolio id (default: the only paper session\'s portfolio in the store)')
    .option('--out <file>', 'output file (default: stdout)')
    .action(async (flags: ExportFlags) => {
      await exportBars(flags, io);
    });
};

async function exportBars(flags: ExportFlags, io: CliIO): Promise<void> {
  if (flags.out !== undefined) refuseOutputOverStore(flags.out, flags.store, 'the bars', 'bars.ndjson');
  const store = await openExistingStore(flags.store, 'read-only');
  try {
    const id = (await choosePortfolio(store, flags.portfolio, 'paper session')).id;
    const out = flags.out;
    // Refused before reading when the filesystem already shows why the file could not be written.
    const unwritable = out === undefined ? null : whyNotWritable(out);
    if (out !== undefined && unwritable !== null) throw unwritableOutput(out, 'the bars', unwritable);
    const commands: { readonly text: string; readonly at: string }[] = [];
    let firstRecorded: string | null = null;
    let slices = 0;
    // Symbols the session subscribed to (a gap names them) and symbols it has bars of: one never delivered is absent
    // from the file, and a backtest refuses a config naming a symbol its bars lack unless told otherwise.
    const gapSymbols = new Set<string>();
    const barSymbols = new Set<string>();
    const write = async (emit: Emit): Promise<void> => {
      for await (const event of store.readStream(feedStream(id))) {
        if (event.type === 'FeedGap') gapSymbols.add(event.data.symbol);
        if (event.type !== 'SliceBarsRecorded') continue;
        firstRecorded ??= event.data.time;
        slices += 1;
        for (const c of event.data.commands) commands.push({ text: describeCommand(c.command), at: event.data.time });
        let chunk = '';
        for (const b of event.data.bars) {
          barSymbols.add(b.symbol);
          chunk += `${JSON.stringify({ timestamp: event.data.time, symbol: b.symbol, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })}\n`;
        }
        await emit(chunk);
      }
    };
    if (out === undefined) {
      await write(async (chunk) => {
        if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
      });
    } else {
      await writeThroughTemporary(out, write);
    }
    const before = firstRecorded === null ? null : await slicesBefore(store, id, firstRecorded);
    if (before !== null && firstRecorded !== null) {
      io.stderr.write(
        `stratafolio: warning: the log of portfolio "${id}" begins with ${before.count} slice${before.count === 1 ? '' : 's'} (${before.first} to ${before.last}) ` +
          `written before the session recorded its first (${firstRecorded}), by a backtest: their bars are not in the feed record, nor in these; ` +
          `a backtest over these alone writes another log: backtest the bars of those slices first, then these onto the same store\n`,
      );
    }
    for (const symbol of [...gapSymbols].filter((s) => !barSymbols.has(s)).sort()) {
      io.stderr.write(
        `stratafolio: warning: ${symbol} sent no bar during the session (a gap recorded in each of the ${slices} slices): these bars have none of it, ` +
          `so a backtest whose config names it needs --allow-missing-symbols\n`,
      );
    }
    if (commands.length > 0) {
      const shown = commands.slice(0, SHOWN_COMMANDS).map((c) => `${c.text} at ${c.at}`);
      if (commands.length > SHOWN_COMMANDS) shown.push(`and ${commands.length - SHOWN_COMMANDS} more`);
      io.stderr.write(
        `stratafolio: warning: ${commands.length} command${commands.length === 1 ? ' was' : 's were'} applied during the session; a backtest over these bars ` +
          `does not replay them, so its log differs from the session’s from the slice of the first: ${shown.join(', ')}\n`,
      );
    }
  } finally {
    await store.close();
  }
}

/**
 * The slices of the portfolio log before the feed record's first: a session may continue a log a backtest began, and
 * the record (so the export) holds only the session's bars. Null when there are none. Reads the log only up to there.
 */
async function slicesBefore(store: EventStore, id: string, firstRecorded: string): Promise<{ count: number; first: string; last: string } | null> {
  let count = 0;
  let first = '';
  let last = '';
  for await (const slice of markedSlices(store.readStream(portfolioStream(id)))) {
    if (slice.time >= firstRecorded) break;
    if (count === 0) first = slice.time;
    last = slice.time;
    count += 1;
  }
  return count === 0 ? null : { count, first, last };
}

/** Writes a chunk of the output, resolving when the next may be written. */
type Emit = (chunk: string) => Promise<void>;

/**
 * Writes `path` through a temporary file beside it, renamed once complete: a failed export (the disk, the store) leaves
 * no half-written file behind.
 * @throws OutputFileError naming `path` and why, when the filesystem refuses the write.
 */
async function writeThroughTemporary(path: string, write: (emit: Emit) => Promise<void>): Promise<void> {
  const tmp = temporaryPathOf(path);
  const file = createWriteStream(tmp);
  // An error while no drain is awaited (opening the file) is kept for the next chunk: unheard, it would end the process.
  let failure: Error | null = null;
  file.on('error', (e) => {
    failure ??= e;
  });
  const check = (): void => {
    if (failure !== null) throw failure;
  };
  try {
    await write(async (chunk) => {
      check();
      // Rejects with the stream's error, should one come instead of the drain.
      if (!file.write(chunk)) await once(file, 'drain');
    });
    check();
    await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
    renameSync(tmp, path);
  } catch (e) {
    file.destroy();
    rmSync(tmp, { force: true });
    throw outputFileError(path, 'the bars', e) ?? e;
  }
}
