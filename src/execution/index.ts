// Public API of src/execution (re-exported from the package root).
export {};
