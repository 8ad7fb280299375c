// Which portfolio of a store a command works on: the one `--portfolio` names, or else the only one that has what the
// command needs. Every command that reads or writes one portfolio chooses it here, so one store gives one answer.
import { ConfigError } from '../errors.js';
import { feedStream } from '../../events/feedRecord.js';
import { portfolioStream } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { fewOf } from './output.js';

/**
 * What a command needs of its portfolio: `any` portfolio with a log (replay, report, audit, serve, copy); a
 * `paper session`'s, one with a feed record (`export-bars` writes out its bars); or a `session to command`: a paper
 * session's, or one a process is running on now (it holds the writer lock) that has recorded no slice yet (`command`
 * queues for it: a session started when no bar comes, at a weekend on daily bars, takes commands at its first slice).
 */
export type PortfolioNeed = 'any' | 'paper session' | 'session to command';

/** The portfolio chosen, and the stream of its log. */
export interface ChosenPortfolio {
  readonly id: string;
  readonly stream: string;
}

/**
 * The store holds no portfolio at all, or not the one named: what `replay --follow` waits out, as a session started
 * after the follower writes its portfolio.
 */
export class PortfolioAbsentError extends ConfigError {}

const PORTFOLIO_PREFIX = portfolioStream('');
const FEED_PREFIX = feedStream('');

/**
 * The portfolio `given` names, or, when none is given, the store's only portfolio that meets `need` (others that do
 * not meet it are passed over: a paper session beside backtested portfolios is the one a command goes to).
 * @throws PortfolioAbsentError when `given` is not in the store, or none is given and the store holds no portfolio.
 * @throws ConfigError when `given` does not meet `need`; when none meets it; or when several do and none was given
 * (naming them, and `--portfolio <id>`).
 */
export async function choosePortfolio(store: EventStore, given: string | undefined, need: PortfolioNeed): Promise<ChosenPortfolio> {
  const streams = await store.listStreams();
  const portfolios = idsOf(streams, PORTFOLIO_PREFIX);
  // A session records its first slice's bars with (or, on KurrentDB, just before) that slice's events: a feed record
  // is what makes a portfolio a paper session's, even in the moment before its log has the slice.
  const recorded = idsOf(streams, FEED_PREFIX);
  // Before its first slice a running session has no feed record, only the writer lock (taken before its log's opening
  // events are written). A running backtest holds it too and cannot be told apart: a command queued meanwhile waits
  // for the next paper run, as `command` says once the lock is let go.
  const running = need === 'session to command' ? await lockedOf(store, given !== undefined ? [given] : portfolios.filter((id) => !recorded.includes(id))) : [];
  const sessions = [...new Set([...recorded, ...running])].sort();
  const held = need === 'any' ? portfolios : [...new Set([...portfolios, ...sessions])].sort();
  const candidates = need === 'any' ? portfolios : sessions;
  const what = need === 'any' ? 'portfolio' : 'paper session';
  if (given !== undefined) {
    if (candidates.includes(given)) return chosen(given);
    if (!held.includes(given)) {
      throw new PortfolioAbsentError(`${store.url} holds no portfolio "${given}" (it holds: ${held.length > 0 ? fewOf(held) : 'none'})`, 'portfolio');
    }
    const notRunning = need === 'session to command' ? ' and is not running now' : '';
    throw new ConfigError(
      `portfolio "${given}" in ${store.url} has no paper session: it has no feed record (${feedStream(given)}), so it was written by backtest or demo, ` +
        `which record no bars and take no commands, or a session on it has not recorded its first slice yet${notRunning}${othersOf(sessions)}`,
      'portfolio',
    );
  }
  if (candidates.length === 1) return chosen(candidates[0] as string);
  if (candidates.length > 1) {
    throw new ConfigError(`${store.url} holds ${candidates.length} ${what}s (${fewOf(candidates)}): pass --portfolio <id>`, 'portfolio');
  }
  if (held.length === 0) throw new PortfolioAbsentError(`${store.url} holds no portfolio`, 'store');
  const which = held.length === 1 ? `portfolio "${held[0] as string}" was` : `portfolios ${fewOf(held.map((id) => `"${id}"`))} were`;
  throw new ConfigError(
    `${store.url} holds no paper session: ${which} written by backtest or demo, which record no bars and take no commands (no feed record)`,
    'portfolio',
  );
}

/** Those of `ids` whose writer lock a process holds now (looking takes nothing). */
async function lockedOf(store: EventStore, ids: readonly string[]): Promise<string[]> {
  const locked: string[] = [];
  for (const id of ids) if ((await store.writerLockHolder(id)) !== null) locked.push(id);
  return locked;
}

function idsOf(streams: readonly string[], prefix: string): string[] {
  return streams
    .filter((s) => s.startsWith(prefix))
    .map((s) => s.slice(prefix.length))
    .sort();
}

function chosen(id: string): ChosenPortfolio {
  return { id, stream: portfolioStream(id) };
}

function othersOf(sessions: readonly string[]): string {
  return sessions.length > 0 ? `; the paper sessions it holds: ${fewOf(sessions)}` : '';
}
