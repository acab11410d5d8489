import { ValidationError } from "@sml/contracts/errors";
import type { User, UserDeletionMessage, UserMessage, UserPage, UserReader } from "@sml/contracts/users";
import type { UserPublisher } from "../../src/core/ports";

/**
 * In-memory UserReader for unit tests (no database): keyset pagination by (createdAt, id) with a base64url
 * cursor. The API reads only (its database role may only SELECT): it has no write method to fake, so no test
 * needs to check that it never wrote. The integration tests run the real adapters.
 */
export class InMemoryUserReader implements UserReader {
  readonly users: User[] = [];
  pingError: Error | undefined;
  pingHangs = false;

  seed(count: number): User[] {
    for (let i = 0; i < count; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      const n = String(this.users.length + 1).padStart(6, "0");
      this.users.push({
        id: `u${n}`,
        name: `User ${n}`,
        email: `user${n}@example.com`,
        createdAt: at,
        updatedAt: at,
      });
    }
    return this.users;
  }

  async list({ limit, cursor }: { limit: number; cursor?: string }): Promise<UserPage> {
    let start = 0;
    if (cursor !== undefined) {
      const lastId = Buffer.from(cursor, "base64url").toString("utf8");
      const index = this.users.findIndex((u) => u.id === lastId);
      if (index < 0) throw new ValidationError("Invalid query string: cursor: not a cursor this API issued");
      start = index + 1;
    }
    const items = this.users.slice(start, start + limit);
    const last = items.at(-1);
    const nextCursor =
      last && start + limit < this.users.length ? Buffer.from(last.id, "utf8").toString("base64url") : null;
    return { items, nextCursor };
  }

  async get(id: string): Promise<User | undefined> {
    return this.users.find((u) => u.id === id);
  }

  ping(): Promise<void> {
    if (this.pingHangs) return new Promise(() => {});
    return this.pingError ? Promise.reject(this.pingError) : Promise.resolve();
  }
}

/** Records what the handler publishes instead of calling SNS (the fauxqs tests cover the real client). */
export class RecordingPublisher implements UserPublisher {
  readonly published: (UserMessage | UserDeletionMessage)[] = [];
  failWith: Error | undefined;

  async publish(message: UserMessage | UserDeletionMessage): Promise<{ messageId: string }> {
    if (this.failWith) throw this.failWith;
    this.published.push(message);
    return { messageId: `msg-${this.published.length}` };
  }
}
