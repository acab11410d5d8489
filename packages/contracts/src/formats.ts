/** Text formats that several parts check the same way before a value reaches PostgreSQL. */

/**
 * A UUID in its canonical 8-4-4-4-12 hex form, any version: user and batch ids. PostgreSQL's `uuid` type rejects
 * anything else with an error, so callers check first and answer 404 or 400 instead of a 500.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an ISO 8601 UTC time names a real instant PostgreSQL accepts. Date.parse alone is not enough: it rolls
 * 2026-02-30 over to March and takes year 0000, both of which PostgreSQL rejects with an error. Compares to the
 * millisecond (what Date holds); callers check the text's exact shape with their own pattern.
 */
export function isRealInstant(time: string): boolean {
  const parsed = new Date(time);
  return (
    !time.startsWith("0000") &&
    !Number.isNaN(parsed.getTime()) &&
    parsed.toISOString().slice(0, 23) === time.slice(0, 23)
  );
}
