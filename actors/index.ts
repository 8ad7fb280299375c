// Public API of actors/ (re-exported from the package root).
export {};
