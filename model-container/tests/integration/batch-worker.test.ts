/**
 * Batch predictions end to end over real stand-ins: S3 and SQS are fauxqs (the real AWS SDK clients, presigned
 * URLs fetched over HTTP), the state is a scratch PostgreSQL database with the migrations applied, the models are
 * the workspace's. Nothing is mocked; one test wraps the real bucket to make one range's first attempt fail.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import {
  BATCH_MAX_BYTES,
  type BatchResponse,
  batchKeys,
  type CreateBatchResponse,
} from "@sml/contracts/batches";
import {
  type ClosableSqlExecutor,
  createSqlBatchStore,
  createSqlExecutor,
  runMigrations,
} from "@sml/database";
import { createScratchDatabase, type ScratchDatabase } from "@sml/database/testing";
import { modelFolders } from "@sml/flight-model/model-registry";
import type { SQSEvent } from "aws-lambda";
import type { BatchObjects } from "../../src/batch/ports";
import { BATCH_S3_CLIENT_CONFIG, createS3BatchObjects } from "../../src/batch/s3-objects";
import { createSqsRangeQueue, s3ObjectCreatedEvent } from "../../src/batch/sqs-queue";
import {
  type BatchesHandler,
  type BatchWorkerHandler,
  createBatchesHandler,
  createBatchWorkerHandler,
} from "../../src/batch-function";
import { createPredictionHandler } from "../../src/prediction-function";
import { realFlights } from "../support/batch-files";
import { apiEvent, withClaims, workspaceRegistryDir } from "../support/events";

const region = "us-east-1";
const s3 = new S3Client({ ...BATCH_S3_CLIENT_CONFIG, region, forcePathStyle: true });
const sqs = new SQSClient({ region });
const bucket = `sml-batches-${randomUUID().slice(0, 8)}`;
/** A model of the image that is not the champion: a batch naming it must be scored by it. */
const CHALLENGER = (() => {
  const { champion } = JSON.parse(readFileSync(join(workspaceRegistryDir, "models.json"), "utf8"));
  const other = modelFolders(workspaceRegistryDir).find((id) => id !== champion);
  if (!other) throw new Error("the workspace registry needs two models for this test");
  return other;
})();

let scratch: ScratchDatabase;
let sql: ClosableSqlExecutor;
let queueUrl: string;
let objects: BatchObjects;
let api: BatchesHandler;
let predict: (body: unknown) => Promise<{ predictions: { delayProbability: number; delayed: boolean }[] }>;

const backends = ["wasm", "cpu"] as const;
const logger = new Logger({ logLevel: "SILENT" });

async function worker(
  limits: { maxBytes?: number; rangeBytes?: number } = {},
  wrap = (o: BatchObjects) => o,
) {
  const store = createSqlBatchStore(sql);
  return (
    await createBatchWorkerHandler({
      modelDir: workspaceRegistryDir,
      backends,
      store,
      objects: wrap(objects),
      queue: createSqsRangeQueue(queueUrl, sqs),
      limits,
      logger,
    })
  ).handler;
}

const sqsEvent = (body: string, messageId: string = randomUUID()): SQSEvent => ({
  Records: [
    {
      messageId,
      receiptHandle: messageId,
      body,
      attributes: { ApproximateReceiveCount: "1" } as SQSEvent["Records"][number]["attributes"],
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:batches",
      awsRegion: region,
    },
  ],
});

/** Delivers every queued message to the worker as the event source mapping would; failed ones come back. */
async function drain(handler: BatchWorkerHandler): Promise<number> {
  let failures = 0;
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    if (!out.Messages || out.Messages.length === 0) return failures;
    for (const m of out.Messages) {
      const result = await handler(sqsEvent(m.Body as string, m.MessageId));
      failures += result.batchItemFailures.length;
      if (result.batchItemFailures.length === 0) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  }
}

async function create(
  body: unknown,
): Promise<{ status: number; json: CreateBatchResponse & { error?: { message: string } } }> {
  const res = await api(apiEvent(body, { path: "/batches" }));
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

async function get(
  id: string,
): Promise<{ status: number; json: BatchResponse & { error?: { message: string } } }> {
  // As API Gateway sends it: the route's key and its path parameter.
  const event = apiEvent(undefined, { method: "GET", path: `/batches/${id}` });
  const res = await api({ ...event, routeKey: "GET /batches/{id}", pathParameters: { id } });
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

/** Creates a batch and uploads `text` with the presigned PUT, as a client would. */
/** The size each batch declared: its upload URL signs it, so a second PUT to the URL must have the same size. */
const declaredBytes = new Map<string, number>();

async function upload(text: string, body: object = {}): Promise<CreateBatchResponse> {
  const { status, json } = await create({ ...body, bytes: Buffer.byteLength(text) });
  expect(status).toBe(201);
  declaredBytes.set(json.id, Buffer.byteLength(text));
  const put = await fetch(json.upload.url, {
    method: json.upload.method,
    headers: json.upload.headers,
    body: text,
  });
  expect(put.status).toBe(200);
  return json;
}

async function run(created: CreateBatchResponse, handler: BatchWorkerHandler): Promise<BatchResponse> {
  await handler(sqsEvent(s3ObjectCreatedEvent(bucket, batchKeys.input(created.id, created.format), 0)));
  await drain(handler);
  const { status, json } = await get(created.id);
  expect(status).toBe(200);
  return json;
}

const csvOf = (flights: ReturnType<typeof realFlights>) =>
  [
    "ref,origin,destination,departure,distance",
    ...flights.map((f, i) => `r${i},${f.origin},${f.destination},${f.departure},${f.distance}`),
  ].join("\n");

beforeAll(async () => {
  scratch = await createScratchDatabase("batches");
  sql = createSqlExecutor({ driver: "pg", databaseUrl: scratch.url });
  await runMigrations(sql);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // fauxqs names a host of its own in queue URLs; the path is what identifies the queue.
  const created = (await sqs.send(new CreateQueueCommand({ QueueName: bucket }))).QueueUrl as string;
  queueUrl = `${process.env.AWS_ENDPOINT_URL}${new URL(created).pathname}`;
  objects = createS3BatchObjects({ bucket, s3, partBytes: 5 * 1024 * 1024 });
  const batches = await createBatchesHandler({
    modelDir: workspaceRegistryDir,
    backends,
    store: createSqlBatchStore(sql),
    objects,
    logger,
  });
  // Every request as one signed-in analyst (batch-owners.test.ts covers who sees what).
  api = (event) => batches(withClaims(event));
  const prediction = await createPredictionHandler({
    modelDir: workspaceRegistryDir,
    backends: [...backends],
  });
  predict = async (body) => JSON.parse((await prediction.handler(apiEvent(body))).body);
}, 60_000);

afterAll(async () => {
  await sql?.close();
  await scratch?.drop();
  s3.destroy();
  sqs.destroy();
});

describe("POST /batches and GET /batches/{id}", () => {
  test("creates a pending CSV batch for the champion with a presigned PUT limited in time and in size", async () => {
    const { status, json } = await create({ bytes: 1234 });
    expect(status).toBe(201);
    expect(json).toMatchObject({ status: "pending", format: "csv", upload: { method: "PUT" } });
    expect(new URL(json.upload.url).pathname).toBe(`/${bucket}/${batchKeys.input(json.id, "csv")}`);
    expect(new URL(json.upload.url).searchParams.get("X-Amz-Expires")).toBe("900");
    // The declared size is signed (SigV4 signs every header in X-Amz-SignedHeaders with its value): S3 answers
    // SignatureDoesNotMatch to an upload of any other length (fauxqs checks no signature; AWS does).
    expect(new URL(json.upload.url).searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual(
      expect.arrayContaining(["content-length", "content-type", "host"]),
    );
    expect(json.upload.headers).toEqual({ "content-type": "text/csv", "content-length": "1234" });
    // A checksum signed into the URL would be the empty body's, and S3 would refuse the real file
    // (aws/aws-sdk-js-v3#6810).
    expect([...new URL(json.upload.url).searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    const models = JSON.parse(
      (
        await (
          await createPredictionHandler({ modelDir: workspaceRegistryDir, backends: [...backends] })
        ).handler(apiEvent(undefined, { method: "GET", path: "/models" }))
      ).body,
    );
    expect(`${json.model.name}@${json.model.version}`).toBe(models.champion);
    const read = await get(json.id);
    expect(read.json).toMatchObject({
      id: json.id,
      status: "pending",
      rows: { read: 0, scored: 0, rejected: 0 },
      errors: [],
    });
  });

  test("answers 400 naming an unknown model, as POST /predict does, and creates nothing", async () => {
    const body = { format: "jsonl", model: "flight-delay@000000000000" };
    const batch = await api(apiEvent(body, { path: "/batches" }));
    const predictAnswer = await (
      await createPredictionHandler({ modelDir: workspaceRegistryDir, backends: [...backends] })
    ).handler(
      apiEvent({
        model: body.model,
        instances: [{ origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00" }],
      }),
    );
    expect(batch.statusCode).toBe(400);
    expect(JSON.parse(batch.body).error).toEqual(JSON.parse(predictAnswer.body).error);
    expect(JSON.parse(batch.body).error.message).toContain('"flight-delay@000000000000"');
    const count = await sql.query<{ n: number }>(
      "SELECT CAST(count(*) AS integer) AS n FROM batches WHERE format = 'jsonl'",
    );
    expect(count[0]?.n).toBe(0);
  });

  test.each([
    [{ format: "xlsx", bytes: 10 }, "format"],
    [{ format: "csv", bytes: 10, extra: 1 }, "(root)"],
    [{ format: "csv" }, "bytes"],
    [{}, "bytes"],
    [{ bytes: 0 }, "bytes"],
    [{ bytes: 1.5 }, "bytes"],
    [{ bytes: BATCH_MAX_BYTES + 1 }, "bytes"],
    [{ bytes: 6 * 1024 ** 3 }, "bytes"],
  ])("answers 400 for the body %j, naming %s, and creates no batch", async (body, field) => {
    const before = await sql.query<{ n: number }>("SELECT CAST(count(*) AS integer) AS n FROM batches");
    const { status, json } = await create(body);
    expect(status).toBe(400);
    const after = await sql.query<{ n: number }>("SELECT CAST(count(*) AS integer) AS n FROM batches");
    expect(after).toEqual(before);
    expect(
      (json as unknown as { error: { details: { field: string }[] } }).error.details.map((d) => d.field),
    ).toContain(field);
  });

  test("answers 400 for a malformed id and 404 for an unknown one, in the API's error format", async () => {
    const malformed = await get("not-a-uuid");
    expect(malformed.status).toBe(400);
    expect(malformed.json.error?.message).toMatch(/id/);
    const unknown = await get(randomUUID());
    expect(unknown.status).toBe(404);
  });
});

describe("the batch worker", () => {
  test("scores a file as POST /predict scores the same rows with the model the batch named", async () => {
    const flights = realFlights(2345);
    const created = await upload(csvOf(flights), { model: CHALLENGER });
    const batch = await run(created, await worker());
    expect(batch).toMatchObject({
      status: "succeeded",
      rows: { read: 2345, scored: 2345, rejected: 0 },
      model: { name: "flight-delay", version: CHALLENGER.split("@")[1] },
    });
    const result = await (await fetch(batch.result?.url as string)).text();
    const rows = result.trimEnd().split("\n");
    expect(rows[0]).toBe("ref,origin,destination,departure,distance,delayProbability,delayed");
    const expected: { delayProbability: number; delayed: boolean }[] = [];
    for (let i = 0; i < flights.length; i += 1000) {
      expected.push(
        ...(await predict({ model: CHALLENGER, instances: flights.slice(i, i + 1000) })).predictions,
      );
    }
    expect(rows.slice(1)).toEqual(
      flights.map(
        (f, i) =>
          `r${i},${f.origin},${f.destination},${f.departure},${f.distance},${expected[i]?.delayProbability},${expected[i]?.delayed}`,
      ),
    );
  }, 60_000);

  test("splits a file into ranges on line boundaries with the same result and line numbers as one range", async () => {
    const flights = realFlights(3000);
    const lines = csvOf(flights).split("\n");
    // Bad rows spread over the file, one in what becomes the last range.
    for (const at of [5, 1500, 2990]) lines[at] = lines[at]?.replace(/,\d+$/, ",-1") as string;
    const text = `${lines.join("\n")}\n`;
    const whole = await run(await upload(text), await worker());
    const split = await run(await upload(text), await worker({ rangeBytes: 16 * 1024 }));
    const ranges = await sql.query<{ n: number }>(
      "SELECT CAST(count(*) AS integer) AS n FROM batch_ranges WHERE batch_id = CAST($1 AS uuid)",
      [split.id],
    );
    expect(ranges[0]?.n).toBeGreaterThan(5);
    expect(split.rows).toEqual({ read: 3000, scored: 2997, rejected: 3 });
    expect(split.errors).toEqual(whole.errors);
    expect(split.errors.map((e) => e.line)).toEqual([6, 1501, 2991]);
    const [a, b] = await Promise.all(
      [whole, split].map(async (x) => (await fetch(x.result?.url as string)).text()),
    );
    expect(b).toBe(a);
  }, 60_000);

  test("lists the first 100 rejected lines of the whole file in line order, across ranges", async () => {
    const flights = realFlights(3000);
    const lines = csvOf(flights).split("\n");
    // Rejected in every range: the last range's lines first in the file's order would be a wrong list.
    const bad = [
      ...Array.from({ length: 60 }, (_, i) => 2900 + i),
      ...Array.from({ length: 150 }, (_, i) => 2 + i * 15),
    ];
    for (const line of bad) lines[line - 1] = lines[line - 1]?.replace(/,\d+$/, ",-1") as string;
    const batch = await run(await upload(lines.join("\n")), await worker({ rangeBytes: 16 * 1024 }));
    expect(batch.rows).toEqual({ read: 3000, scored: 3000 - bad.length, rejected: bad.length });
    expect(batch.errors.map((e) => e.line)).toEqual([...bad].sort((a, b) => a - b).slice(0, 100));
  }, 60_000);

  test("retries a range that failed half-way without duplicating its rows", async () => {
    const flights = realFlights(6000);
    const created = await upload(csvOf(flights));
    let failed = false;
    // The real bucket, except that range 1's first writer dies after its first chunk is written.
    const flaky = (o: BatchObjects): BatchObjects => ({
      ...o,
      writer(key, contentType) {
        const w = o.writer(key, contentType);
        if (failed || key !== batchKeys.part(created.id, 1)) return w;
        let writes = 0;
        return {
          ...w,
          write: async (data) => {
            if (++writes === 2) {
              failed = true;
              throw new Error("connection reset");
            }
            await w.write(data);
          },
        };
      },
    });
    const handler = await worker({ rangeBytes: 64 * 1024 }, flaky);
    await handler(sqsEvent(s3ObjectCreatedEvent(bucket, batchKeys.input(created.id, "csv"), 0)));
    const failures = await drain(handler);
    expect(failed).toBe(true);
    expect(failures).toBe(1);
    const batch = (await get(created.id)).json;
    expect(batch).toMatchObject({ status: "succeeded", rows: { read: 6000, scored: 6000, rejected: 0 } });
    const rows = (await (await fetch(batch.result?.url as string)).text()).trimEnd().split("\n").slice(1);
    expect(rows.map((r) => r.split(",")[0])).toEqual(flights.map((_, i) => `r${i}`));
  }, 60_000);

  test("leaves a batch that failed while its one range was scored failed, with no counts and no result object", async () => {
    const created = await upload(csvOf(realFlights(50)));
    // The real bucket, except that the sweeper (or another upload) fails the batch while its result is written.
    const failMeanwhile = (o: BatchObjects): BatchObjects => ({
      ...o,
      writer(key, contentType) {
        const w = o.writer(key, contentType);
        if (key !== batchKeys.result(created.id, "csv")) return w;
        let failed = false;
        // Delegating by name: the S3 writer is a class instance, whose methods a spread would not copy.
        return {
          complete: () => w.complete(),
          abort: () => w.abort(),
          write: async (data) => {
            if (!failed) {
              failed = true;
              await createSqlBatchStore(sql).fail(created.id, "swept meanwhile");
            }
            await w.write(data);
          },
        };
      },
    });
    const batch = await run(created, await worker({}, failMeanwhile));
    expect(batch).toMatchObject({ status: "failed", rows: { read: 0, scored: 0, rejected: 0 } });
    expect(batch.result).toBeUndefined();
    const head = s3.send(new HeadObjectCommand({ Bucket: bucket, Key: batchKeys.result(created.id, "csv") }));
    await expect(head).rejects.toMatchObject({ name: "NotFound" });
  }, 30_000);

  test.each([
    [
      "a file above maxBytes",
      "origin,destination,departure\n".repeat(10),
      { maxBytes: 100 },
      /the file is 290 bytes; a batch takes at most 100 bytes/,
    ],
    ["an empty file", "", {}, /the file is empty/],
    ["a file that is not the declared format", '{"origin":"SEA"}\n', {}, /not a CSV header/],
  ])(
    "fails the batch for %s, with the reason",
    async (_what, text, limits, reason) => {
      // POST /batches refuses a declared size of 0, so the empty object is put directly (the worker still
      // guards against one: S3 is the source of truth for what was stored).
      const created =
        text === ""
          ? await (async () => {
              const { json } = await create({ bytes: 1 });
              await s3.send(
                new PutObjectCommand({ Bucket: bucket, Key: batchKeys.input(json.id, "csv"), Body: "" }),
              );
              return json;
            })()
          : await upload(text);
      const batch = await run(created, await worker(limits));
      expect(batch.status).toBe("failed");
      expect(batch.failure?.message).toMatch(reason);
      expect(batch.result).toBeUndefined();
    },
    30_000,
  );
});

describe("an input uploaded twice (a second PUT to the same upload URL)", () => {
  /** The notification S3 sends for the object now under the batch's key: its ETag names that upload. */
  async function notification(created: CreateBatchResponse): Promise<string> {
    const key = batchKeys.input(created.id, created.format);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return s3ObjectCreatedEvent(bucket, key, head.ContentLength ?? 0, { eTag: head.ETag as string });
  }

  /** Another file through the same URL, cut or padded with blank lines to the size the URL signs. */
  const putAgain = async (created: CreateBatchResponse, text: string) => {
    const size = declaredBytes.get(created.id) as number;
    const bytes = Buffer.alloc(size, "\n");
    Buffer.from(text).copy(bytes, 0, 0, Math.min(size, Buffer.byteLength(text)));
    const put = await fetch(created.upload.url, {
      method: "PUT",
      headers: created.upload.headers,
      body: bytes,
    });
    expect(put.status).toBe(200);
  };

  /** Delivers one queued message (the first range), as one worker invocation would. */
  async function deliverOne(handler: BatchWorkerHandler): Promise<void> {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
    const m = out.Messages?.[0];
    if (!m) throw new Error("no range message queued");
    expect((await handler(sqsEvent(m.Body as string, m.MessageId))).batchItemFailures).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }

  const changed = /^the input changed during scoring \(.*\); upload to a new batch$/;

  test("fails the batch, with no result, when the file is replaced while its ranges are scored", async () => {
    const created = await upload(csvOf(realFlights(3000)));
    const handler = await worker({ rangeBytes: 16 * 1024 });
    await handler(sqsEvent(await notification(created)));
    await deliverOne(handler);
    // The case: a one-row file over a 3,000-row one, half-way through.
    await putAgain(created, csvOf(realFlights(1)));
    await drain(handler);
    const batch = (await get(created.id)).json;
    expect(batch.status).toBe("failed");
    expect(batch.failure?.message).toMatch(changed);
    expect(batch.result).toBeUndefined();
  }, 60_000);

  test("fails the batch when the file was replaced before the worker planned it", async () => {
    const created = await upload(csvOf(realFlights(50)));
    const first = await notification(created);
    await putAgain(created, csvOf(realFlights(60).reverse()));
    const handler = await worker();
    await handler(sqsEvent(first));
    await drain(handler);
    const batch = (await get(created.id)).json;
    expect(batch.status).toBe("failed");
    expect(batch.failure?.message).toMatch(changed);
  }, 60_000);

  test("scores a redelivered notification as usual, and fails on one for another upload of the running batch", async () => {
    const created = await upload(csvOf(realFlights(3000)));
    const handler = await worker({ rangeBytes: 16 * 1024 });
    const first = await notification(created);
    await handler(sqsEvent(first));
    await handler(sqsEvent(first));
    expect((await get(created.id)).json.status).toBe("running");
    await putAgain(created, csvOf(realFlights(3000).reverse()));
    await handler(sqsEvent(await notification(created)));
    const batch = (await get(created.id)).json;
    expect(batch.status).toBe("failed");
    expect(batch.failure?.message).toMatch(changed);
    // The ranges queued for the first upload find the batch failed and write nothing.
    await drain(handler);
    expect((await get(created.id)).json).toMatchObject({ status: "failed", rows: { scored: 0 } });
  }, 60_000);
});
