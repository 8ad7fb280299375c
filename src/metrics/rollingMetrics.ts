// Rolling-window metrics as series aligned with the returns: each entry is the metric of the `window` returns ending there.
import { annualVolatility, sharpeRatio } from './returnMetrics.js';
import { ConfigError } from '../errors.js';
import { resolveSeriesOptions, type MetricOptions } from './options.js';

/**
 * Applies `metric` to every window of `window` consecutive returns; entry i covers returns i − window + 1 … i, and the
 * first window − 1 entries are NaN (pandas' `rolling(window).apply`). A per-period riskFree or requiredReturn series is
 * cut to each window with its returns.
 * @throws ConfigError when the window is not a positive integer.
 */
export function rollingMetric(
  returns: ArrayLike<number>,
  window: number,
  metric: (windowReturns: Float64Array, options: MetricOptions) => number,
  options?: MetricOptions,
): Float64Array {
  if (!Number.isSafeInteger(window) || window < 1) throw new ConfigError(`rolling window: ${String(window)} must be a positive integer`, 'window');
  const { annualization, riskFree, requiredReturn } = resolveSeriesOptions(options, returns.length);
  const values = Float64Array.from({ length: returns.length }, (_, i) => returns[i] as number);
  const out = new Float64Array(returns.length).fill(Number.NaN);
  for (let end = window; end <= values.length; end += 1) {
    const start = end - window;
    out[end - 1] = metric(values.subarray(start, end), {
      annualization,
      riskFree: riskFree.subarray(start, end),
      requiredReturn: requiredReturn.subarray(start, end),
    });
  }
  return out;
}

/** Rolling annualised Sharpe ratio ({@link sharpeRatio} of each window). */
export function rollingSharpe(returns: ArrayLike<number>, window: number, options?: MetricOptions): Float64Array {
  return rollingMetric(returns, window, sharpeRatio, options);
}

/** Rolling annualised volatility ({@link annualVolatility} of each window). */
export function rollingVolatility(returns: ArrayLike<number>, window: number, options?: MetricOptions): Float64Array {
  return rollingMetric(returns, window, annualVolatility, options);
}
