// Public API of src/performance (re-exported from the package root).
export {};
