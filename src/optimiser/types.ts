// Public shapes of the score-maximising portfolio optimiser: candidates in, allocations and a solver report out.
import type { Dec } from '../money/decimal.js';
import type { SolverReport } from '../allocation/types.js';

/** One name the optimiser may hold: a higher score is more attractive; the price is per share. */
export interface Candidate {
  readonly symbol: string;
  readonly score: number;
  readonly price: Dec;
  readonly sector?: string;
}

/**
 * How share counts are produced:
 * - `fractional`: shares = dollars / price (8 decimal places, rounded down);
 * - `floor`: solve with continuous weights, then floor shares to whole units (the seed's behaviour);
 * - `lots`: integer share counts are decision variables, so the spend fits the capital exactly.
 */
export type ShareMode = 'fractional' | 'floor' | 'lots';

/** Which model a request needs: `base` is the seed's MIP; `extended` adds sector caps, turnover or lots. */
export type ModelKind = 'base' | 'extended';

/** What the caller asks for. Weights are fractions of `capital`; money stays Decimal. */
export interface OptimiserSettings {
  readonly capital: Dec;
  readonly maxPositions: number;
  readonly maxWeight: number;
  /** Floor of a held name's weight (0 = no floor). */
  readonly minWeight?: number;
  /** Cap on the summed weight of each sector (candidates without a sector form their own group ''). */
  readonly sectorCap?: number;
  /** Limit on Σ|w − w_current| (requires `currentWeights`). */
  readonly turnover?: number;
  /** Weights held now, by symbol; symbols absent here are held at 0. */
  readonly currentWeights?: Readonly<Record<string, number>>;
  /** Default `floor`. */
  readonly shares?: ShareMode;
  /** Wall-clock limit for the solver, in seconds (default 10). */
  readonly timeLimitSeconds?: number;
  /** Relative MIP gap at which HiGHS may stop (default 1e-6). */
  readonly mipRelGap?: number;
  /** Decimal places of the reported dollar targets, rounded down (default 2). */
  readonly moneyDecimals?: number;
}

/** One funded name. `dollars` is the target (weight × capital); `cost` is shares × price, what buying the shares spends. */
export interface Allocation {
  readonly symbol: string;
  readonly weight: number;
  readonly dollars: Dec;
  readonly shares: Dec;
  readonly cost: Dec;
}

/** The optimiser's answer. */
export interface OptimisationResult {
  readonly model: ModelKind;
  /** Funded names, by symbol ascending. */
  readonly allocations: readonly Allocation[];
  readonly report: SolverReport;
  /** Why the greedy fallback was used, or null when the solver's answer was accepted. */
  readonly fallbackReason: string | null;
  /** Capital left unspent: capital − Σ cost. */
  readonly cash: Dec;
  /** Candidates dropped before solving because their score was not positive. */
  readonly dropped: readonly string[];
}

/** A candidate point: weights (and integer shares in lots mode) in the problem's symbol order. */
export interface SolutionPoint {
  readonly weights: readonly number[];
  /** Integer share counts, present in lots mode only. */
  readonly shares?: readonly number[];
}

/** What a backend returned: a point with its status, or a failure that triggers the fallback. */
export type BackendOutcome =
  | {
      readonly kind: 'solved';
      readonly status: string;
      readonly objective: number;
      readonly gap: number | null;
      readonly point: SolutionPoint;
    }
  | { readonly kind: 'failed'; readonly status: string; readonly message: string };
