/** Errors of the subscriber's use cases; the handler maps them to batch item failures. */

/** A message that can never be stored: retrying it is pointless, so it fails alone and ends in the DLQ. */
export class MalformedMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MalformedMessageError";
  }
}

/** The store did not take the batch (unreachable, timed out): every message in it must be retried. */
export class UserStoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserStoreUnavailableError";
  }
}
