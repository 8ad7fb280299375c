// Which errors are the user's input (exit 2) and which are a failed run or a broken log (exit 1).
import { describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_FAILED, exitCodeOf } from '../src/cli/exitCodes.js';
import { LogBrokenError } from '../src/cli/logBrokenError.js';
import { AllocationError, ConfigError, DataError, InvalidNumberError, LedgerError, SolverError } from '../src/errors.js';
import { CorruptEventError, InvalidEventError, StoreBusyError, StoreConfigError, StorePermissionError, StoreReadOnlyError, WrongExpectedRevisionError } from '../events/errors.js';
import { CheckpointError, ProjectionError } from '../projections/projection.js';
import { WriterLockBusyError, WriterLockedError } from '../events/writerLock.js';
import { StrategyTimeoutError } from '../src/errors.js';

describe('exit codes', () => {
  it('2 for what the user gave: flags, configs, data files, store URLs and files that are not stores, a store the URL’s role may not write, a portfolio another process writes', () => {
    for (const e of [new ConfigError('bad flag'), new DataError('bad bar', { file: 'f.csv', line: 3 }), new InvalidNumberError('NaN'), new AllocationError('weights over 100%'), new StoreConfigError('not a store'), new StorePermissionError('postgres://reader@db/x', 'permission denied for table events'), new WriterLockedError('p', { pid: 42, host: 'h', since: '2026-01-01T00:00:00.000Z' }, 'sqlite:x.db'), new WriterLockBusyError('p', 'postgres://db/x', 10_000)]) {
      expect(exitCodeOf(e), e.name).toBe(EXIT_BAD_INPUT);
    }
  });

  it('1 for a failed run or a broken log: corrupt events, broken chains, truncation, append conflicts, halted runs, anything unexpected', () => {
    const at = { stream: 'portfolio-p', revision: 3, position: 4 };
    for (const e of [
      new CorruptEventError(at, 'hash mismatch'),
      new LogBrokenError({ part: 'log', portfolioId: 'p', stream: 'portfolio-p', check: 'head', revision: 3, position: 4, reason: 'cut' }),
      new WrongExpectedRevisionError('portfolio-p', 3, 5),
      new StoreBusyError('sqlite:x.db', 10),
      new StoreReadOnlyError('sqlite:x.db'),
      new InvalidEventError('bad event'),
      new ProjectionError('positions', { ...at, type: 'FillRecorded' }, new Error('x')),
      new CheckpointError('cannot encode'),
      new LedgerError('no cash'),
      new SolverError('infeasible'),
      new StrategyTimeoutError('s', 'onBar', '2024-01-02T00:00:00.000Z', 100),
      new Error('anything unexpected'),
      'a thrown string',
    ]) {
      expect(exitCodeOf(e), String(e)).toBe(EXIT_FAILED);
    }
  });
});
