/**
 * The users contract between the API (publisher, reader), the subscriber (writer) and the database adapters.
 * Types and ports only: the adapters live in ./db, the HTTP handling in app-api, the SQS handling in app-subscriber.
 */
import * as z from "zod";

/**
 * Limits of a user's fields, used by the API's request schema and the subscriber's storable-message check.
 * Name: Unicode code points after trimming. E-mail: at most 254 characters (RFC 5321 path limit), and the
 * shortest address with an `@` has 3. The table's CHECK constraints (migration 0001) are wider, 3..320,
 * so every value these limits admit is storable.
 */
export const USER_LIMITS = Object.freeze({
  nameMinCodePoints: 1,
  nameMaxCodePoints: 200,
  emailMinLength: 3,
  emailMaxLength: 254,
});

/** Largest POST /users body accepted (bytes); larger bodies get 413 before parsing. */
export const NEW_USER_MAX_BODY_BYTES = 16 * 1024;

/** A user as the API returns it. Timestamps are ISO 8601 strings in UTC. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface UserPage {
  readonly items: readonly User[];
  /** Opaque keyset cursor for the next page, or null on the last page. */
  readonly nextCursor: string | null;
}

/** One user message as the subscriber applies it; `publishedAt` (the SNS timestamp) orders updates. */
export interface UserWrite {
  readonly messageId: string;
  readonly publishedAt: Date;
  readonly name: string;
  readonly email: string;
}

/** The port every database adapter (pg, RDS Data API, PGlite) implements. */
export interface UserRepository {
  /** Keyset pagination; throws InvalidCursorError (a ValidationError) naming `cursor` for a cursor it did not issue. */
  list(params: { readonly limit: number; readonly cursor?: string }): Promise<UserPage>;
  get(id: string): Promise<User | undefined>;
  /** Upserts a whole batch in one statement; unique by email (case-insensitive), newest publishedAt wins. */
  upsert(writes: readonly UserWrite[]): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}

/** The JSON message the API publishes to SNS for each accepted POST /users. */
export const UserMessageSchema = z.strictObject({
  name: z.string(),
  email: z.string(),
});
export type UserMessage = z.infer<typeof UserMessageSchema>;
