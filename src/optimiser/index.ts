// Public API of src/optimiser (re-exported from the package root).
export {};
