/**
 * The users contract between the API (publisher, reader), the subscriber (writer) and the database adapters.
 * Types and ports only: the adapters live in @sml/database, the HTTP handling in app-api, the SQS handling in app-subscriber.
 */
import * as z from "zod";
import { UUID_PATTERN } from "./formats";

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
  /** The id the API issued for the user if the email is new (an existing user keeps its id). */
  readonly id?: string;
}

/**
 * One DELETE /users/{id} as the subscriber applies it: a tombstone. The row stays, marked deleted with the
 * deletion's ordering key, so "newest wins" holds across creates and deletes: a create or update accepted before
 * the deletion (arriving late, or redelivered) changes nothing, one accepted after it brings the user back.
 */
export interface UserDeletion {
  readonly messageId: string;
  readonly publishedAt: Date;
  readonly acceptedAt?: string;
  readonly id: string;
}

/** The ordering key of a write: acceptedAt, or the publish time at the same (microsecond) width. */
export const orderingKeyOf = (write: UserWrite | UserDeletion): string =>
  write.acceptedAt ?? `${write.publishedAt.toISOString().slice(0, 23)}000Z`;

/**
 * The read side: what the API needs (its database role may only SELECT), so its fakes implement reads alone.
 */
export interface UserReader {
  /** Keyset pagination; throws InvalidCursorError (a ValidationError) naming `cursor` for a cursor it did not issue. */
  list(params: { readonly limit: number; readonly cursor?: string }): Promise<UserPage>;
  get(id: string): Promise<User | undefined>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}

/** The write side: what the subscriber needs (its database role may write users). */
export interface UserWriter {
  /** Upserts a whole batch in one statement; unique by email (case-insensitive), the newest orderingKeyOf wins. */
  upsert(writes: readonly UserWrite[]): Promise<void>;
  /**
   * Marks users deleted (tombstones) in one statement, each only when the deletion is newer (orderingKeyOf, then
   * message id) than the write that last changed the row; an unknown id changes nothing. Reads skip deleted users.
   */
  remove(deletions: readonly UserDeletion[]): Promise<void>;
}

/** Both sides: what every database adapter (pg, RDS Data API, PGlite) implements. */
export interface UserRepository extends UserReader, UserWriter {}

const acceptedAtSchema = z
  .string()
  .regex(ACCEPTED_AT_PATTERN, "must be an ISO 8601 UTC time with microseconds");

/** The JSON message the API publishes to SNS for each accepted POST /users. */
export const UserMessageSchema = z.strictObject({
  name: z.string(),
  email: z.string(),
  /** Optional only so that messages published before it existed are still applied (by SNS time). */
  acceptedAt: acceptedAtSchema.optional(),
  /** The id a new user gets; optional only for messages published before the API issued ids. */
  id: z.string().regex(UUID_PATTERN, "must be a UUID").optional(),
});
export type UserMessage = z.infer<typeof UserMessageSchema>;

/** The JSON message the API publishes to SNS for each accepted DELETE /users/{id}. */
export const UserDeletionMessageSchema = z.strictObject({
  delete: z.literal(true),
  id: z.string().regex(UUID_PATTERN, "must be a UUID"),
  acceptedAt: acceptedAtSchema,
});
export type UserDeletionMessage = z.infer<typeof UserDeletionMessageSchema>;

/**
 * What the users API accepts and answers, as zod schemas: the handlers validate with them and the OpenAPI
 * document (GET /openapi.json) is generated from them. The rules (also in app-api/README.md):
 *
 * POST /users body: a JSON object with exactly `name` and `email`; any other key is a 400 naming it.
 * - `name`: trimmed (Unicode whitespace) and NFC-normalised, then 1..200 Unicode code points (an emoji such as
 *   "👨‍👩‍👧" counts as its 5 code points, not as 8 UTF-16 units or 1 grapheme, so the limit is independent of the
 *   font and of the client's string encoding). Rejected: unpaired UTF-16 surrogates (they cannot be stored as
 *   UTF-8), control characters (C0, C1, DEL, line/paragraph separators), bidirectional embedding/override/isolate
 *   controls (used to spoof how a name reads), and names with no visible character (only zero-width or
 *   combining marks, default-ignorable code points such as the Hangul fillers, or the blank Braille pattern).
 *   Right-to-left scripts, zero-width joiners inside a name and emoji are accepted.
 * - `email`: trimmed, at most 254 characters (RFC 5321 path limit) with at most 64 before the @ (RFC 5321
 *   local-part limit), zod's email rule (ASCII addresses; an
 *   internationalised domain must be sent in its punycode form). Its case is kept as sent: uniqueness is
 *   case-insensitive in the database, and the local part is case-sensitive by RFC.
 *
 * GET /users query: only `limit` (decimal 1..100, default 20) and `cursor` (1..512 characters, opaque, issued
 * by a previous page); any other parameter is a 400 naming it, so a typo such as `limt` is not silently ignored.
 */

export const NAME_MAX_CODE_POINTS = USER_LIMITS.nameMaxCodePoints;
export const EMAIL_MAX_LENGTH = USER_LIMITS.emailMaxLength;
export const EMAIL_LOCAL_PART_MAX_LENGTH = USER_LIMITS.emailLocalPartMaxLength;
export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;
export const CURSOR_MAX_LENGTH = 512;

// With the `u` flag a well-formed surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const UNPAIRED_SURROGATE = /\p{Cs}/u;
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
// A visible character is anything but separators, other (format, control...), combining marks, the code points
// Unicode marks default-ignorable (rendered as nothing: the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 are
// letters by category but draw nothing) and the blank Braille pattern U+2800 (a symbol that draws no dots).
const VISIBLE_CHARACTER = /[^\p{Z}\p{C}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;

const codePointLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const nameSchema = z.string().transform((raw, ctx) => {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  if (UNPAIRED_SURROGATE.test(raw)) return fail("must not contain unpaired UTF-16 surrogates");
  const name = raw.trim().normalize("NFC");
  if (name.length === 0) return fail("must not be empty or only whitespace");
  const length = codePointLength(name);
  if (length > NAME_MAX_CODE_POINTS) {
    return fail(`must be at most ${NAME_MAX_CODE_POINTS} characters (got ${length})`);
  }
  if (CONTROL_CHARACTER.test(name)) return fail("must not contain control characters");
  if (BIDI_CONTROL.test(name)) return fail("must not contain bidirectional override or isolate characters");
  if (!VISIBLE_CHARACTER.test(name)) return fail("must contain at least one visible character");
  return name;
});

const emailSchema = z
  .string()
  .transform((raw) => raw.trim())
  .pipe(
    z
      .string()
      .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
      .refine(
        (email) => email.lastIndexOf("@") <= EMAIL_LOCAL_PART_MAX_LENGTH,
        `must have at most ${EMAIL_LOCAL_PART_MAX_LENGTH} characters before the @`,
      )
      .pipe(z.email("must be a valid email address")),
  );

/** POST /users body, normalised. */
export const NewUserSchema = z
  .strictObject({
    name: nameSchema.meta({
      description: `Trimmed and NFC-normalised, then 1..${NAME_MAX_CODE_POINTS} Unicode code points; no control, bidirectional-override or unpaired-surrogate characters, at least one visible character.`,
      examples: ["Ada Lovelace"],
    }),
    email: emailSchema.meta({
      description: `Trimmed; at most ${EMAIL_MAX_LENGTH} characters with at most ${EMAIL_LOCAL_PART_MAX_LENGTH} before the @; an ASCII address (an internationalised domain in punycode). Unique case-insensitively: a newer write of the same address replaces the user's name.`,
      format: "email",
      examples: ["ada@example.com"],
    }),
  })
  .meta({ title: "NewUser" });
export type NewUser = z.output<typeof NewUserSchema>;

const limitSchema = z
  .string()
  .regex(/^[0-9]{1,3}$/, `must be an integer from 1 to ${LIST_LIMIT_MAX}`)
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, `must be an integer from 1 to ${LIST_LIMIT_MAX}`)
      .max(LIST_LIMIT_MAX, `must be an integer from 1 to ${LIST_LIMIT_MAX}`),
  );

/** GET /users query string (values as API Gateway passes them: strings). */
export const ListUsersQuerySchema = z.strictObject({
  limit: limitSchema.default(LIST_LIMIT_DEFAULT).meta({
    description: `Page size, a decimal integer from 1 to ${LIST_LIMIT_MAX} (default ${LIST_LIMIT_DEFAULT}).`,
  }),
  cursor: z
    .string()
    .min(1, "must not be empty")
    .max(CURSOR_MAX_LENGTH, `must be at most ${CURSOR_MAX_LENGTH} characters`)
    .optional()
    .meta({ description: "The `nextCursor` of the previous page (opaque); omit it for the first page." }),
});
export type ListUsersQuery = z.output<typeof ListUsersQuerySchema>;

/** A user as the API returns it (GET /users, GET /users/{id}). */
export const UserSchema = z
  .strictObject({
    id: z.string().meta({ description: "Issued by the database (a UUID)." }),
    name: z.string(),
    email: z.string(),
    createdAt: z.iso.datetime().meta({ description: "ISO 8601, UTC." }),
    updatedAt: z.iso.datetime().meta({ description: "ISO 8601, UTC." }),
  })
  .meta({ title: "User" });

/** GET /users: one page of users, oldest first. */
export const UserPageSchema = z
  .strictObject({
    items: z.array(UserSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null on the last page." }),
  })
  .meta({ title: "UserPage" });

/** POST /users: the write was published; the subscriber stores it a moment later. */
export const UserAcceptedSchema = z
  .strictObject({
    id: z.string().meta({
      description:
        "The id the user has once stored (GET /users/{id}) when the email is new; an email that has or had a user keeps that user's id.",
    }),
    messageId: z.string().meta({ description: "The SNS message id of the published write." }),
    acceptedAt: z.string().regex(ACCEPTED_AT_PATTERN).meta({
      description:
        "When the API accepted the write (ISO 8601 UTC with microseconds): of several writes of one email, the latest acceptedAt is the one stored.",
    }),
  })
  .meta({ title: "UserAccepted" });

/** DELETE /users/{id}: the deletion was published; the subscriber applies it a moment later. */
export const UserDeletionAcceptedSchema = z
  .strictObject({
    messageId: z.string().meta({ description: "The SNS message id of the published deletion." }),
    acceptedAt: z.string().regex(ACCEPTED_AT_PATTERN).meta({
      description:
        "When the API accepted the deletion: a write of the user accepted earlier changes nothing, one accepted later brings the user back.",
    }),
  })
  .meta({ title: "UserDeletionAccepted" });
