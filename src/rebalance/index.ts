// Public API of src/rebalance (re-exported from the package root).
export {};
