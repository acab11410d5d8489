import {
  BATCH_MAX_LISTED_ERRORS,
  type BatchFormat,
  type BatchRecord,
  type BatchRowError,
  type BatchStatus,
  type BatchStore,
  type BatchSweeper,
  batchKeys,
  batchQuotaMessage,
  batchSweepFailure,
  type ObjectExists,
} from "@sml/contracts/batches";
import { QuotaExceededError } from "@sml/contracts/errors";
import { UUID_PATTERN } from "@sml/contracts/formats";
import type { SqlExecutor } from "./executor";
import { decodeCursor, jsonTimestampToIsoMicros, keysetPage } from "./user-repository";

/**
 * A batch with its totals summed over its ranges and the first listed errors of all its ranges (each range keeps
 * at most BATCH_MAX_LISTED_ERRORS, so the first that many of the batch are among them), in one statement.
 */
const BATCH_COLUMNS = `CAST(b.id AS text) AS id, b.format, b.status, b.model_name, b.model_version, b.failure,
  b.range_count, b.input_etag, b.input_version_id, b.owner,
  CAST(to_json(b.created_at AT TIME ZONE 'UTC') AS text) AS created_json,
  CAST(to_json(b.updated_at AT TIME ZONE 'UTC') AS text) AS updated_json,
  CAST(COALESCE((SELECT sum(r.rows_read) FROM batch_ranges r WHERE r.batch_id = b.id), 0) AS integer) AS rows_read,
  CAST(COALESCE((SELECT sum(r.rows_scored) FROM batch_ranges r WHERE r.batch_id = b.id), 0) AS integer) AS rows_scored,
  CAST(COALESCE((SELECT sum(r.rows_rejected) FROM batch_ranges r WHERE r.batch_id = b.id), 0) AS integer) AS rows_rejected,
  CAST(COALESCE((SELECT json_agg(e ORDER BY CAST(e->>'line' AS bigint)) FROM (
    SELECT e FROM batch_ranges r, jsonb_array_elements(r.errors) AS e
    WHERE r.batch_id = b.id ORDER BY CAST(e->>'line' AS bigint) LIMIT ${BATCH_MAX_LISTED_ERRORS}) AS first), '[]') AS text) AS errors_json`;
const BATCH_SELECT = `SELECT ${BATCH_COLUMNS} FROM batches b WHERE b.id = CAST($1 AS uuid)`;

interface BatchRow {
  [column: string]: string | number | null;
  id: string;
  format: string;
  status: string;
  model_name: string;
  model_version: string;
  failure: string | null;
  range_count: number | null;
  input_etag: string | null;
  input_version_id: string | null;
  owner: string;
  created_json: string;
  updated_json: string;
  rows_read: number;
  rows_scored: number;
  rows_rejected: number;
  errors_json: string;
}

const toIsoMillis = (json: string): string => `${jsonTimestampToIsoMicros(json).slice(0, 23)}Z`;

function toBatch(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    format: row.format as BatchFormat,
    status: row.status as BatchStatus,
    model: { name: row.model_name, version: row.model_version },
    owner: row.owner,
    rows: {
      read: Number(row.rows_read),
      scored: Number(row.rows_scored),
      rejected: Number(row.rows_rejected),
    },
    errors: JSON.parse(row.errors_json) as BatchRowError[],
    ...(row.failure === null ? {} : { failure: row.failure }),
    ...(row.range_count === null ? {} : { ranges: Number(row.range_count) }),
    ...(row.input_etag === null
      ? {}
      : {
          input: {
            eTag: row.input_etag,
            ...(row.input_version_id === null ? {} : { versionId: row.input_version_id }),
          },
        }),
    createdAt: toIsoMillis(row.created_json),
    updatedAt: toIsoMillis(row.updated_json),
  };
}

/** The BatchStore over any SqlExecutor (pg, RDS Data API, PGlite), like the users repository. */
export function createSqlBatchStore(db: SqlExecutor): BatchStore {
  const get = async (id: string): Promise<BatchRecord | undefined> => {
    if (!UUID_PATTERN.test(id)) return undefined;
    const rows = await db.query<BatchRow>(BATCH_SELECT, [id]);
    return rows[0] ? toBatch(rows[0]) : undefined;
  };
  return {
    async create({ id, format, model, owner, bytes }, limits) {
      // The count and the insert are one statement; two concurrent creations by one owner can still both pass
      // (read committed), so the limits hold within the batches function's concurrency (docs/batches.md).
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO batches (id, format, status, model_name, model_version, owner, bytes)
         SELECT CAST($1 AS uuid), $2, 'pending', $3, $4, $5, CAST($6 AS bigint)
         ${
           limits === undefined
             ? ""
             : `WHERE (SELECT count(*) < CAST($7 AS integer)
                        AND COALESCE(sum(o.bytes), 0) + CAST($6 AS bigint) <= CAST($8 AS bigint)
                      FROM batches o WHERE o.owner = $5 AND o.status IN ('pending', 'running'))`
         }
         RETURNING CAST(id AS text) AS id`,
        [
          id,
          format,
          model.name,
          model.version,
          owner,
          bytes,
          ...(limits === undefined ? [] : [limits.maxOpenBatches, limits.maxOpenBytes]),
        ],
      );
      if (inserted.length === 0 && limits !== undefined)
        throw new QuotaExceededError(batchQuotaMessage(await this.openBatches(owner), bytes, limits));
      const created = await get(id);
      if (!created) throw new Error(`batch ${id} vanished right after its insert`);
      return created;
    },

    get,

    async openBatches(owner) {
      const rows = await db.query<{ batches: number; bytes: number }>(
        `SELECT CAST(count(*) AS integer) AS batches, CAST(COALESCE(sum(bytes), 0) AS double precision) AS bytes
         FROM batches WHERE owner = $1 AND status IN ('pending', 'running')`,
        [owner],
      );
      return { batches: Number(rows[0]?.batches ?? 0), bytes: Number(rows[0]?.bytes ?? 0) };
    },

    async list({ owner, limit, cursor }) {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      // Newest first; one row more than asked tells whether a next page exists. The conditions are written so
      // that each page is one index range scan (batches_owner_created_idx, batches_created_idx).
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (owner !== undefined) {
        params.push(owner);
        where.push(`b.owner = $${params.length}`);
      }
      if (after) {
        params.push(after.createdAt, after.id);
        where.push(
          `(b.created_at, b.id) < (CAST($${params.length - 1} AS timestamptz), CAST($${params.length} AS uuid))`,
        );
      }
      params.push(limit + 1);
      const rows = await db.query<BatchRow>(
        `SELECT ${BATCH_COLUMNS}
         FROM batches b ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY b.created_at DESC, b.id DESC LIMIT $${params.length}`,
        params,
      );
      return keysetPage(rows, limit, toBatch);
    },

    async start(id, ranges, input) {
      // One statement: the ranges are inserted only if this call moved the batch from pending to running, so a
      // redelivered upload notification plans nothing twice.
      const rows = await db.query(
        `WITH started AS (
           UPDATE batches SET status = 'running', range_count = $2, input_etag = $4, input_version_id = $5,
             updated_at = now()
           WHERE id = CAST($1 AS uuid) AND status = 'pending' RETURNING id
         ), planned AS (
           INSERT INTO batch_ranges (batch_id, range_index, start_byte, end_byte, first_line)
           SELECT started.id, r.i, r.s, r.e, r.l FROM started,
             jsonb_to_recordset(CAST($3 AS jsonb)) AS r(i integer, s bigint, e bigint, l bigint)
           RETURNING 1
         )
         SELECT CAST(count(*) AS integer) AS started FROM started`,
        [
          id,
          ranges.length,
          JSON.stringify(ranges.map((r) => ({ i: r.index, s: r.start, e: r.end, l: r.firstLine }))),
          input.eTag,
          input.versionId ?? null,
        ],
      );
      return Number(rows[0]?.started ?? 0) === 1;
    },

    async ranges(id) {
      const rows = await db.query<{
        range_index: number;
        start_byte: string;
        end_byte: string;
        first_line: string;
      }>(
        `SELECT range_index, CAST(start_byte AS text) AS start_byte, CAST(end_byte AS text) AS end_byte,
           CAST(first_line AS text) AS first_line
         FROM batch_ranges WHERE batch_id = CAST($1 AS uuid) ORDER BY range_index`,
        [id],
      );
      return rows.map((r) => ({
        index: Number(r.range_index),
        start: Number(r.start_byte),
        end: Number(r.end_byte),
        firstLine: Number(r.first_line),
      }));
    },

    async completeRange(id, index, outcome) {
      // The batch row's lock serialises the ranges that finish together: each counts the open ranges after the
      // others committed (READ COMMITTED takes a new snapshot per statement), so exactly one sees none left.
      // Under the same lock, only a running batch's ranges record anything: a batch that failed (its input
      // changed, a range's file was refused, the sweeper) keeps the counts it failed with.
      return db.transaction(async (tx) => {
        const locked = await tx.query<{ status: string }>(
          "SELECT status FROM batches WHERE id = CAST($1 AS uuid) FOR UPDATE",
          [id],
        );
        const running = locked[0]?.status === "running";
        if (running) {
          await tx.query(
            `UPDATE batch_ranges SET done = true, rows_read = $3, rows_scored = $4, rows_rejected = $5,
               errors = CAST($6 AS jsonb)
             WHERE batch_id = CAST($1 AS uuid) AND range_index = $2
               AND EXISTS (SELECT 1 FROM batches WHERE id = CAST($1 AS uuid) AND status = 'running')`,
            [
              id,
              index,
              outcome.read,
              outcome.scored,
              outcome.rejected,
              JSON.stringify(outcome.errors.slice(0, BATCH_MAX_LISTED_ERRORS)),
            ],
          );
          await tx.query("UPDATE batches SET updated_at = now() WHERE id = CAST($1 AS uuid)", [id]);
        }
        const rows = await tx.query<{ open: number }>(
          `SELECT CAST(count(*) AS integer) AS open FROM batch_ranges
           WHERE batch_id = CAST($1 AS uuid) AND NOT done`,
          [id],
        );
        return { open: Number(rows[0]?.open ?? 0), running };
      });
    },

    async succeed(id) {
      await db.query(
        `UPDATE batches SET status = 'succeeded', updated_at = now()
         WHERE id = CAST($1 AS uuid) AND status = 'running'`,
        [id],
      );
    },

    async fail(id, message) {
      await db.query(
        `UPDATE batches SET status = 'failed', failure = $2, updated_at = now()
         WHERE id = CAST($1 AS uuid) AND status IN ('pending', 'running')`,
        [id, message],
      );
    },
  };
}

/**
 * The sweeper over any SqlExecutor and the batch bucket. Running batches: one statement fails those idle past
 * their bound. Pending batches past their bound: each one's input key is looked up first, and only a batch with
 * no input object is failed; an uploaded one is waiting for its notification behind a queue backlog (the queue
 * is shared by every user), which is not the uploader's fault. Ages are by the database's clock. A batch that
 * moves on meanwhile is not touched: each UPDATE re-checks status and age under its row lock, and
 * succeed()/fail() only move a batch that is still pending or running, so a swept batch stays failed.
 */
export function createSqlBatchSweeper(
  db: SqlExecutor,
  options: { readonly inputExists: ObjectExists; readonly lookups?: number },
): BatchSweeper {
  const lookups = options.lookups ?? 8;
  return {
    async sweep(bounds) {
      const candidates = await db.query<{ id: string; format: string }>(
        `SELECT CAST(id AS text) AS id, format FROM batches
         WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1)
         ORDER BY created_at`,
        [bounds.pendingSeconds],
      );
      const pending: string[] = [];
      const uploaded: string[] = [];
      // A few lookups at a time: S3 answers each in milliseconds, and a backlog can leave many batches here.
      for (let i = 0; i < candidates.length; i += lookups) {
        const slice = candidates.slice(i, i + lookups);
        const exists = await Promise.all(
          slice.map((c) => options.inputExists(batchKeys.input(c.id, c.format as BatchFormat))),
        );
        for (const [j, c] of slice.entries()) {
          if (exists[j]) {
            uploaded.push(c.id);
            continue;
          }
          const failed = await db.query<{ id: string }>(
            `UPDATE batches SET status = 'failed', failure = $3, updated_at = now()
             WHERE id = CAST($1 AS uuid) AND status = 'pending' AND created_at < now() - make_interval(secs => $2)
             RETURNING CAST(id AS text) AS id`,
            [c.id, bounds.pendingSeconds, batchSweepFailure.pending(bounds)],
          );
          if (failed.length > 0) pending.push(c.id);
        }
      }
      const running = await db.query<{ id: string }>(
        `UPDATE batches SET status = 'failed', failure = $2, updated_at = now()
         WHERE status = 'running' AND updated_at < now() - make_interval(secs => $1)
         RETURNING CAST(id AS text) AS id`,
        [bounds.runningIdleSeconds, batchSweepFailure.running(bounds)],
      );
      return { pending: pending.sort(), running: running.map((r) => r.id).sort(), uploaded: uploaded.sort() };
    },
  };
}
