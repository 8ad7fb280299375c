// The longest delay a Node.js timer waits. setTimeout keeps its delay in a signed 32-bit integer and runs a longer one
// after 1 ms (with no more than a process warning): a limit a user meant as "very long" would act at once instead.

/** The longest delay, in milliseconds, a timer can be set for (about 596 hours, 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** {@link MAX_TIMER_MS} in whole hours, for messages. */
export const MAX_TIMER_HOURS = Math.floor(MAX_TIMER_MS / 3_600_000);
