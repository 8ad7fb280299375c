// `stratafolio command`: queues pause | resume | remove | rebalance for a running paper session, durably in the store,
// and waits for the session's answer (applied at which slice, or refused and why); `status` reads the answers afterwards.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AllocationError, ConfigError } from '../../errors.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { parseStoreUrl } from '../../../events/adapters/storeUrl.js';
import { wallClock } from '../../feeds/wallClock.js';
import {
  ANSWERS_KEPT,
  COMMANDS_COLLECTION,
  COMMAND_RESULTS_COLLECTION,
  commandKey,
  describeAnswer,
  describeQueued,
  parsedJsonOr,
  prunedAnswers,
  recordedCommands,
  resultOf,
  sequenceOf,
  strategiesOf,
  wasPruned,
  type CommandResult,
  type PortfolioCommand,
  type StoredAnswer,
} from '../queuedCommands.js';
import { parseDuration } from './paper.js';
import { choosePortfolio } from '../portfolioChoice.js';
import { portfolioStream } from '../../../events/envelope.js';
import type { EventStore } from '../../../events/store.js';
import { didYouMean } from '../../nearestName.js';
import { checkedManualWeights } from '../../portfolio/rebalancePlan.js';
import { fewOf, type CliIO } from '../output.js';
import type { RegisterCommand } from './index.js';

interface CommandFlags {
  readonly store: string;
  readonly portfolio?: string;
  readonly reason?: string;
  readonly keepPositions?: boolean;
  readonly wait: string;
  readonly json?: boolean;
}

/** Exit code of a command queued but not applied yet: no paper session is running, or it did not answer within --wait. */
export const EXIT_QUEUED = 3;

/** Registers `command`. */
export const registerCommand: RegisterCommand = (program: Command, io: CliIO, setExit) => {
  program
    .command('command')
    .description(
      'queue a command for a running paper session: pause <strategy> | resume <strategy> | remove <strategy> | rebalance <strategy=weight>…; ' +
        `status [<command id>]: what became of the commands queued (applied at which slice, refused and why, still queued; the answers of the last ${ANSWERS_KEPT} are kept)`,
    )
    .argument('<action>', 'pause | resume | remove | rebalance | status')
    .argument(
      '[args...]',
      "the strategy id; for rebalance, strategy=weight pairs (each weight a fraction of the portfolio's value in [0, 1], together at most 1; strategies not named keep their capital); or a command id for status",
    )
    .requiredOption('--store <url>', 'event store URL of the session')
    .option('--portfolio <id>', 'portfolio id (default: the only paper session\'s portfolio in the store)')
    .option('--reason <text>', 'reason recorded with the change')
    .option('--keep-positions', 'remove: sell nothing (refused while the strategy holds positions: pause it to keep them)')
    .option('--wait <duration>', 'how long to wait for the session to answer (0s: do not wait); exit 3 when it has not answered', '30s')
    .option('--json', 'print the answer as JSON')
    .action(async (action: string, args: string[], flags: CommandFlags, cmd: Command) => {
      if (action === 'status') setExit(await commandStatus(args, flags, cmd, io));
      else setExit(await queueCommand(action, args, flags, io));
    });
};

/**
 * Builds the command from the arguments.
 * @throws ConfigError naming the argument that is wrong; AllocationError for rebalance weights the session would refuse
 * whatever the portfolio holds (with its message).
 */
export function commandOf(action: string, args: readonly string[], flags: Pick<CommandFlags, 'reason' | 'keepPositions'>): PortfolioCommand {
  if (flags.keepPositions === true && action !== 'remove') {
    throw new ConfigError(`--keep-positions applies to remove only${action === 'pause' ? ' (pause keeps the positions anyway)' : ''}`, 'keepPositions');
  }
  const one = (): string => {
    if (args.length !== 1) throw new ConfigError(`${action} takes one strategy id, got ${args.length} arguments`);
    return args[0] as string;
  };
  switch (action) {
    case 'pause':
      return { kind: 'pause', strategyId: one(), reason: flags.reason ?? 'paused by command' };
    case 'resume':
      return { kind: 'resume', strategyId: one(), reason: flags.reason ?? 'resumed by command' };
    case 'remove':
      return { kind: 'remove', strategyId: one(), liquidate: flags.keepPositions !== true };
    case 'rebalance': {
      if (args.length === 0) throw new ConfigError('rebalance takes strategy=weight pairs (e.g. trend=0.4 hold=0.3), got none');
      const weights: Record<string, number> = Object.create(null) as Record<string, number>;
      const given: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const pair of args) {
        const m = /^([^=]+)=(\d+(?:\.\d+)?)$/.exec(pair);
        if (m === null) throw new ConfigError(`rebalance: "${pair}" is not strategy=weight (e.g. trend=0.4)`);
        const [, id, weight] = m as unknown as [string, string, string];
        const previous = given[id];
        if (previous !== undefined) throw new ConfigError(`rebalance: ${id} is given twice (${previous} and ${weight}): give each strategy once`);
        given[id] = weight;
        // As the session reads it from the queued JSON.
        weights[id] = Number(weight);
      }
      // The session's own check of the weights (Portfolio.rebalance), which needs none of its state: refused now, in its
      // words, rather than queued and refused at the next slice.
      return { kind: 'rebalance', weights: { ...checkedManualWeights('rebalance', weights) }, reason: flags.reason ?? 'rebalance by command' };
    }
    default:
      throw new ConfigError(`unknown action "${action}": use pause, resume, remove, rebalance or status`);
  }
}

/** A store opened for `command`: an SQLite path that is not one yet is a typo, not a store to create. */
async function openCommandStore(url: string): Promise<EventStore> {
  const location = parseStoreUrl(url);
  if (location.kind === 'sqlite' && !existsSync(location.path)) throw new ConfigError(`--store ${url}: no such file ${location.path}`, 'store');
  return openEventStore(url, { existing: true });
}

/**
 * `command status [<command id>]`: each command queued for the portfolio, in the order queued, with its answer (or that
 * it is still queued, and whether a session is running to apply it). Exit 0 whatever the answers are: `command`
 * itself gives them as exit codes when it waits.
 * @throws ConfigError for a flag status takes no part of, more than one id, or an id the portfolio has no command of
 */
async function commandStatus(args: readonly string[], flags: CommandFlags, cmd: Command, io: CliIO): Promise<number> {
  for (const flag of ['reason', 'keepPositions', 'wait'] as const) {
    if (cmd.getOptionValueSource(flag) === 'cli') {
      throw new ConfigError(`--${flag === 'keepPositions' ? 'keep-positions' : flag} does not apply to status, which only reads the answers`, flag);
    }
  }
  if (args.length > 1) throw new ConfigError(`status takes at most one command id, got ${args.length} arguments`);
  const store = await openCommandStore(flags.store);
  try {
    const portfolioId = (await choosePortfolio(store, flags.portfolio, 'session to command')).id;
    const prefix = `${portfolioId}/`;
    const idsIn = async (collection: string): Promise<string[]> => (await store.documents.list(collection)).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    const answered = await idsIn(COMMAND_RESULTS_COLLECTION);
    const all = [...new Set([...(await idsIn(COMMANDS_COLLECTION)), ...answered])].sort();
    const pruned = await prunedAnswers(store, portfolioId);
    const wanted = args[0];
    const running = (await store.writerLockHolder(portfolioId)) !== null;
    if (wanted !== undefined && !all.includes(wanted)) {
      if (wasPruned(pruned, wanted)) {
        await printPruned(store, portfolioId, wanted, running, flags.json === true, io);
        return 0;
      }
      throw new ConfigError(`portfolio "${portfolioId}" in ${store.url} has no command ${wanted} (its commands: ${all.length > 0 ? fewOf(all) : 'none'})`, 'command');
    }
    if (all.length === 0 && !flags.json) io.stdout.write(`no command was queued for portfolio "${portfolioId}"\n`);
    if (wanted === undefined && pruned !== null && !flags.json) {
      io.stdout.write(
        `the answers of ${pruned.count} earlier command${pruned.count === 1 ? '' : 's'} (up to ${pruned.through}) were pruned: the answers of the last ${ANSWERS_KEPT} commands are kept ` +
          '(`status <command id>` finds an applied one in the feed record)\n',
      );
    }
    for (const commandId of wanted === undefined ? all : [wanted]) {
      const key = commandKey(portfolioId, commandId);
      // A command answered between the two lists is read from its answer: the answer is written before the queued document goes.
      const answerText = await store.documents.get(COMMAND_RESULTS_COLLECTION, key);
      const stored = answerText === null ? null : (JSON.parse(answerText) as StoredAnswer);
      const queuedText = stored === null ? await store.documents.get(COMMANDS_COLLECTION, key) : null;
      if (stored === null && queuedText === null) continue;
      const command = stored !== null ? stored.command : parsedJsonOr(queuedText ?? '', queuedText ?? '');
      const result = stored === null ? null : resultOf(stored);
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ commandId, portfolioId, command: command ?? null, result: result ?? { status: 'queued' }, sessionRunning: running })}\n`);
        continue;
      }
      const outcome =
        result !== null
          ? describeAnswer(result)
          : running
            ? 'queued; the running session applies it at its next slice'
            : `queued; no paper session is running on portfolio "${portfolioId}": the next \`stratafolio paper\` run applies it at its first slice`;
      io.stdout.write(`command ${commandId} ${describeQueued(command)}: ${outcome}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `status <command id>` of a command whose answer was pruned: where it was applied, from the feed record, which holds
 * every command applied for good; one the record does not hold was refused, and why is gone with its answer.
 */
async function printPruned(store: EventStore, portfolioId: string, commandId: string, running: boolean, json: boolean, io: CliIO): Promise<void> {
  const recorded = (await recordedCommands(store, portfolioId, new Set([commandId]))).get(commandId) ?? null;
  if (json) {
    io.stdout.write(`${JSON.stringify({ commandId, portfolioId, command: recorded?.command ?? null, result: { status: 'pruned', at: recorded?.at ?? null }, sessionRunning: running })}\n`);
    return;
  }
  io.stdout.write(
    recorded !== null
      ? `command ${commandId} ${describeQueued(recorded.command)}: applied at the slice of ${recorded.at} (read from the feed record: its answer was pruned)\n`
      : `command ${commandId}: refused; its answer, with what it said and why, was pruned (the answers of the last ${ANSWERS_KEPT} commands are kept), and the feed record holds only the commands applied\n`,
  );
}

/** Queues a command for the portfolio's session and waits for its answer (see {@link EXIT_QUEUED}); returns the exit code. */
async function queueCommand(action: string, args: readonly string[], flags: CommandFlags, io: CliIO): Promise<number> {
  const command = commandOf(action, args, flags);
  const waitMs = parseDuration(flags.wait, '--wait');
  // A command goes to a session's store.
  const store = await openCommandStore(flags.store);
  try {
    // Commands are applied by a running `stratafolio paper`: a portfolio a session has recorded slices of takes them, and
    // so does one a session runs on now before its first slice.
    const portfolioId = (await choosePortfolio(store, flags.portfolio, 'session to command')).id;
    await refuseUnknownStrategies(store, portfolioId, command);
    // A session holds the portfolio's writer lock; looking at it takes nothing, so a `paper` starting now is not refused.
    const running = (await store.writerLockHolder(portfolioId)) !== null;
    const prefix = `${portfolioId}/`;
    const known = [...(await store.documents.list(COMMANDS_COLLECTION)), ...(await store.documents.list(COMMAND_RESULTS_COLLECTION))].filter((k) => k.startsWith(prefix));
    // Sequence first, so the session applies commands in the order they were queued; the suffix keeps two issued at once
    // apart. After the last one ever queued, pruned answers included: counting those kept would number it among them.
    const pruned = await prunedAnswers(store, portfolioId);
    const last = Math.max(0, ...known.map((k) => sequenceOf(k.slice(prefix.length))), pruned === null ? 0 : sequenceOf(pruned.through));
    const commandId = `${String(last + 1).padStart(10, '0')}-${randomUUID().slice(0, 8)}`;
    await store.documents.put(COMMANDS_COLLECTION, commandKey(portfolioId, commandId), JSON.stringify(command));
    const queued = `queued ${action} as command ${commandId}`;
    if (!running) {
      if (flags.json) io.stdout.write(`${JSON.stringify({ commandId, portfolioId, command, result: { status: 'queued' }, sessionRunning: false })}\n`);
      else io.stdout.write(`${queued}: no paper session is running on portfolio "${portfolioId}"; the next \`stratafolio paper\` run applies it at its first slice\n`);
      return waitMs === 0 ? 0 : EXIT_QUEUED;
    }
    const deadline = wallClock.now() + waitMs;
    const answer = async (): Promise<CommandResult | null> => {
      const text = await store.documents.get(COMMAND_RESULTS_COLLECTION, commandKey(portfolioId, commandId));
      return text === null ? null : resultOf(JSON.parse(text) as StoredAnswer);
    };
    let result: CommandResult | null = null;
    let ended = false;
    for (;;) {
      result = await answer();
      if (result !== null || wallClock.now() >= deadline) break;
      // A session that stops (its input ended, it failed, it was killed) answers nothing more: waiting out --wait would
      // only delay the same outcome. A session restarted meanwhile holds the lock again and answers at its first slice.
      if ((await store.writerLockHolder(portfolioId)) === null) {
        result = await answer();
        ended = result === null;
        break;
      }
      await new Promise<void>((resolve) => wallClock.setTimer(100, resolve));
    }
    if (flags.json) io.stdout.write(`${JSON.stringify({ commandId, portfolioId, command, result: result ?? { status: 'queued' }, sessionRunning: !ended })}\n`);
    if (ended) {
      if (!flags.json) io.stdout.write(`${queued}: the paper session on portfolio "${portfolioId}" ended before answering; the next \`stratafolio paper\` run applies it at its first slice\n`);
      return EXIT_QUEUED;
    }
    if (result === null) {
      if (waitMs === 0) {
        if (!flags.json) io.stdout.write(`${queued}: not waiting for the answer (--wait ${flags.wait}); the running session applies it at its next slice\n`);
        return 0;
      }
      if (!flags.json) io.stdout.write(`${queued}: the running session has not answered within ${flags.wait}; it applies it at its next slice\n`);
      return EXIT_QUEUED;
    }
    if (result.status === 'refused') throw new AllocationError(`the session refused ${action} ${args.join(' ')}${command.kind === 'remove' && !command.liquidate ? ' --keep-positions' : ''}: ${result.reason}`);
    if (!flags.json) {
      const what = result.unchanged === undefined ? '' : `, changing nothing: ${result.unchanged}`;
      io.stdout.write(`${action} ${args.join(' ')}: applied at the slice of ${result.at}${what}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Refuses, before it is queued, a command naming a strategy the portfolio never had: the session would only refuse it
 * at its next slice, which may be much later (or, with none running, at the next run). A session's strategies are its
 * config's (the CLI adds none), recorded in the log's first event; one removed since is left to the session, which
 * says so.
 * @throws ConfigError naming the strategy and the ones there are
 */
async function refuseUnknownStrategies(store: EventStore, portfolioId: string, command: PortfolioCommand): Promise<void> {
  let ids: string[] | null = null;
  for await (const event of store.readStream(portfolioStream(portfolioId), { fromRevision: 0 })) {
    const strategies = event.type === 'PortfolioOpened' ? (event.data.config as { strategies?: unknown }).strategies : undefined;
    if (Array.isArray(strategies)) ids = strategies.map((s: unknown) => (s as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
    break;
  }
  // A session that has not written its log's first event yet: the session checks the command itself.
  if (ids === null) return;
  for (const id of strategiesOf(command)) {
    if (!ids.includes(id)) {
      throw new ConfigError(`${command.kind}: portfolio "${portfolioId}" has no strategy "${id}"${didYouMean(id, ids)} (its strategies: ${[...ids].sort().join(', ')}); nothing was queued`, 'strategy');
    }
  }
}
