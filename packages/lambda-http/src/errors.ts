/**
 * Errors of the HTTP edge itself (content type, JSON, method), and the one table that maps every error a handler
 * can raise, domain or edge, to its HTTP status and stable `code`.
 */
import {
  DependencyUnavailableError,
  DomainError,
  type DomainErrorOptions,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  UnauthenticatedError,
  ValidationError,
} from "@sml/contracts/errors";

export class InvalidJsonError extends DomainError {}

export class UnsupportedMediaTypeError extends DomainError {}

/** A known path with another method: answered 405 with `Allow`. */
export class MethodNotAllowedError extends DomainError {
  constructor(
    message: string,
    readonly allowedMethods: readonly string[],
    options?: DomainErrorOptions,
  ) {
    super(message, options);
  }
}

/** A path no route of this function serves. */
export class RouteNotFoundError extends NotFoundError {}

export interface HttpStatus {
  readonly statusCode: number;
  readonly code: string;
}

export type ErrorClass = abstract new (...args: never[]) => Error;

/** First match wins, so a subclass comes before its parent (InvalidJsonError is not a ValidationError anyway). */
const ERROR_TABLE: readonly (readonly [ErrorClass, HttpStatus])[] = [
  [ValidationError, { statusCode: 400, code: "VALIDATION_FAILED" }],
  [InvalidJsonError, { statusCode: 400, code: "INVALID_JSON" }],
  [UnauthenticatedError, { statusCode: 401, code: "UNAUTHORIZED" }],
  [ForbiddenError, { statusCode: 403, code: "FORBIDDEN" }],
  [NotFoundError, { statusCode: 404, code: "NOT_FOUND" }],
  [MethodNotAllowedError, { statusCode: 405, code: "METHOD_NOT_ALLOWED" }],
  [PayloadTooLargeError, { statusCode: 413, code: "PAYLOAD_TOO_LARGE" }],
  [UnsupportedMediaTypeError, { statusCode: 415, code: "UNSUPPORTED_MEDIA_TYPE" }],
  [QuotaExceededError, { statusCode: 429, code: "QUOTA_EXCEEDED" }],
  [DependencyUnavailableError, { statusCode: 503, code: "SERVICE_UNAVAILABLE" }],
];

/** What any other error becomes: a generic 500 whose body reveals nothing of the error. */
export const INTERNAL_ERROR: HttpStatus = { statusCode: 500, code: "INTERNAL_ERROR" };

/** The status and code of an error class (a subclass takes its first ancestor's row), as httpStatusOf would. */
export function httpStatusOfClass(type: ErrorClass): HttpStatus | undefined {
  for (const [row, status] of ERROR_TABLE) if (type === row || type.prototype instanceof row) return status;
  return undefined;
}

/** Every status and code the table can give, in its order. */
export const ERROR_STATUSES: readonly HttpStatus[] = ERROR_TABLE.map(([, status]) => status);

/** The status and code of an error the table knows, or undefined (an unexpected error: 500). */
export function httpStatusOf(err: unknown): HttpStatus | undefined {
  for (const [type, status] of ERROR_TABLE) if (err instanceof type) return status;
  return undefined;
}
