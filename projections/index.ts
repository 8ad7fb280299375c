// Public API of projections/ (re-exported from the package root).
export {};
