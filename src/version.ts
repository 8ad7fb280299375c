// The code version recorded in each portfolio's first event (the run manifest).
export const CODE_VERSION = '0.1.0';
