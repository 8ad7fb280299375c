// Public API of src/ledger (re-exported from the package root).
export {};
