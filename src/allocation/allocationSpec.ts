// Builds an allocation algorithm from its JSON config spec; every bad field is a ConfigError naming it.
import { setOwn } from '../records/ownKeys.js';
import { ConfigError } from '../errors.js';
import { didYouMean } from '../nearestName.js';
import { AllocationConstraints, type AllocationConstraintsOptions } from './constraints.js';
import { DrawdownBasedAllocation } from './drawdown.js';
import { DynamicAllocation } from './dynamic.js';
import { FixedAllocation } from './fixed.js';
import { KellyCriterionAllocation } from './kelly.js';
import { RiskParityAllocation, type RiskParityMethod } from './riskParity.js';
import { SharpeProportionalAllocation } from './sharpe.js';
import type { AllocationAlgorithm } from './types.js';

/** Names accepted in `allocation.algorithm` by this factory ('mip' is wired by the engine to the optimiser). */
export const ALLOCATION_ALGORITHM_NAMES = ['fixed', 'dynamic', 'risk-parity', 'kelly', 'drawdown', 'sharpe'] as const;
export type AllocationAlgorithmName = (typeof ALLOCATION_ALGORITHM_NAMES)[number];

/** An allocation rule as written in a portfolio config file. */
export interface AllocationSpec {
  readonly algorithm: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly constraints?: Readonly<Record<string, unknown>>;
}

const PARAMS: Record<AllocationAlgorithmName, readonly string[]> = {
  fixed: ['allocations'],
  dynamic: ['lookback', 'floor'],
  'risk-parity': ['method', 'lookback', 'minVolatility'],
  kelly: ['lookback', 'fraction', 'minVariance'],
  drawdown: ['maxDrawdownThreshold', 'recoveryBonus', 'recoveryFraction'],
  sharpe: ['lookback', 'minVolatility'],
};
const CONSTRAINT_FIELDS = ['defaultMin', 'defaultMax', 'strategyMin', 'strategyMax', 'maxTotal', 'maxStrategies'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function numberRecord(value: unknown, field: string): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new ConfigError(`${field} must be an object of strategy id → number`, field);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number') throw new ConfigError(`${field}.${k} must be a number, got ${JSON.stringify(v)}`, `${field}.${k}`);
    setOwn(out, k, v);
  }
  return out;
}

function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new ConfigError(`${field} must be a number, got ${JSON.stringify(value)}`, field);
  return value;
}

/**
 * Builds the constraints from their config object.
 * @throws ConfigError naming an unknown or invalid field, or infeasible bounds.
 */
export function constraintsFromSpec(spec: unknown): AllocationConstraints {
  if (spec === undefined) return new AllocationConstraints();
  if (!isRecord(spec)) throw new ConfigError('constraints must be an object', 'constraints');
  for (const k of Object.keys(spec)) {
    if (!CONSTRAINT_FIELDS.includes(k)) throw new ConfigError(`constraints.${k} is not a known constraint${didYouMean(k, CONSTRAINT_FIELDS)} (known: ${CONSTRAINT_FIELDS.join(', ')})`, `constraints.${k}`);
  }
  const options: AllocationConstraintsOptions = {
    defaultMin: optionalNumber(spec.defaultMin, 'constraints.defaultMin'),
    defaultMax: optionalNumber(spec.defaultMax, 'constraints.defaultMax'),
    strategyMin: numberRecord(spec.strategyMin, 'constraints.strategyMin'),
    strategyMax: numberRecord(spec.strategyMax, 'constraints.strategyMax'),
    maxTotal: optionalNumber(spec.maxTotal, 'constraints.maxTotal'),
    maxStrategies: optionalNumber(spec.maxStrategies, 'constraints.maxStrategies'),
  };
  return new AllocationConstraints(options);
}

/**
 * Builds one of the built-in allocation algorithms from `{ algorithm, params, constraints }`.
 * @throws ConfigError naming the field: unknown algorithm, unknown or invalid parameter, infeasible constraints.
 */
export function createAllocationAlgorithm(spec: AllocationSpec): AllocationAlgorithm {
  if (!isRecord(spec)) throw new ConfigError('allocation must be an object with an algorithm field', 'allocation');
  const name = spec.algorithm;
  if (typeof name !== 'string' || !(ALLOCATION_ALGORITHM_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`algorithm must be one of ${ALLOCATION_ALGORITHM_NAMES.join(', ')}; got ${JSON.stringify(name)}${didYouMean(typeof name === 'string' ? name : '', ALLOCATION_ALGORITHM_NAMES)}`, 'algorithm');
  }
  const algorithm = name as AllocationAlgorithmName;
  const params = spec.params ?? {};
  if (!isRecord(params)) throw new ConfigError('params must be an object', 'params');
  for (const k of Object.keys(params)) {
    if (!PARAMS[algorithm].includes(k)) {
      throw new ConfigError(`params.${k} is not a parameter of ${algorithm}${didYouMean(k, PARAMS[algorithm])} (known: ${PARAMS[algorithm].join(', ') || 'none'})`, `params.${k}`);
    }
  }
  const constraints = constraintsFromSpec(spec.constraints);
  const num = (k: string): number | undefined => optionalNumber(params[k], `params.${k}`);
  switch (algorithm) {
    case 'fixed': {
      const allocations = numberRecord(params.allocations, 'params.allocations');
      if (allocations === undefined) throw new ConfigError('params.allocations is required by fixed (strategy id → weight)', 'params.allocations');
      return new FixedAllocation(allocations, constraints);
    }
    case 'dynamic':
      return new DynamicAllocation({ lookback: num('lookback'), floor: num('floor') }, constraints);
    case 'risk-parity': {
      const method = params.method;
      if (method !== undefined && typeof method !== 'string') throw new ConfigError('params.method must be a string', 'params.method');
      return new RiskParityAllocation(
        { method: method as RiskParityMethod | undefined, lookback: num('lookback'), minVolatility: num('minVolatility') },
        constraints,
      );
    }
    case 'kelly':
      return new KellyCriterionAllocation({ lookback: num('lookback'), fraction: num('fraction'), minVariance: num('minVariance') }, constraints);
    case 'drawdown':
      return new DrawdownBasedAllocation(
        { maxDrawdownThreshold: num('maxDrawdownThreshold'), recoveryBonus: num('recoveryBonus'), recoveryFraction: num('recoveryFraction') },
        constraints,
      );
    case 'sharpe':
      return new SharpeProportionalAllocation({ lookback: num('lookback'), minVolatility: num('minVolatility') }, constraints);
  }
}
