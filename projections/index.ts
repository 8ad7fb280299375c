// Public API of projections/ (re-exported from the package root): the projection contract, the runner, the read models and the log audit.
import type { MetricOptions } from '../src/metrics/index.js';
import { allocationHistoryProjection } from './allocationHistory.js';
import { attributionProjection } from './attribution.js';
import { correlationProjection } from './correlation.js';
import { cashFractionProjection } from './cashFraction.js';
import { performanceProjection } from './performance.js';
import { portfolioProjection } from './portfolio.js';
import { positionsProjection } from './positions.js';
import { rebalanceAuditProjection } from './rebalanceAudit.js';
import { tradesProjection } from './trades.js';
import { incidentsProjection } from './incidents.js';

export * from './projection.js';
export * from './runner.js';
export * from './capitalAccounts.js';
export * from './performance.js';
export * from './portfolio.js';
export * from './positions.js';
export * from './correlation.js';
export * from './cashFraction.js';
export * from './attribution.js';
export * from './trades.js';
export * from './allocationHistory.js';
export * from './rebalanceAudit.js';
export * from './logVerification.js';
export * from './feedRecordVerification.js';
export * from './portfolioVerification.js';
export * from './documentVerification.js';
export * from './capitalMoves.js';
export * from './foldContext.js';
export * from './incidents.js';

/** Every read model of a portfolio, ready for a {@link ProjectionRunner}. */
export function standardProjections(options: MetricOptions & { readonly keep?: number } = {}) {
  const { keep, ...metricOptions } = options;
  const kept = keep === undefined ? {} : { keep };
  return {
    portfolio: portfolioProjection,
    performance: performanceProjection(metricOptions),
    positions: positionsProjection,
    correlation: correlationProjection,
    cashFraction: cashFractionProjection,
    attribution: attributionProjection,
    trades: tradesProjection(kept),
    allocationHistory: allocationHistoryProjection(kept),
    rebalances: rebalanceAuditProjection(kept),
    incidents: incidentsProjection(),
  } as const;
}
