import { InvalidCursorError } from "@sml/contracts/errors";
import { isRealInstant, UUID_PATTERN } from "@sml/contracts/formats";
import {
  orderingKeyOf,
  type User,
  type UserDeletion,
  type UserPage,
  type UserRepository,
  type UserWrite,
} from "@sml/contracts/users";
import type { SqlExecutor } from "./executor";

/** The cursor's timestamp keeps microseconds: PostgreSQL stores them and the keyset must compare exactly. */
const CURSOR_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// Timestamps leave the database as text so pg (Date), the Data API (string) and PGlite (Date) agree. They leave
// as to_json() of the UTC timestamp, which is ISO 8601 whatever the session's DateStyle, and are finished here
// with string operations: to_char() on every row costs PostgreSQL more than to_json() (the api bench's
// "users page, timestamps as to_json vs to_char" row measures the two).
const USER_COLUMNS = `CAST(id AS text) AS id, name, email,
  CAST(to_json(created_at AT TIME ZONE 'UTC') AS text) AS created_json,
  CAST(to_json(updated_at AT TIME ZONE 'UTC') AS text) AS updated_json`;

interface UserRow {
  [column: string]: string;
  id: string;
  name: string;
  email: string;
  created_json: string;
  updated_json: string;
}

const JSON_TIMESTAMP = /^"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?"$/;

/**
 * `"2026-11-23T01:08:54.47997"` (PostgreSQL's JSON for a timestamp: ISO 8601, trailing fractional zeros
 * dropped) -> `2026-11-23T01:08:54.479970Z`.
 */
export function jsonTimestampToIsoMicros(json: string): string {
  const match = JSON_TIMESTAMP.exec(json);
  if (!match) throw new Error(`Unexpected timestamp from the database: ${json.slice(0, 40)}`);
  return `${match[1]}.${(match[2] ?? "").padEnd(6, "0")}Z`;
}

/** The API shows milliseconds, truncated as to_char's MS did. */
const toIsoMillis = (isoMicros: string): string => `${isoMicros.slice(0, 23)}Z`;

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  createdAt: toIsoMillis(jsonTimestampToIsoMicros(row.created_json)),
  updatedAt: toIsoMillis(jsonTimestampToIsoMicros(row.updated_json)),
});

/**
 * The batch upsert, one statement whatever the batch size. The batch travels as one JSON parameter: the Data
 * API has no array parameters, and a single parameter keeps the statement text identical for every batch.
 * DISTINCT ON keeps the newest message per case-folded email; the WHERE on the update applies a message only
 * when it is newer (ordering key, then message id) than the one that last changed the row, so redeliveries
 * and late arrivals change nothing. `published_at`/`last_published_at` hold the ordering key (orderingKeyOf:
 * the API's microsecond acceptance time), which timestamptz stores to the microsecond. The ORDER BY also makes every batch insert (and so lock) rows in
 * lower(email) order, so two concurrent batches that share emails cannot deadlock.
 */
export const UPSERT_USERS_SQL = `WITH batch AS (
  SELECT DISTINCT ON (lower(b.email)) b.message_id, b.published_at, b.name, b.email, b.id
  FROM jsonb_to_recordset(CAST($1 AS jsonb))
    AS b(message_id text, published_at timestamptz, name text, email text, id uuid)
  ORDER BY lower(b.email), b.published_at DESC, b.message_id DESC
)
INSERT INTO users AS u (id, name, email, last_published_at, last_message_id)
SELECT COALESCE(id, gen_random_uuid()), name, email, published_at, message_id FROM batch
ON CONFLICT ((lower(email))) DO UPDATE
SET name = excluded.name,
    email = excluded.email,
    updated_at = now(),
    deleted_at = NULL,
    last_published_at = excluded.last_published_at,
    last_message_id = excluded.last_message_id
WHERE (u.last_published_at, u.last_message_id) < (excluded.last_published_at, excluded.last_message_id)`;

/**
 * The batch deletion, one statement: a tombstone per id (the newest deletion per id in the batch), applied only
 * when it is newer than the write that last changed the row, exactly as the upsert's WHERE decides. The rows
 * are locked in id order (the ORDER BY of the locking subquery), so concurrent batches cannot deadlock.
 */
export const REMOVE_USERS_SQL = `WITH batch AS (
  SELECT DISTINCT ON (b.id) b.id, b.message_id, b.published_at
  FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS b(id uuid, message_id text, published_at timestamptz)
  ORDER BY b.id, b.published_at DESC, b.message_id DESC
), target AS (
  SELECT u.id FROM users AS u JOIN batch ON batch.id = u.id ORDER BY u.id FOR UPDATE OF u
)
UPDATE users AS u
SET deleted_at = batch.published_at,
    updated_at = now(),
    last_published_at = batch.published_at,
    last_message_id = batch.message_id
FROM batch, target
WHERE u.id = batch.id AND target.id = u.id
  AND (u.last_published_at, u.last_message_id) < (batch.published_at, batch.message_id)`;

/** Serialises a batch of deletions into REMOVE_USERS_SQL's JSON parameter. */
export function removeUsersParam(deletions: readonly UserDeletion[]): string {
  return JSON.stringify(
    deletions.map((d) => ({ id: d.id, message_id: d.messageId, published_at: orderingKeyOf(d) })),
  );
}

/** Serialises a batch into the statement's JSON parameter. */
export function upsertUsersParam(writes: readonly UserWrite[]): string {
  return JSON.stringify(
    writes.map((w) => ({
      message_id: w.messageId,
      published_at: orderingKeyOf(w),
      name: w.name,
      email: w.email,
      id: w.id ?? null,
    })),
  );
}

interface CursorPosition {
  readonly createdAt: string;
  readonly id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), "utf8").toString("base64url");
}

/** Decodes a cursor this repository issued; anything else is a client error naming `cursor`. */
/**
 * One keyset page from `limit + 1` rows read in cursor order: the first `limit` as items, and a cursor after the
 * last of them when the extra row shows there is more (users and batches page alike).
 */
export function keysetPage<Row extends { readonly created_json: string; readonly id: string }, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ createdAt: jsonTimestampToIsoMicros(last.created_json), id: last.id })
        : null,
  };
}

export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () =>
    new InvalidCursorError("Invalid query parameter: cursor: not a cursor returned by this API", {
      details: [{ field: "cursor", message: "not a cursor returned by this API" }],
    });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== "string" ||
    typeof value[1] !== "string" ||
    !CURSOR_TIME_PATTERN.test(value[0]) ||
    !isRealInstant(value[0]) ||
    !UUID_PATTERN.test(value[1])
  ) {
    throw invalid();
  }
  return { createdAt: value[0], id: value[1] };
}

/** The UserRepository over any SqlExecutor: the pg, Data API and PGlite adapters differ only in the executor. */
export function createSqlUserRepository(db: SqlExecutor): UserRepository {
  return {
    async list({ limit, cursor }): Promise<UserPage> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer`);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      // One row more than asked tells whether a next page exists without a COUNT. ORDER BY names the table's
      // columns (users.id): a bare `id` would sort by the text output alias, which no index serves, so every
      // page would scan and sort the whole table.
      const rows = after
        ? await db.query<UserRow>(
            `SELECT ${USER_COLUMNS} FROM users
             WHERE deleted_at IS NULL AND (created_at, id) > (CAST($1 AS timestamptz), CAST($2 AS uuid))
             ORDER BY users.created_at, users.id LIMIT $3`,
            [after.createdAt, after.id, limit + 1],
          )
        : await db.query<UserRow>(
            `SELECT ${USER_COLUMNS} FROM users WHERE deleted_at IS NULL ORDER BY users.created_at, users.id LIMIT $1`,
            [limit + 1],
          );
      return keysetPage(rows, limit, toUser);
    },

    async get(id) {
      // A malformed id cannot name a user; asking PostgreSQL would only turn it into a cast error.
      if (!UUID_PATTERN.test(id)) return undefined;
      const rows = await db.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE id = CAST($1 AS uuid) AND deleted_at IS NULL`,
        [id],
      );
      return rows[0] ? toUser(rows[0]) : undefined;
    },

    async upsert(writes) {
      if (writes.length === 0) return;
      await db.query(UPSERT_USERS_SQL, [upsertUsersParam(writes)]);
    },

    async remove(deletions) {
      if (deletions.length === 0) return;
      await db.query(REMOVE_USERS_SQL, [removeUsersParam(deletions)]);
    },

    async ping() {
      await db.query("SELECT 1 AS ok");
    },
  };
}
