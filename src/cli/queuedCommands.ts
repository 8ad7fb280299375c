// Commands to a running paper session, queued durably as documents of the store (collection `commands`), picked up
// and validated at the next slice, recorded with it in the feed record, and answered in `command-results`.
import type { Portfolio } from '../../actors/portfolio.js';
import type { EventStore } from '../../events/store.js';
import { feedStream, type RecordedCommand } from '../../events/feedRecord.js';
import { ConfigError } from '../errors.js';
import type { CommandSource } from './paperSession.js';

/** Collection of queued commands, keyed `<portfolio id>/<command id>`. */
export const COMMANDS_COLLECTION = 'commands';
/** Collection of answers, keyed like the command. */
export const COMMAND_RESULTS_COLLECTION = 'command-results';

/** A command to a portfolio, as queued and as recorded. */
export type PortfolioCommand =
  | { readonly kind: 'pause'; readonly strategyId: string; readonly reason: string }
  | { readonly kind: 'resume'; readonly strategyId: string; readonly reason: string }
  | { readonly kind: 'remove'; readonly strategyId: string; readonly liquidate: boolean }
  | { readonly kind: 'rebalance'; readonly weights: Readonly<Record<string, number>>; readonly reason: string };

/** The answer to a queued command. */
export type CommandResult =
  | { readonly status: 'applied'; readonly at: string }
  | { readonly status: 'refused'; readonly reason: string };

/**
 * Applies a command through the Portfolio's own methods (the same validation the library API gives).
 * @throws AllocationError (or ConfigError for a malformed command) when it is refused.
 */
export function applyCommand(portfolio: Portfolio, command: Readonly<Record<string, unknown>>): void {
  const c = command as PortfolioCommand;
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

/** The key of a command of a portfolio. */
export function commandKey(portfolioId: string, commandId: string): string {
  return `${portfolioId}/${commandId}`;
}

/** The command queue of one portfolio in `store`. */
export function queuedCommands(store: EventStore, portfolioId: string): CommandSource {
  const prefix = `${portfolioId}/`;
  const answer = async (commandId: string, result: CommandResult): Promise<void> => {
    await store.documents.put(COMMAND_RESULTS_COLLECTION, commandKey(portfolioId, commandId), JSON.stringify(result));
    await store.documents.delete(COMMANDS_COLLECTION, commandKey(portfolioId, commandId));
  };
  /** The bar times of the slices that recorded `commandIds`, read from the feed record. */
  const recordedAt = async (commandIds: ReadonlySet<string>): Promise<Map<string, string>> => {
    const at = new Map<string, string>();
    for await (const event of store.readStream(feedStream(portfolioId))) {
      if (event.type !== 'SliceBarsRecorded') continue;
      for (const c of event.data.commands) if (commandIds.has(c.commandId)) at.set(c.commandId, event.data.time);
      if (at.size === commandIds.size) break;
    }
    return at;
  };
  return {
    async applyQueued(portfolio, applied) {
      const taken: RecordedCommand[] = [];
      const keys = (await store.documents.list(COMMANDS_COLLECTION)).filter((key) => key.startsWith(prefix));
      // Recorded with an earlier slice by a process that died before answering it: answered now, as it would have been
      // then (its `command` may still be waiting), and never applied again. Rare, so the record is read only for them.
      const leftovers = new Set(keys.map((key) => key.slice(prefix.length)).filter((id) => applied.has(id)));
      const leftoverAt = leftovers.size === 0 ? new Map<string, string>() : await recordedAt(leftovers);
      for (const key of keys) {
        const commandId = key.slice(prefix.length);
        if (leftovers.has(commandId)) {
          const at = leftoverAt.get(commandId);
          const answered = (await store.documents.get(COMMAND_RESULTS_COLLECTION, key)) !== null;
          if (at !== undefined && !answered) await answer(commandId, { status: 'applied', at });
          else await store.documents.delete(COMMANDS_COLLECTION, key);
          continue;
        }
        const text = await store.documents.get(COMMANDS_COLLECTION, key);
        if (text === null) continue;
        let command: Record<string, unknown>;
        try {
          command = JSON.parse(text) as Record<string, unknown>;
          applyCommand(portfolio, command);
        } catch (e) {
          await answer(commandId, { status: 'refused', reason: e instanceof Error ? e.message : String(e) });
          continue;
        }
        taken.push({ commandId, command });
      }
      return taken;
    },
    reapply(portfolio, recorded) {
      applyCommand(portfolio, recorded.command);
    },
    async settle(commands, slice) {
      for (const c of commands) await answer(c.commandId, { status: 'applied', at: slice.time });
    },
  };
}
