// `replay --follow`: folds a portfolio's log through the checkpointed runner, then prints an updated summary line as
// each slice lands (from any process writing the same store), until SIGINT or SIGTERM.
import type { EventStore } from '../../events/store.js';
import { ProjectionRunner, portfolioSummary, standardProjections } from '../../projections/index.js';
import type { CliIO } from './output.js';

type States = ProjectionRunner<ReturnType<typeof standardProjections>>['states'];

function summaryLine(states: States, json: boolean, revision: number): string {
  const s = portfolioSummary(states.portfolio, states.performance);
  if (json) {
    const ret = Number.isFinite(s.returnOnCapital) ? s.returnOnCapital : null;
    return JSON.stringify({ time: s.asOf, revision, portfolioValue: s.portfolioValue, reserve: s.reserve, returnOnCapital: ret, activeStrategies: s.activeStrategies.length });
  }
  const pct = Number.isFinite(s.returnOnCapital) ? `${(s.returnOnCapital * 100).toFixed(2)}%` : 'n/a';
  return `${s.asOf ?? '—'}  value ${s.portfolioValue ?? 'n/a'}  return ${pct}  active ${s.activeStrategies.length}  revision ${revision}`;
}

/** Follows `stream` until a signal; prints the summary now and after every slice (BarMarked). */
export async function followReplay(store: EventStore, stream: string, io: CliIO, json: boolean): Promise<void> {
  const runner = new ProjectionRunner(store, standardProjections(), { stream });
  let failure: unknown = null;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  // The last revision folded, caught up or live: the first line may come after a live event was folded.
  let revision = -1;
  const follow = await runner.follow({
    onEvent: (states, event) => {
      revision = event.metadata.revision;
      if (event.type === 'BarMarked') io.stdout.write(`${summaryLine(states, json, revision)}\n`);
    },
    onError: (e) => {
      failure = e;
      wake();
    },
  });
  io.stdout.write(`${summaryLine(runner.states, json, Math.max(revision, follow.caughtUpTo))}\n`);
  const onSignal = (): void => wake();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await follow.stop();
  }
  if (failure !== null) throw failure;
}
