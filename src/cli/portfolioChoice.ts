// Which portfolio of a store a command works on: the one `--portfolio` names, or else the only one that has what the
// command needs. Every command that reads or writes one portfolio chooses it here, so one store gives one answer.
import { ConfigError } from '../errors.js';
import { feedStream } from '../../events/feedRecord.js';
import { portfolioStream } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { fewOf } from './output.js';

/**
 * What a command needs of its portfolio: `any` portfolio with a log (replay, report, audit, serve, copy), or a
 * `paper session`'s, one with a feed record (`command` queues for a session; `export-bars` writes out its bars).
 */
export type PortfolioNeed = 'any' | 'paper session';

/** The portfolio chosen, and the stream of its log. */
export interface ChosenPortfolio {
  readonly id: string;
  readonly stream: string;
}

const PORTFOLIO_PREFIX = portfolioStream('');
const FEED_PREFIX = feedStream('');

/**
 * The portfolio `given` names, or, when none is given, the store's only portfolio that meets `need` (others that do
 * not meet it are passed over: a paper session beside backtested portfolios is the one a command goes to).
 * @throws ConfigError when `given` is not in the store or does not meet `need`; when none meets it; or when several
 * do and none was given (naming them, and `--portfolio <id>`).
 */
export async function choosePortfolio(store: EventStore, given: string | undefined, need: PortfolioNeed): Promise<ChosenPortfolio> {
  const streams = await store.listStreams();
  const portfolios = idsOf(streams, PORTFOLIO_PREFIX);
  // A session records its first slice's bars with (or, on KurrentDB, just before) that slice's events: a feed record
  // is what makes a portfolio a paper session's, even in the moment before its log has the slice.
  const sessions = idsOf(streams, FEED_PREFIX);
  const held = need === 'any' ? portfolios : [...new Set([...portfolios, ...sessions])].sort();
  const candidates = need === 'any' ? portfolios : sessions;
  const what = need === 'any' ? 'portfolio' : 'paper session';
  if (given !== undefined) {
    if (candidates.includes(given)) return chosen(given);
    if (!held.includes(given)) {
      throw new ConfigError(`${store.url} holds no portfolio "${given}" (it holds: ${held.length > 0 ? fewOf(held) : 'none'})`, 'portfolio');
    }
    throw new ConfigError(
      `portfolio "${given}" in ${store.url} has no paper session: it has no feed record (${feedStream(given)}), so it was written by backtest or demo, ` +
        `which record no bars and take no commands, or a session on it has not recorded its first slice yet${othersOf(sessions)}`,
      'portfolio',
    );
  }
  if (candidates.length === 1) return chosen(candidates[0] as string);
  if (candidates.length > 1) {
    throw new ConfigError(`${store.url} holds ${candidates.length} ${what}s (${fewOf(candidates)}): pass --portfolio <id>`, 'portfolio');
  }
  if (held.length === 0) throw new ConfigError(`${store.url} holds no portfolio`, 'store');
  const which = held.length === 1 ? `portfolio "${held[0] as string}" was` : `portfolios ${fewOf(held.map((id) => `"${id}"`))} were`;
  throw new ConfigError(
    `${store.url} holds no paper session: ${which} written by backtest or demo, which record no bars and take no commands (no feed record)`,
    'portfolio',
  );
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
