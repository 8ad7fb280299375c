// Public API of src/sizing (re-exported from the package root).
export {};
