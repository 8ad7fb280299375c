// Typed errors raised when strategy code asks for an order the context cannot express.
import { StratafolioError } from '../errors.js';

/** Strategy code asked for an order that cannot be recorded (bad symbol, bad intent, context already drained). */
export class OrderError extends StratafolioError {
  constructor(
    message: string,
    readonly strategyId: string,
    readonly symbol?: string,
  ) {
    super(message);
  }
}

/** An order was asked for a symbol that has no close in the price history yet, so it cannot be sized or filled. */
export class MissingPriceError extends OrderError {}

/** Type guard for {@link OrderError} (and {@link MissingPriceError}). */
export const isOrderError = (e: unknown): e is OrderError => e instanceof OrderError;
