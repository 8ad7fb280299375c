// What `--verify` proves of a portfolio, the one check `replay`, `report`, `serve` and `audit` share: its log and,
// for a paper session's portfolio, its feed record.
import type { EventStore } from '../events/store.js';
import { verifyFeedRecord, type FeedRecordCheck, type FeedRecordVerification } from './feedRecordVerification.js';
import { verifyPortfolioLog, type VerificationCheck, type VerificationResult, type VerifyOptions } from './logVerification.js';

/** The verdicts on a portfolio's log and on its feed record. */
export interface PortfolioVerification {
  readonly log: VerificationResult;
  /** Null when the portfolio has no feed record (no paper session recorded a slice of it). */
  readonly feedRecord: FeedRecordVerification | null;
}

/** Where a portfolio first failed verification, in its log or in its feed record. */
export interface VerificationBreak {
  /** What broke: the portfolio log, or the feed record of a paper session. */
  readonly part: 'log' | 'feed record';
  readonly portfolioId: string;
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly check: VerificationCheck | FeedRecordCheck;
  readonly reason: string;
}

/**
 * Verifies portfolio `portfolioId`'s log (`verifyPortfolioLog`) and its feed record when it has one
 * (`verifyFeedRecord`). The record is tied to the log by content, which only a sound log can vouch for: after a broken
 * log the record's own chain is still checked, its link to the log is not.
 */
export async function verifyPortfolio(store: EventStore, portfolioId: string, stream: string, options: VerifyOptions = {}): Promise<PortfolioVerification> {
  const log = await verifyPortfolioLog(store, stream, options);
  const feedRecord = await verifyFeedRecord(store, portfolioId, { link: log.ok });
  return { log, feedRecord };
}

/** The first failure of a verification (the log's before the record's), or null when both are intact. */
export function firstBreak(portfolioId: string, v: PortfolioVerification): VerificationBreak | null {
  const at = (part: VerificationBreak['part'], b: { stream: string; revision: number; position: number; check: VerificationBreak['check']; reason: string }): VerificationBreak => ({
    part,
    portfolioId,
    stream: b.stream,
    revision: b.revision,
    position: b.position,
    check: b.check,
    reason: b.reason,
  });
  if (!v.log.ok) return at('log', v.log);
  if (v.feedRecord !== null && !v.feedRecord.ok) return at('feed record', v.feedRecord);
  return null;
}

/** "the log of <id> is broken at …" or "the feed record <stream> of <id> is broken at …", naming the check and the reason. */
export function describeBreak(b: VerificationBreak): string {
  const what = b.part === 'log' ? `the log of ${b.portfolioId}` : `the feed record ${b.stream} of ${b.portfolioId}`;
  return `${what} is broken at revision ${b.revision}, position ${b.position} (${b.check} check): ${b.reason}`;
}
