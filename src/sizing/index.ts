// Public API of src/sizing (re-exported from the package root).
export { roundQuantity } from './positionSizer.js';
export type { PositionSizer, QuantityRounding, SizingRequest } from './positionSizer.js';
export { RiskBasedSizer } from './riskBasedSizer.js';
export type { RiskBasedSizerOptions } from './riskBasedSizer.js';
export { PortfolioWeightSizer } from './portfolioWeightSizer.js';
export type { PortfolioWeightSizerOptions } from './portfolioWeightSizer.js';
export { BetaSizer, estimateBeta, closeToCloseReturns } from './betaSizer.js';
export type { BetaSizerOptions } from './betaSizer.js';
export { createSizerFactory, sizerSpecSchema } from './sizerSpec.js';
export type { SizerFactory, SizerSpec } from './sizerSpec.js';
