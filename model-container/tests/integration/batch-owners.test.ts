/**
 * Who sees which batch, through the `batches` function with a real PostgreSQL batch store and S3 presigning
 * against fauxqs: a batch belongs to the caller's token `sub`; GET /batches lists the caller's own, newest first;
 * another user's batch answers 404 exactly as a missing one and its result is never presigned; `admins` (the
 * `cognito:groups` claim as API Gateway's HTTP API passes it, `[admins]`) may list and read everyone's; a route
 * reached without claims answers 401; e-mail addresses never reach the logs. Also (issue 28 review): the per-owner
 * limits on open batches (429 QUOTA_EXCEEDED), result URLs that download (Content-Disposition: attachment), and an
 * audit line when an admin reads someone else's batch.
 */
import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import {
  BATCH_MAX_BYTES,
  BATCH_OWNER_LIMITS,
  type BatchPage,
  type BatchResponse,
  type CreateBatchResponse,
} from "@sml/contracts/batches";
import {
  type ClosableSqlExecutor,
  createSqlBatchStore,
  createSqlExecutor,
  runMigrations,
} from "@sml/database";
import { createScratchDatabase, type ScratchDatabase } from "@sml/database/testing";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { BatchObjects } from "../../src/batch/ports";
import { BATCH_S3_CLIENT_CONFIG, createS3BatchObjects } from "../../src/batch/s3-objects";
import { type BatchesHandler, createBatchesHandler } from "../../src/batch-function";
import { apiEvent, withClaims, workspaceRegistryDir } from "../support/events";

const ALICE = { sub: randomUUID(), groups: ["analysts"], email: "alice@example.com" };
const BOB = { sub: randomUUID(), groups: ["analysts"], email: "bob@example.com" };
const ADMIN = { sub: randomUUID(), groups: ["analysts", "admins"], email: "root@example.com" };
type Who = typeof ALICE;

let scratch: ScratchDatabase;
let sql: ClosableSqlExecutor;
let api: BatchesHandler;
const presignedGets: string[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  scratch = await createScratchDatabase("batch_owners");
  sql = createSqlExecutor({ driver: "pg", databaseUrl: scratch.url });
  await runMigrations(sql);
  const s3 = new S3Client({ ...BATCH_S3_CLIENT_CONFIG, region: "us-east-1", forcePathStyle: true });
  const real = createS3BatchObjects({ bucket: "sml-batches-owners", s3 });
  // Records which result keys were presigned: a URL for someone else's result must never be made.
  const objects: BatchObjects = {
    ...real,
    presignGet: (key, seconds, downloadAs) => {
      presignedGets.push(key);
      return real.presignGet(key, seconds, downloadAs);
    },
  };
  jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    logLines.push(String(chunk));
    return true;
  });
  api = await createBatchesHandler({
    modelDir: workspaceRegistryDir,
    backends: ["cpu"],
    store: createSqlBatchStore(sql),
    objects,
    logger: new Logger({ serviceName: "batches", logLevel: "DEBUG" }),
  });
}, 60_000);

afterAll(async () => {
  jest.restoreAllMocks();
  await sql?.close();
  await scratch?.drop();
});

async function call<T>(event: APIGatewayProxyEventV2, who?: Who): Promise<{ status: number; json: T }> {
  const res = await api(who ? withClaims(event, who) : event);
  return { status: res.statusCode, json: JSON.parse(res.body) as T };
}
const create = (who: Who, bytes = 10) =>
  call<CreateBatchResponse>(apiEvent({ format: "csv", bytes }, { path: "/batches" }), who);
const get = (id: string, who?: Who) =>
  call<BatchResponse>(
    {
      ...apiEvent(undefined, { method: "GET", path: `/batches/${id}` }),
      routeKey: "GET /batches/{id}",
      pathParameters: { id },
    },
    who,
  );
const list = (who: Who | undefined, query = "") => {
  const event = apiEvent(undefined, { method: "GET", path: "/batches" });
  return call<BatchPage>({ ...event, rawQueryString: query }, who);
};

/** Marks a batch succeeded through the store, as the worker would after scoring its one range. */
async function succeed(id: string): Promise<void> {
  const store = createSqlBatchStore(sql);
  await store.start(id, [{ index: 0, start: 0, end: 10, firstLine: 2 }], { eTag: '"e"' });
  await store.completeRange(id, 0, { read: 1, scored: 1, rejected: 0, errors: [] });
  await store.succeed(id);
}

describe("batch ownership", () => {
  it("records the caller's sub as the owner and lists the caller's batches only, newest first", async () => {
    const a1 = (await create(ALICE)).json.id;
    const b1 = (await create(BOB)).json.id;
    const a2 = (await create(ALICE)).json.id;
    const alice = await list(ALICE);
    expect(alice.status).toBe(200);
    expect(alice.json.items.map((b) => b.id)).toEqual([a2, a1]);
    expect(alice.json.items.every((b) => b.owner === ALICE.sub)).toBe(true);
    // A list never carries result URLs (they are issued one batch at a time, to its owner).
    expect(alice.json.items.some((b) => "result" in b)).toBe(false);
    const bob = await list(BOB);
    expect(bob.json.items.map((b) => b.id)).toEqual([b1]);
  });

  it("pages a caller's list with the cursor, newest first, without repeating or skipping", async () => {
    const who = { ...ALICE, sub: randomUUID() };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift((await create(who)).json.id);
    const seen: string[] = [];
    let query = "limit=2";
    for (;;) {
      const page = await list(who, query);
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((b) => b.id));
      if (!page.json.nextCursor) break;
      query = `limit=2&cursor=${encodeURIComponent(page.json.nextCursor)}`;
    }
    expect(seen).toEqual(ids);
  });

  it("answers another user's batch 404, exactly as a missing one, and never presigns its result", async () => {
    const id = (await create(ALICE)).json.id;
    await succeed(id);
    const own = await get(id, ALICE);
    expect(own.status).toBe(200);
    expect(own.json.result?.url).toContain(`results/${id}.csv`);
    // A download, never a page a browser renders (S3 answers with the signed response-content-disposition).
    expect(new URL(own.json.result?.url as string).searchParams.get("response-content-disposition")).toBe(
      `attachment; filename="${id}-result.csv"`,
    );
    presignedGets.length = 0;
    const theirs = await get(id, BOB);
    const missing = await get(randomUUID(), BOB);
    expect(theirs.status).toBe(404);
    expect(theirs.json).not.toHaveProperty("result");
    expect(theirs.json).toEqual({
      error: { ...(missing.json as unknown as { error: object }).error, message: `No batch with id ${id}` },
    });
    expect(presignedGets).toEqual([]);
  });

  it("lets admins list everyone's batches and read any of them; others get 403 for scope=all", async () => {
    const id = (await create(BOB)).json.id;
    await succeed(id);
    const all = await list(ADMIN, "scope=all&limit=100");
    expect(all.status).toBe(200);
    const owners = new Set(all.json.items.map((b) => b.owner));
    expect(owners.has(ALICE.sub) && owners.has(BOB.sub)).toBe(true);
    logLines.length = 0;
    const read = await get(id, ADMIN);
    expect(read.status).toBe(200);
    expect(read.json.owner).toBe(BOB.sub);
    // Who read whose batch: the audit line names the owner and the caller by sub.
    const audit = logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.message === "admin read another user's batch");
    expect(audit).toMatchObject({ batchId: id, owner: BOB.sub, caller: ADMIN.sub });
    // An admin's own list is still their own.
    expect((await list(ADMIN)).json.items).toEqual([]);
    const refused = await list(BOB, "scope=all");
    expect(refused.status).toBe(403);
    expect((refused.json as unknown as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  it("answers 401 without claims on every batch route (a direct invocation past the authorizer)", async () => {
    expect((await call(apiEvent({}, { path: "/batches" }))).status).toBe(401);
    expect((await list(undefined)).status).toBe(401);
    expect((await get(randomUUID())).status).toBe(401);
    expect(
      await sql.query<{ n: number }>("SELECT CAST(count(*) AS integer) AS n FROM batches WHERE owner = ''"),
    ).toEqual([{ n: 0 }]);
  });

  it("writes no e-mail address to the logs (the ID token's claim is never logged)", async () => {
    await create(ALICE);
    const logged = logLines.join("");
    expect(logged).toContain(ALICE.sub);
    for (const who of [ALICE, BOB, ADMIN]) expect(logged).not.toContain(who.email);
  });
});

describe("per-owner limits on open batches", () => {
  const quotaCode = (res: { json: unknown }) => (res.json as { error?: { code: string } }).error?.code;
  const openRows = (owner: string) =>
    sql.query<{ n: number }>(
      "SELECT CAST(count(*) AS integer) AS n FROM batches WHERE owner = $1 AND status IN ('pending', 'running')",
      [owner],
    );

  it(`refuses the ${BATCH_OWNER_LIMITS.maxOpenBatches + 1}th open batch 429 QUOTA_EXCEEDED, recording nothing, and takes it once one ends`, async () => {
    const who = { ...ALICE, sub: randomUUID() };
    const ids: string[] = [];
    for (let i = 0; i < BATCH_OWNER_LIMITS.maxOpenBatches; i++) {
      const res = await create(who);
      expect(res.status).toBe(201);
      ids.push(res.json.id);
    }
    const refused = await create(who);
    expect([refused.status, quotaCode(refused)]).toEqual([429, "QUOTA_EXCEEDED"]);
    expect((refused.json as unknown as { error: { message: string } }).error.message).toMatch(
      new RegExp(`${BATCH_OWNER_LIMITS.maxOpenBatches} open batches`),
    );
    expect(await openRows(who.sub)).toEqual([{ n: BATCH_OWNER_LIMITS.maxOpenBatches }]);
    // Another analyst is not held back by this one's batches.
    expect((await create({ ...BOB, sub: randomUUID() })).status).toBe(201);
    await succeed(ids[0] as string);
    expect((await create(who)).status).toBe(201);
  });

  it("refuses a batch whose declared bytes would take the owner's open bytes past the limit", async () => {
    const who = { ...ALICE, sub: randomUUID() };
    const fits = Math.floor(BATCH_OWNER_LIMITS.maxOpenBytes / BATCH_MAX_BYTES);
    for (let i = 0; i < fits; i++) expect((await create(who, BATCH_MAX_BYTES)).status).toBe(201);
    const refused = await create(who, 1);
    expect([refused.status, quotaCode(refused)]).toEqual([429, "QUOTA_EXCEEDED"]);
    expect(await openRows(who.sub)).toEqual([{ n: fits }]);
  });
});
