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
