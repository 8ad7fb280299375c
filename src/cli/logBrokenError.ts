// The error a command ends with when the log it reads fails verification (exit code 1).
import { StratafolioError } from '../errors.js';
import type { VerificationResult } from '../../projections/logVerification.js';

/** A portfolio's log failed verification; the message names the check and the first broken event. */
export class LogBrokenError extends StratafolioError {
  constructor(readonly verdict: Extract<VerificationResult, { ok: false }>) {
    super(
      `the log of ${verdict.stream} is broken at revision ${verdict.revision}, position ${verdict.position} ` +
        `(${verdict.check} check): ${verdict.reason}; nothing was printed from it`,
    );
  }
}
