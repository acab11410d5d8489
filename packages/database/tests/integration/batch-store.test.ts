/**
 * The batch store on a real PostgreSQL server: ranges finishing at the same time (each on its own connection, as
 * parallel workers are) leave exactly one of them to join the result, a redelivered plan plans nothing twice, and
 * a retried range replaces its own counts; each batch has an owner and a list shows one owner's batches (or, for
 * admins, everyone's) newest first.
 */
import { randomUUID } from "node:crypto";
import { BATCH_QUEUE_SETTINGS, batchKeys, batchSweepBounds } from "@sml/contracts/batches";
import { DB_USERS } from "@sml/contracts/env";
import { InvalidCursorError, QuotaExceededError } from "@sml/contracts/errors";
import {
  type ClosableSqlExecutor,
  createPgExecutor,
  createSqlBatchStore,
  createSqlBatchSweeper,
  loadMigrations,
  runMigrations,
} from "../../src";
import { createScratchDatabase, type ScratchDatabase } from "../../src/testing";

let scratch: ScratchDatabase;
const executors: ClosableSqlExecutor[] = [];
const connect = (user?: string) => {
  const url = new URL(scratch.url);
  if (user) url.username = user;
  const sql = createPgExecutor({ kind: "url", connectionString: url.toString() });
  executors.push(sql);
  return sql;
};

beforeAll(async () => {
  scratch = await createScratchDatabase("batch_store");
  await runMigrations(connect());
});

afterAll(async () => {
  for (const sql of executors) await sql.close();
  await scratch?.drop();
});

const model = { name: "flight-delay", version: "abc123" };
const ranges = (n: number) =>
  Array.from({ length: n }, (_, index) => ({
    index,
    start: index * 100,
    end: index * 100 + 100,
    firstLine: index * 10 + 1,
  }));
const outcome = (index: number) => ({
  read: 10,
  scored: 9,
  rejected: 1,
  errors: [{ line: index * 10 + 5, message: `bad row in range ${index}` }],
});

test("lets exactly one of many ranges finishing at once see no range left open", async () => {
  // The functions' own database user (migration 0003), as deployed.
  const stores = Array.from({ length: 8 }, () => createSqlBatchStore(connect(DB_USERS.batch)));
  const id = randomUUID();
  await stores[0]?.create({ id, format: "csv", model, owner: "user-a", bytes: 10 });
  expect(await stores[0]?.start(id, ranges(8), { eTag: '"e1"' })).toBe(true);
  const results = await Promise.all(stores.map((s, i) => s.completeRange(id, i, outcome(i))));
  expect(results.filter((r) => r.open === 0)).toHaveLength(1);
  const batch = await stores[0]?.get(id);
  expect(batch).toMatchObject({ status: "running", ranges: 8, rows: { read: 80, scored: 72, rejected: 8 } });
  expect(batch?.errors.map((e) => e.line)).toEqual([5, 15, 25, 35, 45, 55, 65, 75]);
});

test("plans a batch once, and a retried range replaces its own outcome", async () => {
  const store = createSqlBatchStore(connect(DB_USERS.batch));
  const id = randomUUID();
  await store.create({ id, format: "jsonl", model, owner: "user-a", bytes: 10 });
  expect(await store.start(id, ranges(2), { eTag: '"e1"', versionId: "v1" })).toBe(true);
  expect(await store.start(id, ranges(3), { eTag: '"e2"' })).toBe(false);
  expect(await store.ranges(id)).toEqual(ranges(2));
  // The plan's input stays the first upload's: a later notification is compared against it.
  expect((await store.get(id))?.input).toEqual({ eTag: '"e1"', versionId: "v1" });
  await store.completeRange(id, 0, outcome(0));
  await store.completeRange(id, 0, outcome(0));
  expect((await store.completeRange(id, 1, outcome(1))).open).toBe(0);
  await store.succeed(id);
  expect(await store.get(id)).toMatchObject({
    status: "succeeded",
    rows: { read: 20, scored: 18, rejected: 2 },
  });
  // A finished batch does not fail afterwards (a late redelivery).
  await store.fail(id, "late");
  expect((await store.get(id))?.status).toBe("succeeded");
});

test("answers undefined for a malformed or unknown id without asking PostgreSQL to cast it", async () => {
  const store = createSqlBatchStore(connect());
  expect(await store.get("not-a-uuid")).toBeUndefined();
  expect(await store.get(randomUUID())).toBeUndefined();
});

describe("the sweeper (issue 25 item 3: every batch ends)", () => {
  const bounds = batchSweepBounds(BATCH_QUEUE_SETTINGS);
  // Ages are set by the database owner: the functions' user cannot (and need not) rewrite created_at.
  const age = async (id: string, column: "created_at" | "updated_at", seconds: number) => {
    await connect().query(
      `UPDATE batches SET ${column} = now() - make_interval(secs => $2) WHERE id = CAST($1 AS uuid)`,
      [id, seconds],
    );
  };

  test("fails a pending batch past the upload bound and a running one idle past the retry bound, with the reason; leaves the rest", async () => {
    const store = createSqlBatchStore(connect(DB_USERS.batch));
    // The bucket's input keys, as a set (the local stack's sweeper test lists the real S3 front).
    const uploadedKeys = new Set<string>();
    const sweeper = createSqlBatchSweeper(connect(DB_USERS.batch), {
      inputExists: async (key) => uploadedKeys.has(key),
    });
    const make = async (status: "pending" | "running" | "succeeded") => {
      const id = randomUUID();
      await store.create({ id, format: "csv", model, owner: "user-a", bytes: 10 });
      if (status !== "pending") await store.start(id, ranges(2), { eTag: `"${id}"` });
      if (status === "succeeded") {
        await store.completeRange(id, 0, outcome(0));
        await store.completeRange(id, 1, outcome(1));
        await store.succeed(id);
      }
      return id;
    };
    const lostUpload = await make("pending");
    await age(lostUpload, "created_at", bounds.pendingSeconds + 60);
    // Uploaded, but its notification waits behind other users' work in the shared queue: not the uploader's fault.
    const queuedUpload = await make("pending");
    await age(queuedUpload, "created_at", bounds.pendingSeconds * 4);
    uploadedKeys.add(batchKeys.input(queuedUpload, "csv"));
    const freshPending = await make("pending");
    await age(freshPending, "created_at", bounds.pendingSeconds - 120);
    const stuck = await make("running");
    await age(stuck, "updated_at", bounds.runningIdleSeconds + 60);
    // Created long ago but a range finished recently: still making progress.
    const progressing = await make("running");
    await age(progressing, "created_at", bounds.runningIdleSeconds * 3);
    await age(progressing, "updated_at", bounds.runningIdleSeconds - 120);
    const done = await make("succeeded");
    await age(done, "created_at", bounds.pendingSeconds * 10);
    await age(done, "updated_at", bounds.runningIdleSeconds * 10);

    const swept = await sweeper.sweep(bounds);
    expect(swept.pending).toContain(lostUpload);
    expect(swept.running).toContain(stuck);
    expect(swept.uploaded).toContain(queuedUpload);
    expect(await store.get(queuedUpload)).toMatchObject({ status: "pending" });
    for (const untouched of [freshPending, progressing, done, queuedUpload]) {
      expect([...swept.pending, ...swept.running]).not.toContain(untouched);
    }
    expect(await store.get(lostUpload)).toMatchObject({
      status: "failed",
      failure: expect.stringMatching(/^no upload was processed within 30 minutes .*valid 15 minutes/),
    });
    expect(await store.get(stuck)).toMatchObject({
      status: "failed",
      failure: expect.stringMatching(/^the batch made no progress for 285 minutes/),
    });
    expect(await store.get(freshPending)).toMatchObject({ status: "pending" });
    expect(await store.get(progressing)).toMatchObject({ status: "running" });
    expect(await store.get(done)).toMatchObject({ status: "succeeded" });

    // A swept batch stays failed: a late worker's succeed() does not revive it, and a second sweep finds nothing.
    await store.succeed(stuck);
    expect(await store.get(stuck)).toMatchObject({ status: "failed" });
    const again = await sweeper.sweep(bounds);
    expect([...again.pending, ...again.running]).not.toContain(stuck);
    expect([...again.pending, ...again.running]).not.toContain(lostUpload);
    // Once S3 expires the input (BATCH_INPUT_EXPIRY_DAYS), the waiting batch is failed like a lost upload.
    uploadedKeys.delete(batchKeys.input(queuedUpload, "csv"));
    expect((await sweeper.sweep(bounds)).pending).toContain(queuedUpload);
    expect(await store.get(queuedUpload)).toMatchObject({ status: "failed" });
  });
});

describe("owners", () => {
  it("lists only the owner's batches, newest first, in pages that neither skip nor repeat", async () => {
    const store = createSqlBatchStore(connect(DB_USERS.batch));
    const owner = `owner-${randomUUID()}`;
    const other = `other-${randomUUID()}`;
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      await store.create({ id, format: "csv", model, owner, bytes: 10 });
      mine.unshift(id);
      await store.create({ id: randomUUID(), format: "csv", model, owner: other, bytes: 10 });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ owner, limit: 2, ...(cursor ? { cursor } : {}) });
      for (const b of page.items) expect(b.owner).toBe(owner);
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(mine);
  });

  it("lists everyone's batches without an owner, newest first", async () => {
    const store = createSqlBatchStore(connect(DB_USERS.batch));
    const a = randomUUID();
    const b = randomUUID();
    await store.create({ id: a, format: "csv", model, owner: "someone", bytes: 10 });
    await store.create({ id: b, format: "jsonl", model, owner: "someone-else", bytes: 10 });
    const page = await store.list({ limit: 2 });
    expect(page.items.map((x) => [x.id, x.owner])).toEqual([
      [b, "someone-else"],
      [a, "someone"],
    ]);
    const created = page.items.map((x) => Date.parse(x.createdAt));
    expect(created[0]).toBeGreaterThanOrEqual(created[1] as number);
  });

  it("refuses a cursor it did not issue", async () => {
    const store = createSqlBatchStore(connect(DB_USERS.batch));
    await expect(store.list({ owner: "x", limit: 5, cursor: "bm90LWEtY3Vyc29y" })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});

test("gives batches from before owners existed no owner ('' matches no token's sub)", async () => {
  const before = await createScratchDatabase("batch_owner_upgrade");
  const sql = createPgExecutor({ kind: "url", connectionString: before.url });
  try {
    const all = loadMigrations();
    await runMigrations(
      sql,
      all.filter((m) => m.version < "0004"),
    );
    const id = randomUUID();
    await sql.query(
      `INSERT INTO batches (id, format, status, model_name, model_version)
       VALUES (CAST($1 AS uuid), 'csv', 'pending', 'm', 'v')`,
      [id],
    );
    await runMigrations(sql, all);
    expect((await createSqlBatchStore(sql).get(id))?.owner).toBe("");
    // The column has no default any more: a new batch must name its owner.
    await expect(
      sql.query(
        `INSERT INTO batches (id, format, status, model_name, model_version)
         VALUES (CAST($1 AS uuid), 'csv', 'pending', 'm', 'v')`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/owner/);
  } finally {
    await sql.close();
    await before.drop();
  }
});

test("records no range of a batch that failed: its counts stay the ones it failed with (issue 25 review)", async () => {
  const store = createSqlBatchStore(connect(DB_USERS.batch));
  const id = randomUUID();
  await store.create({ id, format: "csv", model, owner: "user-a", bytes: 10 });
  expect(await store.start(id, ranges(2), { eTag: '"e1"' })).toBe(true);
  expect(await store.completeRange(id, 0, outcome(0))).toEqual({ open: 1, running: true });
  await store.fail(id, "the input changed during scoring");
  const failed = await store.get(id);
  // Range 1 was being scored when the batch failed (another upload replaced its input); its outcome comes after.
  expect(await store.completeRange(id, 1, outcome(1))).toEqual({ open: 1, running: false });
  const after = await store.get(id);
  expect(after).toMatchObject({ status: "failed", rows: { read: 10, scored: 9, rejected: 1 } });
  expect(after?.rows).toEqual(failed?.rows);
  expect(after?.errors).toEqual(failed?.errors);
  expect(after?.updatedAt).toEqual(failed?.updatedAt);
});

describe("per-owner limits (issue 28 review, finding 1)", () => {
  const limits = { maxOpenBatches: 3, maxOpenBytes: 100 };

  test("counts only the owner's pending and running batches, and their declared bytes", async () => {
    const store = createSqlBatchStore(connect(DB_USERS.batch));
    const owner = `owner-${randomUUID()}`;
    const a = randomUUID();
    await store.create({ id: a, format: "csv", model, owner, bytes: 40 }, limits);
    await store.create({ id: randomUUID(), format: "csv", model, owner, bytes: 40 }, limits);
    expect(await store.openBatches(owner)).toEqual({ batches: 2, bytes: 80 });
    // 80 + 30 > 100: refused, nothing recorded.
    const refused = randomUUID();
    await expect(
      store.create({ id: refused, format: "csv", model, owner, bytes: 30 }, limits),
    ).rejects.toThrow(QuotaExceededError);
    expect(await store.get(refused)).toBeUndefined();
    await store.create({ id: randomUUID(), format: "csv", model, owner, bytes: 20 }, limits);
    // Three open: a fourth is refused whatever its size; another owner is not.
    await expect(
      store.create({ id: randomUUID(), format: "csv", model, owner, bytes: 1 }, limits),
    ).rejects.toThrow(/3 open batches/);
    await store.create({ id: randomUUID(), format: "csv", model, owner: `${owner}-other`, bytes: 1 }, limits);
    // A failed batch is no longer open.
    await store.fail(a, "test");
    expect(await store.openBatches(owner)).toEqual({ batches: 2, bytes: 60 });
    await store.create({ id: randomUUID(), format: "csv", model, owner, bytes: 40 }, limits);
  });
});
