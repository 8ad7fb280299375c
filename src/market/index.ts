// Public API of src/market (re-exported from the package root).
export {};
