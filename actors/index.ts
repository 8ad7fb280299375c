// Public API of actors/ (re-exported from the package root).
export { Portfolio } from './portfolio.js';
export type { LoadedStrategies, LoadStrategiesOptions, OpenPortfolioOptions, PortfolioStatus, RecoveryReport, SliceReport, StrategyStatus } from './portfolio.js';
export { DEFAULT_STRATEGY_TIMEOUT_MS, SNAPSHOT_DOCUMENT_KIND } from './portfolio.js';
export { SupervisorCore, KERNEL_SNAPSHOT_VERSION } from './supervisorCore.js';
export type { KernelSnapshot, StrategyResolver } from './supervisorCore.js';
export type { PortfolioCommand } from '../src/portfolio/sliceDecisions.js';
export { strategyLogic, strategyMachine } from './strategyActor.js';
export type { StrategyActorRef, StrategyActorState, StrategyActorEvent, StrategyActorInput, StrategyCallInput, StrategyCallReply } from './strategyActor.js';
export { StrategyWatchdog } from './strategyWatchdog.js';
export { supervisorMachine } from './supervisorMachine.js';
export type { LiveSlice } from './supervisorMachine.js';
export { strategyKinds, createRebalancing } from './wiring.js';
export { BarStream, barStream } from './barStream.js';
