// Win rate and profit factor: the one definition of each, used by the engine's statistics, the projections and the CLI.

/**
 * Win rate: wins / (wins + losses). A period (or round trip) that neither gained nor lost counts as neither, so a
 * strategy sitting in cash is not scored as losing. NaN when there was no win and no loss.
 */
export function winRateOf(wins: number, losses: number): number {
  const decided = wins + losses;
  return decided === 0 ? Number.NaN : wins / decided;
}

/**
 * Profit factor: gross profit / gross loss, both in money (≥ 0) — per-period P&L net of capital transfers for a
 * strategy or the portfolio, realised P&L per round trip for trades. Money, not returns: it says how many currency
 * units were won per unit lost. +Infinity with profit and no loss; NaN with neither.
 */
export function profitFactorOf(grossProfit: number, grossLoss: number): number {
  if (grossLoss > 0) return grossProfit / grossLoss;
  return grossProfit > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
}
