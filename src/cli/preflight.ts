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
export function preflightConfig(config: PortfolioConfig, source: ConfigSource | string): void {
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
  inertSettings(config, source);
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
}

/**
 * Settings the rest of the config leaves doing nothing, or less than they say: a user who wrote one meant it to act.
 * The library accepts them (a strategy's bounds may serve a rebalancing added later, a window is capped where it is
 * used); a CLI run has only this config.
 * @throws ConfigError naming the setting and what to change
 */
function inertSettings(config: PortfolioConfig, source: ConfigSource | string): void {
  if (config.rebalancing === null) {
    config.strategies.forEach((s, i) => {
      const bound = s.min !== undefined ? 'min' : s.max !== undefined ? 'max' : null;
      if (bound !== null) {
        throw configFieldError(
          source,
          `strategies[${i}].${bound}`,
          'bounds the strategy\'s weight when capital is rebalanced, and the config has no rebalancing section: add one (e.g. { "algorithm": "fixed", … }) or remove it',
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
        throw configFieldError(
          source,
          field,
          `${value} returns, but the portfolio keeps the last ${config.lookback} of each strategy (lookback): raise lookback to ${value} or more, or lower this`,
        );
      }
    }
  }
  if (config.risk.maxDrawdown === null && config.risk.drawdownAction === 'liquidate') {
    throw configFieldError(
      source,
      'risk.drawdownAction',
      '"liquidate" acts when a strategy\'s drawdown passes risk.maxDrawdown, which is not set: set it (e.g. 0.25), or remove drawdownAction',
    );
  }
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
