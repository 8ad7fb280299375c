// Equal-risk-contribution weights for a covariance matrix, and the aligned sample covariance they are computed from.

/** How the Newton direction was computed, or coordinate descent. */
export type ErcMethod = 'newton' | 'newton-cg' | 'coordinate-descent';

/** Outcome of an ERC solve: weights summing to 1 and how well risk contributions were equalised. */
export interface ErcResult {
  readonly weights: Float64Array;
  readonly method: ErcMethod;
  /** Newton steps or coordinate sweeps. */
  readonly iterations: number;
  readonly converged: boolean;
  /** max_i |RC_i − mean RC| / mean RC with RC_i = w_i (Σw)_i. */
  readonly maxRelativeError: number;
}

/** Options of {@link equalRiskContribution}. */
export interface ErcOptions {
  /** Target of max |RC_i − mean| / mean (default 1e-10: 100× inside the 1e-8 contract, and reachable in double precision even for correlations of 0.999, where rounding stalls near 1e-11). */
  readonly tolerance?: number;
  /** Iteration cap (Newton steps or coordinate sweeps; default 100 and 10,000). */
  readonly maxIterations?: number;
  /** Above this many assets, cyclical coordinate descent replaces Newton (default: never; kept to cross-check Newton). */
  readonly newtonLimit?: number;
  /** Up to this many assets the Newton system is solved by Cholesky (O(n³)); above, by preconditioned conjugate gradients (O(n²) per iteration). Default 200. */
  readonly directSolveLimit?: number;
}

/** Sample covariance (ddof 1) of equally long series; `series[i]` is asset i, oldest first. Row-major n×n. */
export function sampleCovariance(series: readonly Float64Array[]): Float64Array {
  const n = series.length;
  const m = series[0]?.length ?? 0;
  // One contiguous centred matrix (row per asset) so the dot products stream through memory.
  const x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const xs = series[i] as Float64Array;
    let s = 0;
    for (let t = 0; t < m; t++) s += xs[t] as number;
    const mean = s / m;
    const row = i * m;
    for (let t = 0; t < m; t++) x[row + t] = (xs[t] as number) - mean;
  }
  const cov = new Float64Array(n * n);
  const denominator = m > 1 ? m - 1 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const a = i * m;
    let j = i;
    // Four columns per pass: each x[a + t] loaded once feeds four products.
    for (; j + 3 < n; j += 4) {
      const b0 = j * m;
      const b1 = b0 + m;
      const b2 = b1 + m;
      const b3 = b2 + m;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < m; t++) {
        const v = x[a + t] as number;
        s0 += v * (x[b0 + t] as number);
        s1 += v * (x[b1 + t] as number);
        s2 += v * (x[b2 + t] as number);
        s3 += v * (x[b3 + t] as number);
      }
      setSymmetric(cov, n, i, j, s0 / denominator);
      setSymmetric(cov, n, i, j + 1, s1 / denominator);
      setSymmetric(cov, n, i, j + 2, s2 / denominator);
      setSymmetric(cov, n, i, j + 3, s3 / denominator);
    }
    for (; j < n; j++) {
      const b = j * m;
      let s = 0;
      for (let t = 0; t < m; t++) s += (x[a + t] as number) * (x[b + t] as number);
      setSymmetric(cov, n, i, j, s / denominator);
    }
  }
  return cov;
}

/**
 * Shrinks a sample covariance toward its diagonal in place, `S* = (1 − δ) S + δ diag(S)`, with the Schäfer–Strimmer
 * (2005, target "D") intensity `δ = Σ_{i≠j} Var(s_ij) / Σ_{i≠j} s_ij²` clipped to [0, 1], estimated from the same
 * series; returns δ. The result is positive definite whenever every variance is positive. O(n² m), like the covariance.
 */
export function shrinkTowardDiagonal(series: readonly Float64Array[], cov: Float64Array): number {
  const n = series.length;
  const m = series[0]?.length ?? 0;
  if (n < 2 || m < 2) return 0;
  const squares = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const xs = series[i] as Float64Array;
    let s = 0;
    for (let t = 0; t < m; t++) s += xs[t] as number;
    const mean = s / m;
    for (let t = 0; t < m; t++) squares[i * m + t] = ((xs[t] as number) - mean) ** 2;
  }
  // Var(s_ij) = m/(m−1)³ Σ_t (w_tij − w̄_ij)², w_tij = x_ti x_tj centred, Σ_t w_tij² = Σ_t x_ti² x_tj², w̄_ij = (m−1)/m s_ij.
  let varianceSum = 0;
  let squareSum = 0;
  for (let i = 0; i < n; i++) {
    const a = i * m;
    for (let j = i + 1; j < n; j++) {
      const bj = j * m;
      let s = 0;
      for (let t = 0; t < m; t++) s += (squares[a + t] as number) * (squares[bj + t] as number);
      const sij = cov[i * n + j] as number;
      const wBar = ((m - 1) / m) * sij;
      varianceSum += (m / (m - 1) ** 3) * Math.max(s - m * wBar * wBar, 0);
      squareSum += sij * sij;
    }
  }
  const delta = squareSum > 0 ? Math.min(Math.max(varianceSum / squareSum, 0), 1) : 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) cov[i * n + j] = (1 - delta) * (cov[i * n + j] as number);
  return delta;
}

function setSymmetric(cov: Float64Array, n: number, i: number, j: number, v: number): void {
  cov[i * n + j] = v;
  cov[j * n + i] = v;
}

/** Risk contributions `RC_i = w_i (Σw)_i` of weights `w` under the row-major covariance `cov`. */
export function riskContributions(cov: Float64Array, w: ArrayLike<number>): Float64Array {
  const n = w.length;
  const sw = new Float64Array(n);
  multiply(cov, w, sw, n);
  for (let i = 0; i < n; i++) sw[i] = (w[i] as number) * (sw[i] as number);
  return sw;
}

/** out = A v for the row-major n×n matrix A. */
function multiply(a: Float64Array, v: ArrayLike<number>, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += (a[row + j] as number) * (v[j] as number);
    out[i] = s;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Spread of `RC_i = y_i (Σy)_i`: max |RC_i − mean| / mean. */
function relativeSpread(y: Float64Array, sy: Float64Array): number {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (y[i] as number) * (sy[i] as number);
  mean /= n;
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs((y[i] as number) * (sy[i] as number) - mean));
  return mean > 0 ? worst / mean : Number.POSITIVE_INFINITY;
}

/**
 * Weights whose risk contributions are equal, for a positive semi-definite covariance with positive diagonal:
 * minimises `f(y) = ½ yᵀΣy − (1/n) Σ log y_i` (strictly convex; its optimum has `y_i (Σy)_i = 1/n` for all i) and
 * returns `w = y / Σy`. Start: inverse volatility, scaled so that yᵀΣy = 1. Newton steps on f: the direction solves
 * `(Σ + diag(1/(n y²))) d = −∇f` by Cholesky up to `directSolveLimit` assets, above by Jacobi-preconditioned
 * conjugate gradients (inexact Newton: relative residual min(0.1, ‖∇f‖), at most n + 50 products, so O(n²) per
 * product instead of O(n³) per step). While the Newton decrement λ exceeds ¼ the step length minimises f along the
 * direction exactly (a safeguarded one-dimensional Newton on the derivative, O(n) per trial, never leaving y > 0);
 * below, full steps converge quadratically. Stops when the relative spread of risk contributions is ≤ tolerance.
 * Deterministic (fixed operation order, no randomness); stops at the iteration cap, or after five full Newton steps
 * without a new smallest spread (rounding-limited), reporting `converged: false` with the last point. `newtonLimit` switches to cyclical coordinate descent (closed-form root per
 * coordinate, linear convergence) above that many assets. A tiny ridge (1e-12 of the mean variance) keeps singular
 * matrices solvable: with more assets than observations the sample covariance is singular and the answer is
 * mostly decided by that ridge (ERC is then ill-posed; shrink the covariance or lengthen the window).
 */
export function equalRiskContribution(covariance: Float64Array, n: number, options: ErcOptions = {}): ErcResult {
  const tol = options.tolerance ?? 1e-10;
  if (n === 0) return { weights: new Float64Array(0), method: 'newton', iterations: 0, converged: true, maxRelativeError: 0 };
  let scale = 0;
  for (let i = 0; i < n; i++) scale += covariance[i * n + i] as number;
  scale = scale > 0 ? scale / n : 1;
  // Scaling Σ does not move the ERC weights; it keeps the numbers near 1 for the solver.
  const cov = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) cov[k] = (covariance[k] as number) / scale;
  for (let i = 0; i < n; i++) cov[i * n + i] = (cov[i * n + i] as number) + 1e-12;
  const b = 1 / n;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(cov[i * n + i] as number);
  const sy = new Float64Array(n);
  multiply(cov, y, sy, n);
  const c0 = 1 / Math.sqrt(dot(y, sy));
  for (let i = 0; i < n; i++) {
    y[i] = (y[i] as number) * c0;
    sy[i] = (sy[i] as number) * c0;
  }

  const useNewton = n <= (options.newtonLimit ?? Number.POSITIVE_INFINITY);
  const direct = n <= (options.directSolveLimit ?? 200);
  const method: ErcMethod = !useNewton ? 'coordinate-descent' : direct ? 'newton' : 'newton-cg';
  const cap = options.maxIterations ?? (useNewton ? 100 : 10_000);
  let iterations = 0;
  let error = relativeSpread(y, sy);
  if (useNewton) {
    const g = new Float64Array(n);
    const hd = new Float64Array(n);
    const solver = direct ? new CholeskyDirection(n) : new ConjugateGradientDirection(n);
    let best = error;
    let sinceBest = 0;
    // Five full Newton steps without a new smallest spread means rounding, not the method, limits it: stop there.
    while (error > tol && iterations < cap && sinceBest < 5) {
      iterations += 1;
      let gNorm2 = 0;
      for (let i = 0; i < n; i++) {
        const gi = (sy[i] as number) - b / (y[i] as number);
        g[i] = gi;
        gNorm2 += gi * gi;
      }
      const d = solver.solve(cov, y, g, b, Math.min(0.1, Math.sqrt(gNorm2)));
      const slope = dot(g, d);
      multiply(cov, d, hd, n);
      // f/b is self-concordant: λ (its Newton decrement) < ¼ means the full step is safe and quadratically convergent.
      const decrement = Math.sqrt(Math.max(-slope / b, 0));
      const t = decrement > 0.25 ? exactStep(y, sy, d, hd, b, 1 / (1 + decrement)) : 1;
      for (let i = 0; i < n; i++) y[i] = (y[i] as number) + t * (d[i] as number);
      // Σy recomputed rather than updated by t·Σd so rounding cannot accumulate over the iterations.
      multiply(cov, y, sy, n);
      error = relativeSpread(y, sy);
      // Only full (quadratic-phase) steps count: in the damped phase f falls but the spread need not.
      if (decrement > 0.25 || error < best) {
        best = error;
        sinceBest = 0;
      } else {
        sinceBest += 1;
      }
    }
  } else {
    while (error > tol && iterations < cap) {
      iterations += 1;
      for (let i = 0; i < n; i++) {
        const sii = cov[i * n + i] as number;
        const yi = y[i] as number;
        const ci = (sy[i] as number) - sii * yi;
        const next = (-ci + Math.sqrt(ci * ci + 4 * sii * b)) / (2 * sii);
        const delta = next - yi;
        if (delta !== 0) {
          y[i] = next;
          const row = i * n;
          for (let j = 0; j < n; j++) sy[j] = (sy[j] as number) + delta * (cov[row + j] as number);
        }
      }
      error = relativeSpread(y, sy);
    }
  }
  let total = 0;
  for (const v of y) total += v;
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = (y[i] as number) / total;
  return { weights, method, iterations, converged: error <= tol, maxRelativeError: error };
}

/**
 * Step length t in (0, t_max) minimising φ(t) = f(y + t d): the root of the increasing
 * φ'(t) = ∇f·d + t dᵀΣd − b Σ d_i / (y_i + t d_i), by Newton's method kept inside a shrinking bracket (bisection when
 * a Newton iterate leaves it). `start` (the damped step 1/(1+λ)) is feasible and decreases f, so it is the fallback.
 */
function exactStep(y: Float64Array, sy: Float64Array, d: Float64Array, hd: Float64Array, b: number, start: number): number {
  const n = y.length;
  let a0 = 0;
  for (let i = 0; i < n; i++) a0 += (d[i] as number) * (sy[i] as number);
  const curvature = dot(d, hd);
  let tMax = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) if ((d[i] as number) < 0) tMax = Math.min(tMax, -(y[i] as number) / (d[i] as number));
  const derivatives = (t: number): [number, number] => {
    let first = a0 + t * curvature;
    let second = curvature;
    for (let i = 0; i < n; i++) {
      const di = d[i] as number;
      const q = di / ((y[i] as number) + t * di);
      first -= b * q;
      second += b * q * q;
    }
    return [first, second];
  };
  let lo = 0;
  let hi = tMax;
  let t = start;
  const [startSlope] = derivatives(start);
  if (startSlope > 0) return start;
  let best = start;
  for (let k = 0; k < 60; k++) {
    const [first, second] = derivatives(t);
    if (!Number.isFinite(first)) {
      hi = t;
    } else if (first < 0) {
      lo = t;
      best = t;
    } else {
      hi = t;
    }
    if (Number.isFinite(first) && Math.abs(first) <= 1e-12 * Math.abs(a0)) break;
    let next = Number.isFinite(first) && second > 0 ? t - first / second : Number.NaN;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? (lo + hi) / 2 : 2 * t;
    if (next === t) break;
    t = next;
  }
  // The last iterate with φ' < 0 lies before the minimiser, so f decreases all the way to it.
  return best;
}

interface DirectionSolver {
  /** d solving (Σ + diag(b/y²)) d = −g, to relative residual `forcing` when iterative. */
  solve(cov: Float64Array, y: Float64Array, g: Float64Array, b: number, forcing: number): Float64Array;
}

/** Exact Newton direction by Cholesky factorisation of the Hessian. */
class CholeskyDirection implements DirectionSolver {
  private readonly h: Float64Array;
  constructor(private readonly n: number) {
    this.h = new Float64Array(n * n);
  }

  solve(cov: Float64Array, y: Float64Array, g: Float64Array, b: number): Float64Array {
    const { n, h } = this;
    h.set(cov);
    for (let i = 0; i < n; i++) h[i * n + i] = (h[i * n + i] as number) + b / ((y[i] as number) * (y[i] as number));
    const d = choleskySolve(h, g, n);
    for (let i = 0; i < n; i++) d[i] = -(d[i] as number);
    return d;
  }
}

/** Inexact Newton direction by conjugate gradients preconditioned with the Hessian's diagonal, started from 0 (every iterate is a descent direction). */
class ConjugateGradientDirection implements DirectionSolver {
  private readonly r: Float64Array;
  private readonly z: Float64Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly diag: Float64Array;
  constructor(private readonly n: number) {
    this.r = new Float64Array(n);
    this.z = new Float64Array(n);
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
    this.diag = new Float64Array(n);
  }

  solve(cov: Float64Array, y: Float64Array, g: Float64Array, b: number, forcing: number): Float64Array {
    const { n, r, z, p, q, diag } = this;
    const x = new Float64Array(n);
    let r0 = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number;
      diag[i] = b / (yi * yi);
      r[i] = -(g[i] as number);
      r0 += (r[i] as number) ** 2;
    }
    const target = forcing * forcing * r0;
    let rz = 0;
    for (let i = 0; i < n; i++) {
      z[i] = (r[i] as number) / ((cov[i * n + i] as number) + (diag[i] as number));
      p[i] = z[i] as number;
      rz += (r[i] as number) * (z[i] as number);
    }
    for (let k = 0; k < n + 50; k++) {
      multiply(cov, p, q, n);
      let pq = 0;
      for (let i = 0; i < n; i++) {
        q[i] = (q[i] as number) + (diag[i] as number) * (p[i] as number);
        pq += (p[i] as number) * (q[i] as number);
      }
      if (!(pq > 0)) break;
      const alpha = rz / pq;
      let rr = 0;
      for (let i = 0; i < n; i++) {
        x[i] = (x[i] as number) + alpha * (p[i] as number);
        r[i] = (r[i] as number) - alpha * (q[i] as number);
        rr += (r[i] as number) ** 2;
      }
      if (rr <= target) break;
      let rzNext = 0;
      for (let i = 0; i < n; i++) {
        z[i] = (r[i] as number) / ((cov[i * n + i] as number) + (diag[i] as number));
        rzNext += (r[i] as number) * (z[i] as number);
      }
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < n; i++) p[i] = (z[i] as number) + beta * (p[i] as number);
    }
    return x;
  }
}

/** Solves H x = g for a symmetric positive definite H (row-major, overwritten) by Cholesky factorisation. */
function choleskySolve(h: Float64Array, g: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = h[rowJ + j] as number;
    for (let k = 0; k < j; k++) d -= (h[rowJ + k] as number) ** 2;
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    h[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = h[rowI + j] as number;
      for (let k = 0; k < j; k++) s -= (h[rowI + k] as number) * (h[rowJ + k] as number);
      h[rowI + j] = s / ljj;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = g[i] as number;
    for (let k = 0; k < i; k++) s -= (h[row + k] as number) * (z[k] as number);
    z[i] = s / (h[row + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < n; k++) s -= (h[k * n + i] as number) * (x[k] as number);
    x[i] = s / (h[i * n + i] as number);
  }
  return x;
}
