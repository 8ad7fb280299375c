// `stratafolio copy`: moves portfolios' logs between any two stores (SQLite, PostgreSQL, KurrentDB), verifying each chain.
import { sameFile } from '../../fileAccess.js';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { StoreConfigError } from '../../../events/errors.js';
import type { EventStore } from '../../../events/store.js';
import type { WriterLock } from '../../../events/writerLock.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { parseStoreUrl, redactStoreUrl } from '../../../events/adapters/storeUrl.js';
import { copyVerifiedStream, verifyStream, type StreamCopy } from '../../../events/copyLog.js';
import { feedStream } from '../../../events/feedRecord.js';
import { formatTable, writeJson, type CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';
import { openExistingStore } from './replay.js';
import { choosePortfolio } from '../portfolioChoice.js';

interface CopyFlags {
  readonly from: string;
  readonly to: string;
  readonly portfolio?: string;
  readonly json?: boolean;
}

const STREAM_PREFIX = 'portfolio-';

/**
 * The store `opening` opens; a store that cannot be used (not a stratafolio store, a bad URL) is said with the flag that
 * named it, as copy has two and neither is --store.
 */
async function named(flag: '--from' | '--to', opening: Promise<EventStore>): Promise<EventStore> {
  try {
    return await opening;
  } catch (e) {
    if (e instanceof StoreConfigError && !e.message.startsWith('--')) throw new StoreConfigError(`${flag} ${e.message}`);
    throw e;
  }
}

/** Registers `copy`. */
export const registerCopy: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('copy')
    .description(
      "copy portfolios' event logs from one store to another, verifying each hash chain; " +
        'continues a copy the target already holds the start of, and refuses to overwrite a different log',
    )
    .requiredOption('--from <url>', 'source store URL (sqlite:./path.db, postgres://…, kurrentdb://…)')
    .requiredOption('--to <url>', 'target store URL (created when missing)')
    .option('--portfolio <id>', 'copy only this portfolio (default: every portfolio in the source)')
    .option('--json', 'print what was copied as JSON')
    .action(async (flags: CopyFlags) => {
      await runCopy(flags, io);
    });
};

async function runCopy(flags: CopyFlags, io: CliIO): Promise<void> {
  if (flags.from === flags.to) throw new ConfigError(`--from and --to name the same store (${redactStoreUrl(flags.from)})`, 'to');
  const file = sameSqliteFile(flags.from, flags.to);
  if (file !== null) throw new ConfigError(`--from ${flags.from} and --to ${flags.to} are the same store (the file ${file}): copy into another one`, 'to');
  const source = await named('--from', openExistingStore(flags.from, 'read-only', '--from'));
  try {
    const streams = await streamsToCopy(source, flags.portfolio);
    // Every stream is verified before anything is written. A store file is opened only then, so a broken source leaves
    // no file behind; a server is reached first, so a wrong address or password is said before the source is read.
    const onFile = parseStoreUrl(flags.to).kind === 'sqlite';
    const early = onFile ? null : await named('--to', openEventStore(flags.to));
    try {
      for (const stream of streams) await verifyStream(source, stream);
    } catch (e) {
      await early?.close();
      throw e;
    }
    const target = early ?? (await named('--to', openEventStore(flags.to)));
    const copies: StreamCopy[] = [];
    const locks: WriterLock[] = [];
    try {
      // A copy writes each portfolio it copies: like a paper session or a backtest, it is refused (naming the holder)
      // where another process writes that portfolio in the target, instead of racing it append by append.
      for (const stream of streams) if (stream.startsWith(STREAM_PREFIX)) locks.push(await target.acquireWriterLock(stream.slice(STREAM_PREFIX.length)));
      for (const stream of streams) copies.push(await copyVerifiedStream(source, target, stream));
    } finally {
      for (const lock of locks) await lock.release();
      await target.close();
    }
    if (flags.json) {
      writeJson(io, { from: source.url, to: target.url, streams: copies });
      return;
    }
    io.stdout.write(
      `${[
        `copied ${source.url} -> ${target.url}`,
        '',
        formatTable(
          ['stream', 'events', 'copied', 'already there', 'head hash'],
          copies.map((c) => [c.stream, String(c.events), String(c.copied), String(c.alreadyThere), c.headHash === null ? '-' : c.headHash.slice(0, 16)]),
        ),
      ].join('\n')}\n`,
    );
  } finally {
    await source.close();
  }
}

/**
 * The streams of the one portfolio asked for, or of every portfolio of the source: each portfolio's feed record (a paper
 * session's bars and commands, which `export-bars` and a resumed session read) before its log, as a session writes
 * them, so a copy cut between the two leaves what a session recovers from.
 * @throws ConfigError when there is none.
 */
async function streamsToCopy(source: Awaited<ReturnType<typeof openExistingStore>>, portfolio: string | undefined): Promise<string[]> {
  const all = await source.listStreams();
  const portfolios = portfolio !== undefined ? [(await choosePortfolio(source, portfolio, 'any')).stream] : all.filter((s) => s.startsWith(STREAM_PREFIX));
  if (portfolios.length === 0) throw new ConfigError(`${source.url} holds no portfolio to copy`, 'from');
  const held = new Set(all);
  return portfolios.flatMap((stream) => {
    const feed = feedStream(stream.slice(STREAM_PREFIX.length));
    return held.has(feed) ? [feed, stream] : [stream];
  });
}

/** The file both URLs name when they are SQLite stores on one file (by path, or as one file on disk: a link); else null. */
function sameSqliteFile(from: string, to: string): string | null {
  const a = parseStoreUrl(from);
  const b = parseStoreUrl(to);
  if (a.kind !== 'sqlite' || b.kind !== 'sqlite') return null;
  return sameFile(a.path, b.path) ? a.path : null;
}
