// Turns a strategy spec from a portfolio config into a Strategy: a built-in kind, or a user module loaded by dynamic import.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deepFreeze } from '../records/deepFreeze.js';
import { BoundedRunner } from './boundedRun.js';
import { ConfigError, StratafolioError, describeValue as describe } from '../errors.js';
import { didYouMean } from '../nearestName.js';
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
    throw new ConfigError(`unknown strategy kind "${kind}"${didYouMean(kind, Object.keys(kinds))} (known: ${Object.keys(kinds).sort().join(', ')})`, 'kind');
  }
  return madeByKind(kind, factory, readOnlyParams(checked));
}

/**
 * What a kind's factory makes of `params`, checked as a module's factory is: a value that is no strategy is refused when
 * the strategy is made, naming the kind, rather than recorded as a fault of its every bar.
 * @throws ConfigError naming the kind; what the factory throws.
 */
export function madeByKind(kind: string, factory: StrategyFactory, params: StrategyParams): Strategy {
  if (typeof factory !== 'function') throw new ConfigError(`strategy kind "${kind}" is ${describe(factory)}, not a factory (params) => strategy`, 'kind');
  return checkedStrategy(factory(params), `strategy kind "${kind}"`, 'the factory returned');
}

/**
 * `value` as the engine may call it: an object with an onBar function and, when present, an init function.
 * @throws ConfigError `<where>: <what> <value>, which has no onBar function` (or naming the init).
 */
export function checkedStrategy(value: unknown, where: string, what = 'got', field = 'strategy'): Strategy {
  if (!isStrategyLike(value)) throw new ConfigError(`${where}: ${what} ${describe(value)}, which has no onBar function`, field);
  const init: unknown = value.init;
  if (init !== undefined && typeof init !== 'function') throw new ConfigError(`${where}: "init" must be a function when present, got ${describe(init)}`, field);
  return value;
}

/**
 * Resolves any spec: a kind (as {@link resolveStrategy}) or a user module, imported relative to `options.baseDir`.
 * @throws ConfigError when the module cannot be imported or its export is neither a strategy nor a factory of one.
 */
export async function loadStrategy(spec: StrategySpec, options: LoadStrategyOptions): Promise<Strategy> {
  return (await loadStrategyWithSource(spec, options)).strategy;
}

/** The entry file a module strategy was imported from, and the SHA-256 (hex) of its bytes as they were read for the import. */
export interface StrategySource {
  readonly file: string;
  readonly sha256: string;
}

/**
 * As {@link loadStrategy}, with the source of a module strategy (null for a kind): what a log records so that a
 * portfolio is not resumed with other code than the code that decided its slices. Only the entry file is hashed, not
 * the files it imports.
 * @throws ConfigError as {@link loadStrategy}.
 */
export async function loadStrategyWithSource(spec: StrategySpec, options: LoadStrategyOptions): Promise<{ readonly strategy: Strategy; readonly source: StrategySource | null }> {
  const checked = checkSpec(spec);
  if (!('module' in checked) || checked.module === undefined) return { strategy: resolveStrategy(checked, options.kinds), source: null };
  const loading = loadModuleStrategy(checked, options);
  const { timeout } = options;
  if (timeout === undefined) return loading;
  let cancel: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    cancel = timeout.setTimer(timeout.ms, () => {
      reject(
        new ConfigError(
          `strategy module ${checked.module}: its import and factory did not finish within ${timeout.ms} ms (a factory must return a strategy, or a promise that settles; ${RAISE_LIMIT})`,
          'module',
        ),
      );
    });
  });
  try {
    return await Promise.race([loading, expired]);
  } finally {
    cancel?.();
  }
}

/**
 * The SHA-256 of each module file as this process first imported it, by real path (node's module cache key): a later
 * import returns that module, whatever the file holds by then, so its code is what the first bytes were.
 */
const importedHashes = new Map<string, string>();

function importedCodeHash(file: string, bytesBeforeImport: Buffer): string {
  let key = file;
  try {
    key = realpathSync(file);
  } catch {
    // Gone since the import: keyed by the path it was imported by.
  }
  let hash = importedHashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(bytesBeforeImport).digest('hex');
    importedHashes.set(key, hash);
  }
  return hash;
}

async function loadModuleStrategy(checked: ModuleStrategySpec, options: LoadStrategyOptions): Promise<{ strategy: Strategy; source: StrategySource }> {
  const { module: specifier } = checked;
  if (!isAbsolute(specifier) && !specifier.startsWith('./') && !specifier.startsWith('../')) {
    throw new ConfigError(`strategy module "${specifier}" must be a file path starting with ./ or ../ (or absolute)`, 'module');
  }
  const file = resolvePath(options.baseDir, specifier);
  let namespace: Record<string, unknown>;
  // Read just before the import that runs them, so the recorded hash is of the code that decides the slices. A file
  // that cannot be read is left to the import, whose error says more (a folder, a missing file).
  let bytes: Buffer | null = null;
  try {
    bytes = readFileSync(file);
  } catch {
    bytes = null;
  }
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    if (!existsSync(file)) throw new ConfigError(`strategy module ${specifier}: there is no file ${file} ${whatTheFolderHolds(options.baseDir, file)}`, 'module');
    const hint = /\.[cm]?ts$/.test(file) ? ' (a .ts module needs a TypeScript loader such as `node --import tsx`; or compile it to .js)' : '';
    throw new ConfigError(`strategy module ${specifier} (${file}) could not be loaded: ${importFailure(e, file)}${hint}`, 'module');
  }
  if (bytes === null) throw new ConfigError(`strategy module ${specifier}: ${file} was imported but cannot be read to record its SHA-256`, 'module');
  const source: StrategySource = { file, sha256: importedCodeHash(file, bytes) };
  const exportName = checked.export ?? 'default';
  const where = `strategy module ${specifier}, export "${exportName}"`;
  if (!Object.hasOwn(namespace, exportName)) {
    const exported = Object.keys(namespace).sort();
    throw new ConfigError(`${where} is missing (the module exports: ${exported.length > 0 ? exported.join(', ') : 'nothing'})`, 'export');
  }
  const exported = namespace[exportName];
  const fallbackName = `${specifier}#${exportName}`;
  if (isStrategyLike(exported)) return { strategy: named(checkedStrategy(exported, where, 'got', 'export'), fallbackName), source };
  if (typeof exported !== 'function') {
    throw new ConfigError(`${where} is ${describe(exported)}, not a strategy (an object with an onBar function) or a factory (params) => strategy`, 'export');
  }
  let made: unknown;
  try {
    const params = readOnlyParams(checked);
    const factory = (): unknown => (exported as (params: StrategyParams) => unknown)(params);
    // The load's timer cannot fire while a factory loops synchronously: its synchronous part runs under an execution timeout.
    const { timeout } = options;
    const called = timeout === undefined ? { ok: true as const, value: factory() } : new BoundedRunner().run(timeout.ms, factory);
    if (!called.ok) throw new ConfigError(`${where}: the factory did not return within ${timeout?.ms ?? 0} ms (${RAISE_LIMIT})`, 'export');
    made = await called.value;
  } catch (e) {
    if (e instanceof StratafolioError) throw e;
    // A write to the frozen params reads as an engine error; the hint says whose object it was.
    const hint = e instanceof TypeError && /read only|read-only|not extensible/.test(e.message) ? " (a strategy's params are read-only: copy what you need to change)" : '';
    throw new ConfigError(`${where}: the factory threw: ${e instanceof TypeError ? `TypeError: ${e.message}` : messageOf(e)}${hint}`, 'export');
  }
  return { strategy: named(checkedStrategy(made, where, 'the factory returned', 'export'), fallbackName), source };
}

// This package's own compiled code (dist/): its frames in a stack are the loader's, not the module's.
const OWN_CODE = fileURLToPath(new URL('../../', import.meta.url));

const RAISE_LIMIT = 'raise --strategy-timeout (strategyTimeoutMs) if it needs longer';

// The factory gets the config's own parameters, frozen: what it wrote to them would otherwise be recorded as the
// config (the log would hold parameters the file never had), and the engine freezes them anyway once the strategy runs.
function readOnlyParams(spec: StrategySpec): StrategyParams {
  return deepFreeze(spec.params ?? {});
}

// What a missing module's folder holds (modules only), so a misspelt name is seen at once.
function whatTheFolderHolds(baseDir: string, file: string): string {
  const folder = dirname(file);
  const where = `module paths are relative to ${resolvePath(baseDir)}, the config file's folder`;
  let modules: string[];
  try {
    modules = readdirSync(folder).filter((name) => /\.([cm]?js|[cm]?ts)$/.test(name)).sort();
  } catch {
    return `(${where}; there is no folder ${folder})`;
  }
  const shown = modules.length > 12 ? [...modules.slice(0, 12), `… ${modules.length - 12} more`] : modules;
  return `(${where}; it holds ${modules.length > 0 ? shown.join(', ') : 'no modules'})`;
}

// Where an import failed, when the error says so: the first frame in a user file, or for a syntax error (whose stack
// holds no location in an ES module) the line node's own syntax check reports.
function importFailure(e: unknown, file: string): string {
  if (!(e instanceof Error)) return String(e);
  const text = e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  for (const frame of (e.stack ?? '').matchAll(/(file:\/\/[^\s()]+?):(\d+):(\d+)\)?$/gm)) {
    const path = fileURLToPath(frame[1] ?? '');
    if (!path.includes(`${sep}node_modules${sep}`) && !path.startsWith(OWN_CODE)) return `${text} at ${path}:${frame[2]}:${frame[3]}`;
  }
  // Node's own check reads JavaScript: in a TypeScript module it would name the first type annotation, not the error.
  if (e.name !== 'SyntaxError' || /\.[cm]?ts$/.test(file)) return text;
  // Given on stdin, so that a .js file is parsed as the module it was imported as, whatever package.json says.
  const asModule = !file.endsWith('.cjs');
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return text;
  }
  const checked = spawnSync(process.execPath, [...(asModule ? ['--input-type=module'] : []), '--check'], { input: source, encoding: 'utf8', timeout: 2_000 });
  const lines = (checked.stderr ?? '').split('\n');
  const at = lines.findIndex((line) => /^\[stdin\]:\d+$/.test(line));
  if (at < 0) return text;
  const code = lines[at + 1]?.trim();
  return `${text} at ${file}${(lines[at] ?? '').slice('[stdin]'.length)}${code ? `: ${code}` : ''}`;
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
function named(strategy: Strategy, fallbackName: string): Strategy {
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

