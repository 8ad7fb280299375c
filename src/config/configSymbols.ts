// The symbols a configuration names (strategies' `symbols` and `symbol` parameters), with the field that names each.

import type { PortfolioConfig } from './portfolioConfig.js';

/** A symbol named in a config, and where. */
export interface NamedSymbol {
  readonly symbol: string;
  /** e.g. `strategies[1].params.symbols[0]`. */
  readonly field: string;
}

/**
 * Every symbol the config names by the parameter convention of the built-in strategies (`params.symbols`, a list, and
 * `params.symbol`), in config order. A module strategy that restricts itself to symbols should name them the same way,
 * so that a typo is caught before the run.
 */
export function namedSymbols(config: PortfolioConfig): NamedSymbol[] {
  const out: NamedSymbol[] = [];
  config.strategies.forEach((s, i) => {
    const params = new Map(Object.entries(s.params));
    const list = params.get('symbols');
    if (Array.isArray(list)) {
      list.forEach((symbol: unknown, j) => {
        if (typeof symbol === 'string') out.push({ symbol, field: `strategies[${i}].params.symbols[${j}]` });
      });
    }
    const one = params.get('symbol');
    if (typeof one === 'string') out.push({ symbol: one, field: `strategies[${i}].params.symbol` });
  });
  return out;
}

/** The named symbols that are not among `available` (e.g. the symbols of a bar file). */
export function missingSymbols(config: PortfolioConfig, available: Iterable<string>): NamedSymbol[] {
  const known = new Set(available);
  return namedSymbols(config).filter((n) => !known.has(n.symbol));
}
