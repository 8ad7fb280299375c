// The typed error a server store raises when it cannot reach its server.
import { StratafolioError } from '../../src/errors.js';

/**
 * The store's server did not answer (down, unreachable) or went away mid-operation. What it acknowledged before stays;
 * an append cut off may have been committed or not, which the next run finds out (a repeated append is recognised).
 */
export class StoreUnavailableError extends StratafolioError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `event store ${url} is unavailable (${reason}). Check that the server is running and the URL is right, then run the same command again: ` +
        'what the store acknowledged is kept, and a run resumes after the last slice stored (an append repeated after a lost answer is recognised, not stored twice)',
    );
  }
}

/** Type guard for {@link StoreUnavailableError}. */
export const isStoreUnavailableError = (e: unknown): e is StoreUnavailableError => e instanceof StoreUnavailableError;
