// Public API of actors/ (re-exported from the package root).
export { Portfolio } from './portfolio.js';
export type { OpenPortfolioOptions, PortfolioStatus, RecoveryReport, SliceReport, StrategyStatus } from './portfolio.js';
export { DEFAULT_STRATEGY_TIMEOUT_MS, SNAPSHOT_DOCUMENT_KIND } from './portfolio.js';
export { PortfolioKernel } from './portfolioKernel.js';
export type { PortfolioCommand, StrategyResolver } from './portfolioKernel.js';
export { strategyMachine, lifecycleEventFor, callStrategy } from './strategyActor.js';
export type { StrategyActor, StrategyActorContext, StrategyActorEvent, StrategyActorInput, StrategyCallInput } from './strategyActor.js';
export { supervisorMachine } from './supervisorMachine.js';
export { strategyKinds, createRebalancing } from './wiring.js';
export { BarStream, barStream } from './barStream.js';
