/**
 * End to end: the real `npm start` process with DATABASE_URL pointing at a scratch database on the PostgreSQL
 * server, driven over HTTP and through the AWS SDK exactly as a user and the AWS CLI would.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { BatchResponse, CreateBatchResponse } from "@sml/contracts/batches";
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import { Client } from "pg";
import {
  eventually,
  freshLocalDir,
  REPO_ROOT,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(90_000);

const run = promisify(execFile);
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

let db: ScratchDatabase;
let sql: Client;
let localDir: string;
let port: number;
let stack: StackProcess | undefined;
/** A token for the stack that runs (every route but GET /health needs one). */
/** The users routes are the admins group's: the caller is an admin. */
const auth = () => (stack as StackProcess).auth("tester", ["admins"]);

const start = async () => {
  stack = await startStackProcess({
    port,
    localDir,
    // Retries after 2 s instead of the deployed 180 s, so a poison message reaches the DLQ within the test.
    env: { DATABASE_URL: db.url, LOCAL_VISIBILITY_TIMEOUT_SECONDS: "2" },
  });
  return stack;
};

const api = () => (stack as StackProcess).stack.apiUrl;
const countUsers = async (pattern: string) =>
  Number((await sql.query("SELECT count(*) AS n FROM users WHERE email LIKE $1", [pattern])).rows[0].n);

beforeAll(async () => {
  db = await createScratchDatabase("local_stack");
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  localDir = freshLocalDir("local-stack");
  port = await freePort();
  await start();
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  await sql?.end();
  await db?.drop();
  removeLocalDir(localDir);
});

test("writes stack.json with the addresses of the API, SNS/SQS and the database", () => {
  const s = (stack as StackProcess).stack;
  expect(s).toEqual({
    apiUrl: `http://127.0.0.1:${port}`,
    awsEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    // S3 behind the verifying front (s3-front.ts), its own port.
    s3Endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    region: "us-east-1",
    topicArn: expect.stringMatching(/^arn:aws:sns:us-east-1:\d{12}:/),
    queueUrl: expect.stringContaining("users-subscriber-local"),
    dlqUrl: expect.stringContaining("users-subscriber-dlq-local"),
    databaseUrl: db.url,
    batchBucket: "sml-batches-local",
    batchQueueUrl: expect.stringContaining("batch-worker-local"),
    batchDlqUrl: expect.stringContaining("batch-worker-dlq-local"),
    authIssuer: `http://127.0.0.1:${port}/auth`,
  });
});

test("scores a real file of flights end to end: POST /batches, presigned PUT, the worker, GET with the result", async () => {
  // 5,000 flights of the BTS 2001 records vega-datasets ships, as JSON Lines with an id of the caller's own.
  const { dataDir } = await import("@sml/model-training/data");
  const flights = (
    JSON.parse(readFileSync(join(dataDir(), "flights-20k.json"), "utf8")) as {
      date: string;
      origin: string;
      destination: string;
    }[]
  ).slice(0, 5000);
  const lines = flights.map((f, i) =>
    JSON.stringify({
      myId: `f${i}`,
      origin: f.origin,
      destination: f.destination,
      departure: `${f.date.slice(0, 10).replaceAll("/", "-")}T${f.date.slice(11)}:00`,
    }),
  );
  lines[41] = '{"origin":"SEA"'; // line 42: not JSON
  const file = `${lines.join("\n")}\n`;
  const created: CreateBatchResponse = (await (
    await fetch(`${api()}/batches`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ format: "jsonl", bytes: Buffer.byteLength(file) }),
    })
  ).json()) as CreateBatchResponse;
  expect(created).toMatchObject({ status: "pending", format: "jsonl", upload: { method: "PUT" } });
  const put = await fetch(created.upload.url, {
    method: "PUT",
    headers: created.upload.headers,
    body: file,
  });
  expect(put.status).toBe(200);
  const batch = await eventually("the batch to finish", async () => {
    const b = (await (
      await fetch(`${api()}/batches/${created.id}`, { headers: auth() })
    ).json()) as BatchResponse;
    return b.status === "succeeded" || b.status === "failed" ? b : undefined;
  });
  expect(batch).toMatchObject({
    status: "succeeded",
    rows: { read: 5000, scored: 4999, rejected: 1 },
    errors: [{ line: 42, message: "is not valid JSON" }],
  });
  const result = (await (await fetch(batch.result?.url as string)).text())
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as { myId: string; delayProbability: number; delayed: unknown });
  expect(result).toHaveLength(4999);
  expect(result.map((r) => r.myId)).toEqual(lines.map((_, i) => `f${i}`).filter((id) => id !== "f41"));
  for (const r of result) {
    expect(r.delayProbability).toBeGreaterThanOrEqual(0);
    expect(r.delayProbability).toBeLessThanOrEqual(1);
    expect(typeof r.delayed).toBe("boolean");
  }
});

test("passes the smoke script (health, create and read a user, rejected requests, a prediction)", async () => {
  const { stdout } = await run("bash", [`${REPO_ROOT}/scripts/smoke.sh`, api()], {
    timeout: 60_000,
    env: { ...process.env, SMOKE_TOKEN: auth().authorization.slice("Bearer ".length) },
  });
  expect(stdout).toContain("smoke test passed");
});

test("answers an unknown route 404 and a wrong method 405 through $default, a body over 10 MB 413 without a function", async () => {
  // Under an API path pattern (/users/*) the request reaches the API's $default route, as through CloudFront.
  const unknown = await fetch(`${api()}/users/a/b`, { headers: auth() });
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toEqual({
    error: { code: "NOT_FOUND", message: 'No route for GET "/users/a/b"' },
  });

  const wrongMethod = await fetch(`${api()}/users`, { method: "DELETE", headers: auth() });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
  expect(await wrongMethod.json()).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED" } });

  // The prediction function's path: the api function behind $default still knows its method.
  const predictGet = await fetch(`${api()}/predict`);
  expect(predictGet.status).toBe(405);
  expect(predictGet.headers.get("allow")).toBe("POST");

  const huge = await fetch(`${api()}/users`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: "x".repeat(10 * 1024 * 1024 + 1),
  });
  expect(huge.status).toBe(413);
  expect(await huge.json()).toEqual({ message: "Request Entity Too Large" });
});

test("stores exactly one row for each of 200 concurrent POSTs", async () => {
  const statuses = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      fetch(`${api()}/users`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json" },
        body: JSON.stringify({ name: `Load ${i}`, email: `load-${i}@example.com` }),
      }).then((r) => r.status),
    ),
  );
  expect(statuses.filter((s) => s === 202)).toHaveLength(200);
  await eventually("200 rows", async () => ((await countUsers("load-%")) >= 200 ? true : undefined));
  expect(await countUsers("load-%")).toBe(200);
});

test("moves a poison message to the DLQ after maxReceiveCount receives while its batch-mates are stored", async () => {
  const s = (stack as StackProcess).stack;
  const sns = new SNSClient({ endpoint: s.awsEndpoint, region: s.region, credentials });
  const sqs = new SQSClient({ endpoint: s.awsEndpoint, region: s.region, credentials });
  try {
    const published = await sns.send(
      new PublishBatchCommand({
        TopicArn: s.topicArn,
        PublishBatchRequestEntries: [
          { Id: "poison", Message: "{not json" },
          { Id: "mate1", Message: JSON.stringify({ name: "Mate 1", email: "mate-1@example.com" }) },
          { Id: "mate2", Message: JSON.stringify({ name: "Mate 2", email: "mate-2@example.com" }) },
        ],
      }),
    );
    const poisonId = published.Successful?.find((e) => e.Id === "poison")?.MessageId;
    expect(poisonId).toBeDefined();

    const dead = await eventually("the poison message in the DLQ", async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: s.dlqUrl,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          VisibilityTimeout: 0,
        }),
      );
      return out.Messages?.find(
        (m) => (JSON.parse(m.Body ?? "{}") as { MessageId?: string }).MessageId === poisonId,
      );
    });
    expect((JSON.parse(dead.Body ?? "{}") as { Message: string }).Message).toBe("{not json");
    expect(await countUsers("mate-%")).toBe(2);

    const source = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: s.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(source.Attributes).toEqual({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  } finally {
    sns.destroy();
    sqs.destroy();
  }
});

test("stops cleanly on SIGINT right after accepting users, loses none of them, keeps the DLQ, and stops cleanly on SIGTERM", async () => {
  const { rows } = await sql.query("SELECT id, email FROM users WHERE email = 'load-7@example.com'");
  expect(rows).toHaveLength(1);
  // Accepted a moment before Ctrl-C: still in the queue or in a batch when the signal arrives.
  const statuses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      fetch(`${api()}/users`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json" },
        body: JSON.stringify({ name: `Late ${i}`, email: `late-${i}@example.com` }),
      }).then((r) => r.status),
    ),
  );
  expect(statuses.filter((s) => s === 202)).toHaveLength(100);

  const first = await (stack as StackProcess).stop("SIGINT", 10_000);
  expect(first).toMatchObject({ stoppedCleanly: true, exited: true });

  const restarted = await start();
  const user = await fetch(`${restarted.stack.apiUrl}/users/${rows[0].id}`, {
    headers: restarted.auth("tester", ["admins"]),
  });
  expect(user.status).toBe(200);
  expect(await user.json()).toMatchObject({ email: "load-7@example.com", name: "Load 7" });
  await eventually("all 100 late users", async () =>
    (await countUsers("late-%")) === 100 ? true : undefined,
  );

  const sqs = new SQSClient({
    endpoint: restarted.stack.awsEndpoint,
    region: restarted.stack.region,
    credentials,
  });
  try {
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: restarted.stack.dlqUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe("1");
  } finally {
    sqs.destroy();
  }

  const second = await restarted.stop("SIGTERM", 10_000);
  expect(second).toMatchObject({ stoppedCleanly: true, exited: true });
  stack = undefined;
});
