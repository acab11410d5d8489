/**
 * What the API accepts, as zod schemas. The rules (also in app-api/README.md):
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
import { USER_LIMITS } from "@sml/contracts/users";
import * as z from "zod";

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
export const NewUserSchema = z.strictObject({ name: nameSchema, email: emailSchema });
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
  limit: limitSchema.default(LIST_LIMIT_DEFAULT),
  cursor: z
    .string()
    .min(1, "must not be empty")
    .max(CURSOR_MAX_LENGTH, `must be at most ${CURSOR_MAX_LENGTH} characters`)
    .optional(),
});
export type ListUsersQuery = z.output<typeof ListUsersQuerySchema>;
