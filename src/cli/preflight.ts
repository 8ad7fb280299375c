// Checks of a config that need no bars and no store, run before a command opens its store, so a refused config leaves nothing behind.
import { configFieldError, type ConfigSource, type PortfolioConfig } from '../config/portfolioConfig.js';
import { didYouMean } from '../nearestName.js';
import { ConfigError } from '../errors.js';
import { resolveStrategy } from '../strategy/registry.js';
import { createSizerFactory } from '../sizing/sizerSpec.js';
import { createRebalancing, strategyKinds } from '../../actors/wiring.js';
import { Portfolio, type LoadedStrategies, type LoadStrategiesOptions } from '../../actors/portfolio.js';

/**
 * Builds what the config names — the allocation algorithm and its rebalancer, each built-in strategy with its parameters,
 * each position sizer — and throws the first error, naming the file and field. Strategy modules are loaded after it, by
 * `Portfolio.loadStrategies`, still before the store opens (a module's factory runs once).
 * @throws ConfigError
 */
export function preflightConfig(config: PortfolioConfig, source: ConfigSource | string): readonly string[] {
  try {
    createRebalancing(config);
  } catch (e) {
    // Its messages start with the field under `rebalancing.` they are about.
    if (e instanceof ConfigError) {
      const named = /^((?:rebalancing|strategies)[^:\s]*): (.*)$/s.exec(e.message);
      throw configFieldError(source, e.field ?? named?.[1] ?? 'rebalancing', named?.[2] ?? e.message);
    }
    throw e;
  }
  strategyIdsNamedByRebalancing(config, source);
  const warnings = inertSettings(config, source);
  const kinds = strategyKinds();
  config.strategies.forEach((s, i) => {
    if (s.kind !== undefined) {
      try {
        resolveStrategy({ kind: s.kind, params: s.params }, kinds);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // The kind, or the parameter the message names when the config gives it.
        const field = e.field === 'kind' ? 'kind' : e.field !== undefined && Object.hasOwn(s.params, e.field) ? `params.${e.field}` : null;
        throw configFieldError(source, field === null ? `strategies[${i}]` : `strategies[${i}].${field}`, e.message);
      }
    }
    if (s.sizer) {
      try {
        createSizerFactory(s.sizer, `strategies[${i}].sizer`);
      } catch (e) {
        if (e instanceof ConfigError) {
          const where = `strategies[${i}].sizer`;
          // The sizers name their options `sizing.<option>`; in the config they are fields of the sizer.
          const option = e.field?.startsWith(`${where}.`) === true ? e.field.slice(where.length + 1).replace(/^sizing\./, '') : '';
          const field = option === '' ? where : `${where}.${option}`;
          throw configFieldError(source, field, e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message);
        }
        throw e;
      }
    }
  });
  return warnings;
}

/**
 * Settings the rest of the config leaves doing nothing, or less than they say: a user who wrote one meant it to act, so
 * each is a warning naming the setting and what to change. Not a refusal: the config is recorded whole in the log, and
 * a portfolio created with one could then be neither resumed nor mended (any change is another config).
 */
function inertSettings(config: PortfolioConfig, source: ConfigSource | string): string[] {
  const warnings: string[] = [];
  const warn = (field: string, message: string): void => void warnings.push(configFieldError(source, field, message).message);
  config.strategies.forEach((s, i) => {
    // A built-in kind has no exports: whatever the export was meant to choose is not what runs.
    if (s.kind !== undefined && s.export !== undefined) {
      warn(`strategies[${i}].export`, `has no effect: only a "module" strategy has an export, and this one is the built-in kind "${s.kind}"; remove it, or give "module" instead of "kind"`);
    }
  });
  if (config.rebalancing === null) {
    config.strategies.forEach((s, i) => {
      const bound = s.min !== undefined ? 'min' : s.max !== undefined ? 'max' : null;
      if (bound !== null) {
        warn(
          `strategies[${i}].${bound}`,
          'has no effect: it bounds the strategy\'s weight when capital is rebalanced, and the config has no rebalancing section; add one (e.g. { "algorithm": "fixed", … }) or remove it',
        );
      }
    });
  } else {
    // The allocation algorithms read the returns the portfolio keeps, its last `lookback` of each strategy.
    const lookback = config.rebalancing.params['lookback'];
    const windows: [string, unknown][] = [
      ['rebalancing.params.lookback', lookback],
      ['rebalancing.minHistory', config.rebalancing.minHistory],
    ];
    for (const [field, value] of windows) {
      if (typeof value === 'number' && value > config.lookback) {
        warn(field, `${value} returns, but the portfolio keeps the last ${config.lookback} of each strategy (lookback), so no more are used: raise lookback to ${value} or more, or lower this`);
      }
    }
  }
  if (config.risk.maxDrawdown === null && config.risk.drawdownAction === 'liquidate') {
    warn('risk.drawdownAction', 'has no effect: "liquidate" acts when a strategy\'s drawdown passes risk.maxDrawdown, which is not set; set it (e.g. 0.25), or remove drawdownAction');
  }
  return warnings;
}

/**
 * Every strategy id the rebalancing section names (fixed allocations, per-strategy constraint bounds) must be one of the
 * config's strategies. The engine ignores an id it does not weigh (the library may add strategies later), but a CLI run
 * has only the config's: there an unknown id is a typo, which would silently give the strategy meant 0 or no bound.
 * @throws ConfigError naming the field and the ids there are
 */
function strategyIdsNamedByRebalancing(config: PortfolioConfig, source: ConfigSource | string): void {
  const r = config.rebalancing;
  if (!r) return;
  const ids = config.strategies.map((s) => s.id);
  const named: [string, unknown][] = [
    ['rebalancing.params.allocations', r.algorithm === 'fixed' ? r.params['allocations'] : undefined],
    ['rebalancing.constraints.strategyMin', r.constraints['strategyMin']],
    ['rebalancing.constraints.strategyMax', r.constraints['strategyMax']],
  ];
  for (const [field, record] of named) {
    if (record === null || typeof record !== 'object') continue;
    for (const id of Object.keys(record)) {
      if (!ids.includes(id)) {
        throw configFieldError(source, `${field}.${id}`, `no strategy has the id "${id}"${didYouMean(id, ids)} (the config's strategies: ${[...ids].sort().join(', ')})`);
      }
    }
  }
}

/**
 * Loads the config's strategy modules (as `Portfolio.loadStrategies` does), naming the config file and the line of the
 * strategy in an error: a module is named by the config, and its path is relative to it.
 * @throws ConfigError
 */
export async function loadConfiguredStrategies(config: PortfolioConfig, source: ConfigSource, options: LoadStrategiesOptions): Promise<LoadedStrategies> {
  try {
    return await Portfolio.loadStrategies(config, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const line = e.field === undefined ? null : (source.lineOf?.(e.field) ?? null);
    throw new ConfigError(`${source.name}${line === null ? '' : `, line ${line}`}: ${e.message}`, e.field);
  }
}
