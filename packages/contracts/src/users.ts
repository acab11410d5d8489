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
  /** RFC 5321, section 4.5.3.1.1: the local part (before the last @) is at most 64 octets. */
  emailLocalPartMaxLength: 64,
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

/**
 * When the API accepted a write: an ISO 8601 UTC time with microseconds (`2026-11-27T15:48:00.123456Z`). It is
 * the ordering key of "newest wins". One API instance issues strictly increasing values (wall-clock
 * milliseconds, then the order of acceptance within the millisecond), so of two writes one instance accepted,
 * the later one always wins. Writes accepted by different instances are ordered by those instances' clocks;
 * identical values (same microsecond) fall back to the message id. The fixed width makes text order time order.
 */
export const ACCEPTED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** One user message as the subscriber applies it. */
export interface UserWrite {
  readonly messageId: string;
  /** The SNS publish time (milliseconds): orders messages that carry no `acceptedAt` (published before it existed). */
  readonly publishedAt: Date;
  /** The API's acceptance time (see ACCEPTED_AT_PATTERN): the ordering key when present. */
  readonly acceptedAt?: string;
  readonly name: string;
  readonly email: string;
}

/** The ordering key of a write: acceptedAt, or the publish time at the same (microsecond) width. */
export const orderingKeyOf = (write: UserWrite): string =>
  write.acceptedAt ?? `${write.publishedAt.toISOString().slice(0, 23)}000Z`;

/** The port every database adapter (pg, RDS Data API, PGlite) implements. */
export interface UserRepository {
  /** Keyset pagination; throws InvalidCursorError (a ValidationError) naming `cursor` for a cursor it did not issue. */
  list(params: { readonly limit: number; readonly cursor?: string }): Promise<UserPage>;
  get(id: string): Promise<User | undefined>;
  /** Upserts a whole batch in one statement; unique by email (case-insensitive), the newest orderingKeyOf wins. */
  upsert(writes: readonly UserWrite[]): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}

/** The JSON message the API publishes to SNS for each accepted POST /users. */
export const UserMessageSchema = z.strictObject({
  name: z.string(),
  email: z.string(),
  /** Optional only so that messages published before it existed are still applied (by SNS time). */
  acceptedAt: z
    .string()
    .regex(ACCEPTED_AT_PATTERN, "must be an ISO 8601 UTC time with microseconds")
    .optional(),
});
export type UserMessage = z.infer<typeof UserMessageSchema>;
