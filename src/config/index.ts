// Public API of src/config (re-exported from the package root).
export * from './portfolioConfig.js';
export * from './configDifferences.js';
export * from './configSymbols.js';
