// Checks of a config that need no bars and no store, run before a command opens its store, so a refused config leaves nothing behind.
import type { PortfolioConfig } from '../config/portfolioConfig.js';
import { ConfigError } from '../errors.js';
import { resolveStrategy } from '../strategy/registry.js';
import { createSizerFactory } from '../sizing/sizerSpec.js';
import { createRebalancing, strategyKinds } from '../../actors/wiring.js';

/**
 * Builds what the config names — the allocation algorithm and its rebalancer, each built-in strategy with its parameters,
 * each position sizer — and throws the first error, naming the file and field. Strategy modules are loaded after it, by
 * `Portfolio.loadStrategies`, still before the store opens (a module's factory runs once).
 * @throws ConfigError
 */
export function preflightConfig(config: PortfolioConfig, source: string): void {
  const named = (e: unknown, field: string): never => {
    if (e instanceof ConfigError) throw new ConfigError(`${source}: ${field}: ${e.message}`, field);
    throw e;
  };
  try {
    createRebalancing(config);
  } catch (e) {
    // Its messages already name the field under `rebalancing.`.
    if (e instanceof ConfigError) throw new ConfigError(`${source}: ${e.message}`, e.field);
    throw e;
  }
  strategyIdsNamedByRebalancing(config, source);
  const kinds = strategyKinds();
  config.strategies.forEach((s, i) => {
    if (s.kind !== undefined) {
      try {
        resolveStrategy({ kind: s.kind, params: s.params }, kinds);
      } catch (e) {
        named(e, `strategies[${i}]`);
      }
    }
    if (s.sizer) {
      try {
        createSizerFactory(s.sizer, `strategies[${i}].sizer`);
      } catch (e) {
        named(e, `strategies[${i}].sizer`);
      }
    }
  });
}

/**
 * Every strategy id the rebalancing section names (fixed allocations, per-strategy constraint bounds) must be one of the
 * config's strategies. The engine ignores an id it does not weigh (the library may add strategies later), but a CLI run
 * has only the config's: there an unknown id is a typo, which would silently give the strategy meant 0 or no bound.
 * @throws ConfigError naming the field and the ids there are
 */
function strategyIdsNamedByRebalancing(config: PortfolioConfig, source: string): void {
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
        throw new ConfigError(`${source}: ${field}.${id}: no strategy has the id "${id}" (the config's strategies: ${[...ids].sort().join(', ')})`, `${field}.${id}`);
      }
    }
  }
}
