// Builds the pieces a portfolio config names: its strategy kinds, its allocation algorithm and its rebalancer.
import { dictionary } from '../src/collections/dictionary.js';
import type { PortfolioConfig } from '../src/config/portfolioConfig.js';
import { ConfigError } from '../src/errors.js';
import { builtinStrategies, type StrategyKinds } from '../src/strategy/registry.js';
import { ALLOCATION_ALGORITHM_NAMES, createAllocationAlgorithm } from '../src/allocation/allocationSpec.js';
import { didYouMean } from '../src/nearestName.js';
import type { AllocationAlgorithm } from '../src/allocation/types.js';
import { AllocationRebalancer } from '../src/rebalance/allocationRebalancer.js';
import { MipAllocation, type MipAllocationOptions } from '../src/optimiser/mipAllocation.js';
import { scoredUniverseStrategy } from '../src/strategy/builtins/scoredUniverse.js';

const MIP_PARAMS = ['score', 'maxStrategies', 'minWeight', 'maxWeight', 'timeLimitSeconds'];

/** Every strategy kind a config may name. */
export function strategyKinds(): StrategyKinds {
  return { ...builtinStrategies, 'scored-universe': scoredUniverseStrategy };
}

/**
 * The allocation algorithm and rebalancer of a config (both null without a `rebalancing` section).
 * @throws ConfigError naming the field when the section is invalid.
 */
export function createRebalancing(config: PortfolioConfig): { algorithm: AllocationAlgorithm | null; rebalancer: AllocationRebalancer | null } {
  const r = config.rebalancing;
  if (!r) return { algorithm: null, rebalancer: null };
  let algorithm: AllocationAlgorithm;
  // The library's factory knows the algorithms it builds; mip is wired here, so the list a config may name is this one.
  const names: readonly string[] = [...ALLOCATION_ALGORITHM_NAMES, 'mip'];
  if (!names.includes(r.algorithm)) {
    throw new ConfigError(`rebalancing.algorithm: must be one of ${names.join(', ')}; got ${JSON.stringify(r.algorithm)}${didYouMean(r.algorithm, names)}`, 'rebalancing.algorithm');
  }
  if (r.algorithm === 'mip') {
    for (const k of Object.keys(r.params)) {
      if (!MIP_PARAMS.includes(k)) throw new ConfigError(`rebalancing.params.${k}: not a parameter of mip${didYouMean(k, MIP_PARAMS)} (known: ${MIP_PARAMS.join(', ')})`, `rebalancing.params.${k}`);
    }
    // The optimiser bounds every strategy alike and funds a strategy or not; the projection's bounds have no place in
    // it, and ignoring them would leave a reserve or a cap the config asked for unkept.
    const given = Object.keys(r.constraints);
    if (given.length > 0) {
      throw new ConfigError(
        `rebalancing.constraints: mip does not apply constraints (${given.join(', ')} would be ignored); bound it with rebalancing.params minWeight, maxWeight and maxStrategies`,
        'rebalancing.constraints',
      );
    }
    config.strategies.forEach((s, i) => {
      const bound = s.min !== undefined ? 'min' : s.max !== undefined ? 'max' : null;
      if (bound !== null) {
        throw new ConfigError(
          `strategies[${i}].${bound}: mip does not apply a strategy's own min or max; bound every strategy with rebalancing.params minWeight and maxWeight`,
          `strategies[${i}].${bound}`,
        );
      }
    });
    try {
      algorithm = new MipAllocation(r.params as MipAllocationOptions);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`rebalancing.params: ${e.message}`, `rebalancing.params.${e.field ?? ''}`);
      throw e;
    }
    const rebalancer = new AllocationRebalancer({ frequency: r.frequency, cooldownDays: r.cooldownDays, driftThreshold: r.driftThreshold ?? undefined });
    return { algorithm, rebalancer };
  }
  try {
    algorithm = createAllocationAlgorithm({ algorithm: r.algorithm, params: r.params, constraints: withStrategyBounds(config, r.constraints) } as Parameters<typeof createAllocationAlgorithm>[0]);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`rebalancing.${e.field ?? 'algorithm'}: ${e.message}`, `rebalancing.${e.field ?? ''}`);
    throw e;
  }
  const rebalancer = new AllocationRebalancer({ frequency: r.frequency, cooldownDays: r.cooldownDays, driftThreshold: r.driftThreshold ?? undefined });
  return { algorithm, rebalancer };
}

/** Per-strategy min/max from the strategies section join the rebalancing constraints (explicit constraints win). */
function withStrategyBounds(config: PortfolioConfig, constraints: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const strategyMin: Record<string, number> = dictionary();
  const strategyMax: Record<string, number> = dictionary();
  for (const s of config.strategies) {
    if (s.min !== undefined) strategyMin[s.id] = s.min;
    if (s.max !== undefined) strategyMax[s.id] = s.max;
  }
  const given = constraints as { strategyMin?: Record<string, number>; strategyMax?: Record<string, number> };
  return {
    ...constraints,
    ...(Object.keys(strategyMin).length || given.strategyMin ? { strategyMin: { ...strategyMin, ...(given.strategyMin ?? {}) } } : {}),
    ...(Object.keys(strategyMax).length || given.strategyMax ? { strategyMax: { ...strategyMax, ...(given.strategyMax ?? {}) } } : {}),
  };
}
