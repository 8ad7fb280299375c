// The portfolio: opens or recovers a supervisor from its stream, takes commands, and runs bar slices through it one at a time.
import { dictionary } from '../src/collections/dictionary.js';
import { dirname } from 'node:path';
import { createActor, waitFor, type Actor } from 'xstate';
import type { RecordedEvent } from '../events/envelope.js';
import type { Observable } from 'rxjs';
import { AllocationError, ConfigError, DataError, StratafolioError, describeValue } from '../src/errors.js';
import { configHash, parsePortfolioConfig, strategyIdProblem, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { configDifferences, describeConfigDifferences } from '../src/config/configDifferences.js';
import { CODE_VERSION } from '../src/version.js';
import { ZERO, dec, decStr, type Dec as DecT } from '../src/money/decimal.js';
import type { Bar, BarSlice } from '../src/market/bar.js';
import { formatBarTime, parseBarTime } from '../src/market/barTime.js';
import { checkedSlice } from '../src/market/checkedSlice.js';
import { barLocation, sliceTimeLocation } from '../src/market/sliceOrigin.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { checkedStrategy, loadStrategyWithSource, madeByKind, type StrategyKinds, type StrategySource } from '../src/strategy/registry.js';
import { requiredHistoryCapacity } from '../src/strategy/priceHistory.js';
import type { Weights } from '../src/allocation/types.js';
import type { EventStore } from '../events/store.js';
import { markedSlices, type MarkedSlice } from '../events/markedSlices.js';
import { GENESIS_HASH, portfolioStream, type SealedEvent } from '../events/envelope.js';
import { documentAnchorMatches, openDocument, sealDocument } from '../events/sealedDocument.js';
import type { LifecycleState } from '../events/catalogue.js';
import { KERNEL_SNAPSHOT_VERSION, SupervisorCore, type KernelSnapshot } from './supervisorCore.js';
import type { StrategyActorRef } from './strategyActor.js';
import { supervisorMachine, type LiveSlice } from './supervisorMachine.js';
import { StrategyWatchdog, type BatchClock } from './strategyWatchdog.js';
import { createRebalancing, strategyKinds } from './wiring.js';
import { createSizerFactory, type SizerFactory } from '../src/sizing/sizerSpec.js';
import { MAX_TIMER_HOURS, MAX_TIMER_MS } from '../src/timerLimit.js';
import { checkedManualWeights } from '../src/portfolio/rebalancePlan.js';

/** Documents collection that holds each portfolio's latest recovery snapshot, keyed by stream. */
export const SNAPSHOT_COLLECTION = 'snapshots';

/** The kind of the sealed documents that hold recovery snapshots (checked by `audit --verify` too). */
export const SNAPSHOT_DOCUMENT_KIND = 'portfolio-snapshot';

interface SnapshotBody {
  readonly configHash: string;
  readonly kernel: KernelSnapshot;
}

/** How an opened portfolio got its state, and what it had to ignore on the way. */
export interface RecoveryReport {
  /** `new`: the stream was created; `snapshot`: a snapshot plus the events after it; `log`: the whole stream folded. */
  readonly from: 'new' | 'snapshot' | 'log';
  /** Revision of the snapshot used, when one was. */
  readonly snapshotRevision: number | null;
  /** Why a stored snapshot was not used (altered, built at an event the log does not have, another config or format). */
  readonly warnings: readonly string[];
}

/**
 * The stream's snapshot when it is usable — its content hash holds, it is of the current format, it was built with this
 * config, and the event it was built at is in this stream with that hash — or the reason it is not.
 */
async function loadSnapshot(store: EventStore, stream: string, hash: string): Promise<{ snapshot: KernelSnapshot } | { reason: string } | null> {
  const text = await store.documents.get(SNAPSHOT_COLLECTION, stream);
  if (text === null) return null;
  const opened = openDocument(text, { kind: SNAPSHOT_DOCUMENT_KIND, version: KERNEL_SNAPSHOT_VERSION });
  if (!opened.ok) return { reason: opened.reason };
  const body = opened.body as Partial<SnapshotBody> | null;
  if (body === null || typeof body !== 'object' || typeof body.kernel !== 'object' || body.kernel === null) return { reason: 'malformed body' };
  if (body.configHash !== hash) return { reason: 'built with another configuration' };
  const { anchor } = opened.header;
  if (anchor.stream !== stream || anchor.revision !== body.kernel.revision || anchor.eventHash !== body.kernel.headHash) {
    return { reason: 'its anchor does not match its content' };
  }
  const mismatch = await documentAnchorMatches(store, anchor, GENESIS_HASH);
  return mismatch === null ? { snapshot: body.kernel } : { reason: mismatch };
}

/** The first event of a stream (a portfolio's is its PortfolioOpened), or null for an empty one. */
async function openingEvent(store: EventStore, stream: string): Promise<RecordedEvent | null> {
  for await (const event of store.readStream(stream)) return event;
  return null;
}

/**
 * The SHA-256 of each module strategy's entry file, by strategy id, from the strategies loaded for `config`.
 * @throws StratafolioError when one of its module strategies has none (strategies not loaded by Portfolio.loadStrategies).
 */
function moduleHashesOf(config: PortfolioConfig, loaded: LoadedStrategies): Record<string, string> {
  const hashes = dictionary<string>();
  for (const s of config.strategies) {
    if (s.module === undefined) continue;
    const source = loaded.moduleSources instanceof Map ? loaded.moduleSources.get(s.id) : undefined;
    if (source === undefined) {
      throw new StratafolioError(
        `the strategies passed as options.loaded have no hash of strategy ${s.id}'s module ${s.module}, which the log records: load them with Portfolio.loadStrategies`,
      );
    }
    hashes[s.id] = source.sha256;
  }
  return hashes;
}

/**
 * Refuses a reopen whose module strategies' entry files are not the bytes recorded when the portfolio was created: the
 * log's slices were decided by that code, and new code would continue it silently.
 * @throws ConfigError naming each strategy whose module changed, its module and file, and both hashes.
 */
function checkSameModules(config: PortfolioConfig, storeUrl: string, recorded: Readonly<Record<string, string>>, now: ReadonlyMap<string, StrategySource>): void {
  const ids = [...new Set([...Object.keys(recorded), ...now.keys()])].sort();
  const changed: string[] = [];
  for (const id of ids) {
    const was = Object.hasOwn(recorded, id) ? recorded[id] : undefined;
    const source = now.get(id);
    if (was === source?.sha256) continue;
    const module = config.strategies.find((s) => s.id === id)?.module ?? '(none)';
    const prefix = (h: string | undefined): string => (h === undefined ? 'none' : `${h.slice(0, 12)}…`);
    changed.push(
      `strategy ${id}'s module ${module}${source === undefined ? '' : ` (${source.file})`} has changed: its entry file had SHA-256 ${prefix(was)} when the portfolio was created and ${prefix(source?.sha256)} now`,
    );
  }
  if (changed.length === 0) return;
  throw new ConfigError(
    `portfolio "${config.id}" in ${storeUrl} was written by other strategy code: ${changed.join('; ')}. ` +
      'Its slices were decided by the recorded code: restore the file as it was, or run the changed strategy into another store or under another portfolio id',
  );
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
  /**
   * How long (ms) the strategy calls of one slice may run together before the run stops with a StrategyTimeoutError
   * (default 10,000; at least half of it for a slice `run` decides late in a batch, see docs/engine.md), and, given
   * `loadTimer`, how long loading a strategy module (its import and factory) may take before `open` fails with a
   * ConfigError. A runtime setting: it is not part of the config or its hash, so changing it
   * changes no log.
   */
  readonly strategyTimeoutMs?: number;
  /**
   * The timer that bounds loading strategy modules by `strategyTimeoutMs` (the CLI's keeps the process alive while it
   * waits, so a load that never settles is refused naming its module). The engine reads no clock of its own, so without
   * it a module's loading is not bounded.
   */
  readonly loadTimer?: (ms: number, fire: () => void) => () => void;
  /**
   * The wall clock that lets `run`, on a store whose appends complete off the engine thread, decide the slices its
   * source has ready in batches under one strategy watchdog (docs/engine.md; the CLI's backtest passes the process's).
   * The engine reads no clock of its own, so without it `run` decides slice by slice, a watchdog each (still ahead of
   * the commits on such a store).
   */
  readonly batchClock?: BatchClock;
  /**
   * The config's strategies, already loaded by {@link Portfolio.loadStrategies} for this same config object (a caller
   * that must not touch its store before every module has loaded, as the CLI). Without it `open` loads them.
   */
  readonly loaded?: LoadedStrategies;
}

/** How {@link Portfolio.loadStrategies} loads a config's strategies: as {@link OpenPortfolioOptions} says. */
export type LoadStrategiesOptions = Pick<OpenPortfolioOptions, 'baseDir' | 'kinds' | 'strategyTimeoutMs' | 'loadTimer'>;

/** A config's strategies, each module imported and its factory run once, each kind built. */
export interface LoadedStrategies {
  readonly config: PortfolioConfig;
  readonly byId: ReadonlyMap<string, Strategy>;
  /** Of each strategy loaded from a module, by id: its entry file and the SHA-256 of the bytes imported. */
  readonly moduleSources: ReadonlyMap<string, StrategySource>;
}

/** Default of {@link OpenPortfolioOptions.strategyTimeoutMs}. */
export const DEFAULT_STRATEGY_TIMEOUT_MS = 10_000;

/** @throws ConfigError when `strategyTimeoutMs` is not a positive whole number a timer can wait. */
function strategyTimeoutOf(options: Pick<OpenPortfolioOptions, 'strategyTimeoutMs'>): number {
  const timeoutMs: unknown = options.strategyTimeoutMs ?? DEFAULT_STRATEGY_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new ConfigError(`strategyTimeoutMs must be a positive whole number of milliseconds, got ${typeof timeoutMs === 'string' ? 'the string ' : ''}${describeValue(timeoutMs)}`, 'strategyTimeoutMs');
  }
  if (timeoutMs > MAX_TIMER_MS) {
    throw new ConfigError(
      `strategyTimeoutMs must be at most ${MAX_TIMER_MS} milliseconds (about ${MAX_TIMER_HOURS}h, the longest a timer can wait: a longer one fires after 1 ms), got ${timeoutMs}`,
      'strategyTimeoutMs',
    );
  }
  return timeoutMs;
}

/**
 * The options of {@link Portfolio.open} as a program in plain JavaScript may pass them, checked before anything is read or
 * written: an object, a store, a config as {@link parsePortfolioConfig} makes it (a raw config object lacks the defaults
 * the engine reads, and would be recorded as something the parse never gives), kinds that are factories and extra
 * strategies that are strategies.
 * @throws ConfigError naming the option.
 */
function checkOpenOptions(options: unknown): asserts options is OpenPortfolioOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(`Portfolio.open: options must be an object { store, config, … }, got ${describeValue(options)}`, 'options');
  }
  const { store, config, kinds, strategies } = options as Record<string, unknown>;
  const isStore = store !== null && typeof store === 'object' && ['append', 'readStream', 'streamRevision'].every((m) => typeof (store as Record<string, unknown>)[m] === 'function');
  if (!isStore) throw new ConfigError(`Portfolio.open: options.store must be an event store (openEventStore(url)), got ${describeValue(store)}`, 'store');
  let parsed: PortfolioConfig;
  try {
    parsed = parsePortfolioConfig(config, 'options.config');
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`Portfolio.open: ${e.message}`, 'config');
    throw e;
  }
  const differences = configDifferences(JSON.parse(JSON.stringify(config)) as unknown, JSON.parse(JSON.stringify(parsed)) as unknown);
  if (differences.length > 0) {
    const paths = differences.map((d) => d.path);
    throw new ConfigError(
      `Portfolio.open: options.config is not a parsed portfolio config (parsing it adds or changes ${paths.slice(0, 4).join(', ')}${paths.length > 4 ? ', …' : ''}): ` +
        'pass parsePortfolioConfig(yourObject) or loadPortfolioConfig(path)',
      'config',
    );
  }
  for (const [name, entries] of [['kinds', kinds], ['strategies', strategies]] as const) {
    if (entries === undefined) continue;
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
      throw new ConfigError(`Portfolio.open: options.${name} must be an object keyed by ${name === 'kinds' ? 'kind' : 'strategy id'}, got ${describeValue(entries)}`, name);
    }
    for (const [key, value] of Object.entries(entries)) {
      if (name === 'strategies') {
        checkedStrategy(value, `Portfolio.open: options.strategies.${key}`);
        // The config's strategies are made from the config (kind or module): an object under the same id would run in its place.
        if (parsed.strategies.some((st) => st.id === key)) {
          throw new ConfigError(`Portfolio.open: options.strategies.${key}: strategy ${key} is in the config, which makes it; options.strategies is only for strategies added with addStrategy`, 'strategies');
        }
      } else if (typeof value !== 'function') throw new ConfigError(`Portfolio.open: options.kinds.${key} must be a factory (params) => strategy, got ${describeValue(value)}`, 'kinds');
    }
  }
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
  /** Recovery snapshots taken when their slice was decided, saved when it is durable. */
  private readonly snapshotsDue = new Map<BarSlice, string>();

  private constructor(
    readonly store: EventStore,
    /** The supervisor's working parts: state, strategy actors, decide steps (read-only use outside the engine). */
    readonly kernel: SupervisorCore,
    private readonly supervisor: Actor<typeof supervisorMachine>,
    /** True when the portfolio was recovered from an existing stream. */
    readonly resumed: boolean,
    /** How the state was rebuilt, and any snapshot that was ignored and why (a caller should show the warnings). */
    readonly recovery: RecoveryReport,
    private readonly batchClock: BatchClock | undefined,
  ) {}

  /**
   * Opens the portfolio of `config.id`: creates its stream, or rebuilds it by folding the stream when it exists.
   * @throws ConfigError naming the option when an option is not what it must be (a config not made by parsePortfolioConfig,
   * a kind that is not a factory…), when the stream was written with a different configuration or a strategy cannot be loaded.
   * @throws WrongExpectedRevisionError when another writer created the portfolio at the same moment.
   */
  static async open(options: OpenPortfolioOptions): Promise<Portfolio> {
    checkOpenOptions(options);
    const { store, config } = options;
    const timeoutMs = strategyTimeoutOf(options);
    const stream = portfolioStream(config.id);
    const hash = configHash(config);
    const builtIns = strategyKinds();
    const kinds = { ...builtIns, ...(options.kinds ?? {}) };
    if (options.loaded !== undefined && options.loaded.config !== config) {
      throw new StratafolioError(`the strategies passed as options.loaded were loaded for another config than portfolio "${config.id}"'s`);
    }
    const loadedStrategies = options.loaded ?? (await Portfolio.loadStrategies(config, options));
    const configured = loadedStrategies.byId;
    const moduleHashes = moduleHashesOf(config, loadedStrategies);
    const extra = options.strategies ?? {};
    const resolve = (id: string, kind: string, params: Readonly<Record<string, unknown>>): Strategy => {
      const known = extra[id] ?? configured.get(id);
      if (known) return known;
      const factory = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
      if (factory) return madeByKind(kind, factory, params);
      throw new ConfigError(`strategy ${id} (kind "${kind}") was added through the API: pass its object in options.strategies to reopen the portfolio`);
    };
    const { algorithm, rebalancer } = createRebalancing(config);
    const sizers = new Map<string, SizerFactory>();
    config.strategies.forEach((s, i) => {
      if (s.sizer) sizers.set(s.id, createSizerFactory(s.sizer, `strategies[${i}].sizer`));
    });
    const supervisor = createActor(supervisorMachine, { input: { store, stream } });
    supervisor.start();
    const kernel = new SupervisorCore({
      portfolioId: config.id,
      config,
      settings: {
        fillAt: config.execution.fillAt,
        lookback: config.lookback,
        historyCapacity: requiredHistoryCapacity([...configured.values(), ...Object.values(extra)], config.lookback),
        ...(config.barsPerYear === undefined ? {} : { barsPerYear: config.barsPerYear }),
      },
      resolveStrategy: resolve,
      rebalancing: { algorithm, rebalancer },
      sizerFor: (id) => sizers.get(id),
      watchdog: new StrategyWatchdog(timeoutMs, options.batchClock === undefined ? {} : { now: options.batchClock.now }),
      // A configured strategy of a built-in kind runs engine code; modules, API objects and caller-supplied kinds do not.
      isBuiltIn: (id, kind) => Object.hasOwn(builtIns, kind) && !Object.hasOwn(options.kinds ?? {}, kind) && extra[id] === undefined,
      actors: {
        // Spawned by the supervisor (its child, by the registered name), so that it supervises what it asks.
        spawn: (input) => {
          supervisor.send({ type: 'SPAWN', input });
          const child = supervisor.getSnapshot().children[input.strategyId];
          if (!child) throw new StratafolioError(`the supervisor did not spawn strategy ${input.strategyId}`);
          return child as StrategyActorRef;
        },
      },
    });
    const revision = await store.streamRevision(stream);
    const loaded = revision === 'no_stream' ? null : await loadSnapshot(store, stream, hash);
    const snapshot = loaded !== null && 'snapshot' in loaded ? loaded.snapshot : null;
    const recovery: RecoveryReport = {
      from: revision === 'no_stream' ? 'new' : snapshot ? 'snapshot' : 'log',
      snapshotRevision: snapshot?.revision ?? null,
      warnings: loaded !== null && 'reason' in loaded ? [`recovery snapshot of ${stream} ignored (${loaded.reason}); the state was rebuilt by folding the stream`] : [],
    };
    const portfolio = new Portfolio(store, kernel, supervisor, revision !== 'no_stream', recovery, options.batchClock);
    if (revision === 'no_stream') {
      const opening = kernel.openPortfolio({
        configHash: hash,
        codeVersion: CODE_VERSION,
        moduleHashes,
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
      await portfolio.commit(opening, 'no_stream');
    } else {
      // The opening event is read and checked whether or not a snapshot lets the fold start after it.
      const opened = await openingEvent(store, stream);
      if (opened?.type !== 'PortfolioOpened') throw new ConfigError(`stream ${stream} does not start with PortfolioOpened`);
      if (opened.data.configHash !== hash) {
        throw new ConfigError(
          `portfolio "${config.id}" already exists in ${store.url} with a different configuration (hash ${opened.data.configHash.slice(0, 12)}… vs ${hash.slice(0, 12)}…); ` +
            `recorded → now: ${describeConfigDifferences(configDifferences(opened.data.config, JSON.parse(JSON.stringify(config)) as unknown)) || 'no field differs (the hash rule changed)'}: use a new portfolio id or another store`,
        );
      }
      // A log written before the modules' code was recorded has nothing to compare it with.
      if (opened.data.moduleHashes !== undefined) checkSameModules(config, store.url, opened.data.moduleHashes, loadedStrategies.moduleSources);
      const folding = new SliceBatches((batch) => kernel.apply(batch));
      let fromRevision = 1;
      if (snapshot) {
        kernel.restoreSnapshot(snapshot);
        fromRevision = snapshot.revision + 1;
      } else folding.add(opened);
      for await (const event of store.readStream(stream, { fromRevision })) folding.add(event);
      folding.flush();
    }
    return portfolio;
  }

  /**
   * Loads the config's strategies: imports each module and runs its factory (bounded by `strategyTimeoutMs` when given
   * a `loadTimer`), builds each kind. Touches no store, so a caller can load them before it opens one.
   * @throws ConfigError naming the strategy (`strategies[i] (id)`) and its module when one cannot be loaded.
   */
  static async loadStrategies(config: PortfolioConfig, options: LoadStrategiesOptions = {}): Promise<LoadedStrategies> {
    const timeoutMs = strategyTimeoutOf(options);
    const kinds = { ...strategyKinds(), ...(options.kinds ?? {}) };
    const baseDir = options.baseDir ?? process.cwd();
    const byId = new Map<string, Strategy>();
    const moduleSources = new Map<string, StrategySource>();
    for (const [i, s] of config.strategies.entries()) {
      const spec = s.module !== undefined ? { module: s.module, export: s.export, params: s.params } : { kind: s.kind ?? '', params: s.params };
      try {
        const { strategy, source } = await loadStrategyWithSource(spec, { baseDir, kinds, ...(options.loadTimer ? { timeout: { ms: timeoutMs, setTimer: options.loadTimer } } : {}) });
        byId.set(s.id, strategy);
        if (source !== null) moduleSources.set(s.id, source);
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(`strategies[${i}] (${s.id}): ${e.message}`, `strategies[${i}].${e.field ?? (s.module !== undefined ? 'module' : 'kind')}`);
        throw e;
      }
    }
    return { config, byId, moduleSources };
  }

  /** Saves a recovery snapshot of the state after the last slice (a cache of the log: losing it costs a refold). */
  async saveSnapshot(): Promise<void> {
    await this.store.documents.put(SNAPSHOT_COLLECTION, portfolioStream(this.kernel.portfolioId), this.snapshotText());
  }

  /** The recovery snapshot of the state after the last decided slice, as a sealed document. */
  private snapshotText(): string {
    const kernel = this.kernel.toSnapshot();
    const stream = portfolioStream(this.kernel.portfolioId);
    const body: SnapshotBody = { configHash: configHash(this.kernel.config), kernel };
    return sealDocument({ kind: SNAPSHOT_DOCUMENT_KIND, version: KERNEL_SNAPSHOT_VERSION, anchor: { stream, revision: kernel.revision, eventHash: kernel.headHash } }, body);
  }

  /** Resolves the directory of a config file, for module paths in it. */
  static baseDirOf(configPath: string): string {
    return dirname(configPath);
  }

  private async commit(events: readonly SealedEvent[], expectedRevision: number | 'no_stream'): Promise<void> {
    if (events.length === 0) return;
    this.supervisor.send({ type: 'COMMIT', events, expectedRevision });
    await this.settle();
  }

  private ensureReady(): void {
    const snap = this.supervisor.getSnapshot();
    if (snap.matches('halted')) {
      throw new StratafolioError(`portfolio ${this.kernel.portfolioId} is halted after a failed slice (${String((snap.context.error as Error | null)?.message ?? snap.context.error)}); reopen it from its log`);
    }
    if (snap.matches('closed') || snap.status !== 'active') throw new StratafolioError(`portfolio ${this.kernel.portfolioId} is closed, not ready for a slice`);
    // The one call a portfolio takes at a time is still running: a caller that did not await it.
    if (!snap.matches('ready')) {
      throw new StratafolioError(`portfolio ${this.kernel.portfolioId} is processing a slice: await each executeBar, processSlice, run or follow before the next call`);
    }
  }

  /**
   * A command is taken at the next slice: a closed portfolio has none, and a halted one's state is discarded by
   * reopening it, so a command given to either would be lost without a word.
   */
  private ensureTakesCommands(entry: string): void {
    const snap = this.supervisor.getSnapshot();
    if (snap.status !== 'active' || snap.matches('closed')) throw new StratafolioError(`${entry}: portfolio ${this.kernel.portfolioId} is closed: open it again to give it commands`);
    if (snap.matches('halted')) throw new StratafolioError(`${entry}: portfolio ${this.kernel.portfolioId} is halted after a failed slice: reopen it from its log to give it commands`);
  }

  /**
   * Runs one slice: decides its events, appends them atomically with the exact expected revision, and only then returns.
   * @throws DataError for a malformed slice or one not later than the last; WrongExpectedRevisionError when another
   * writer appended first; StrategyTimeoutError when the slice's strategy calls overran (the portfolio then halts).
   */
  async processSlice(slice: BarSlice): Promise<SliceReport> {
    const checked = checkedSlice(slice);
    this.ensureReady();
    // Checked before anything changes, so the portfolio stays usable after this error.
    this.checkOrder(checked);
    let report: SliceReport | null = null;
    this.supervisor.send({
      type: 'SLICE',
      slice: checked,
      work: (s) => this.decide(s),
      done: async (s, events) => {
        report = await this.sliceDone(s, events);
      },
      expectedRevision: () => this.expectedRevision(),
    });
    await this.settle();
    return report as unknown as SliceReport;
  }

  private expectedRevision(): number | 'no_stream' {
    return this.kernel.head.nextRevision === 0 ? 'no_stream' : this.kernel.head.nextRevision - 1;
  }

  private checkOrder(slice: BarSlice): void {
    if (this.kernel.lastBarTime !== null && slice.time <= this.kernel.lastBarTime) {
      throw new DataError(`bar time ${slice.time} is not later than the last processed bar time ${this.kernel.lastBarTime}`);
    }
  }

  private decide(slice: BarSlice): readonly SealedEvent[] {
    const checked = checkedSlice(slice);
    this.checkOrder(checked);
    const events = this.kernel.processSlice(checked);
    // A snapshot due after this slice is taken now, of this slice's state (a run decides the next slice before this
    // one is durable), and saved once the slice is durable.
    const every = this.kernel.config.snapshotEvery;
    if (every > 0 && this.kernel.barIndex % every === 0) this.snapshotsDue.set(slice, this.snapshotText());
    return events;
  }

  private async sliceDone(slice: BarSlice, events: readonly SealedEvent[]): Promise<SliceReport> {
    const snapshot = this.snapshotsDue.get(slice);
    if (snapshot !== undefined) {
      this.snapshotsDue.delete(slice);
      await this.store.documents.put(SNAPSHOT_COLLECTION, portfolioStream(this.kernel.portfolioId), snapshot);
    }
    const marked = events[events.length - 1];
    const data = marked?.type === 'BarMarked' ? marked.data : null;
    return {
      time: slice.time,
      events,
      portfolioValue: data?.portfolioValue ?? '0',
      reserve: data?.reserve ?? '0',
      strategyValues: data?.strategyValues ?? {},
    };
  }

  /** Waits until the supervisor is ready again; rethrows what halted it. */
  private async settle(): Promise<void> {
    const snap = await waitFor(this.supervisor, (s) => s.matches('ready') || s.matches('halted') || s.status === 'done');
    if (snap.matches('halted')) throw snap.context.error instanceof Error ? snap.context.error : new StratafolioError(String(snap.context.error));
  }

  /**
   * Runs a bar for callers who drive bars themselves: `data` maps symbol → bar fields (decimal strings).
   * @throws DataError naming the input when the time is not a bar time or `data` is not an object of bars.
   */
  executeBar(time: string, data: Readonly<Record<string, Omit<Bar, 'symbol'> | Bar>>): Promise<SliceReport> {
    if (typeof time !== 'string') return Promise.reject(new DataError(`executeBar: time must be a string, got ${typeof time}`));
    const parsed = parseBarTime(time);
    if (!parsed.ok) return Promise.reject(new DataError(`executeBar: time ${JSON.stringify(time)}: ${parsed.reason}`));
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return Promise.reject(new DataError(`executeBar(${time}): data must be an object mapping symbol to bar, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`));
    }
    const bars: Record<string, Bar> = dictionary<Bar>();
    for (const symbol of Object.keys(data).sort()) {
      const bar = data[symbol];
      if (bar === null || typeof bar !== 'object') return Promise.reject(new DataError(`executeBar(${time}): bar of ${JSON.stringify(symbol)} must be an object, got ${bar === null ? 'null' : typeof bar}`));
      // A bar that names its symbol keeps it, so that processSlice refuses one whose symbol is not its key.
      bars[symbol] = 'symbol' in bar && bar.symbol !== undefined ? bar : { ...bar, symbol };
    }
    return this.processSlice({ time: formatBarTime(parsed.ms), bars });
  }

  /**
   * Runs every slice of a source in order. An async iterable (or a {@link BarStream}) is pulled one slice at a time, so
   * a file is read at most MAX_DECIDED_AHEAD slices ahead of the log; any other Observable is consumed with concatMap. Slices are
   * decided while the ones before them commit (never appended before them), and `onSlice` gets a slice only once it is durable (docs/engine.md).
   * On a resumed portfolio, a slice at or before the last persisted bar time is skipped when the log holds a slice at
   * exactly that time (so a killed run resumes where it stopped); any other slice that is not later than the one before
   * it is out of order or repeated.
   * @throws DataError for a source that is neither, ConfigError for an onSlice that is not a function (both before any slice);
   * DataError naming both times when a slice is out of order, repeated, or earlier than the log and not in it;
   * naming the first bar that differs when a resumed source's closes or slices differ from those the log recorded.
   */
  async run(source: AsyncIterable<BarSlice> | Observable<BarSlice>, onSlice?: (report: SliceReport) => void): Promise<number> {
    if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source || typeof (source as { pipe?: unknown }).pipe === 'function')) {
      throw new DataError(`run: expected an async iterable or Observable of slices, got ${source === null ? 'null' : typeof source === 'object' ? 'an object that is neither' : typeof source}`);
    }
    if (onSlice !== undefined && typeof onSlice !== 'function') throw new ConfigError(`run: onSlice must be a function when given, got ${describeValue(onSlice)}`, 'onSlice');
    this.ensureReady();
    const persisted = this.persistedSliceTimes();
    let processed = 0;
    // The supervisor consumes the stream itself: it pulls (or subscribes), decides, appends and reports each slice.
    this.supervisor.send({
      type: 'RUN',
      source,
      skip: (slice) => persisted.skip(slice),
      work: (slice) => this.decide(slice),
      ...(this.batchClock === undefined ? {} : { batching: { span: (next: () => boolean) => this.kernel.span(next), nextTurn: this.batchClock.nextTurn } }),
      done: async (slice, events) => {
        processed += 1;
        const report = await this.sliceDone(slice, events);
        onSlice?.(report);
      },
      expectedRevision: () => this.expectedRevision(),
    });
    try {
      await this.settle();
    } finally {
      await persisted.close();
    }
    return processed;
  }

  /**
   * Runs a live session's slices as they close. Each group the source yields is decided slice by slice and committed
   * in one transaction together with the writes each slice brings before its events (its feed record), so a slice and
   * its record are durable together; the next group is decided while one commits. `onSlice` gets each slice, in order,
   * only once it is durable. Resolves with the number of slices run when the source ends.
   * @throws DataError (groups that are not an async iterable) or ConfigError (an onSlice that is not a function) before any
   * slice, the portfolio untouched; what halted the portfolio (a slice or group that is malformed, a failed append, a
   * strategy timeout): the slices before it are durable.
   */
  async follow<T extends LiveSlice>(groups: AsyncIterable<readonly T[]>, onSlice: (report: SliceReport, item: T) => void | Promise<void>): Promise<number> {
    // Checked before the supervisor takes them: what fails inside it halts the portfolio.
    if (groups === null || typeof groups !== 'object' || typeof (groups as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function') {
      throw new DataError(`follow: expected an async iterable of slice groups, got ${groups === null ? 'null' : typeof groups === 'object' ? 'an object that is not one' : typeof groups}`);
    }
    if (typeof onSlice !== 'function') throw new ConfigError(`follow: onSlice must be a function, got ${describeValue(onSlice)}`, 'onSlice');
    this.ensureReady();
    let processed = 0;
    this.supervisor.send({
      type: 'FOLLOW',
      groups,
      work: (slice) => this.decide(slice),
      done: async (item, events) => {
        processed += 1;
        const report = await this.sliceDone(item.slice, events);
        // The item is one of `groups`' own, handed back.
        await onSlice(report, item as T);
      },
      expectedRevision: () => this.expectedRevision(),
    });
    await this.settle();
    return processed;
  }

  /**
   * Walks the bar times of the slices already in the log, in step with a source that starts over from its beginning:
   * `skip(slice)` is true for a slice the log already holds, false for one later than the log's last, and throws for
   * a slice at or before the log's last bar time that the log does not hold, for one whose closes differ from the
   * recorded marks, and for a slice the log holds between two of the source's that the source lacks.
   */
  private persistedSliceTimes(): { skip(slice: BarSlice): Promise<boolean>; close(): Promise<void> } {
    const last = this.kernel.lastBarTime;
    if (last === null) return { skip: () => Promise.resolve(false), close: () => Promise.resolve() };
    const stream = portfolioStream(this.kernel.portfolioId);
    let times: AsyncIterator<MarkedSlice> | null = null;
    let next: string | undefined;
    let nextMarks: Readonly<Record<string, string>> = {};
    const advance = async (): Promise<void> => {
      times ??= markedSlices(this.store.readStream(stream));
      const r = await times.next();
      next = r.done === true ? undefined : r.value.time;
      nextMarks = r.done === true ? {} : r.value.marks;
    };
    let started = false;
    return {
      skip: async (given) => {
        const slice = checkedSlice(given);
        const time = slice.time;
        if (time > last) return false;
        if (!started) {
          started = true;
          await advance();
          // The source may start later than the log (a file of the newer bars only): earlier slices are not compared.
          while (next !== undefined && next < time) await advance();
        }
        // A file source says where it read the slice: the error names the file, line and column as a bad row's does.
        if (next !== undefined && next < time) {
          throw new DataError(
            `the log recorded a slice at ${next} that the source does not have (its next bar is at ${time}). The log was written from other bars: run the corrected file into a new store`,
            sliceTimeLocation(given),
          );
        }
        if (next === time) {
          // A slice the log already holds must be the one it was written from: a corrected bar file is refused.
          const difference = markDifference(slice, nextMarks);
          if (difference !== null) {
            throw new DataError(
              `the bar at ${time} differs from the one the log recorded: ${difference.text}. The log was written from other bars: run the corrected file into a new store`,
              barLocation(given, difference.symbol),
            );
          }
          await advance();
          return true;
        }
        throw new DataError(
          `slice at ${time} is not later than the last processed bar time ${last}, and the log holds no slice at ${time}${next === undefined ? '' : ` (its next is ${next})`}: the source is out of order or differs from the one the log was written from`,
          sliceTimeLocation(given),
        );
      },
      close: async () => {
        await times?.return?.();
      },
    };
  }

  /** Adds a strategy with `allocationPct` of the portfolio's current value, from the reserve, at the next slice. @throws AllocationError */
  addStrategy(id: string, strategy: Strategy, allocationPct: DecT | string, metadata: Readonly<Record<string, unknown>> = {}): void {
    this.ensureTakesCommands('addStrategy');
    checkId('addStrategy', id);
    const idProblem = strategyIdProblem(id);
    if (idProblem !== null) throw new AllocationError(`addStrategy: strategy id ${JSON.stringify(id)}: ${idProblem}`);
    try {
      checkedStrategy(strategy, 'strategy');
    } catch (e) {
      throw new AllocationError(`addStrategy(${id}): ${e instanceof Error ? e.message : String(e)}`);
    }
    // The name is recorded as the strategy's kind (`object:<name>`).
    const name: unknown = strategy.name;
    if (typeof name !== 'string' || name === '') throw new AllocationError(`addStrategy(${id}): strategy: "name" must be a non-empty string, got ${describeValue(name)}`);
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new AllocationError(`addStrategy(${id}): metadata must be an object`);
    let pct: DecT;
    try {
      pct = dec(allocationPct, 'allocationPct');
    } catch (e) {
      // A command's arguments are refused as the command: AllocationError, naming the strategy.
      throw new AllocationError(`addStrategy(${id}): ${e instanceof Error ? e.message : String(e)}`);
    }
    this.kernel.enqueue({ kind: 'add', id, strategyKind: `object:${strategy.name}`, strategy, params: {}, allocationPct: pct, metadata });
  }

  /** Removes a strategy at the next slice; with `liquidate`, its positions are sold and its whole value returns to the reserve. @throws AllocationError */
  removeStrategy(id: string, options: { readonly liquidate: boolean } = { liquidate: true }): void {
    this.ensureTakesCommands('removeStrategy');
    checkId('removeStrategy', id);
    if (options === null || typeof options !== 'object' || typeof options.liquidate !== 'boolean') {
      throw new AllocationError(`removeStrategy(${id}): options must be { liquidate: true | false }`);
    }
    this.kernel.enqueue({ kind: 'remove', id, liquidate: options.liquidate });
  }

  /** Pauses a strategy at the next slice: no more onBar, positions kept and still valued. @throws AllocationError */
  pauseStrategy(id: string, reason = 'paused by request'): void {
    this.ensureTakesCommands('pauseStrategy');
    checkId('pauseStrategy', id);
    checkReason('pauseStrategy', reason);
    this.kernel.enqueue({ kind: 'pause', id, reason });
  }

  /** Resumes a paused strategy at the next slice. @throws AllocationError */
  resumeStrategy(id: string, reason = 'resumed by request'): void {
    this.ensureTakesCommands('resumeStrategy');
    checkId('resumeStrategy', id);
    checkReason('resumeStrategy', reason);
    this.kernel.enqueue({ kind: 'resume', id, reason });
  }

  /**
   * Moves capital at the next slice so that each named strategy holds weight × the portfolio's value then; others keep theirs.
   * Validated completely now; a slice applies one rebalance, so a second before the next slice is refused.
   * @throws AllocationError
   */
  rebalance(newAllocations: Weights, reason = 'manual rebalance'): void {
    this.ensureTakesCommands('rebalance');
    checkReason('rebalance', reason);
    this.kernel.enqueue({ kind: 'rebalance', weights: checkedManualWeights('rebalance', newAllocations), reason });
  }

  /** The portfolio's state after its last slice. */
  status(): PortfolioStatus {
    const k = this.kernel;
    const d = k.view();
    const state = k.state;
    const strategies: StrategyStatus[] = [...state.strategies.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((e) => {
        const book = k.bookOf(e.id);
        const positions: Record<string, string> = dictionary();
        for (const p of [...book.ledger.positions.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1))) positions[p.symbol] = decStr(p.quantity);
        return { id: e.id, kind: e.kind, state: book.lifecycle, value: decStr(e.removed ? ZERO : d.valueOf(e.id)), cash: decStr(book.ledger.cash), positions, removed: e.removed };
      });
    return {
      portfolioId: k.portfolioId,
      slices: state.barIndex,
      lastBarTime: state.lastBarTime,
      revision: state.nextRevision - 1,
      portfolioValue: decStr(d.portfolioValue()),
      reserve: decStr(state.reserve),
      totalCapital: decStr(state.totalCapital),
      strategies,
      rebalances: state.rebalanceCount,
      netting: {
        grossTradedValue: decStr(state.netting.grossTradedValue),
        netTradedValue: decStr(state.netting.netTradedValue),
        commissionSaved: decStr(state.netting.commissionSaved),
      },
    };
  }

  /** Stops the supervisor and every strategy actor (the store stays open: it belongs to the caller). */
  close(): void {
    this.supervisor.send({ type: 'CLOSE' });
    this.supervisor.stop();
  }
}

/**
 * The first difference between a source slice and the marks the log recorded for it (a symbol missing on either side,
 * or a close that differs), or null when they agree.
 */
function markDifference(slice: BarSlice, marks: Readonly<Record<string, string>>): { readonly symbol: string; readonly text: string } | null {
  const symbols = [...new Set([...Object.keys(slice.bars), ...Object.keys(marks)])].sort();
  for (const symbol of symbols) {
    const bar = Object.hasOwn(slice.bars, symbol) ? slice.bars[symbol] : undefined;
    const mark = Object.hasOwn(marks, symbol) ? marks[symbol] : undefined;
    if (bar === undefined) return { symbol, text: `${symbol} is in the log (close ${String(mark)}) but not in the source` };
    if (mark === undefined) return { symbol, text: `${symbol} is in the source (close ${bar.close}) but not in the log` };
    let same: boolean;
    try {
      same = dec(bar.close).eq(dec(mark));
    } catch {
      same = false;
    }
    if (!same) return { symbol, text: `${symbol} closes at ${bar.close} in the source but ${mark} in the log` };
  }
  return null;
}

function checkId(entry: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.trim() === '') throw new AllocationError(`${entry}: strategy id must be a non-empty string, got ${JSON.stringify(id) ?? String(id)}`);
}

function checkReason(entry: string, reason: unknown): asserts reason is string {
  if (typeof reason !== 'string') throw new AllocationError(`${entry}: reason must be a string, got ${typeof reason}`);
}

/** Groups recorded events into slices (each ends with its BarMarked) to fold them as the live path does: a batch per slice. */
class SliceBatches {
  private batch: RecordedEvent[] = [];
  constructor(private readonly fold: (events: readonly RecordedEvent[]) => void) {}
  add(event: RecordedEvent): void {
    this.batch.push(event);
    if (event.type === 'BarMarked') this.flush();
  }
  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.fold(batch);
  }
}
