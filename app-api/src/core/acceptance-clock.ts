/**
 * The ordering key of "newest wins" (see ACCEPTED_AT_PATTERN in @sml/contracts/users): wall-clock milliseconds plus
 * three digits that count acceptances within the millisecond, so one instance never issues the same value twice
 * or a smaller one, even when its clock steps back. The SNS timestamp has only milliseconds: several updates of
 * one user accepted in the same millisecond used to be ordered by their random message ids.
 */
export type AcceptanceClock = () => string;

export function createAcceptanceClock(nowMs: () => number = Date.now): AcceptanceClock {
  let last = -1;
  return () => {
    // Microseconds since the epoch stay exact in a double until the year 2255.
    const micros = Math.max(Math.floor(nowMs()) * 1000, last + 1);
    last = micros;
    const millis = Math.floor(micros / 1000);
    return `${new Date(millis).toISOString().slice(0, 23)}${String(micros - millis * 1000).padStart(3, "0")}Z`;
  };
}
