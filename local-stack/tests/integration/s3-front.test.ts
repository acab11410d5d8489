/**
 * The local S3 on `npm start` behaves as S3 does where fauxqs alone did not (issue 25 item 8): anonymous calls,
 * listing included, are refused on the front and on fauxqs's own port; an upload above fauxqs's 11 MiB body limit
 * goes through the presigned URL the API hands out and is scored; and the bucket carries the deployed lifecycle
 * rules, which the stack applies with S3's rounding (checked here with the clock moved on).
 */
import { GetBucketLifecycleConfigurationCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BATCH_LIFECYCLE_RULES } from "@sml/contracts/batches";
import { s3ObjectExists } from "@sml/database/batch-inputs";
import { freePort } from "@sml/database/testing";
import { applyBatchLifecycle } from "../../src/batch-lifecycle";
import {
  eventually,
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(180_000);

let localDir: string;
let stack: StackProcess | undefined;
let s3: S3Client | undefined;

beforeAll(async () => {
  localDir = freshLocalDir("local-stack-s3");
  stack = await startStackProcess({ port: await freePort(), localDir });
  s3 = new S3Client({
    endpoint: stack.stack.s3Endpoint,
    region: stack.stack.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    forcePathStyle: true,
  });
});

afterAll(async () => {
  s3?.destroy();
  await stack?.stop("SIGKILL", 2_000);
  removeLocalDir(localDir);
});

test("refuses anonymous calls, listing included, on the front and on fauxqs's own port", async () => {
  const { s3Endpoint, awsEndpoint, batchBucket } = stack?.stack ?? ({} as never);
  for (const base of [s3Endpoint, awsEndpoint]) {
    const list = await fetch(`${base}/${batchBucket}?list-type=2`);
    expect(list.status).toBe(403);
    expect(await list.text()).toContain("<Code>AccessDenied</Code>");
    const put = await fetch(`${base}/${batchBucket}/inputs/00000000-0000-4000-8000-000000000000.csv`, {
      method: "PUT",
      body: "id,origin,destination,departure\n",
    });
    expect(put.status).toBe(403);
  }
});

test("takes an upload over 11 MiB through the presigned URL and scores it; a tampered URL is refused", async () => {
  const apiUrl = stack?.stack.apiUrl as string;
  const auth = (stack as StackProcess).auth();
  const row = "SEA,SFO,2001-01-13T14:56:00\n";
  const rows = Math.ceil((12 * 1024 * 1024) / row.length);
  const body = `origin,destination,departure\n${row.repeat(rows)}`;
  expect(Buffer.byteLength(body)).toBeGreaterThan(11 * 1024 * 1024);
  const created = (await (
    await fetch(`${apiUrl}/batches`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ format: "csv", bytes: Buffer.byteLength(body) }),
    })
  ).json()) as { id: string; upload: { url: string; headers: Record<string, string> } };

  const tampered = created.upload.url.replace("/inputs/", "/results/");
  // A one-byte body: the signed Content-Length is dropped so the client sends it (the signature fails first).
  const { "content-length": _signedLength, ...otherHeaders } = created.upload.headers;
  expect((await fetch(tampered, { method: "PUT", headers: otherHeaders, body: "x" })).status).toBe(403);

  const put = await fetch(created.upload.url, { method: "PUT", headers: created.upload.headers, body });
  expect(put.status).toBe(200);
  const final = await eventually(
    "the batch final",
    async () => {
      const b = (await (await fetch(`${apiUrl}/batches/${created.id}`, { headers: auth })).json()) as {
        status: string;
        rows: { read: number };
        result?: { url: string };
      };
      return b.status === "succeeded" || b.status === "failed" ? b : undefined;
    },
    120_000,
  );
  expect(final).toMatchObject({ status: "succeeded", rows: { read: rows } });
  // The result downloads as a file, as S3 answers the signed response-content-disposition.
  const result = await fetch(final.result?.url as string, { method: "GET" });
  expect(result.status).toBe(200);
  expect(result.headers.get("content-disposition")).toBe(`attachment; filename="${created.id}-result.csv"`);
  await result.body?.cancel();
});

test("carries the deployed lifecycle rules and expires objects as S3 would", async () => {
  const client = s3 as S3Client;
  const bucket = stack?.stack.batchBucket as string;
  const rules = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  expect(rules.Rules?.map((r) => [r.ID, r.Filter?.Prefix, r.Expiration?.Days])).toEqual(
    BATCH_LIFECYCLE_RULES.map((r) => [r.id, r.prefix, r.expirationDays]),
  );
  const keys = ["inputs/lc.csv", "results/lc.csv", "parts/lc/000000", "elsewhere/lc.txt"];
  for (const Key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }));
  const day = 86_400_000;
  const mine = (deleted: string[]) => deleted.filter((k) => keys.includes(k)).sort();
  // Now: nothing is due. After 2 days: inputs and parts (1 day, rounded up to the next midnight UTC). After 8:
  // results (7 days).
  expect(mine(await applyBatchLifecycle(client, bucket, Date.now()))).toEqual([]);
  expect(mine(await applyBatchLifecycle(client, bucket, Date.now() + 2 * day))).toEqual([
    "inputs/lc.csv",
    "parts/lc/000000",
  ]);
  expect(mine(await applyBatchLifecycle(client, bucket, Date.now() + 6 * day))).toEqual([]);
  expect(mine(await applyBatchLifecycle(client, bucket, Date.now() + 8 * day))).toEqual(["results/lc.csv"]);
});

test("answers the sweeper's input lookup (ListObjectsV2 by prefix through the front): exactly the key, no other", async () => {
  const bucket = stack?.stack.batchBucket as string;
  const exists = s3ObjectExists(s3 as S3Client, bucket);
  const key = "inputs/11111111-2222-4333-8444-555555555555.csv";
  expect(await exists(key)).toBe(false);
  // A longer key the input key prefixes is not the input.
  await (s3 as S3Client).send(new PutObjectCommand({ Bucket: bucket, Key: `${key}x`, Body: "x" }));
  expect(await exists(key)).toBe(false);
  await (s3 as S3Client).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
  expect(await exists(key)).toBe(true);
});
