// The typed error an event store raises when it is used after close().
import { StratafolioError } from '../../src/errors.js';

/** The store was closed; open it again (openEventStore) to keep reading or appending. */
export class StoreClosedError extends StratafolioError {
  constructor(readonly url: string) {
    super(`event store ${url} is closed; open it again with openEventStore("${url}") to use it`);
  }
}

/** Type guard for {@link StoreClosedError}. */
export const isStoreClosedError = (e: unknown): e is StoreClosedError => e instanceof StoreClosedError;
