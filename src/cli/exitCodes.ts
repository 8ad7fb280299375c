// The CLI's exit codes: which errors are the user's input (2) and which are a failed run or a broken log (1).
import { AllocationError, ConfigError, DataError, InvalidNumberError, OutputFileError } from '../errors.js';
import { StoreConfigError, StorePermissionError } from '../../events/errors.js';
import { WriterLockBusyError, WriterLockedError } from '../../events/writerLock.js';

/** Success. */
export const EXIT_OK = 0;
/** A failed run or a broken log: corrupt event, broken chain, truncation, append conflict, a strategy halting the run, any unexpected error. */
export const EXIT_FAILED = 1;
/** Usage or bad input: an unknown flag, a bad config, a bad bar file, a store URL or file that is not a store, a store or output file that cannot be written, a command the session refuses, a portfolio another process is writing or starting to write. */
export const EXIT_BAD_INPUT = 2;

/**
 * The exit code of an error that ended a command. Only errors that name something the user gave (a flag, a config,
 * a data file, a store path) are bad input; everything else — including every error about the log — is a failure.
 */
export function exitCodeOf(err: unknown): number {
  return err instanceof ConfigError ||
    err instanceof DataError ||
    err instanceof OutputFileError ||
    err instanceof InvalidNumberError ||
    err instanceof AllocationError ||
    err instanceof StoreConfigError ||
    err instanceof StorePermissionError ||
    err instanceof WriterLockedError ||
    err instanceof WriterLockBusyError
    ? EXIT_BAD_INPUT
    : EXIT_FAILED;
}
