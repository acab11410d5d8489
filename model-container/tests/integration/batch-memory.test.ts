/**
 * The worker streams: scoring a file of 1,000,000 rows must not take more memory than a file of 10,000 rows plus
 * a fixed margin. Each run is its own process (peak RSS is per process and never goes down), reading from and
 * writing to the S3 emulator that runs in this jest process. The files are generated and uploaded in pieces, never
 * held whole. What is compared is the memory the worker holds (see tests/support/batch-memory-child.ts for why not
 * RSS alone); both figures are printed.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BATCH_S3_CLIENT_CONFIG, createS3BatchObjects, PART_BYTES } from "../../src/batch/s3-objects";
import { realFlights } from "../support/batch-files";

const run = promisify(execFile);
const region = "us-east-1";
const s3 = new S3Client({ ...BATCH_S3_CLIENT_CONFIG, region, forcePathStyle: true });
const bucket = `sml-batch-memory-${randomUUID().slice(0, 8)}`;

/**
 * What the 1M-row run may hold above the 10k-row run: the multipart writer's buffer, up to one part
 * (PART_BYTES, 8 MiB) that the small result never fills, and as much again for what the network stream and V8's
 * young generation hold at a sample (measured +9 and +17 MiB on this machine, the latter under load). A worker that
 * held the rows or the result would need far more for this file (~39 MB in, ~52 MB out).
 */
const MARGIN_BYTES = 2 * PART_BYTES + 8 * 1024 * 1024;

async function uploadRows(key: string, rows: number): Promise<number> {
  const flights = realFlights(20_000);
  const writer = createS3BatchObjects({ bucket, s3 }).writer(key, "text/csv");
  let size = 0;
  const write = async (text: string) => {
    size += Buffer.byteLength(text);
    await writer.write(text);
  };
  await write("id,origin,destination,departure,distance\n");
  for (let from = 0; from < rows; from += 10_000) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(rows, from + 10_000); i++) {
      const f = flights[i % flights.length] as (typeof flights)[number];
      lines.push(`${i},${f.origin},${f.destination},${f.departure},${f.distance}\n`);
    }
    await write(lines.join(""));
  }
  await writer.complete();
  return size;
}

interface ChildReport {
  readonly scored: number;
  readonly peakRssBytes: number;
  readonly peakLiveBytes: number;
}

async function measure(rows: number): Promise<ChildReport> {
  const key = `inputs/${rows}.csv`;
  const size = await uploadRows(key, rows);
  const child = join(__dirname, "../support/batch-memory-child.ts");
  const { stdout } = await run(
    process.execPath,
    ["--expose-gc", "--import", "tsx", child, bucket, key, `results/${rows}.csv`, String(size)],
    {
      env: { ...process.env, AWS_REGION: region },
      maxBuffer: 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) as string);
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => s3.destroy());

test("scores 1,000,000 rows in no more memory than 10,000 rows plus a fixed margin", async () => {
  const small = await measure(10_000);
  const large = await measure(1_000_000);
  expect(small.scored).toBe(10_000);
  expect(large.scored).toBe(1_000_000);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `batch worker memory, 10k rows: live ${mib(small.peakLiveBytes)}, max RSS ${mib(small.peakRssBytes)}; ` +
      `1M rows: live ${mib(large.peakLiveBytes)}, max RSS ${mib(large.peakRssBytes)} (margin ${mib(MARGIN_BYTES)})`,
  );
  expect(large.peakLiveBytes).toBeLessThanOrEqual(small.peakLiveBytes + MARGIN_BYTES);
}, 240_000);
