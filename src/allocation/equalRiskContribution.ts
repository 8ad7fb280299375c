// Equal-risk-contribution weights for a covariance matrix, and the aligned sample covariance they are computed from.

/** Outcome of an ERC solve: weights summing to 1 and how well risk contributions were equalised. */
export interface ErcResult {
  readonly weights: Float64Array;
  readonly method: 'newton' | 'coordinate-descent';
  readonly iterations: number;
  readonly converged: boolean;
  /** max_i |RC_i − mean RC| / mean RC with RC_i = w_i (Σw)_i. */
  readonly maxRelativeError: number;
}

/** Options of {@link equalRiskContribution}. */
export interface ErcOptions {
  /** Target of max |RC_i − mean| / mean (default 1e-12). */
  readonly tolerance?: number;
  /** Iteration cap (Newton steps or coordinate sweeps; default 100 and 10,000). */
  readonly maxIterations?: number;
  /** Above this many assets, cyclical coordinate descent (O(n²) per sweep, linear convergence) replaces Newton (O(n³) per step); default 1,500. */
  readonly newtonLimit?: number;
}

/** Sample covariance (ddof 1) of equally long series; `series[i]` is asset i, oldest first. Row-major n×n. */
export function sampleCovariance(series: readonly Float64Array[]): Float64Array {
  const n = series.length;
  const m = series[0]?.length ?? 0;
  const centred = series.map((xs) => {
    let s = 0;
    for (let t = 0; t < m; t++) s += xs[t] as number;
    const mean = s / m;
    const c = new Float64Array(m);
    for (let t = 0; t < m; t++) c[t] = (xs[t] as number) - mean;
    return c;
  });
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = centred[i] as Float64Array;
    for (let j = i; j < n; j++) {
      const b = centred[j] as Float64Array;
      let s = 0;
      for (let t = 0; t < m; t++) s += (a[t] as number) * (b[t] as number);
      const v = m > 1 ? s / (m - 1) : 0;
      cov[i * n + j] = v;
      cov[j * n + i] = v;
    }
  }
  return cov;
}

/** Risk contributions `RC_i = w_i (Σw)_i` of weights `w` under the row-major covariance `cov`. */
export function riskContributions(cov: Float64Array, w: ArrayLike<number>): Float64Array {
  const n = w.length;
  const rc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (cov[i * n + j] as number) * (w[j] as number);
    rc[i] = (w[i] as number) * s;
  }
  return rc;
}

function relativeSpread(rc: Float64Array): number {
  let mean = 0;
  for (const x of rc) mean += x;
  mean /= rc.length;
  let worst = 0;
  for (const x of rc) worst = Math.max(worst, Math.abs(x - mean));
  return mean > 0 ? worst / mean : Number.POSITIVE_INFINITY;
}

/**
 * Weights whose risk contributions are equal, for a positive semi-definite covariance with positive diagonal:
 * minimises `½ yᵀΣy − (1/n) Σ log y_i` (strictly convex; its optimum has `y_i (Σy)_i = 1/n` for all i) and
 * returns `w = y / Σy`. Damped Newton (Cholesky) for n ≤ newtonLimit, cyclical coordinate descent
 * (closed-form root per coordinate) above. Deterministic; iteration-capped, reporting `converged: false` with
 * the best point when the cap is reached. A tiny ridge (1e-12 of the mean variance) keeps singular matrices solvable.
 */
export function equalRiskContribution(covariance: Float64Array, n: number, options: ErcOptions = {}): ErcResult {
  const tol = options.tolerance ?? 1e-12;
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
  const rc0 = riskContributions(cov, y);
  let meanRc = 0;
  for (const x of rc0) meanRc += x;
  meanRc /= n;
  const c0 = Math.sqrt(b / meanRc);
  for (let i = 0; i < n; i++) y[i] = (y[i] as number) * c0;

  const useNewton = n <= (options.newtonLimit ?? 1_500);
  const cap = options.maxIterations ?? (useNewton ? 100 : 10_000);
  let iterations = 0;
  let error = relativeSpread(riskContributions(cov, y));
  if (useNewton) {
    const sy = new Float64Array(n);
    while (error > tol && iterations < cap) {
      iterations += 1;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += (cov[i * n + j] as number) * (y[j] as number);
        sy[i] = s;
      }
      const g = new Float64Array(n);
      const h = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        g[i] = (sy[i] as number) - b / (y[i] as number);
        for (let j = 0; j < n; j++) h[i * n + j] = cov[i * n + j] as number;
        h[i * n + i] = (h[i * n + i] as number) + b / ((y[i] as number) * (y[i] as number));
      }
      const d = choleskySolve(h, g, n);
      for (let i = 0; i < n; i++) d[i] = -(d[i] as number);
      let slope = 0;
      for (let i = 0; i < n; i++) slope += (g[i] as number) * (d[i] as number);
      // f/b is self-concordant, so the damped Newton step 1/(1 + λ) (λ its Newton decrement) always decreases it and
      // full steps converge quadratically once λ < 1/4; no objective comparisons, which rounding defeats near the optimum.
      const decrement = Math.sqrt(Math.max(-slope / b, 0));
      let t = decrement > 0.25 ? 1 / (1 + decrement) : 1;
      const trial = new Float64Array(n);
      for (let attempt = 0; attempt < 60; attempt++) {
        let positive = true;
        for (let i = 0; i < n; i++) {
          trial[i] = (y[i] as number) + t * (d[i] as number);
          if (!((trial[i] as number) > 0)) positive = false;
        }
        if (positive) break;
        t /= 2;
      }
      y.set(trial);
      error = relativeSpread(riskContributions(cov, y));
    }
  } else {
    const sy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += (cov[i * n + j] as number) * (y[j] as number);
      sy[i] = s;
    }
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
      // The spread costs O(n); sy already holds Σy.
      const rc = new Float64Array(n);
      for (let i = 0; i < n; i++) rc[i] = (y[i] as number) * (sy[i] as number);
      error = relativeSpread(rc);
    }
  }
  let total = 0;
  for (const v of y) total += v;
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = (y[i] as number) / total;
  return { weights, method: useNewton ? 'newton' : 'coordinate-descent', iterations, converged: error <= tol, maxRelativeError: error };
}

/** Solves H x = g for a symmetric positive definite H (row-major, overwritten) by Cholesky factorisation. */
function choleskySolve(h: Float64Array, g: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = h[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (h[j * n + k] as number) ** 2;
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    h[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = h[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (h[i * n + k] as number) * (h[j * n + k] as number);
      h[i * n + j] = s / ljj;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = g[i] as number;
    for (let k = 0; k < i; k++) s -= (h[i * n + k] as number) * (z[k] as number);
    z[i] = s / (h[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < n; k++) s -= (h[k * n + i] as number) * (x[k] as number);
    x[i] = s / (h[i * n + i] as number);
  }
  return x;
}
