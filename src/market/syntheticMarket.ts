// A seeded synthetic market: correlated GBM (one-factor) across symbols with calm/turbulent regime switching, as daily business-day bars.
import { ConfigError } from '../errors.js';
import type { Bar, BarSlice } from './bar.js';
import { formatBarTime, parseBarTime } from './barTime.js';
import { frozenSlice } from './checkedSlice.js';
import { centsText, roundToCents } from './centRounding.js';
import { SeededRandom } from './seededRandom.js';

/** Annualised drift and volatility of one market regime. */
export interface MarketRegime {
  /** Annualised drift μ of the GBM (expected growth exp(μ·t)), e.g. 0.08. */
  readonly drift: number;
  /** Annualised volatility of log returns, e.g. 0.18. */
  readonly volatility: number;
}

/** The two-state Markov chain between the calm regime (top-level drift/volatility) and a turbulent one. */
export interface RegimeSwitching {
  readonly turbulent: MarketRegime;
  /** Probability per bar of moving from calm to turbulent. */
  readonly toTurbulent: number;
  /** Probability per bar of moving from turbulent back to calm. */
  readonly toCalm: number;
}

/** Parameters of {@link syntheticMarket}; everything but the seed has a default. */
export interface SyntheticMarketOptions {
  /** 32-bit integer seed: the same seed gives the same slices. */
  readonly seed: number;
  /** Symbol names, or how many to name `SYN01`, `SYN02`, … (default 5). */
  readonly symbols?: readonly string[] | number;
  /** First bar time (moved forward to a Monday when it falls on a weekend); default `2020-01-01`. */
  readonly start?: string;
  /** Number of slices (default 252). */
  readonly bars?: number;
  /** Price every symbol starts from, as a decimal string (default "100"). */
  readonly initialPrice?: string;
  /** Calm-regime annualised drift (default 0.08). */
  readonly drift?: number;
  /** Calm-regime annualised volatility (default 0.18). */
  readonly volatility?: number;
  /** Pairwise correlation of daily log returns, in [0, 1] (default 0.4). */
  readonly correlation?: number;
  /** Spread of per-symbol volatility (×1 ± dispersion) and drift (± dispersion × volatility), in [0, 1) (default 0.3). */
  readonly dispersion?: number;
  /** Regime switching, or false for a single calm regime. */
  readonly regimes?: Partial<RegimeSwitching> | false;
  /** Average daily volume per symbol (default 1,000,000). */
  readonly meanVolume?: number;
}

/** The defaults {@link syntheticMarket} applies. */
export const SYNTHETIC_DEFAULTS = {
  symbols: 5,
  start: '2020-01-01',
  bars: 252,
  initialPrice: '100',
  drift: 0.08,
  volatility: 0.18,
  correlation: 0.4,
  dispersion: 0.3,
  regimes: { turbulent: { drift: -0.25, volatility: 0.4 }, toTurbulent: 0.01, toCalm: 0.05 },
  meanVolume: 1_000_000,
} as const;

const TRADING_DAYS = 252;
const DAY_MS = 86_400_000;

/**
 * A deterministic synthetic market as a lazy stream of slices (every symbol has a bar in every slice).
 * @throws ConfigError at call time for an invalid option (non-integer seed, correlation outside [0, 1], …).
 */
export function syntheticMarket(options: SyntheticMarketOptions): AsyncGenerator<BarSlice, void, undefined> {
  const slices = syntheticSlices(options);
  return (async function* () {
    yield* slices;
  })();
}

/**
 * The same market as {@link syntheticMarket}, as a synchronous iterable (for tests, benchmarks and file export).
 * @throws ConfigError at call time for an invalid option.
 */
export function syntheticSlices(options: SyntheticMarketOptions): Generator<BarSlice, void, undefined> {
  return generate(resolve(options));
}

interface Resolved {
  readonly seed: number;
  readonly symbols: readonly string[];
  readonly startMs: number;
  readonly bars: number;
  readonly initialPrice: number;
  readonly calm: MarketRegime;
  readonly switching: RegimeSwitching | undefined;
  readonly correlation: number;
  readonly dispersion: number;
  readonly meanVolume: number;
}

function* generate(o: Resolved): Generator<BarSlice, void, undefined> {
  const rng = new SeededRandom(o.seed);
  const n = o.symbols.length;
  const dt = 1 / TRADING_DAYS;
  const sqrtDt = Math.sqrt(dt);
  // Per-symbol character, drawn first so that it does not depend on the number of bars.
  const volScale = Float64Array.from(o.symbols, () => 1 + o.dispersion * (2 * rng.uniform() - 1));
  const driftShift = Float64Array.from(o.symbols, () => o.dispersion * (2 * rng.uniform() - 1));
  const prevClose = new Float64Array(n).fill(o.initialPrice);
  const loadM = Math.sqrt(o.correlation);
  const loadI = Math.sqrt(1 - o.correlation);
  // E|Z| for a standard normal: keeps the volume multiplier (1 + |Z|) at mean 1 after division.
  const meanAbsNormal = Math.sqrt(2 / Math.PI);
  let turbulent = false;
  let ms = nextBusinessDay(o.startMs);
  for (let t = 0; t < o.bars; t += 1) {
    if (t > 0 && o.switching !== undefined) {
      const u = rng.uniform();
      turbulent = turbulent ? u >= o.switching.toCalm : u < o.switching.toTurbulent;
    }
    const regime = turbulent && o.switching !== undefined ? o.switching.turbulent : o.calm;
    const market = rng.normal();
    const bars: Bar[] = [];
    for (let i = 0; i < n; i += 1) {
      const sigma = regime.volatility * (volScale[i] ?? 1);
      const mu = regime.drift + (driftShift[i] ?? 0) * o.calm.volatility;
      const shock = loadM * market + loadI * rng.normal();
      const prev = prevClose[i] ?? o.initialPrice;
      const close = prev * Math.exp((mu - (sigma * sigma) / 2) * dt + sigma * sqrtDt * shock);
      const open = prev * Math.exp(0.25 * sigma * sqrtDt * rng.normal());
      const high = Math.max(open, close) * Math.exp(0.5 * sigma * sqrtDt * Math.abs(rng.normal()));
      const low = Math.min(open, close) * Math.exp(-0.5 * sigma * sqrtDt * Math.abs(rng.normal()));
      const activity = (1 + Math.abs(shock)) / (1 + meanAbsNormal) * (turbulent ? 1.5 : 1);
      const volume = Math.max(1, Math.round(o.meanVolume * activity * Math.exp(0.25 * rng.normal() - 0.03125)));
      prevClose[i] = close;
      bars.push(roundedBar(o.symbols[i] ?? '', open, high, low, close, volume));
    }
    yield frozenSlice(formatBarTime(ms), bars);
    ms = nextBusinessDay(ms + DAY_MS);
  }
}

// Rounding each price to cents can reorder open/close against high/low, so the extremes are re-taken after rounding.
function roundedBar(symbol: string, open: number, high: number, low: number, close: number, volume: number): Bar {
  const o = cents(open);
  const c = cents(close);
  const h = Math.max(cents(high), o, c);
  const l = Math.min(cents(low), o, c);
  return { symbol, open: centsText(o), high: centsText(h), low: centsText(l), close: centsText(c), volume: String(volume) };
}

// A price that decays below half a cent is held at one cent so that every bar stays valid (positive).
function cents(price: number): number {
  return Math.max(1, roundToCents(price));
}

function nextBusinessDay(ms: number): number {
  let day = new Date(ms).getUTCDay();
  let t = ms;
  while (day === 0 || day === 6) {
    t += DAY_MS;
    day = new Date(t).getUTCDay();
  }
  return t;
}

/** The largest seed: the generator is seeded with 32 bits. */
export const MAX_SYNTHETIC_SEED = 0xffff_ffff;

/** Whether `seed` seeds a synthetic market: an integer from 0 to {@link MAX_SYNTHETIC_SEED}. */
export function isSyntheticSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SYNTHETIC_SEED;
}

function resolve(options: SyntheticMarketOptions): Resolved {
  const d = SYNTHETIC_DEFAULTS;
  if (!isSyntheticSeed(options.seed)) {
    throw new ConfigError(`synthetic market: seed must be an integer in [0, ${MAX_SYNTHETIC_SEED}], got ${String(options.seed)}`, 'seed');
  }
  const symbols = symbolNames(options.symbols ?? d.symbols);
  const startText = options.start ?? d.start;
  const start = parseBarTime(startText);
  if (!start.ok) throw new ConfigError(`synthetic market: start: ${start.reason}`, 'start');
  const bars = options.bars ?? d.bars;
  if (!Number.isInteger(bars) || bars < 0) throw new ConfigError(`synthetic market: bars must be a non-negative integer, got ${String(bars)}`, 'bars');
  const priceText = options.initialPrice ?? d.initialPrice;
  const initialPrice = Number(priceText);
  if (!/^\d+(\.\d+)?$/.test(priceText) || !(initialPrice > 0)) {
    throw new ConfigError(`synthetic market: initialPrice must be a positive decimal string, got "${priceText}"`, 'initialPrice');
  }
  const calm: MarketRegime = {
    drift: finite(options.drift ?? d.drift, 'drift'),
    volatility: nonNegative(options.volatility ?? d.volatility, 'volatility'),
  };
  const correlation = inRange(options.correlation ?? d.correlation, 'correlation', 0, 1, true);
  const dispersion = inRange(options.dispersion ?? d.dispersion, 'dispersion', 0, 1, false);
  let switching: RegimeSwitching | undefined;
  if (options.regimes !== false) {
    const r = options.regimes ?? {};
    const turbulent = r.turbulent ?? d.regimes.turbulent;
    switching = {
      turbulent: {
        drift: finite(turbulent.drift, 'regimes.turbulent.drift'),
        volatility: nonNegative(turbulent.volatility, 'regimes.turbulent.volatility'),
      },
      toTurbulent: inRange(r.toTurbulent ?? d.regimes.toTurbulent, 'regimes.toTurbulent', 0, 1, true),
      toCalm: inRange(r.toCalm ?? d.regimes.toCalm, 'regimes.toCalm', 0, 1, true),
    };
  }
  const meanVolume = options.meanVolume ?? d.meanVolume;
  if (!Number.isFinite(meanVolume) || meanVolume < 1) {
    throw new ConfigError(`synthetic market: meanVolume must be at least 1, got ${String(meanVolume)}`, 'meanVolume');
  }
  return { seed: options.seed, symbols, startMs: start.ms, bars, initialPrice, calm, switching, correlation, dispersion, meanVolume };
}

function symbolNames(spec: readonly string[] | number): readonly string[] {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1) throw new ConfigError(`synthetic market: symbols must be a positive count, got ${String(spec)}`, 'symbols');
    const width = Math.max(2, String(spec).length);
    return Array.from({ length: spec }, (_, i) => `SYN${String(i + 1).padStart(width, '0')}`);
  }
  if (spec.length === 0) throw new ConfigError('synthetic market: symbols must not be empty', 'symbols');
  const names = [...spec].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  names.forEach((name, i) => {
    if (name.trim() === '' || name !== name.trim()) throw new ConfigError(`synthetic market: symbol "${name}" is empty or padded`, 'symbols');
    if (i > 0 && names[i - 1] === name) throw new ConfigError(`synthetic market: symbol "${name}" is listed twice`, 'symbols');
  });
  return names;
}

function finite(value: number, field: string): number {
  if (!Number.isFinite(value)) throw new ConfigError(`synthetic market: ${field} must be a finite number, got ${String(value)}`, field);
  return value;
}

function nonNegative(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`synthetic market: ${field} must be a finite number ≥ 0, got ${String(value)}`, field);
  return value;
}

function inRange(value: number, field: string, lo: number, hi: number, hiIncluded: boolean): number {
  const ok = Number.isFinite(value) && value >= lo && (hiIncluded ? value <= hi : value < hi);
  if (!ok) throw new ConfigError(`synthetic market: ${field} must be in [${lo}, ${hi}${hiIncluded ? ']' : ')'}, got ${String(value)}`, field);
  return value;
}
