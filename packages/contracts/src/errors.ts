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

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {}

/** More input than the domain accepts in one request (say, instances in one prediction). */
export class PayloadTooLargeError extends DomainError {}

/** A dependency (database, topic) did not answer: nothing was done, and retrying later may succeed. */
export class DependencyUnavailableError extends DomainError {}

/** Validates with zod; a failure is a ValidationError whose message and details name every offending field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "request body",
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.field}: ${d.message}`).join("; ");
  throw new ValidationError(`Invalid ${what}: ${summary}`, { details });
}
