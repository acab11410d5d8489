/**
 * GET /users?limit=100 through the API handler (routing, query validation, the pg repository, JSON body) against
 * the raw keyset query on the same PostgreSQL database with one pg connection, in the same run.
 * Target: the handler serves >= 0.7x the raw query's rate.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createHandler } from "@sml/app-api/src/adapters/http-handler";
import type { UserWrite } from "@sml/contracts/users";
import { createDatabase, runMigrations } from "@sml/database";
import { createScratchDatabase } from "@sml/database/testing";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { Client } from "pg";
import { type BenchRow, percentile, reportBench, round } from "./report";
import { BENCH_TARGETS } from "./targets";

const USERS = 1000;
const PAGE = 100;
const ROUNDS = 15;
const PER_ROUND = 100;
const TARGET = BENCH_TARGETS.usersApiVsRawQuery;

// Log lines and EMF on stdout would measure the terminal, not the handler.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";

const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
  version: "2.0",
  routeKey: "GET /users",
  rawPath: "/users",
  rawQueryString: `limit=${PAGE}`,
  queryStringParameters: { limit: String(PAGE) },
  headers: { host: "bench" },
  isBase64Encoded: false,
  requestContext: {
    accountId: "123456789012",
    apiId: "bench",
    domainName: "bench",
    domainPrefix: "bench",
    http: { method: "GET", path: "/users", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
    requestId: "bench",
    // The users directory is the admins group's: the JWT authorizer's claims of an admin (groups as `[a b]`).
    authorizer: {
      principalId: "",
      integrationLatency: 0,
      jwt: { claims: { sub: "bench", "cognito:groups": "[admins]" }, scopes: [] },
    },
    routeKey: "GET /users",
    stage: "$default",
    time: "",
    timeEpoch: 0,
  },
};

/**
 * Runs `a` and `b` alternately, one call each per step, so bursts of load from other processes on the machine
 * hit both sides alike; returns each side's rate (calls per second) over the round.
 */
async function alternate(
  count: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<{ a: number; b: number }> {
  let aMs = 0;
  let bMs = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await a();
    const t1 = performance.now();
    await b();
    bMs += performance.now() - t1;
    aMs += t1 - t0;
  }
  return { a: (count / aMs) * 1000, b: (count / bMs) * 1000 };
}

const EXPLAIN_RUNS = 50;

/**
 * The repository reads timestamps as to_json() text and finishes them in JS instead of formatting them with
 * to_char() in SQL: this times the first page both ways inside PostgreSQL (EXPLAIN ANALYZE), alternated.
 */
async function timestampFormatting(raw: Client): Promise<{ toJson: number; toChar: number }> {
  const page = (column: (c: string) => string) =>
    `EXPLAIN (ANALYZE, FORMAT JSON) SELECT CAST(id AS text) AS id, name, email, ${column("created_at")}, ` +
    `${column("updated_at")} FROM users ORDER BY created_at, id LIMIT ${PAGE + 1}`;
  const toJsonSql = page((c) => `CAST(to_json(${c} AT TIME ZONE 'UTC') AS text) AS ${c}`);
  const toCharSql = page((c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${c}`);
  const executionMs = async (sql: string) => {
    const { rows } = await raw.query<{ "QUERY PLAN": { "Execution Time": number }[] }>(sql);
    return rows[0]["QUERY PLAN"][0]["Execution Time"];
  };
  const toJson: number[] = [];
  const toChar: number[] = [];
  for (let i = 0; i < EXPLAIN_RUNS + 5; i++) {
    const j = await executionMs(toJsonSql);
    const c = await executionMs(toCharSql);
    if (i < 5) continue; // warm-up
    toJson.push(j);
    toChar.push(c);
  }
  return { toJson: percentile(toJson, 50), toChar: percentile(toChar, 50) };
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase("bench_api");
  const database = createDatabase({ driver: "pg", databaseUrl: scratch.url });
  const raw = new Client({ connectionString: scratch.url });
  try {
    await runMigrations(database.sql);
    const base = Date.UTC(2026, 0, 1);
    const writes: UserWrite[] = Array.from({ length: USERS }, (_, i) => ({
      messageId: randomUUID(),
      publishedAt: new Date(base + i),
      name: `Bench User ${i}`,
      email: `bench${i}@example.com`,
    }));
    await database.users.upsert(writes);
    await database.sql.query("ANALYZE users");
    await raw.connect();

    const handler = createHandler({
      repository: database.users,
      publisher: { publish: () => Promise.reject(new Error("GET never publishes")) },
    });
    const viaHandler = async () => {
      const res = await handler(event);
      if (res.statusCode !== 200) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
    };
    // The baseline a hand-written endpoint would run: the first keyset page, rows as node-postgres returns them.
    const viaRawQuery = async () => {
      const { rows } = await raw.query(
        "SELECT id, name, email, created_at, updated_at FROM users ORDER BY created_at, id LIMIT $1",
        [PAGE + 1],
      );
      if (rows.length !== PAGE + 1) throw new Error(`raw query returned ${rows.length} rows`);
    };

    await alternate(50, viaHandler, viaRawQuery);
    const handlerRates: number[] = [];
    const rawRates: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const { a, b } = await alternate(PER_ROUND, viaHandler, viaRawQuery);
      handlerRates.push(a);
      rawRates.push(b);
      ratios.push(a / b);
    }
    const h = round(percentile(handlerRates, 50), 0);
    const q = round(percentile(rawRates, 50), 0);
    // The median of the per-round ratios: each round's two rates were measured under the same load.
    const ratio = round(percentile(ratios, 50), 2);
    const timestamps = await timestampFormatting(raw);
    const rows: BenchRow[] = [
      {
        name: `GET /users?limit=${PAGE} via handler (median of ${ROUNDS} rounds x ${PER_ROUND}, alternating)`,
        value: h,
        unit: "req/s",
        baseline: { name: "raw pg keyset query", value: q },
        ratio,
        target: `>= ${TARGET}x raw`,
        met: ratio >= TARGET,
      },
      {
        name: `users page, timestamps as to_json vs to_char (PostgreSQL execution time, ${PAGE + 1} rows, median of ${EXPLAIN_RUNS})`,
        value: round(timestamps.toJson, 3),
        unit: "ms",
        baseline: { name: "to_char per row", value: round(timestamps.toChar, 3) },
        ratio: round(timestamps.toJson / timestamps.toChar),
        target: "to_json < to_char (why the repository formats timestamps in JS)",
        met: timestamps.toJson < timestamps.toChar,
      },
    ];
    reportBench("api", rows);
  } finally {
    await raw.end().catch(() => undefined);
    await database.close();
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
