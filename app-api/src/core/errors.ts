/**
 * The API's domain errors: the shared ones (@sml/contracts/errors) and the dependency failures below. None of
 * them knows HTTP; the edge's table (@sml/lambda-http) gives each its status and code.
 */
import { DependencyUnavailableError } from "@sml/contracts/errors";

export {
  DependencyUnavailableError,
  DomainError,
  NotFoundError,
  ValidationError,
} from "@sml/contracts/errors";

/** SNS did not accept the message: nothing was published, so the client may safely retry. */
export class PublishFailedError extends DependencyUnavailableError {
  constructor(options?: ErrorOptions) {
    super("The user could not be accepted right now; nothing was stored, retry later", options);
  }
}

/** The database did not answer the health check in time or at all. */
export class DatabaseUnavailableError extends DependencyUnavailableError {
  constructor(options?: ErrorOptions) {
    super("The database is not answering", options);
  }
}
