/**
 * The API's error hierarchy. Client errors come from the shared HTTP contract (@sml/common/http) so every
 * function answers with the same codes; the ones below are server-side failures of a dependency.
 */
import { ServiceUnavailableError } from "@sml/lambda-http";

export {
  HttpError,
  InvalidJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "@sml/lambda-http";

/** SNS did not accept the message: nothing was published, so the client may safely retry. */
export class PublishFailedError extends ServiceUnavailableError {
  constructor(options?: ErrorOptions) {
    super("The user could not be accepted right now; nothing was stored, retry later", options);
  }
}

/** The database did not answer the health check in time or at all. */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(options?: ErrorOptions) {
    super("The database is not answering", options);
  }
}
