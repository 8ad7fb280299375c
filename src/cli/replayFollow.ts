// `replay --follow`: folds a portfolio's log through the checkpointed runner, then prints an updated summary line as
// each slice lands (from any process writing the same store), until SIGINT or SIGTERM. Started before the session has
// written its portfolio, it waits for it.
import type { EventStore } from '../../events/store.js';
import { ProjectionRunner, portfolioSummary, standardProjections } from '../../projections/index.js';
import { wallClock } from '../feeds/wallClock.js';
import { money, percent } from '../display/figures.js';
import type { CliIO } from './output.js';
import { PortfolioAbsentError, choosePortfolio, type ChosenPortfolio } from './portfolioChoice.js';

type States = ProjectionRunner<ReturnType<typeof standardProjections>>['states'];

/** How often a follower waiting for its portfolio looks at the store's streams again. */
const ABSENT_POLL_MS = 250;

function summaryLine(states: States, json: boolean, revision: number): string {
  const s = portfolioSummary(states.portfolio, states.performance);
  if (json) {
    const ret = Number.isFinite(s.returnOnCapital) ? s.returnOnCapital : null;
    return JSON.stringify({ time: s.asOf, revision, portfolioValue: s.portfolioValue, reserve: s.reserve, returnOnCapital: ret, activeStrategies: s.activeStrategies.length });
  }
  const pct = Number.isFinite(s.returnOnCapital) ? percent(s.returnOnCapital) : 'n/a';
  return `${s.asOf ?? '—'}  value ${s.portfolioValue === null ? 'n/a' : money(s.portfolioValue)}  return ${pct}  active ${s.activeStrategies.length}  revision ${revision}`;
}

/** The end of a follow: a signal, or a failure of the follower. Listens for SIGINT and SIGTERM until disposed. */
interface Stop {
  readonly stopped: Promise<void>;
  stop(): void;
  dispose(): void;
}

function stopOnSignal(): Stop {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stopped,
    stop,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Follows `stream` until a signal; prints the summary now and after every slice (BarMarked). */
export async function followReplay(store: EventStore, stream: string, io: CliIO, json: boolean): Promise<void> {
  const stop = stopOnSignal();
  try {
    await followStream(store, stream, io, json, stop);
  } finally {
    stop.dispose();
  }
}

/**
 * Follows the portfolio `given` names (or the store's only one) until a signal. While the store holds no portfolio
 * (or not the one named), it says so once on stderr and waits for it to be written: a follower may be started before
 * the session. Several portfolios and none named are refused as `replay` refuses them.
 * @throws ConfigError as {@link choosePortfolio} does, for anything but an absent portfolio.
 */
export async function followPortfolio(store: EventStore, given: string | undefined, io: CliIO, json: boolean): Promise<void> {
  const stop = stopOnSignal();
  try {
    const chosen = await awaitPortfolio(store, given, io, stop.stopped);
    if (chosen !== null) await followStream(store, chosen.stream, io, json, stop);
  } finally {
    stop.dispose();
  }
}

/** The portfolio to follow, once the store holds it; null when stopped first. */
async function awaitPortfolio(store: EventStore, given: string | undefined, io: CliIO, stopped: Promise<void>): Promise<ChosenPortfolio | null> {
  let stop = false;
  // One listener for the whole wait, which may last a weekend: a listener added per poll would pile up until a signal.
  let wake: () => void = () => undefined;
  void stopped.then(() => {
    stop = true;
    wake();
  });
  let told = false;
  for (;;) {
    try {
      return await choosePortfolio(store, given, 'any');
    } catch (e) {
      if (!(e instanceof PortfolioAbsentError)) throw e;
      if (!told) {
        const what = given === undefined ? `${store.url} holds no portfolio yet: waiting for one to be written` : `${e.message}: waiting for it to be written`;
        io.stderr.write(`stratafolio: ${what} (--follow; SIGINT or SIGTERM stops)\n`);
        told = true;
      }
    }
    if (stop) return null;
    await new Promise<void>((resolve) => {
      const cancel = wallClock.setTimer(ABSENT_POLL_MS, resolve);
      wake = () => {
        cancel();
        resolve();
      };
    });
    wake = () => undefined;
    if (stop) return null;
  }
}

async function followStream(store: EventStore, stream: string, io: CliIO, json: boolean, stop: Stop): Promise<void> {
  const runner = new ProjectionRunner(store, standardProjections(), { stream });
  let failure: unknown = null;
  // The last revision folded, caught up or live: the first line may come after a live event was folded.
  let revision = -1;
  const follow = await runner.follow({
    onEvent: (states, event) => {
      revision = event.metadata.revision;
      if (event.type === 'BarMarked') io.stdout.write(`${summaryLine(states, json, revision)}\n`);
    },
    onError: (e) => {
      failure = e;
      stop.stop();
    },
  });
  io.stdout.write(`${summaryLine(runner.states, json, Math.max(revision, follow.caughtUpTo))}\n`);
  try {
    await stop.stopped;
  } finally {
    await follow.stop();
  }
  if (failure !== null) throw failure;
}
