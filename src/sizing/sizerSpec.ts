// Position sizers named in a portfolio config, built for one strategy call (the beta sizer estimates betas from history then).
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { PriceHistory } from '../strategy/strategy.js';
import type { PositionSizer } from './positionSizer.js';
import { RiskBasedSizer } from './riskBasedSizer.js';
import { PortfolioWeightSizer } from './portfolioWeightSizer.js';
import { BetaSizer, closeToCloseReturns, estimateBeta } from './betaSizer.js';

const decimalText = z.union([z.string(), z.number()]).transform((v) => String(v));
const rounding = { fractional: z.boolean().optional(), quantityDecimals: z.number().int().min(0).max(18).optional() };
const risk = { riskPerTrade: decimalText, stopLoss: decimalText.optional(), maxPositionWeight: decimalText.optional(), ...rounding };

/** The `sizer` of a strategy in a portfolio config. */
export const sizerSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('risk-based'), ...risk }),
  z.strictObject({ kind: z.literal('portfolio-weight'), weights: z.record(z.string(), decimalText), ...rounding }),
  z.strictObject({
    kind: z.literal('beta'),
    ...risk,
    /** Symbol whose returns betas are measured against. */
    benchmark: z.string().min(1),
    /** Closes of history used to estimate betas (default 60). */
    lookback: z.number().int().min(3).default(60),
    minBeta: z.number().optional(),
    maxBeta: z.number().optional(),
    defaultBeta: z.number().optional(),
  }),
]);

/** A validated sizer spec. */
export type SizerSpec = z.output<typeof sizerSpecSchema>;

/** Builds the sizer a strategy uses in one call, from what it can see (its price history). */
export type SizerFactory = (history: PriceHistory) => PositionSizer;

/**
 * Turns a sizer spec into a factory; the sizers are built once here so that bad parameters fail at load time.
 * @throws ConfigError naming the field.
 */
export function createSizerFactory(spec: SizerSpec, where = 'sizer'): SizerFactory {
  try {
    switch (spec.kind) {
      case 'risk-based': {
        const sizer = new RiskBasedSizer(spec);
        return () => sizer;
      }
      case 'portfolio-weight': {
        const sizer = new PortfolioWeightSizer(spec);
        return () => sizer;
      }
      case 'beta': {
        const base = new RiskBasedSizer(spec);
        const bounds = { minBeta: spec.minBeta, maxBeta: spec.maxBeta, defaultBeta: spec.defaultBeta };
        new BetaSizer(base, { betas: {}, ...bounds }); // validates the bounds now
        return (history) => {
          const bench = closeToCloseReturns(history.closes(spec.benchmark, spec.lookback + 1));
          const betas: Record<string, number> = {};
          for (const symbol of history.symbols()) {
            if (symbol !== spec.benchmark) betas[symbol] = estimateBeta(closeToCloseReturns(history.closes(symbol, spec.lookback + 1)), bench);
          }
          return new BetaSizer(base, { betas, ...bounds });
        };
      }
    }
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${where}: ${e.message}`, `${where}.${e.field ?? ''}`);
    throw e;
  }
}
