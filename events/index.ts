// Public API of events/ (re-exported from the package root).
export * from './catalogue.js';
export * from './canonicalJson.js';
export * from './envelope.js';
export * from './chain.js';
export * from './errors.js';
export type * from './store.js';
export * from './openEventStore.js';
export * from './sealedDocument.js';
export * from './writerLock.js';
export * from './feedRecord.js';
export * from './copyLog.js';
