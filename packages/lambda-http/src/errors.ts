/**
 * Errors a client can cause, each with its HTTP status and a stable `code`. Handlers throw these;
 * `toHttpResponse` turns any error into the API's JSON error body.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `email` or `instances.3.origin`. */
  readonly field?: string;
  readonly message: string;
}

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
  readonly details?: readonly ErrorDetail[];

  constructor(message: string, options?: ErrorOptions & { details?: readonly ErrorDetail[] }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.details) this.details = options.details;
  }
}

export class ValidationError extends HttpError {
  readonly statusCode = 400;
  readonly code = "VALIDATION_FAILED";
}

export class InvalidJsonError extends HttpError {
  readonly statusCode = 400;
  readonly code = "INVALID_JSON";
}

export class NotFoundError extends HttpError {
  readonly statusCode = 404;
  readonly code = "NOT_FOUND";
}

export class MethodNotAllowedError extends HttpError {
  readonly statusCode = 405;
  readonly code = "METHOD_NOT_ALLOWED";
  constructor(
    message: string,
    readonly allowedMethods: readonly string[],
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
  readonly code = "PAYLOAD_TOO_LARGE";
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
  readonly code = "UNSUPPORTED_MEDIA_TYPE";
}

export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  readonly code = "SERVICE_UNAVAILABLE";
}
