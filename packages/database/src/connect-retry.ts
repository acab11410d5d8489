/**
 * Waiting for a database that is not accepting connections yet: an Aurora Serverless v2 cluster resuming from
 * auto-pause (about 15 s, about 30 s after more than a day paused), a failover, a server still starting up.
 */

/** The part of a logger the retry uses; Powertools' Logger fits it. */
export interface RetryLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ConnectRetryOptions {
  /**
   * Total time to keep trying, from the first attempt (attempts + waits). Keep it below the caller's own
   * timeout (the Lambda function's), minus the time the work after connecting needs. 0 = one attempt.
   */
  readonly deadlineMs: number;
  /** First wait between attempts; doubles per attempt up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Where each failed try is logged (warn) and a late success (info). */
  readonly logger?: RetryLogger;
}

export const DEFAULT_INITIAL_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 5_000;

/** The database did not accept a connection before the deadline; names the database and the time waited. */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  constructor(
    readonly database: string,
    readonly waitedMs: number,
    readonly attempts: number,
    options: ErrorOptions,
  ) {
    const cause = options.cause as { message?: unknown } | undefined;
    const last = typeof cause?.message === "string" ? cause.message : String(options.cause);
    super(
      `Database ${database} did not accept a connection within ${(waitedMs / 1000).toFixed(1)} s ` +
        `(${attempts} attempt${attempts === 1 ? "" : "s"}); last error: ${last}. A paused Aurora Serverless v2 ` +
        "cluster resumes in about 15 s (30 s after a day paused); check the cluster's status, the security " +
        "groups and the function's subnets (docs/operations.md).",
      options,
    );
  }
}

/** node-postgres and Node socket errors that mean "not reachable yet", not "will never work". */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EPIPE",
  // SQLSTATE cannot_connect_now: "the database system is starting up" / "is shutting down".
  "57P03",
  // admin_shutdown / crash_shutdown: the server went away under an open connection.
  "57P01",
  "57P02",
]);
const TRANSIENT_MESSAGES = [
  // pg.Client's connectionTimeoutMillis fired: the TCP connection was held without an answer (what a proxy in
  // front of a resuming instance does).
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /Connection terminated unexpectedly/i,
];

/**
 * True for failures worth another try. Authentication (28P01), TLS certificate and configuration errors are
 * not: retrying them only delays the real error.
 */
export function isTransientConnectError(err: unknown): boolean {
  // Duck-typed, not `instanceof Error`: socket errors come from Node's own realm, which differs from the
  // caller's under jest's VM contexts.
  if (typeof err !== "object" || err === null) return false;
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  if (name === "DatabaseResumingException") return true;
  return typeof message === "string" && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, a non-transient error occurs, or an attempt fails at or after the deadline.
 * Waits grow exponentially (initial, 2x, 4x, ... capped) and never reach past the deadline, so the whole wait
 * lasts at most the deadline plus one attempt (for pg: PG_CONNECT_TIMEOUT_MS).
 */
export async function withConnectRetry<T>(
  database: string,
  options: ConnectRetryOptions,
  attempt: () => Promise<T>,
  now: () => number = Date.now,
): Promise<T> {
  const started = now();
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  for (let tries = 1; ; tries++) {
    try {
      const result = await attempt();
      if (tries > 1) {
        options.logger?.info("Database accepted the connection", {
          database,
          attempt: tries,
          waitedMs: now() - started,
        });
      }
      return result;
    } catch (err) {
      if (!isTransientConnectError(err)) throw err;
      const elapsed = now() - started;
      const remaining = options.deadlineMs - elapsed;
      // The last wait is cut short so that a final attempt starts at the deadline, never after it.
      const delay = Math.min(max, initial * 2 ** (tries - 1), Math.max(0, remaining));
      const giveUp = remaining <= 0;
      options.logger?.warn("Database not accepting connections", {
        database,
        attempt: tries,
        waitedMs: elapsed,
        deadlineMs: options.deadlineMs,
        ...(giveUp ? { givingUp: true } : { nextAttemptInMs: delay }),
        error: String((err as { message?: unknown }).message ?? err),
      });
      if (giveUp) throw new DatabaseUnavailableError(database, elapsed, tries, { cause: err });
      await sleep(delay);
    }
  }
}
