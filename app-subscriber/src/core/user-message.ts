import { isRealInstant } from "@sml/contracts/formats";
import {
  USER_LIMITS,
  type UserDeletion,
  UserDeletionMessageSchema,
  UserMessageSchema,
  type UserWrite,
} from "@sml/contracts/users";
import * as z from "zod";
import { MalformedMessageError } from "./errors";

/**
 * What the database can hold (see migrations/0001): the API applies stricter rules before publishing, so these
 * checks only catch messages that did not come from it. They keep one bad message from failing a whole batch's
 * statement: PostgreSQL text cannot hold NUL, and JSON with a lone surrogate is rejected by jsonb.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isStorableText = (s: string): boolean => !LONE_SURROGATE.test(s) && !s.includes("\u0000");

const storable = (min: number, max: number) =>
  z
    .string()
    .refine(isStorableText, "must be well-formed Unicode without NUL")
    .refine((s) => {
      const codePoints = [...s].length;
      return codePoints >= min && codePoints <= max;
    }, `must be ${min}..${max} characters`);

const StorableUserMessageSchema = UserMessageSchema.extend({
  name: storable(USER_LIMITS.nameMinCodePoints, USER_LIMITS.nameMaxCodePoints),
  email: storable(USER_LIMITS.emailMinLength, USER_LIMITS.emailMaxLength).refine(
    (s) => s.includes("@"),
    "must be an email address",
  ),
});

export interface IncomingUserMessage {
  /** The SNS message id (or the SQS one under raw delivery): same id, same message. */
  readonly messageId: string;
  /** The SNS publish time: it orders updates to one user. */
  readonly publishedAt: Date;
  /** The message text as published: `{"name","email"}` JSON. */
  readonly body: string;
}

/** Validates one message into a write, or throws MalformedMessageError saying which field is wrong. */
export function toUserWrite(message: IncomingUserMessage): UserWrite {
  const change = toUserChange(message);
  if (!("email" in change)) throw new MalformedMessageError("message is a deletion, not a user");
  return change;
}

const parseBody = (message: IncomingUserMessage): unknown => {
  try {
    return JSON.parse(message.body);
  } catch (err) {
    throw new MalformedMessageError("message is not JSON", { cause: err });
  }
};

/**
 * Validates one message into what the subscriber applies: a write (POST /users) or a deletion (DELETE
 * /users/{id}, a body with `"delete": true`), or throws MalformedMessageError saying which field is wrong.
 */
export function toUserChange(message: IncomingUserMessage): UserWrite | UserDeletion {
  const payload = parseBody(message);
  if (typeof payload === "object" && payload !== null && "delete" in payload) {
    const deletion = UserDeletionMessageSchema.safeParse(payload);
    if (!deletion.success)
      throw new MalformedMessageError(
        `message is not a deletion: ${deletion.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      );
    checkEnvelope(message);
    if (!isRealInstant(deletion.data.acceptedAt))
      throw new MalformedMessageError("acceptedAt is not a real time in years 0001..9999");
    return {
      messageId: message.messageId,
      publishedAt: message.publishedAt,
      acceptedAt: deletion.data.acceptedAt,
      id: deletion.data.id.toLowerCase(),
    };
  }
  const parsed = StorableUserMessageSchema.safeParse(payload);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`,
    );
    throw new MalformedMessageError(`message is not a user: ${reasons.join("; ")}`);
  }
  checkEnvelope(message);
  const { acceptedAt, id } = parsed.data;
  // Same bound as the publish time: the key is stored as a timestamptz in the same one-statement batch.
  if (acceptedAt !== undefined && !isRealInstant(acceptedAt))
    throw new MalformedMessageError("acceptedAt is not a real time in years 0001..9999");
  return {
    messageId: message.messageId,
    publishedAt: message.publishedAt,
    ...(acceptedAt === undefined ? {} : { acceptedAt }),
    name: parsed.data.name,
    email: parsed.data.email,
    ...(id === undefined ? {} : { id: id.toLowerCase() }),
  };
}

/** The message id and publish time are stored too (last_message_id, last_published_at): same rules. */
function checkEnvelope(message: IncomingUserMessage): void {
  if (message.messageId.length === 0 || !isStorableText(message.messageId))
    throw new MalformedMessageError("message id is empty or not storable text");
  if (Number.isNaN(message.publishedAt.getTime()))
    throw new MalformedMessageError("publish time is not a date");
  // The batch is one statement: a time PostgreSQL cannot store (year 0000, or past 9999 where toISOString
  // writes a six-digit year) would fail every message in it, not just this one.
  const year = message.publishedAt.getUTCFullYear();
  if (year < 1 || year > 9999) throw new MalformedMessageError("publish time is outside years 0001..9999");
}
