// Allocation constraints: per-strategy bounds, a total cap and a cardinality cap, applied by exact projection onto the feasible set.
import { ownValue, setOwn } from '../records/ownKeys.js';
import { ConfigError } from '../errors.js';
import type { Weights } from './types.js';

/** Constraint settings as written in a config file; every bound is a fraction of portfolio value. */
export interface AllocationConstraintsOptions {
  /** Lower bound of every funded strategy without its own (default 0). */
  readonly defaultMin?: number;
  /** Upper bound of every strategy without its own (default 1). */
  readonly defaultMax?: number;
  readonly strategyMin?: Readonly<Record<string, number>>;
  readonly strategyMax?: Readonly<Record<string, number>>;
  /** Cap on the sum of weights; the rest stays in the reserve (default 1). */
  readonly maxTotal?: number;
  /** At most this many strategies receive a non-zero weight (default: no cap). */
  readonly maxStrategies?: number;
}

/** Final weights and the names of the constraints that changed them. */
export interface ConstrainedWeights {
  readonly weights: Weights;
  readonly binding: string[];
}

const TOLERANCE = 1e-12;
const NOISE = 1e-15;

function fraction(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`constraints.${field} must be a number in [0, 1], got ${JSON.stringify(value) ?? String(value)}`, `constraints.${field}`);
  }
  return value;
}

const fmt = (x: number): string => String(Number(x.toPrecision(12)));

/**
 * Bounds on allocation weights. `apply` finds the weights closest in shape to the raw ones that
 * satisfy every bound: it scales the funded strategies' raw weights by one common factor λ and clamps
 * each to [min, max] (`w_i = clamp(λ·r_i, min_i, max_i)`), choosing λ so that the total equals the raw
 * total capped at `maxTotal` — or as near as the bounds allow. So what a capped strategy cannot take is
 * redistributed to the others in proportion to their raw weights, and a bound is never broken by a
 * later renormalisation (reference defect B10). With `maxStrategies = k`, only the k largest positive
 * raw weights (ties by id) are funded; the others get exactly 0 whatever their min. Without it, every
 * strategy is funded and gets at least its min, even with a raw weight of 0.
 */
export class AllocationConstraints {
  readonly defaultMin: number;
  readonly defaultMax: number;
  readonly strategyMin: Readonly<Record<string, number>>;
  readonly strategyMax: Readonly<Record<string, number>>;
  readonly maxTotal: number;
  readonly maxStrategies: number | undefined;

  /**
   * Validates and freezes the constraint settings.
   * @throws ConfigError naming the field when a bound is outside [0, 1], a min exceeds its max, the listed mins exceed maxTotal, or maxStrategies is not a positive integer.
   */
  constructor(options: AllocationConstraintsOptions = {}) {
    this.defaultMin = fraction(options.defaultMin ?? 0, 'defaultMin');
    this.defaultMax = fraction(options.defaultMax ?? 1, 'defaultMax');
    this.maxTotal = fraction(options.maxTotal ?? 1, 'maxTotal');
    if (this.defaultMin > this.defaultMax) {
      throw new ConfigError(`constraints.defaultMin (${fmt(this.defaultMin)}) exceeds constraints.defaultMax (${fmt(this.defaultMax)})`, 'constraints.defaultMin');
    }
    const mins: Record<string, number> = {};
    const maxs: Record<string, number> = {};
    for (const [id, v] of Object.entries(options.strategyMin ?? {})) setOwn(mins, id, fraction(v, `strategyMin.${id}`));
    for (const [id, v] of Object.entries(options.strategyMax ?? {})) setOwn(maxs, id, fraction(v, `strategyMax.${id}`));
    this.strategyMin = Object.freeze(mins);
    this.strategyMax = Object.freeze(maxs);
    for (const id of new Set([...Object.keys(mins), ...Object.keys(maxs)])) {
      if (this.minOf(id) > this.maxOf(id)) {
        throw new ConfigError(`constraints: min of ${id} (${fmt(this.minOf(id))}) exceeds its max (${fmt(this.maxOf(id))})`, `constraints.strategyMin.${id}`);
      }
    }
    const listedMins = Object.values(mins).reduce((a, b) => a + b, 0);
    if (listedMins > this.maxTotal + TOLERANCE) {
      throw new ConfigError(`constraints: strategyMin values sum to ${fmt(listedMins)}, above maxTotal ${fmt(this.maxTotal)}`, 'constraints.strategyMin');
    }
    const k = options.maxStrategies;
    if (k !== undefined && (!Number.isInteger(k) || k < 1)) {
      throw new ConfigError(`constraints.maxStrategies must be a positive integer, got ${String(k)}`, 'constraints.maxStrategies');
    }
    this.maxStrategies = k;
  }

  /** Lower bound of `id` when funded. */
  minOf(id: string): number {
    return ownValue(this.strategyMin, id) ?? this.defaultMin;
  }

  /** Upper bound of `id`. */
  maxOf(id: string): number {
    return ownValue(this.strategyMax, id) ?? this.defaultMax;
  }

  /** The settings as JSON-safe data, recorded with each decision. */
  toJSON(): Record<string, unknown> {
    return {
      defaultMin: this.defaultMin,
      defaultMax: this.defaultMax,
      strategyMin: { ...this.strategyMin },
      strategyMax: { ...this.strategyMax },
      maxTotal: this.maxTotal,
      maxStrategies: this.maxStrategies ?? null,
    };
  }

  /**
   * Projects raw weights (ids in any order; negative or non-finite raw weights, and those below 1e-15 of the largest, count as 0) onto the feasible set.
   * @throws ConfigError when the mins of the funded strategies sum above maxTotal.
   */
  apply(raw: Readonly<Weights>): ConstrainedWeights {
    const ids = Object.keys(raw).sort();
    const r = new Map<string, number>();
    let largest = 0;
    for (const id of ids) {
      const v = ownValue(raw, id) ?? 0;
      const clean = Number.isFinite(v) && v > 0 ? v : 0;
      r.set(id, clean);
      largest = Math.max(largest, clean);
    }
    // Weights below 1e-15 of the largest are rounding noise; keeping them would put the scale λ at infinity.
    for (const id of ids) if ((r.get(id) ?? 0) < largest * NOISE) r.set(id, 0);
    const binding: string[] = [];
    let funded = ids;
    if (this.maxStrategies !== undefined) {
      const positive = ids.filter((id) => (r.get(id) ?? 0) > 0);
      if (positive.length > this.maxStrategies) {
        binding.push(`maxStrategies=${this.maxStrategies}`);
        const ranked = [...positive].sort((a, b) => (r.get(b) ?? 0) - (r.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
        funded = ranked.slice(0, this.maxStrategies).sort();
      } else {
        funded = positive;
      }
    }
    const lo = funded.map((id) => this.minOf(id));
    const hi = funded.map((id) => this.maxOf(id));
    const rv = funded.map((id) => r.get(id) ?? 0);
    const sumMin = lo.reduce((a, b) => a + b, 0);
    if (sumMin > this.maxTotal + TOLERANCE) {
      throw new ConfigError(
        `constraints: the mins of the ${funded.length} funded strategies sum to ${fmt(sumMin)}, above maxTotal ${fmt(this.maxTotal)}`,
        'constraints.defaultMin',
      );
    }
    const rawTotal = ids.reduce((a, id) => a + (r.get(id) ?? 0), 0);
    const target = Math.min(rawTotal, this.maxTotal);
    const lambda = solveScale(rv, lo, hi, target);

    const weights: Weights = {};
    for (const id of ids) setOwn(weights, id, 0);
    const clamped = funded.map((id, i) => Math.min(Math.max(lambda * (rv[i] as number), lo[i] as number), hi[i] as number));
    // The total falls short of its target only when every funded strategy with a raw weight sits on its max: those
    // maxes are then what binds, even though λ·r lands exactly on them rather than beyond.
    const short = clamped.reduce((a, b) => a + b, 0) < target - TOLERANCE;
    const bounds: string[] = [];
    funded.forEach((id, i) => {
      const want = lambda * (rv[i] as number);
      const l = lo[i] as number;
      const h = hi[i] as number;
      if (want > h + TOLERANCE || (short && (rv[i] as number) > 0 && want >= h - TOLERANCE)) bounds.push(`max(${id})=${fmt(h)}`);
      else if (want < l - TOLERANCE && l > 0) bounds.push(`min(${id})=${fmt(l)}`);
      setOwn(weights, id, clamped[i] as number);
    });
    trimToTotal(weights, funded, lo, this.maxTotal);
    // maxTotal binds when it cut the raw total and the weights reach it; when the maxes keep them below it, they bind instead.
    const finalTotal = funded.reduce((a, id) => a + (ownValue(weights, id) ?? 0), 0);
    if (rawTotal > this.maxTotal + TOLERANCE && finalTotal >= this.maxTotal - TOLERANCE) binding.push(`maxTotal=${fmt(this.maxTotal)}`);
    binding.push(...bounds);
    return { weights, binding };
  }
}

/**
 * Finds λ ≥ 0 with Σ clamp(λ·r_i, lo_i, hi_i) = target (or the nearest end when target is out of reach):
 * the function is piecewise linear and nondecreasing in λ, so a scan over its sorted breakpoints is exact.
 */
function solveScale(r: readonly number[], lo: readonly number[], hi: readonly number[], target: number): number {
  const breaks: number[] = [];
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] as number;
    if (ri > 0) breaks.push((lo[i] as number) / ri, (hi[i] as number) / ri);
  }
  if (breaks.length === 0) return 0;
  breaks.sort((a, b) => a - b);
  const total = (lambda: number): number => {
    let s = 0;
    for (let i = 0; i < r.length; i++) s += Math.min(Math.max(lambda * (r[i] as number), lo[i] as number), hi[i] as number);
    return s;
  };
  if (total(0) >= target) return 0;
  // When nothing needs to move, keep the raw weights bit for bit rather than an interpolated λ ≈ 1.
  if (Math.abs(total(1) - target) <= 1e-15 * Math.max(1, target)) return 1;
  let prev = 0;
  let prevTotal = total(0);
  for (const b of breaks) {
    if (b <= prev) continue;
    const t = total(b);
    if (t >= target) return prev + ((target - prevTotal) / (t - prevTotal)) * (b - prev);
    prev = b;
    prevTotal = t;
  }
  return prev;
}

/** Removes floating excess above `maxTotal` from the weights with slack above their min, largest first. */
function trimToTotal(weights: Weights, funded: readonly string[], lo: readonly number[], maxTotal: number): void {
  let sum = funded.reduce((a, id) => a + (ownValue(weights, id) ?? 0), 0);
  if (sum <= maxTotal) return;
  const order = funded.map((id, i) => ({ id, slack: (ownValue(weights, id) ?? 0) - (lo[i] as number), min: lo[i] as number }));
  order.sort((a, b) => b.slack - a.slack || (a.id < b.id ? -1 : 1));
  for (const o of order) {
    if (sum <= maxTotal) break;
    const w = ownValue(weights, o.id) ?? 0;
    const cut = Math.min(sum - maxTotal, w - o.min);
    if (cut <= 0) continue;
    setOwn(weights, o.id, w - cut);
    sum = funded.reduce((a, id) => a + (ownValue(weights, id) ?? 0), 0);
  }
}
