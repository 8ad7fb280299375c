// The typed error a server store raises when it cannot reach its server.
import { StratafolioError } from '../../src/errors.js';

/** The store's server did not answer (down, unreachable, refused the login); nothing was written. */
export class StoreUnavailableError extends StratafolioError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`event store ${url} is unavailable (${reason}); nothing was written. Check that the server is running and the URL is right, then retry`);
  }
}

/** Type guard for {@link StoreUnavailableError}. */
export const isStoreUnavailableError = (e: unknown): e is StoreUnavailableError => e instanceof StoreUnavailableError;
