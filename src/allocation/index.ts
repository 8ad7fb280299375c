// Public API of src/allocation (re-exported from the package root).
export {};
