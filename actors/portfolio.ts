// The portfolio: opens or recovers a supervisor from its stream, takes commands, and runs bar slices through it one at a time.
import { dirname } from 'node:path';
import { createActor, waitFor, type Actor } from 'xstate';
import { type Observable, concatMap, from, lastValueFrom, defaultIfEmpty } from 'rxjs';
import { ConfigError, DataError, StratafolioError } from '../src/errors.js';
import { configHash, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { configDifferences, describeConfigDifferences } from '../src/config/configDifferences.js';
import { CODE_VERSION } from '../src/version.js';
import { ZERO, dec, decStr, type Dec as DecT } from '../src/money/decimal.js';
import type { Bar, BarSlice } from '../src/market/bar.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { loadStrategy, type StrategyKinds } from '../src/strategy/registry.js';
import { requiredHistoryCapacity } from '../src/strategy/priceHistory.js';
import type { Weights } from '../src/allocation/types.js';
import type { EventStore } from '../events/store.js';
import { portfolioStream, type SealedEvent } from '../events/envelope.js';
import type { LifecycleState } from '../events/catalogue.js';
import { KERNEL_SNAPSHOT_VERSION, PortfolioKernel, type KernelSnapshot } from './portfolioKernel.js';
import { supervisorMachine } from './supervisorMachine.js';
import { createRebalancing, strategyKinds } from './wiring.js';
import { createSizerFactory, type SizerFactory } from '../src/sizing/sizerSpec.js';

/** Documents collection that holds each portfolio's latest recovery snapshot, keyed by stream. */
export const SNAPSHOT_COLLECTION = 'snapshots';

interface SnapshotDocument {
  readonly configHash: string;
  readonly kernel: KernelSnapshot;
}

/**
 * The stream's snapshot when it is usable: same config, known format, and its head hash is the hash of the event
 * at its revision in this stream; anything else is ignored and the whole stream is folded.
 */
async function loadSnapshot(store: EventStore, stream: string, hash: string): Promise<KernelSnapshot | null> {
  const text = await store.documents.get(SNAPSHOT_COLLECTION, stream);
  if (text === null) return null;
  let doc: SnapshotDocument;
  try {
    doc = JSON.parse(text) as SnapshotDocument;
  } catch {
    return null;
  }
  if (doc.configHash !== hash || doc.kernel?.version !== KERNEL_SNAPSHOT_VERSION) return null;
  for await (const event of store.readStream(stream, { fromRevision: doc.kernel.revision })) {
    return event.metadata.revision === doc.kernel.revision && event.metadata.hash === doc.kernel.headHash ? doc.kernel : null;
  }
  return null;
}

/** How to open a portfolio. */
export interface OpenPortfolioOptions {
  readonly store: EventStore;
  readonly config: PortfolioConfig;
  /** Directory that strategy module paths in the config are relative to (default: the current directory). */
  readonly baseDir?: string;
  /** Strategy objects added through the API (not in the config), by id, for recovery. */
  readonly strategies?: Readonly<Record<string, Strategy>>;
  /** Extra strategy kinds by name, beside the built-ins. */
  readonly kinds?: StrategyKinds;
}

/** What one slice did, as the engine reported it while it ran. */
export interface SliceReport {
  readonly time: string;
  readonly events: readonly SealedEvent[];
  readonly portfolioValue: string;
  readonly reserve: string;
  readonly strategyValues: Readonly<Record<string, string>>;
}

/** One strategy's state as the engine sees it. */
export interface StrategyStatus {
  readonly id: string;
  readonly kind: string;
  readonly state: LifecycleState;
  readonly value: string;
  readonly cash: string;
  readonly positions: Readonly<Record<string, string>>;
  readonly removed: boolean;
}

/** The portfolio as of its last slice. */
export interface PortfolioStatus {
  readonly portfolioId: string;
  readonly slices: number;
  readonly lastBarTime: string | null;
  readonly revision: number;
  readonly portfolioValue: string;
  readonly reserve: string;
  readonly totalCapital: string;
  readonly strategies: readonly StrategyStatus[];
  readonly rebalances: number;
  readonly netting: { readonly grossTradedValue: string; readonly netTradedValue: string; readonly commissionSaved: string };
}

/**
 * A running portfolio: a supervisor actor over its kernel and strategy actors, bound to one stream of one store.
 * Commands (add, pause, resume, remove, rebalance) are validated at once and take effect at the next slice.
 */
export class Portfolio {
  private constructor(
    readonly store: EventStore,
    readonly kernel: PortfolioKernel,
    private readonly supervisor: Actor<typeof supervisorMachine>,
    /** True when the portfolio was recovered from an existing stream. */
    readonly resumed: boolean,
  ) {}

  /**
   * Opens the portfolio of `config.id`: creates its stream, or rebuilds it by folding the stream when it exists.
   * @throws ConfigError when the stream was written with a different configuration or a strategy cannot be loaded.
   * @throws WrongExpectedRevisionError when another writer created the portfolio at the same moment.
   */
  static async open(options: OpenPortfolioOptions): Promise<Portfolio> {
    const { store, config } = options;
    const stream = portfolioStream(config.id);
    const hash = configHash(config);
    const kinds = { ...strategyKinds(), ...(options.kinds ?? {}) };
    const baseDir = options.baseDir ?? process.cwd();
    const configured = new Map<string, Strategy>();
    for (const s of config.strategies) {
      const spec = s.module !== undefined ? { module: s.module, export: s.export, params: s.params } : { kind: s.kind ?? '', params: s.params };
      try {
        configured.set(s.id, await loadStrategy(spec, { baseDir, kinds }));
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(`strategies[${config.strategies.indexOf(s)}] (${s.id}): ${e.message}`, e.field);
        throw e;
      }
    }
    const extra = options.strategies ?? {};
    const resolve = (id: string, kind: string, params: Readonly<Record<string, unknown>>): Strategy => {
      const known = extra[id] ?? configured.get(id);
      if (known) return known;
      const factory = kinds[kind];
      if (factory) return factory(params);
      throw new ConfigError(`strategy ${id} (kind "${kind}") was added through the API: pass its object in options.strategies to reopen the portfolio`);
    };
    const { algorithm, rebalancer } = createRebalancing(config);
    const sizers = new Map<string, SizerFactory>();
    config.strategies.forEach((s, i) => {
      if (s.sizer) sizers.set(s.id, createSizerFactory(s.sizer, `strategies[${i}].sizer`));
    });
    const kernel = new PortfolioKernel({
      portfolioId: config.id,
      config,
      resolveStrategy: resolve,
      algorithm,
      rebalancer,
      sizerFor: (id) => sizers.get(id),
      historyCapacity: requiredHistoryCapacity([...configured.values(), ...Object.values(extra)], config.lookback),
    });
    const supervisor = createActor(supervisorMachine, { input: { store, stream } });
    supervisor.start();
    const revision = await store.streamRevision(stream);
    const portfolio = new Portfolio(store, kernel, supervisor, revision !== 'no_stream');
    if (revision === 'no_stream') {
      const opening = kernel.openPortfolio({
        configHash: hash,
        codeVersion: CODE_VERSION,
        strategies: config.strategies.map((s) => ({
          id: s.id,
          kind: s.kind ?? `module:${s.module ?? ''}${s.export ? `#${s.export}` : ''}`,
          strategy: configured.get(s.id) as Strategy,
          params: s.params,
          allocation: dec(s.allocation, `strategies.${s.id}.allocation`),
          min: s.min ?? null,
          max: s.max ?? null,
          metadata: s.metadata,
        })),
      });
      await portfolio.commit(opening.events, 'no_stream');
    } else {
      const snapshot = await loadSnapshot(store, stream, hash);
      let first = snapshot === null;
      let fromRevision = 0;
      if (snapshot) {
        kernel.restoreSnapshot(snapshot);
        fromRevision = snapshot.revision + 1;
      }
      for await (const event of store.readStream(stream, { fromRevision })) {
        if (first) {
          first = false;
          if (event.type !== 'PortfolioOpened') throw new ConfigError(`stream ${stream} does not start with PortfolioOpened`);
          if (event.data.configHash !== hash) {
            throw new ConfigError(
              `portfolio "${config.id}" already exists in ${store.url} with a different configuration (hash ${event.data.configHash.slice(0, 12)}… vs ${hash.slice(0, 12)}…); ` +
                `recorded → now: ${describeConfigDifferences(configDifferences(event.data.config, JSON.parse(JSON.stringify(config)) as unknown)) || 'no field differs (the hash rule changed)'}: use a new portfolio id or another store`,
            );
          }
        }
        kernel.replay(event);
      }
    }
    return portfolio;
  }

  /** Saves a recovery snapshot of the state after the last slice (a cache of the log: losing it costs a refold). */
  async saveSnapshot(): Promise<void> {
    const doc: SnapshotDocument = { configHash: configHash(this.kernel.config), kernel: this.kernel.toSnapshot() };
    await this.store.documents.put(SNAPSHOT_COLLECTION, portfolioStream(this.kernel.portfolioId), JSON.stringify(doc));
  }

  /** Resolves the directory of a config file, for module paths in it. */
  static baseDirOf(configPath: string): string {
    return dirname(configPath);
  }

  private async commit(events: readonly SealedEvent[], expectedRevision: number | 'no_stream'): Promise<void> {
    if (events.length === 0) return;
    this.supervisor.send({ type: 'COMMIT', events, expectedRevision });
    const snap = await waitFor(this.supervisor, (s) => s.matches('ready') || s.matches('halted') || s.status === 'done');
    if (snap.matches('halted')) throw snap.context.error instanceof Error ? snap.context.error : new StratafolioError(String(snap.context.error));
  }

  private ensureReady(): void {
    const snap = this.supervisor.getSnapshot();
    if (snap.matches('halted')) {
      throw new StratafolioError(`portfolio ${this.kernel.portfolioId} is halted after a failed slice (${String((snap.context.error as Error | null)?.message ?? snap.context.error)}); reopen it from its log`);
    }
    if (!snap.matches('ready')) throw new StratafolioError(`portfolio ${this.kernel.portfolioId} is ${String(snap.value)}, not ready for a slice`);
  }

  /**
   * Runs one slice: decides its events, appends them atomically with the exact expected revision, and only then returns.
   * @throws DataError for a slice not later than the last; WrongExpectedRevisionError when another writer appended first.
   */
  async processSlice(slice: BarSlice): Promise<SliceReport> {
    this.ensureReady();
    const expected = this.kernel.head.nextRevision === 0 ? 'no_stream' : this.kernel.head.nextRevision - 1;
    // Checked before anything changes, so the portfolio stays usable after this error.
    if (this.kernel.lastBarTime !== null && slice.time <= this.kernel.lastBarTime) {
      throw new DataError(`bar time ${slice.time} is not later than the last processed bar time ${this.kernel.lastBarTime}`);
    }
    let outcome;
    try {
      outcome = this.kernel.processSlice(slice);
    } catch (e) {
      this.supervisor.send({ type: 'HALT', error: e });
      throw e;
    }
    await this.commit(outcome.events, expected);
    const every = this.kernel.config.snapshotEvery;
    if (every > 0 && this.kernel.barIndex % every === 0) await this.saveSnapshot();
    const marked = outcome.events[outcome.events.length - 1];
    const data = marked?.type === 'BarMarked' ? marked.data : null;
    return {
      time: slice.time,
      events: outcome.events,
      portfolioValue: data?.portfolioValue ?? '0',
      reserve: data?.reserve ?? '0',
      strategyValues: data?.strategyValues ?? {},
    };
  }

  /** Runs a bar for callers who drive bars themselves: `data` maps symbol → bar fields (decimal strings). */
  executeBar(time: string, data: Readonly<Record<string, Omit<Bar, 'symbol'> | Bar>>): Promise<SliceReport> {
    const bars: Record<string, Bar> = {};
    for (const symbol of Object.keys(data).sort()) bars[symbol] = { ...(data[symbol] as Bar), symbol };
    return this.processSlice({ time: new Date(Date.parse(time)).toISOString(), bars });
  }

  /**
   * Runs every slice of a source in order. An async iterable (or a {@link BarStream}) is pulled one slice at a time, so
   * a file is never read ahead; any other Observable is consumed with concatMap, each slice appended before the next starts.
   * Slices at or before the last persisted bar time are skipped, so a killed run resumes where it stopped.
   */
  async run(source: AsyncIterable<BarSlice> | Observable<BarSlice>, onSlice?: (report: SliceReport) => void): Promise<number> {
    let processed = 0;
    const handle = async (slice: BarSlice): Promise<void> => {
      if (this.kernel.lastBarTime !== null && slice.time <= this.kernel.lastBarTime) return;
      const report = await this.processSlice(slice);
      processed += 1;
      onSlice?.(report);
    };
    // Pull when the source can be pulled (files, BarStream): nothing is read ahead of the slice in hand.
    if (Symbol.asyncIterator in source) {
      for await (const slice of source as AsyncIterable<BarSlice>) await handle(slice);
    } else {
      await lastValueFrom(source.pipe(concatMap((slice) => from(handle(slice))), defaultIfEmpty(undefined)));
    }
    return processed;
  }

  /** Adds a strategy with `allocationPct` of the portfolio's current value, from the reserve, at the next slice. @throws AllocationError */
  addStrategy(id: string, strategy: Strategy, allocationPct: DecT | string, metadata: Readonly<Record<string, unknown>> = {}): void {
    this.kernel.enqueue({ kind: 'add', id, strategyKind: `object:${strategy.name}`, strategy, params: {}, allocationPct: dec(allocationPct, 'allocationPct'), metadata });
  }

  /** Removes a strategy at the next slice; with `liquidate`, its positions are sold and its whole value returns to the reserve. @throws AllocationError */
  removeStrategy(id: string, options: { readonly liquidate: boolean } = { liquidate: true }): void {
    this.kernel.enqueue({ kind: 'remove', id, liquidate: options.liquidate });
  }

  /** Pauses a strategy at the next slice: no more onBar, positions kept and still valued. @throws AllocationError */
  pauseStrategy(id: string, reason = 'paused by request'): void {
    this.kernel.enqueue({ kind: 'pause', id, reason });
  }

  /** Resumes a paused strategy at the next slice. @throws AllocationError */
  resumeStrategy(id: string, reason = 'resumed by request'): void {
    this.kernel.enqueue({ kind: 'resume', id, reason });
  }

  /**
   * Moves capital at the next slice so that each named strategy holds weight × the portfolio's value then; others keep theirs.
   * Validated completely now. @throws AllocationError
   */
  rebalance(newAllocations: Weights, reason = 'manual rebalance'): void {
    this.kernel.enqueue({ kind: 'rebalance', weights: { ...newAllocations }, reason });
  }

  /** The portfolio's state after its last slice. */
  status(): PortfolioStatus {
    const k = this.kernel;
    const strategies: StrategyStatus[] = [...k.strategies.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((e) => {
        const ledger = k.ledgerOf(e.id);
        const positions: Record<string, string> = {};
        for (const p of [...ledger.positions.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1))) positions[p.symbol] = decStr(p.quantity);
        return { id: e.id, kind: e.kind, state: k.lifecycleOf(e.id), value: decStr(e.removed ? ZERO : k.valueOf(e.id)), cash: decStr(ledger.cash), positions, removed: e.removed };
      });
    return {
      portfolioId: k.portfolioId,
      slices: k.barIndex,
      lastBarTime: k.lastBarTime,
      revision: k.head.nextRevision - 1,
      portfolioValue: decStr(k.portfolioValue()),
      reserve: decStr(k.reserve),
      totalCapital: decStr(k.totalCapital),
      strategies,
      rebalances: k.rebalanceCount,
      netting: {
        grossTradedValue: decStr(k.netting.grossTradedValue),
        netTradedValue: decStr(k.netting.netTradedValue),
        commissionSaved: decStr(k.netting.commissionSaved),
      },
    };
  }

  /** Stops the supervisor and every strategy actor (the store stays open: it belongs to the caller). */
  close(): void {
    for (const e of this.kernel.strategies.values()) e.actor.stop();
    this.supervisor.send({ type: 'CLOSE' });
    this.supervisor.stop();
  }
}

