/**
 * Domain errors: what use cases, repositories and the model core throw. They say what went wrong in the
 * domain's words and know nothing of HTTP; the Lambda edge (@sml/lambda-http, toHttpResponse) holds the one
 * table that maps each of them to a status and an error code.
 */
import type * as z from "zod";

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `email` or `instances.3.origin`. */
  readonly field?: string;
  readonly message: string;
}

export interface DomainErrorOptions extends ErrorOptions {
  readonly details?: readonly ErrorDetail[];
}

export abstract class DomainError extends Error {
  readonly details?: readonly ErrorDetail[];

  constructor(message: string, options?: DomainErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    if (options?.details) this.details = options.details;
  }
}

/** Input that breaks a rule of the domain; the message and details name every offending field. */
export class ValidationError extends DomainError {}

/** A pagination cursor this service did not issue. */
export class InvalidCursorError extends ValidationError {}

/**
 * No caller: a route that needs a token was reached without one (API Gateway's authorizer answers 401 before a
 * function runs; this is the function's own check behind it, for a direct invocation or a misconfigured route).
 */
export class UnauthenticatedError extends DomainError {}

/** A signed-in caller asking for what their groups do not allow (GET /batches?scope=all outside `admins`). */
export class ForbiddenError extends DomainError {}

/**
 * A caller over a per-user limit (open batches, their declared bytes): nothing was done; it passes once some of
 * the caller's own work ends.
 */
export class QuotaExceededError extends DomainError {}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {}

/** More input than the domain accepts in one request (say, instances in one prediction). */
export class PayloadTooLargeError extends DomainError {}

/** A dependency (database, topic) did not answer: nothing was done, and retrying later may succeed. */
export class DependencyUnavailableError extends DomainError {}

/**
 * Most details an error body lists. A request can hold a problem per array element (1,000 unknown airports made
 * a 228 KB body); the first ones show the pattern, and the last detail says how many more there were.
 */
export const MAX_ERROR_DETAILS = 20;

/**
 * A ValidationError naming the first MAX_ERROR_DETAILS offending fields in its message and details, and counting
 * the rest.
 */
export function validationError(what: string, all: readonly ErrorDetail[]): ValidationError {
  const shown = all.slice(0, MAX_ERROR_DETAILS);
  const more = all.length - shown.length;
  const details = more > 0 ? [...shown, { message: `and ${more} more problems not listed` }] : shown;
  const summary = shown.map((d) => `${d.field}: ${d.message}`).join("; ");
  return new ValidationError(`Invalid ${what}: ${summary}${more > 0 ? `; and ${more} more` : ""}`, {
    details,
  });
}

/** Validates with zod; a failure is a ValidationError whose message and details name the offending fields (capped). */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "request body",
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(
    what,
    result.error.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  );
}
