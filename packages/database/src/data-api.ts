import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from "@aws-sdk/client-rds-data";
import type { ClosableSqlExecutor, SqlExecutor, SqlParam, SqlRow } from "./executor";

export interface DataApiConnection {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

export interface DataApiDeps {
  /** Injectable so tests point it at data-api-local; the default picks up region and AWS_ENDPOINT_URL. */
  readonly client?: RDSDataClient;
  /** Wait between retries while a paused cluster resumes (tests shorten it). */
  readonly resumeDelayMs?: number;
  /**
   * Keep retrying a resuming cluster for this long (ms) instead of RESUME_RETRIES times: the migration function
   * sets it (DB_CONNECT_DEADLINE_MS), since a cluster paused for more than a day takes about 30 s to resume.
   */
  readonly resumeDeadlineMs?: number;
}

/**
 * Aurora Serverless v2 paused at 0 ACU answers DatabaseResumingException while it wakes: about 15 s, about 30 s
 * after more than a day paused (Aurora user guide, "Scaling to zero ACUs with automatic pause and resume").
 */
const RESUME_RETRIES = 6;
const RESUME_DELAY_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toParameter(value: SqlParam, index: number): SqlParameter {
  const name = `p${index + 1}`;
  if (value === null) return { name, value: { isNull: true } };
  if (typeof value === "string") return { name, value: { stringValue: value } };
  if (typeof value === "boolean") return { name, value: { booleanValue: value } };
  return Number.isInteger(value)
    ? { name, value: { longValue: value } }
    : { name, value: { doubleValue: value } };
}

function fromField(field: Field): string | number | boolean | null {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  throw new Error("The Data API returned a column type the statements never select (blob or array)");
}

/**
 * A SqlExecutor over the RDS Data API. Positional `$n` become named `:pn` (the Data API only knows named
 * parameters); the statements never contain `$` otherwise.
 */
export function createDataApiExecutor(
  connection: DataApiConnection,
  deps: DataApiDeps = {},
): ClosableSqlExecutor {
  const client = deps.client ?? new RDSDataClient({});
  const target = {
    resourceArn: connection.resourceArn,
    secretArn: connection.secretArn,
    database: connection.database,
  };

  async function send<T>(command: () => Promise<T>): Promise<T> {
    const delayMs = deps.resumeDelayMs ?? RESUME_DELAY_MS;
    const started = Date.now();
    const mayRetry = (attempt: number) =>
      deps.resumeDeadlineMs === undefined
        ? attempt < RESUME_RETRIES
        : Date.now() - started + delayMs <= deps.resumeDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await command();
      } catch (err) {
        if ((err as Error).name !== "DatabaseResumingException" || !mayRetry(attempt)) throw err;
        await sleep(delayMs);
      }
    }
  }

  const run =
    (transactionId?: string) =>
    async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> => {
      const out = await send(() =>
        client.send(
          new ExecuteStatementCommand({
            ...target,
            sql: sql.replace(/\$(\d+)/g, ":p$1"),
            parameters: params.map(toParameter),
            includeResultMetadata: true,
            ...(transactionId ? { transactionId } : {}),
          }),
        ),
      );
      const names = (out.columnMetadata ?? []).map((c) => c.label ?? c.name ?? "");
      return (out.records ?? []).map((record) => {
        const row: SqlRow = {};
        record.forEach((field, i) => {
          row[names[i] ?? `column${i}`] = fromField(field);
        });
        return row as R;
      });
    };

  return {
    query: run(),
    async transaction(work) {
      const { transactionId } = await send(() => client.send(new BeginTransactionCommand(target)));
      if (!transactionId) throw new Error("The Data API began a transaction without returning its id");
      const tx: SqlExecutor = { query: run(transactionId), transaction: (inner) => inner(tx) };
      try {
        const result = await work(tx);
        await client.send(new CommitTransactionCommand({ ...target, transactionId }));
        return result;
      } catch (err) {
        await client
          .send(new RollbackTransactionCommand({ ...target, transactionId }))
          .catch(() => undefined);
        throw err;
      }
    },
    async close() {
      if (!deps.client) client.destroy();
    },
  };
}
