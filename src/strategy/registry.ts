// Turns a strategy spec from a portfolio config into a Strategy: a built-in kind, or a user module loaded by dynamic import.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BoundedRunner } from './boundedRun.js';
import { ConfigError, StratafolioError } from '../errors.js';
import type { Strategy, StrategyParams } from './strategy.js';
import { createBuyAndHoldStrategy } from './builtins/buyAndHold.js';
import { createMeanReversionStrategy } from './builtins/meanReversion.js';
import { createMomentumStrategy } from './builtins/momentum.js';
import { createTrendFollowingStrategy } from './builtins/trendFollowing.js';

/** Makes a strategy from its validated parameters. @throws ConfigError naming an invalid parameter. */
export type StrategyFactory = (params: StrategyParams) => Strategy;

/** Kinds of strategy known by name, mapped to their factories. */
export type StrategyKinds = Readonly<Record<string, StrategyFactory>>;

/** Names of the built-in strategy kinds. */
export type BuiltinStrategyKind = 'buy-and-hold' | 'momentum' | 'mean-reversion' | 'trend-following';

/** The built-in kinds. To add a kind (e.g. the optimiser's scored universe), pass `{ ...builtinStrategies, kind: factory }` as `kinds`. */
export const builtinStrategies: Readonly<Record<BuiltinStrategyKind, StrategyFactory>> = Object.freeze({
  'buy-and-hold': createBuyAndHoldStrategy,
  momentum: createMomentumStrategy,
  'mean-reversion': createMeanReversionStrategy,
  'trend-following': createTrendFollowingStrategy,
});

/** A strategy named by kind, e.g. `{ kind: 'momentum', params: { topN: 2 } }`. */
export interface KindStrategySpec {
  readonly kind: string;
  readonly params?: StrategyParams;
  readonly module?: never;
}

/** A strategy in a user module: `module` is a file path relative to the base directory (the config file's folder). */
export interface ModuleStrategySpec {
  readonly module: string;
  /** Export to use; default `default`. It is a strategy object or a factory `(params) => strategy`. */
  readonly export?: string;
  readonly params?: StrategyParams;
  readonly kind?: never;
}

/** How a portfolio config names a strategy. */
export type StrategySpec = KindStrategySpec | ModuleStrategySpec;

/** Where and among which kinds a spec is resolved. */
export interface LoadStrategyOptions {
  /** Directory module paths are relative to (normally the config file's folder). */
  readonly baseDir: string;
  /** Kinds known by name; default {@link builtinStrategies}. */
  readonly kinds?: StrategyKinds;
  /**
   * How long a module's import and factory may take together before the load fails, and the timer that measures it
   * (this code keeps no clock of its own); absent: no limit. A factory whose promise never settles would otherwise hang
   * the program whenever anything else keeps it alive. The factory's synchronous part also runs under an execution
   * timeout of that length; a synchronous endless loop in the module's top-level code is not bounded.
   */
  readonly timeout?: { readonly ms: number; readonly setTimer: (ms: number, fire: () => void) => () => void };
}

/**
 * Resolves a spec naming a kind, synchronously.
 * @throws ConfigError for an unknown kind, a module spec, or invalid parameters (naming the parameter).
 */
export function resolveStrategy(spec: StrategySpec, kinds: StrategyKinds = builtinStrategies): Strategy {
  const checked = checkSpec(spec);
  if ('module' in checked && checked.module !== undefined) {
    throw new ConfigError(`strategy module ${checked.module} must be loaded with loadStrategy (it is imported asynchronously)`, 'module');
  }
  const kind = (checked as KindStrategySpec).kind;
  const factory = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
  if (factory === undefined) {
    throw new ConfigError(`unknown strategy kind "${kind}" (known: ${Object.keys(kinds).sort().join(', ')})`, 'kind');
  }
  return factory(checked.params ?? {});
}

/**
 * Resolves any spec: a kind (as {@link resolveStrategy}) or a user module, imported relative to `options.baseDir`.
 * @throws ConfigError when the module cannot be imported or its export is neither a strategy nor a factory of one.
 */
export async function loadStrategy(spec: StrategySpec, options: LoadStrategyOptions): Promise<Strategy> {
  const checked = checkSpec(spec);
  if (!('module' in checked) || checked.module === undefined) return resolveStrategy(checked, options.kinds);
  const loading = loadModuleStrategy(checked, options);
  const { timeout } = options;
  if (timeout === undefined) return loading;
  let cancel: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    cancel = timeout.setTimer(timeout.ms, () => {
      reject(new ConfigError(`strategy module ${checked.module}: its import and factory did not finish within ${timeout.ms} ms (a factory must return a strategy, or a promise that settles)`, 'module'));
    });
  });
  try {
    return await Promise.race([loading, expired]);
  } finally {
    cancel?.();
  }
}

async function loadModuleStrategy(checked: ModuleStrategySpec, options: LoadStrategyOptions): Promise<Strategy> {
  const { module: specifier } = checked;
  if (!isAbsolute(specifier) && !specifier.startsWith('./') && !specifier.startsWith('../')) {
    throw new ConfigError(`strategy module "${specifier}" must be a file path starting with ./ or ../ (or absolute)`, 'module');
  }
  const file = resolvePath(options.baseDir, specifier);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    const hint = /\.[cm]?ts$/.test(file) ? ' (a .ts module needs a TypeScript loader such as `node --import tsx`; or compile it to .js)' : '';
    throw new ConfigError(`strategy module ${specifier} (${file}) could not be loaded: ${messageOf(e)}${hint}`, 'module');
  }
  const exportName = checked.export ?? 'default';
  const where = `strategy module ${specifier}, export "${exportName}"`;
  if (!Object.hasOwn(namespace, exportName)) {
    const exported = Object.keys(namespace).sort();
    throw new ConfigError(`${where} is missing (the module exports: ${exported.length > 0 ? exported.join(', ') : 'nothing'})`, 'export');
  }
  const exported = namespace[exportName];
  const fallbackName = `${specifier}#${exportName}`;
  if (isStrategyLike(exported)) return named(exported, fallbackName, where);
  if (typeof exported !== 'function') {
    throw new ConfigError(`${where} is ${describe(exported)}, not a strategy (an object with an onBar function) or a factory (params) => strategy`, 'export');
  }
  let made: unknown;
  try {
    const factory = (): unknown => (exported as (params: StrategyParams) => unknown)(checked.params ?? {});
    // The load's timer cannot fire while a factory loops synchronously: its synchronous part runs under an execution timeout.
    const { timeout } = options;
    const called = timeout === undefined ? { ok: true as const, value: factory() } : new BoundedRunner().run(timeout.ms, factory);
    if (!called.ok) throw new ConfigError(`${where}: the factory did not return within ${timeout?.ms ?? 0} ms`, 'export');
    made = await called.value;
  } catch (e) {
    if (e instanceof StratafolioError) throw e;
    throw new ConfigError(`${where}: the factory threw: ${messageOf(e)}`, 'export');
  }
  if (!isStrategyLike(made)) {
    throw new ConfigError(`${where}: the factory returned ${describe(made)}, which has no onBar function`, 'export');
  }
  return named(made, fallbackName, where);
}

function checkSpec(spec: unknown): StrategySpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConfigError(`a strategy spec must be an object with "kind" or "module", got ${describe(spec)}`, 'strategy');
  }
  const s = spec as Record<string, unknown>;
  const hasKind = s['kind'] !== undefined;
  const hasModule = s['module'] !== undefined;
  if (hasKind === hasModule) {
    throw new ConfigError(`a strategy spec needs exactly one of "kind" and "module", got ${hasKind ? 'both' : 'neither'}`, hasKind ? 'module' : 'kind');
  }
  if (hasKind && (typeof s['kind'] !== 'string' || s['kind'].length === 0)) {
    throw new ConfigError(`strategy "kind" must be a non-empty string, got ${describe(s['kind'])}`, 'kind');
  }
  if (hasModule && (typeof s['module'] !== 'string' || s['module'].length === 0)) {
    throw new ConfigError(`strategy "module" must be a non-empty path, got ${describe(s['module'])}`, 'module');
  }
  if (s['export'] !== undefined && (typeof s['export'] !== 'string' || s['export'].length === 0)) {
    throw new ConfigError(`strategy "export" must be a non-empty string, got ${describe(s['export'])}`, 'export');
  }
  const params = s['params'];
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw new ConfigError(`strategy "params" must be an object, got ${describe(params)}`, 'params');
  }
  return spec as StrategySpec;
}

function isStrategyLike(value: unknown): value is Strategy {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { onBar?: unknown }).onBar === 'function';
}

// A user object without a name still runs; it is named after where it came from.
function named(strategy: Strategy, fallbackName: string, where: string): Strategy {
  const init: unknown = strategy.init;
  if (init !== undefined && typeof init !== 'function') {
    throw new ConfigError(`${where}: "init" must be a function when present, got ${describe(init)}`, 'export');
  }
  if (typeof strategy.name === 'string' && strategy.name.length > 0) return strategy;
  const wrapper: Strategy = {
    name: fallbackName,
    onBar: (ctx, slice) => strategy.onBar(ctx, slice),
  };
  return strategy.init === undefined ? wrapper : { ...wrapper, init: (ctx) => strategy.init?.(ctx) };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    return keys.length > 0 ? `an object with keys ${keys.sort().join(', ')}` : 'an empty object';
  }
  return JSON.stringify(value) ?? String(value);
}
