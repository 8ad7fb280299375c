// Commands to a running paper session, queued durably as documents of the store (collection `commands`), picked up
// and validated at the next slice, recorded with it in the feed record, and answered in `command-results`.
import type { Portfolio } from '../../actors/portfolio.js';
import type { EventStore } from '../../events/store.js';
import { feedStream, type RecordedCommand } from '../../events/feedRecord.js';
import { AllocationError, ConfigError } from '../errors.js';
import type { LifecycleState } from '../../events/catalogue.js';
import { canMove } from '../portfolio/strategyLifecycle.js';
import type { CommandSource } from './paperSession.js';

/** Collection of queued commands, keyed `<portfolio id>/<command id>`. */
export const COMMANDS_COLLECTION = 'commands';
/** Collection of answers, keyed like the command. */
export const COMMAND_RESULTS_COLLECTION = 'command-results';
/** Collection saying which answers were pruned, keyed by portfolio id (see {@link PrunedAnswers}). */
export const PRUNED_ANSWERS_COLLECTION = 'command-results-pruned';

/**
 * Answers kept per portfolio: those of the last commands, by the order they were queued. Counted, not timed: a session
 * fed months of bars in minutes (a backfill, stdin) would lose, by bar time, answers its operator has not read yet,
 * and the wall clock is no part of the log. An applied command stays in the feed record for good, so `command status`
 * still tells where a pruned one was applied; a refused one is known only by its answer.
 */
export const ANSWERS_KEPT = 100;

/** What was pruned of a portfolio's answers: every answer up to `through` (a command id, in key order), `count` in all. */
export interface PrunedAnswers {
  readonly through: string;
  readonly count: number;
}

/** The record of a portfolio's pruned answers, or null when none was pruned. */
export async function prunedAnswers(store: Pick<EventStore, 'documents'>, portfolioId: string): Promise<PrunedAnswers | null> {
  const text = await store.documents.get(PRUNED_ANSWERS_COLLECTION, portfolioId);
  if (text === null) return null;
  const value = parsedJsonOr(text, null) as Partial<PrunedAnswers> | null;
  return typeof value?.through === 'string' && typeof value.count === 'number' ? { through: value.through, count: value.count } : null;
}

/** Whether `commandId` is among the pruned: a command id (a sequence number first) at or before the last pruned. */
export function wasPruned(pruned: PrunedAnswers | null, commandId: string): boolean {
  return pruned !== null && /^\d{10}-/.test(commandId) && commandId <= pruned.through;
}

/** The sequence number of a command id (`0000000042-3f2a9c1e` → 42), or 0 for an id of another form (written by hand). */
export function sequenceOf(commandId: string): number {
  const m = /^(\d{10})-/.exec(commandId);
  return m === null ? 0 : Number(m[1]);
}

/** The commands among `commandIds` that the feed record holds, with the bar time of the slice that applied each. */
export async function recordedCommands(store: Pick<EventStore, 'readStream'>, portfolioId: string, commandIds: ReadonlySet<string>): Promise<Map<string, { at: string; command: unknown }>> {
  const found = new Map<string, { at: string; command: unknown }>();
  if (commandIds.size === 0) return found;
  for await (const event of store.readStream(feedStream(portfolioId))) {
    if (event.type !== 'SliceBarsRecorded') continue;
    for (const c of event.data.commands) if (commandIds.has(c.commandId)) found.set(c.commandId, { at: event.data.time, command: c.command });
    if (found.size === commandIds.size) break;
  }
  return found;
}

/** A command to a portfolio, as queued and as recorded. */
export type PortfolioCommand =
  | { readonly kind: 'pause'; readonly strategyId: string; readonly reason: string }
  | { readonly kind: 'resume'; readonly strategyId: string; readonly reason: string }
  | { readonly kind: 'remove'; readonly strategyId: string; readonly liquidate: boolean }
  | { readonly kind: 'rebalance'; readonly weights: Readonly<Record<string, number>>; readonly reason: string };

/**
 * The answer to a queued command. `unchanged` (absent when the command changed something) says why an applied command
 * changed nothing: the Portfolio's methods accept a pause of a paused strategy, as they do for the library, and decide
 * no event for it.
 */
export type CommandResult =
  | { readonly status: 'applied'; readonly at: string; readonly unchanged?: string }
  | { readonly status: 'refused'; readonly reason: string };

/**
 * A document of `command-results`: the answer, and the command it answers as it was queued (its text, when that did
 * not parse as a command), so `command status` can say what became of it once the queued document is gone. `command`
 * is absent in answers stored before it was kept.
 */
export type StoredAnswer = CommandResult & { readonly command?: unknown };

/** The answer of a stored answer, without the command it answers. */
export function resultOf(stored: StoredAnswer): CommandResult {
  return stored.status === 'refused'
    ? { status: 'refused', reason: stored.reason }
    : stored.unchanged === undefined
      ? { status: 'applied', at: stored.at }
      : { status: 'applied', at: stored.at, unchanged: stored.unchanged };
}

/**
 * What an answer says, as the session tells it on stderr and `command status` lists it. `byEarlierRun`: the answer is
 * given by a restarted session for a command the run before it applied and recorded, but stopped before answering.
 */
export function describeAnswer(result: CommandResult, byEarlierRun = false): string {
  if (result.status === 'refused') return `refused: ${result.reason}`;
  const earlier = byEarlierRun ? ' by an earlier run, which stopped before answering it' : '';
  return `applied at the slice of ${result.at}${earlier}${result.unchanged === undefined ? '' : `, changing nothing: ${result.unchanged}`}`;
}

/** The strategy ids a command names. */
export function strategiesOf(c: PortfolioCommand): string[] {
  return c.kind === 'rebalance' ? Object.keys(c.weights ?? {}) : [c.strategyId];
}

/**
 * Refuses a command naming a strategy the portfolio does not have, saying whether it was removed or never was (with the
 * ids it has): the Portfolio's own "Strategy x not found" does not tell a user which.
 * @throws AllocationError
 */
function checkStrategies(portfolio: Portfolio, c: PortfolioCommand): void {
  const status = portfolio.status();
  const strategies = status.strategies;
  for (const id of strategiesOf(c)) {
    const s = strategies.find((x) => x.id === id);
    if (s?.removed === true) throw new AllocationError(`strategy ${id} was removed from portfolio ${status.portfolioId}`);
    if (s === undefined) {
      const present = strategies.filter((x) => !x.removed).map((x) => x.id);
      const removed = strategies.filter((x) => x.removed).map((x) => x.id);
      const known = `its strategies: ${present.length > 0 ? present.join(', ') : 'none'}${removed.length > 0 ? `; removed: ${removed.join(', ')}` : ''}`;
      throw new AllocationError(`portfolio ${status.portfolioId} has no strategy ${id} (${known})`);
    }
  }
}

/**
 * Why an accepted `c` will change nothing at its slice (null when it changes something), as the slice decides it: a
 * lifecycle move to where the strategy is already, or one its lifecycle does not allow (a liquidating strategy is never
 * paused or resumed). `lifecycles` holds each strategy's state as the commands taken before `c` leave it, and is moved on.
 */
function noChange(lifecycles: Map<string, LifecycleState>, c: PortfolioCommand): string | null {
  if (c.kind === 'rebalance') return null;
  const from = lifecycles.get(c.strategyId);
  if (from === undefined) return null;
  const to: LifecycleState = c.kind === 'pause' ? 'paused' : c.kind === 'resume' ? 'running' : 'liquidating';
  if (c.kind === 'remove') {
    lifecycles.set(c.strategyId, from === 'stopped' ? 'stopped' : to);
    return null;
  }
  if (from === to) return `${c.strategyId} was ${from} already`;
  if (!canMove(from, to)) return from === 'liquidating' ? `${c.strategyId} is being removed` : `${c.strategyId} is ${from}`;
  lifecycles.set(c.strategyId, to);
  return null;
}

/**
 * Applies a command through the Portfolio's own methods (the same validation the library API gives).
 * @throws AllocationError (or ConfigError for a malformed command) when it is refused.
 */
export function applyCommand(portfolio: Portfolio, command: Readonly<Record<string, unknown>>): void {
  const c = command as PortfolioCommand;
  if (c.kind === 'pause' || c.kind === 'resume' || c.kind === 'remove' || c.kind === 'rebalance') checkStrategies(portfolio, c);
  switch (c.kind) {
    case 'pause':
      portfolio.pauseStrategy(c.strategyId, c.reason);
      return;
    case 'resume':
      portfolio.resumeStrategy(c.strategyId, c.reason);
      return;
    case 'remove':
      portfolio.removeStrategy(c.strategyId, { liquidate: c.liquidate });
      return;
    case 'rebalance':
      portfolio.rebalance({ ...c.weights }, c.reason);
      return;
    default:
      throw new ConfigError(`unknown command kind ${JSON.stringify((command as { kind?: unknown }).kind)}`);
  }
}

/**
 * The rebalances of a slice's recorded commands that a later one replaced. A slice applies one rebalance, and a second
 * is refused when it is queued; a record written before that was refused can hold two, of which the version that
 * wrote it applied the last: its recovery applies that one too, so the log is the one that version would have written.
 */
export function replacedRebalances(commands: readonly RecordedCommand[]): ReadonlySet<string> {
  const rebalances = commands.filter((c) => c.command['kind'] === 'rebalance');
  return new Set(rebalances.slice(0, -1).map((c) => c.commandId));
}

/**
 * A command as `stratafolio command` takes it (`remove hold --keep-positions`, `rebalance hold=0.4 trend=0.4`), with its
 * reason: for the lines that say what became of it.
 */
export function describeCommand(c: PortfolioCommand): string {
  switch (c.kind) {
    case 'pause':
    case 'resume':
      return `${c.kind} ${c.strategyId} (reason: ${c.reason})`;
    case 'remove':
      return `remove ${c.strategyId}${c.liquidate ? '' : ' --keep-positions'}`;
    case 'rebalance':
      return `rebalance ${Object.entries(c.weights).map(([id, w]) => `${id}=${w}`).join(' ')} (reason: ${c.reason})`;
  }
}

/**
 * A queued command as `stratafolio command` takes it, from what was queued: a command, or, for one written by hand
 * into the queue that is of no known kind or lacks its fields, its text (which then says what it was).
 */
export function describeQueued(queued: unknown): string {
  if (typeof queued === 'string') return queued;
  if (queued === undefined || queued === null) return 'a command (what it said was not kept)';
  return describable(queued) ?? JSON.stringify(queued);
}

/** `describeCommand` of a value that is a whole command; null for anything else. */
function describable(value: unknown): string | null {
  let what: unknown;
  try {
    what = describeCommand(value as PortfolioCommand);
  } catch {
    return null;
  }
  return typeof what === 'string' && !what.includes('undefined') ? what : null;
}

/**
 * What a session tells of each command it answers: its id, what it said (or its text, when it did not parse), the
 * answer, and whether an earlier run applied it (recorded with its slice, the process gone before answering).
 */
export type CommandAnswered = (commandId: string, command: string, result: CommandResult, byEarlierRun: boolean) => void;

/** The key of a command of a portfolio. */
export function commandKey(portfolioId: string, commandId: string): string {
  return `${portfolioId}/${commandId}`;
}

/** How a command queue keeps its answers. */
export interface QueuedCommandsOptions {
  /** Answers kept, those of the last commands (default {@link ANSWERS_KEPT}); older ones are pruned as newer are answered. */
  readonly answersKept?: number;
}

/** The command queue of one portfolio in `store`; `onAnswer` hears each answer once it is stored. */
export function queuedCommands(store: EventStore, portfolioId: string, onAnswer: CommandAnswered = () => undefined, options: QueuedCommandsOptions = {}): CommandSource {
  const prefix = `${portfolioId}/`;
  const answersKept = Math.max(1, options.answersKept ?? ANSWERS_KEPT);
  let answeredSincePruned = false;
  // What each command taken but not yet answered says (its text, when it is no command), kept with its answer.
  const queued = new Map<string, unknown>();
  const answer = async (commandId: string, result: CommandResult, byEarlierRun = false): Promise<void> => {
    const command = queued.get(commandId) ?? null;
    queued.delete(commandId);
    const stored: StoredAnswer = { ...result, command };
    await store.documents.put(COMMAND_RESULTS_COLLECTION, commandKey(portfolioId, commandId), JSON.stringify(stored));
    await store.documents.delete(COMMANDS_COLLECTION, commandKey(portfolioId, commandId));
    answeredSincePruned = true;
    onAnswer(commandId, describeQueued(command), result, byEarlierRun);
  };
  /**
   * Deletes the oldest answers past the last {@link answersKept}. The record of what was pruned is written first: a
   * crash between the two leaves answers it counts as pruned, which `command status` still reads, and counts them once.
   */
  const prune = async (): Promise<void> => {
    if (!answeredSincePruned) return;
    answeredSincePruned = false;
    const ids = (await store.documents.list(COMMAND_RESULTS_COLLECTION))
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length))
      .sort();
    if (ids.length <= answersKept) return;
    const gone = ids.slice(0, ids.length - answersKept);
    const before = await prunedAnswers(store, portfolioId);
    const last = gone[gone.length - 1] as string;
    const through = before !== null && before.through > last ? before.through : last;
    const count = (before?.count ?? 0) + gone.filter((id) => !wasPruned(before, id)).length;
    await store.documents.put(PRUNED_ANSWERS_COLLECTION, portfolioId, JSON.stringify({ through, count } satisfies PrunedAnswers));
    for (const id of gone) await store.documents.delete(COMMAND_RESULTS_COLLECTION, commandKey(portfolioId, id));
  };
  /** Whether `commandId` was answered already (by the run that applied it, before its slice was recovered). */
  const answeredAlready = async (commandId: string): Promise<boolean> =>
    (await store.documents.get(COMMAND_RESULTS_COLLECTION, commandKey(portfolioId, commandId))) !== null || wasPruned(await prunedAnswers(store, portfolioId), commandId);
  /** A command answered already leaves the queue without a word: it was told when it was answered. */
  const forget = async (commandId: string): Promise<void> => {
    queued.delete(commandId);
    await store.documents.delete(COMMANDS_COLLECTION, commandKey(portfolioId, commandId));
  };
  const keep = (commandId: string, command: unknown, text: string): void => {
    queued.set(commandId, describable(command) === null ? text : command);
  };
  // Why a taken command will change nothing, until it is answered.
  const unchanged = new Map<string, string>();
  return {
    async applyQueued(portfolio, applied) {
      const taken: RecordedCommand[] = [];
      const lifecycles = new Map(portfolio.status().strategies.filter((s) => !s.removed).map((s) => [s.id, s.state] as const));
      const keys = (await store.documents.list(COMMANDS_COLLECTION)).filter((key) => key.startsWith(prefix));
      // Recorded with an earlier slice by a process that died before answering it: answered now, as it would have been
      // then (its `command` may still be waiting), and never applied again. Rare, so the record is read only for them.
      const leftovers = new Set(keys.map((key) => key.slice(prefix.length)).filter((id) => applied.has(id)));
      const leftoverAt = await recordedCommands(store, portfolioId, leftovers);
      for (const key of keys) {
        const commandId = key.slice(prefix.length);
        if (leftovers.has(commandId)) {
          const at = leftoverAt.get(commandId)?.at;
          const text = await store.documents.get(COMMANDS_COLLECTION, key);
          if (text !== null) keep(commandId, parsedJsonOr(text, null), text);
          if (at !== undefined && !(await answeredAlready(commandId))) await answer(commandId, { status: 'applied', at }, true);
          else await forget(commandId);
          continue;
        }
        const text = await store.documents.get(COMMANDS_COLLECTION, key);
        if (text === null) continue;
        let command: Record<string, unknown>;
        try {
          queued.set(commandId, text);
          command = JSON.parse(text) as Record<string, unknown>;
          keep(commandId, command, text);
          applyCommand(portfolio, command);
        } catch (e) {
          await answer(commandId, { status: 'refused', reason: e instanceof Error ? e.message : String(e) });
          continue;
        }
        const why = noChange(lifecycles, command as PortfolioCommand);
        if (why !== null) unchanged.set(commandId, why);
        taken.push({ commandId, command });
      }
      await prune();
      return taken;
    },
    reapply(portfolio, recorded) {
      const replaced = replacedRebalances(recorded);
      for (const c of recorded) {
        keep(c.commandId, c.command, JSON.stringify(c.command));
        if (!replaced.has(c.commandId)) applyCommand(portfolio, c.command);
      }
    },
    async settle(commands, slice, recovered = false) {
      const replaced = recovered ? replacedRebalances(commands) : new Set<string>();
      for (const c of commands) {
        if (replaced.has(c.commandId)) {
          if (await answeredAlready(c.commandId)) await forget(c.commandId);
          else await answer(c.commandId, { status: 'refused', reason: `replaced by a later rebalance taken for the slice of ${slice.time}` }, true);
          continue;
        }
        if (recovered) {
          // Applied by an earlier run, whose slice is applied again from the record: answered now only if that run
          // stopped before answering it, and said then as applied by it.
          if (await answeredAlready(c.commandId)) await forget(c.commandId);
          else await answer(c.commandId, { status: 'applied', at: slice.time }, true);
          continue;
        }
        const why = unchanged.get(c.commandId);
        unchanged.delete(c.commandId);
        await answer(c.commandId, why === undefined ? { status: 'applied', at: slice.time } : { status: 'applied', at: slice.time, unchanged: why });
      }
      await prune();
    },
  };
}

/** `text` parsed as JSON, or `fallback` when it is not JSON (a stored document written by hand or cut short). */
export function parsedJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}
