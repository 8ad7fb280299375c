// Typed errors of the domain core; each message names what is wrong and where, so a user can act on it.

/** Base class of every error stratafolio throws on purpose. */
export class StratafolioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration (file, CLI flag or API argument) is invalid. */
export class ConfigError extends StratafolioError {
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** Where in an input a data problem was found. */
export interface DataLocation {
  readonly file?: string;
  readonly line?: number;
  readonly column?: string;
}

/** Market data (CSV, NDJSON, stream) is malformed; the message names file, line and column. */
export class DataError extends StratafolioError {
  constructor(message: string, readonly location: DataLocation = {}) {
    super(DataError.format(message, location));
  }

  private static format(message: string, at: DataLocation): string {
    const parts: string[] = [];
    if (at.file !== undefined) parts.push(at.file);
    if (at.line !== undefined) parts.push(`line ${at.line}`);
    if (at.column !== undefined) parts.push(`column ${at.column}`);
    return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
  }
}

/** The start of a piece of user input for an error message, quoted: a whole line may be megabytes long. */
export function quoteStart(text: string, max = 60): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

/**
 * A value a caller passed where something else was wanted, as a message shows it: text quoted, a number as written,
 * an object by its keys (its content may be large), a function as such.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  if (typeof value === 'string') return quoteStart(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    return keys.length > 0 ? `an object with keys ${keys.sort().join(', ')}` : 'an empty object';
  }
  return JSON.stringify(value) ?? String(value);
}

/** A file the user asked for (`--out`) cannot be written; the message names it and why. */
export class OutputFileError extends StratafolioError {
  constructor(message: string, readonly file: string) {
    super(message);
  }
}

/** A number is NaN, infinite, malformed, or came as a binary float where a decimal string was required. */
export class InvalidNumberError extends StratafolioError {}

/** A ledger operation is invalid (non-positive price, zero quantity, unknown symbol…). */
export class LedgerError extends StratafolioError {}

/** A transfer or fill would take a ledger's cash below zero. */
export class InsufficientFundsError extends LedgerError {}

/** An allocation request is invalid (unknown strategy, weights beyond 100%…). */
export class AllocationError extends StratafolioError {}

/** An optimiser could not produce a feasible answer. */
export class SolverError extends StratafolioError {}

/** Strategy code did not return in time; the slice it was called for was not written, so the run can resume from the log. */
export class StrategyTimeoutError extends StratafolioError {
  constructor(
    readonly strategyId: string,
    readonly phase: 'init' | 'onBar',
    readonly barTime: string,
    readonly timeoutMs: number,
    /** The time the slice had when it was stopped: less than the limit for a slice decided late in a run's batch. */
    readonly sliceMs: number = timeoutMs,
  ) {
    const budget =
      sliceMs < timeoutMs
        ? `within ${sliceMs} ms (a run decides a batch of slices under one watchdog of ${timeoutMs} ms, and this slice started late in it: each gets at least half)`
        : `within ${timeoutMs} ms (the strategy calls of one slice share that budget)`;
    super(
      `strategy ${strategyId} did not return from ${phase} at bar ${barTime} ${budget}; ` +
        'the run stopped before writing that slice: fix the strategy (or raise the limit: --strategy-timeout, strategyTimeoutMs in Portfolio.open) and run the same command again to resume',
    );
  }
}

/** Type guard for {@link ConfigError}. */
export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;
/** Type guard for {@link DataError}. */
export const isDataError = (e: unknown): e is DataError => e instanceof DataError;
