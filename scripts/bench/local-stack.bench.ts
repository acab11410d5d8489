/**
 * The local stack (`npm start`): how long until the first successful GET /health, with PGlite (the first start on a
 * checkout, a new and a reopened data folder) and with DATABASE_URL; then autocannon, 50 connections for 10 s, on
 * GET /users?limit=20 and POST /users, against the same handlers called in-process in this run (the cost of
 * the HTTP layer), and the time until every accepted POST is a row; the same HTTP load on PGlite, the default;
 * and POST /users with the durable queue (the default, SQLite synchronous=NORMAL) against the queue in memory
 * (before issue 16 finding 8) and against an fsync per commit (LOCAL_QUEUE_STORAGE, see messaging.ts).
 * Target: zero errors.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createScratchDatabase, freePort } from "@sml/database/testing";
import { toApiGatewayEvent } from "@sml/local-stack/src/api-gateway";
import { functionEnvironment } from "@sml/local-stack/src/functions";
import { lambdaContext } from "@sml/local-stack/src/lambda-context";
import type { StackDescription } from "@sml/local-stack/src/stack";
import { localToken } from "@sml/local-stack/src/token";
import autocannon from "autocannon";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { Client } from "pg";

import { type BenchRow, percentile, reportBench, round } from "./report";
import { BENCH_TARGETS } from "./targets";

const repoRoot = resolve(__dirname, "../..");
const CONNECTIONS = 50;
const DURATION_SECONDS = 10;
const SEED_USERS = 200;
// The same log level for the stack process and the in-process handlers: one JSON line per request would
// otherwise measure the pipe, not the API.
const LOG_LEVEL = "WARN";

interface Running {
  readonly stack: StackDescription;
  readonly msToHealthy: number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startStack(env: Record<string, string>, localDir: string): Promise<Running> {
  const port = await freePort();
  const { DATABASE_URL: _outer, ...inherited } = process.env;
  const started = performance.now();
  const child: ChildProcess = spawn("npm", ["start", "--silent"], {
    cwd: repoRoot,
    detached: true,
    env: { ...inherited, PORT: String(port), LOCAL_DIR: localDir, POWERTOOLS_LOG_LEVEL: LOG_LEVEL, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const pid = child.pid as number;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() - started > 120_000)
      throw new Error("the stack did not answer /health within 120 s");
    await sleep(20);
  }
  const msToHealthy = performance.now() - started;
  const stack = JSON.parse(readFileSync(join(localDir, "stack.json"), "utf8")) as StackDescription;
  // Every route but /health needs a token (npm run token): one per stack, by the stack's origin; an admin, since
  // the users routes are the admins group's.
  TOKENS.set(new URL(stack.apiUrl).origin, `Bearer ${localToken(localDir, "bench", ["admins"])}`);
  return {
    stack,
    msToHealthy,
    async stop() {
      if (alive()) process.kill(-pid, "SIGINT");
      for (let i = 0; i < 200 && alive(); i++) await sleep(50);
      if (alive()) process.kill(-pid, "SIGKILL");
    },
  };
}

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly accepted: number;
  /** Requests started (POST bodies generated); the load stops with some in flight. */
  readonly sent?: number;
}

/** The bearer token of each running stack, by its origin. */
const TOKENS = new Map<string, string>();
const authHeader = (url: string) => ({ authorization: TOKENS.get(new URL(url).origin) ?? "" });

async function httpLoad(url: string, method: "GET" | "POST", label: string): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    method,
    headers: { ...authHeader(url), "content-type": "application/json" },
    ...(method === "POST"
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                body: JSON.stringify({ name: `Bench ${n}`, email: `${label}-${n++}@example.com` }),
              }),
            },
          ],
        }
      : {}),
  });
  const ok = String(method === "POST" ? 202 : 200);
  const byStatus = Object.entries(result.statusCodeStats ?? {}) as [string, { count: number }][];
  const accepted = byStatus.find(([status]) => status === ok)?.[1].count ?? 0;
  const otherStatus = byStatus.filter(([status]) => status !== ok).reduce((sum, [, s]) => sum + s.count, 0);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    // autocannon counts timeouts among errors.
    errors: result.errors + otherStatus,
    accepted,
    sent: n,
  };
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode?: number }>;

/** The same load shape without HTTP: 50 concurrent callers invoking the handler for 10 s. */
async function inProcessLoad(
  handler: Handler,
  makeEvent: () => APIGatewayProxyEventV2,
  ok: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let accepted = 0;
  const until = performance.now() + DURATION_SECONDS * 1000;
  const context = lambdaContext({
    functionName: "bench",
    region: "us-east-1",
    timeoutSeconds: 30,
    memoryMB: 512,
  });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          const out = await handler(makeEvent(), context);
          if (out.statusCode === ok) accepted++;
          else errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return {
    rps: latencies.length / DURATION_SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    accepted,
  };
}

async function msUntilRows(sql: Client, pattern: string, expected: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const n = Number(
      (await sql.query("SELECT count(*) AS n FROM users WHERE email LIKE $1", [pattern])).rows[0].n,
    );
    if (n >= expected) return performance.now() - t0;
    if (performance.now() - t0 > 120_000) throw new Error(`only ${n} of ${expected} rows after 120 s`);
    await sleep(20);
  }
}

async function seed(apiUrl: string, sql: Client, label: string): Promise<void> {
  await Promise.all(
    Array.from({ length: SEED_USERS }, (_, i) =>
      fetch(`${apiUrl}/users`, {
        method: "POST",
        headers: { ...authHeader(apiUrl), "content-type": "application/json" },
        body: JSON.stringify({ name: `Seed ${i}`, email: `${label}-seed-${i}@example.com` }),
      }),
    ),
  );
  await msUntilRows(sql, `${label}-seed-%`, SEED_USERS);
}

/** HTTP-only load rows for one database (GET and POST, errors, time until accepted POSTs are rows). */
async function httpRows(apiUrl: string, sql: Client, database: string): Promise<BenchRow[]> {
  const label = database.toLowerCase();
  await seed(apiUrl, sql, label);
  const get = await httpLoad(`${apiUrl}/users?limit=20`, "GET", label);
  const post = await httpLoad(`${apiUrl}/users`, "POST", `${label}-load`);
  const drainMs = await msUntilRows(sql, `${label}-load-%`, post.accepted);
  const rows: BenchRow[] = [];
  for (const [route, r] of [
    ["GET /users?limit=20", get],
    ["POST /users", post],
  ] as const) {
    rows.push(
      {
        name: `${database}: ${route}: HTTP, ${CONNECTIONS} connections, ${DURATION_SECONDS} s`,
        value: round(r.rps, 0),
        unit: "req/s",
      },
      {
        name: `${database}: ${route}: HTTP p50 / p99`,
        value: round(r.p50, 1),
        unit: `ms / ${round(r.p99, 1)} ms`,
      },
      {
        name: `${database}: ${route}: errors (incl. non-2xx)`,
        value: r.errors,
        unit: "requests",
        target: "0",
        met: r.errors === 0,
      },
    );
  }
  rows.push({
    name: `${database}: POST /users: all ${post.accepted} accepted in the database, after the load`,
    value: round(drainMs, 0),
    unit: "ms",
  });
  return rows;
}

function event(method: string, url: string, body = ""): APIGatewayProxyEventV2 {
  const routeKey = method === "POST" ? "POST /users" : "GET /users";
  return toApiGatewayEvent({
    method,
    url,
    headers: { host: "127.0.0.1", "content-type": "application/json" },
    body: Buffer.from(body),
    sourceIp: "127.0.0.1",
    requestId: "bench",
    routeKey,
  });
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];

  // Startup: the first start on a checkout (it bundles the stack's sources and builds the PGlite template: an
  // empty cache folder and a forced rebuild stand in for a fresh clone), a new PGlite data folder, PGlite reopening
  // it, and the PostgreSQL server.
  const firstDir = mkdtempSync(join(tmpdir(), "sml-bench-first-"));
  const first = await startStack(
    { LOCAL_CACHE_DIR: join(firstDir, "cache"), LOCAL_STACK_REBUILD: "1" },
    join(firstDir, "local"),
  );
  await first.stop();
  rmSync(firstDir, { recursive: true, force: true });
  const pgliteDir = mkdtempSync(join(tmpdir(), "sml-bench-pglite-"));
  const fresh = await startStack({}, pgliteDir);
  await fresh.stop();
  const reopened = await startStack({}, pgliteDir);
  // The default `npm start` (PGlite): the same HTTP load, no in-process twin (it would need a second PGlite).
  const pglite = new Client({ connectionString: reopened.stack.databaseUrl });
  let pgliteRows: BenchRow[];
  try {
    await pglite.connect();
    pgliteRows = await httpRows(reopened.stack.apiUrl, pglite, "PGlite");
  } finally {
    await pglite.end().catch(() => undefined);
    await reopened.stop();
    rmSync(pgliteDir, { recursive: true, force: true });
  }

  const db = await createScratchDatabase("bench_local_stack");
  const pgDir = mkdtempSync(join(tmpdir(), "sml-bench-pg-"));
  const sql = new Client({ connectionString: db.url });
  try {
    const running = await startStack({ DATABASE_URL: db.url }, pgDir);
    rows.push(
      {
        name: "npm start -> first 200 /health, first start on a checkout (bundles the stack, builds the PGlite template)",
        value: round(first.msToHealthy, 0),
        unit: "ms",
      },
      {
        name: "npm start -> first 200 /health, PGlite (new data folder)",
        value: round(fresh.msToHealthy, 0),
        unit: "ms",
        target: `<= ${BENCH_TARGETS.startFreshMs} ms (idle 2-core machine)`,
        met: fresh.msToHealthy <= BENCH_TARGETS.startFreshMs,
      },
      {
        name: "npm start -> first 200 /health, PGlite (existing data folder)",
        value: round(reopened.msToHealthy, 0),
        unit: "ms",
        target: `<= ${BENCH_TARGETS.startExistingMs} ms (idle 2-core machine)`,
        met: reopened.msToHealthy <= BENCH_TARGETS.startExistingMs,
      },
      {
        name: "npm start -> first 200 /health, DATABASE_URL (PostgreSQL 15)",
        value: round(running.msToHealthy, 0),
        unit: "ms",
      },
    );
    await sql.connect();
    const { apiUrl } = running.stack;

    // Seed pages for GET through the stack itself.
    await seed(apiUrl, sql, "pg");

    // In-process: the same handler module, configured for the same database and topic as the stack.
    Object.assign(
      process.env,
      functionEnvironment(
        {
          repoRoot,
          region: running.stack.region,
          awsEndpoint: running.stack.awsEndpoint,
          s3Endpoint: running.stack.s3Endpoint,
          topicArn: running.stack.topicArn,
          databaseUrl: running.stack.databaseUrl,
          batchBucket: running.stack.batchBucket,
          batchQueueUrl: running.stack.batchQueueUrl,
        },
        process.env,
      ),
      { POWERTOOLS_LOG_LEVEL: LOG_LEVEL },
    );
    const { handler } = (await import("@sml/app-api/src/handlers/http")) as unknown as { handler: Handler };

    const getHttp = await httpLoad(`${apiUrl}/users?limit=20`, "GET", "get");
    const getDirect = await inProcessLoad(handler, () => event("GET", "/users?limit=20"), 200);

    const postHttp = await httpLoad(`${apiUrl}/users`, "POST", "http");
    const httpDrainMs = await msUntilRows(sql, "http-%", postHttp.accepted);
    let n = 0;
    const postDirect = await inProcessLoad(
      handler,
      () =>
        event("POST", "/users", JSON.stringify({ name: `Direct ${n}`, email: `direct-${n++}@example.com` })),
      202,
    );
    const directDrainMs = await msUntilRows(sql, "direct-%", postDirect.accepted);
    const httpRows = Number(
      (await sql.query("SELECT count(*) AS n FROM users WHERE email LIKE 'http-%'")).rows[0].n,
    );

    for (const [route, http, direct] of [
      ["GET /users?limit=20", getHttp, getDirect],
      ["POST /users", postHttp, postDirect],
    ] as const) {
      rows.push(
        {
          name: `PostgreSQL: ${route}: HTTP, ${CONNECTIONS} connections, ${DURATION_SECONDS} s`,
          value: round(http.rps, 0),
          unit: "req/s",
          baseline: { name: "handler in-process, 50 concurrent", value: round(direct.rps, 0) },
          ratio: round(http.rps / direct.rps, 2),
        },
        {
          name: `PostgreSQL: ${route}: HTTP p50 / p99`,
          value: round(http.p50, 1),
          unit: `ms / ${round(http.p99, 1)} ms`,
        },
        {
          name: `PostgreSQL: ${route}: in-process p50 / p99`,
          value: round(direct.p50, 1),
          unit: `ms / ${round(direct.p99, 1)} ms`,
        },
        {
          name: `PostgreSQL: ${route}: errors over HTTP (incl. non-2xx)`,
          value: http.errors,
          unit: "requests",
          target: "0",
          met: http.errors === 0,
        },
      );
    }
    rows.push(
      {
        name: `PostgreSQL: POST /users: HTTP accepted (202) -> all ${postHttp.accepted} in the database, after the load`,
        value: round(httpDrainMs, 0),
        unit: "ms",
        baseline: { name: "after the in-process load", value: round(directDrainMs, 0) },
      },
      {
        // autocannon stops with up to 50 requests in flight: the server may have accepted them uncounted.
        name: "PostgreSQL: POST /users: rows for the HTTP load",
        value: httpRows,
        unit: "rows",
        target: `>= ${postHttp.accepted} counted 202s, <= ${postHttp.sent} sent`,
        met: httpRows >= postHttp.accepted && httpRows <= (postHttp.sent ?? 0),
      },
    );
    await running.stop();

    // What the durable queue costs: the same POST load on the same database, a fresh stack per queue storage,
    // one right after the other (the default measured again here, so that all three share the machine's mood).
    const byStorage = new Map<string, { post: LoadResult; drainMs: number }>();
    for (const storage of ["memory", "disk", "disk-fsync"] as const) {
      const dir = mkdtempSync(join(tmpdir(), `sml-bench-queue-${storage}-`));
      const other = await startStack({ DATABASE_URL: db.url, LOCAL_QUEUE_STORAGE: storage }, dir);
      try {
        const post = await httpLoad(`${other.stack.apiUrl}/users`, "POST", `queue-${storage}`);
        byStorage.set(storage, {
          post,
          drainMs: await msUntilRows(sql, `queue-${storage}-%`, post.accepted),
        });
      } finally {
        await other.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const memory = byStorage.get("memory") as { post: LoadResult; drainMs: number };
    for (const [storage, r] of byStorage) {
      rows.push(
        {
          name: `PostgreSQL: POST /users: HTTP, ${CONNECTIONS} connections, ${DURATION_SECONDS} s, LOCAL_QUEUE_STORAGE=${storage}`,
          value: round(r.post.rps, 0),
          unit: "req/s",
          baseline: {
            name: "LOCAL_QUEUE_STORAGE=memory (before the durable queue)",
            value: round(memory.post.rps, 0),
          },
          ratio: round(r.post.rps / memory.post.rps, 2),
        },
        {
          name: `PostgreSQL: POST /users, LOCAL_QUEUE_STORAGE=${storage}: HTTP p50 / p99; errors; all ${r.post.accepted} accepted are rows after`,
          value: round(r.post.p50, 1),
          unit: `ms / ${round(r.post.p99, 1)} ms; ${r.post.errors} errors; ${round(r.drainMs, 0)} ms`,
        },
      );
    }
    rows.push(...pgliteRows);
  } finally {
    await sql.end().catch(() => undefined);
    await db.drop();
    rmSync(pgDir, { recursive: true, force: true });
  }
  reportBench("local-stack", rows);
  // The in-process handler's pg pool and SNS client would keep the process alive.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
