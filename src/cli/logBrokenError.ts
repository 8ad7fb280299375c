// The error a command ends with when the portfolio it reads fails verification (exit code 1).
import { StratafolioError } from '../errors.js';
import { describeBreak, type VerificationBreak } from '../../projections/portfolioVerification.js';

/** A portfolio's log or feed record failed verification; the message names which, the check and the first broken event. */
export class LogBrokenError extends StratafolioError {
  constructor(
    readonly verdict: VerificationBreak,
    consequence = 'nothing was printed from it',
  ) {
    super(`${describeBreak(verdict)}; ${consequence}`);
  }
}
