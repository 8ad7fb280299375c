// Public API of src/strategy (re-exported from the package root).
export {};
