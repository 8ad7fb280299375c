// Public API of actors/ (re-exported from the package root).
export { Portfolio } from './portfolio.js';
export type { OpenPortfolioOptions, PortfolioStatus, SliceReport, StrategyStatus } from './portfolio.js';
export { PortfolioKernel } from './portfolioKernel.js';
export type { PortfolioCommand, StrategyResolver } from './portfolioKernel.js';
export { strategyMachine, lifecycleEventFor, callStrategy } from './strategyActor.js';
export type { StrategyActor, StrategyActorContext, StrategyActorEvent, StrategyActorInput, StrategyCallInput } from './strategyActor.js';
export { supervisorMachine } from './supervisorMachine.js';
export { strategyKinds, createRebalancing } from './wiring.js';
export { BarStream, barStream } from './barStream.js';
