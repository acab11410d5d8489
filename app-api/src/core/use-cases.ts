/**
 * The API's use cases. They take already-validated input (see ./schemas) and talk only to the ports, so the
 * same code runs in Lambda, in the local stack and in tests with fakes.
 */
import { randomUUID } from "node:crypto";
import { UUID_PATTERN } from "@sml/contracts/formats";
import { type AcceptanceClock, createAcceptanceClock } from "./acceptance-clock";
import { DatabaseUnavailableError, DomainError, NotFoundError, PublishFailedError } from "./errors";
import type { User, UserPage, UserPublisher, UserReader } from "./ports";
import type { ListUsersQuery, NewUser } from "./schemas";

export interface UseCaseDeps {
  readonly repository: UserReader;
  readonly publisher: UserPublisher;
  /** Issues each accepted write's ordering key; one per instance (default: the wall clock). */
  readonly clock?: AcceptanceClock;
  /** How long the health check waits for the database before answering 503. */
  readonly healthTimeoutMs: number;
}

// Ids the database issues are short tokens; anything longer or with other characters cannot name a user,
// so it is answered 404 without a round trip (and never reaches SQL as a value the column type rejects).
const PLAUSIBLE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface UseCases {
  /**
   * Publishes exactly one message; the subscriber writes it. Resolves with the SNS message id and the write's
   * ordering key (`acceptedAt`): of several updates of one email, the largest acceptedAt is the one stored.
   */
  submitUser(user: NewUser): Promise<{ id: string; messageId: string; acceptedAt: string }>;
  /**
   * Publishes one deletion; the subscriber applies it (newest wins against the user's writes). Throws
   * NotFoundError for an id that cannot name a user (not a UUID); any UUID is accepted, as the store decides.
   */
  deleteUser(id: string): Promise<{ messageId: string; acceptedAt: string }>;
  listUsers(query: ListUsersQuery): Promise<UserPage>;
  /** Throws NotFoundError for an unknown or malformed id. */
  getUser(id: string): Promise<User>;
  /** Throws DatabaseUnavailableError when the database does not answer within the timeout. */
  checkHealth(): Promise<void>;
}

/**
 * A read the database could not answer is the service's failure, not the client's: 503 (retry later), with the
 * cause logged by the handler. Errors the repository raises about the request itself (a bad cursor) pass through.
 */
async function read<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DatabaseUnavailableError({ cause: err });
  }
}

export function createUseCases(deps: UseCaseDeps): UseCases {
  const { repository, publisher, healthTimeoutMs } = deps;
  const clock = deps.clock ?? createAcceptanceClock();
  return {
    async submitUser(user) {
      const acceptedAt = clock();
      // The id a new user gets: issued here so the caller can read the user back (GET /users/{id}) without
      // searching for it; an existing email keeps its user's id (the subscriber's upsert).
      const id = randomUUID();
      try {
        const { messageId } = await publisher.publish({ name: user.name, email: user.email, acceptedAt, id });
        return { id, messageId, acceptedAt };
      } catch (err) {
        throw new PublishFailedError({ cause: err });
      }
    },

    async deleteUser(id) {
      if (!UUID_PATTERN.test(id))
        throw new NotFoundError(`No user with id ${JSON.stringify(id.slice(0, 64))}`);
      const acceptedAt = clock();
      try {
        const { messageId } = await publisher.publish({ delete: true, id: id.toLowerCase(), acceptedAt });
        return { messageId, acceptedAt };
      } catch (err) {
        throw new PublishFailedError({ cause: err });
      }
    },

    listUsers(query) {
      return read(() => repository.list(query.cursor === undefined ? { limit: query.limit } : query));
    },

    async getUser(id) {
      const user = PLAUSIBLE_ID.test(id) ? await read(() => repository.get(id)) : undefined;
      if (!user) throw new NotFoundError(`No user with id ${JSON.stringify(id.slice(0, 64))}`);
      return user;
    },

    async checkHealth() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`ping took longer than ${healthTimeoutMs} ms`)),
          healthTimeoutMs,
        );
      });
      try {
        await Promise.race([repository.ping(), timeout]);
      } catch (err) {
        throw new DatabaseUnavailableError({ cause: err });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
