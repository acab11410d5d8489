/**
 * Subscriber write rate: a 100-record SQS batch (SNS envelopes) through the real handler into PostgreSQL,
 * against a raw `pg` multi-row upsert of the same rows on one connection, in the same run and database.
 * Target: handler >= 0.5x the raw rate. Every batch holds new emails, so both sides insert 100 rows.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createSqsHandler } from "@sml/app-subscriber/src/adapters/sqs-handler";
import { createDatabase, runMigrations } from "@sml/database";
import { createScratchDatabase } from "@sml/database/testing";
import type { Context, SQSEvent } from "aws-lambda";
import { Client } from "pg";
import { type BenchRow, percentile, reportBench, round } from "./report";
import { BENCH_TARGETS } from "./targets";

const BATCH = 100;
const ROUNDS = Number(process.env.BENCH_SUBSCRIBER_ROUNDS ?? 60);
const WARMUP = 5;
const TARGET = BENCH_TARGETS.subscriberVsRawUpsert;

// Powertools writes through the global console under POWERTOOLS_DEV; the lines are still built (their cost is
// measured) but not printed over the results table.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
for (const method of ["info", "warn", "error", "debug", "log"] as const) console[method] = () => undefined;

const context = {
  awsRequestId: "bench",
  functionName: "users-subscriber",
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

function sqsBatch(round: number): SQSEvent {
  const now = Date.now();
  return {
    Records: Array.from({ length: BATCH }, (_, i) => ({
      messageId: `sqs-${round}-${i}`,
      receiptHandle: `rh-${round}-${i}`,
      body: JSON.stringify({
        Type: "Notification",
        MessageId: `00000000-0000-4000-8000-${String(round * BATCH + i).padStart(12, "0")}`,
        TopicArn: "arn:aws:sns:us-east-1:123456789012:users",
        Subject: null,
        Message: JSON.stringify({ name: `Handler User ${round}-${i}`, email: `h${round}-${i}@example.com` }),
        Timestamp: new Date(now).toISOString(),
        SignatureVersion: "1",
        Signature: "c2ln",
        SigningCertURL: "https://sns.us-east-1.amazonaws.com/cert.pem",
        UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
      }),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(now),
        SenderId: "bench",
        ApproximateFirstReceiveTimestamp: String(now),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:users",
      awsRegion: "us-east-1",
    })),
  };
}

/** The raw baseline: the plainest correct upsert, one multi-row statement with the same conflict rule. */
async function rawUpsert(client: Client, round: number): Promise<void> {
  const values: string[] = [];
  const params: unknown[] = [];
  const publishedAt = new Date().toISOString();
  for (let i = 0; i < BATCH; i++) {
    const p = params.length;
    values.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4})`);
    params.push(`Raw User ${round}-${i}`, `r${round}-${i}@example.com`, publishedAt, `raw-${round}-${i}`);
  }
  await client.query(
    `INSERT INTO users (name, email, last_published_at, last_message_id) VALUES ${values.join(", ")}
     ON CONFLICT ((lower(email))) DO UPDATE SET name = excluded.name, updated_at = now(),
       last_published_at = excluded.last_published_at, last_message_id = excluded.last_message_id
     WHERE (users.last_published_at, users.last_message_id) < (excluded.last_published_at, excluded.last_message_id)`,
    params,
  );
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase("bench_subscriber");
  const db = createDatabase({ driver: "pg", databaseUrl: scratch.url });
  const raw = new Client({ connectionString: scratch.url });
  try {
    await runMigrations(db.sql);
    await raw.connect();
    const handler = createSqsHandler({
      users: db.users,
      logger: new Logger({ serviceName: "users-subscriber" }),
      metrics: new Metrics({ namespace: "sml-bench", serviceName: "users-subscriber" }),
    });
    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      // The event is built outside the timing: in Lambda it arrives ready-made.
      const event = sqsBatch(round);
      // Alternate which side goes first so neither always meets a warmer cache.
      const sides = [
        async () => {
          const t = performance.now();
          const response = await handler(event, context);
          if (response.batchItemFailures.length > 0) throw new Error("the bench batch had failures");
          return performance.now() - t;
        },
        async () => {
          const t = performance.now();
          await rawUpsert(raw, round);
          return performance.now() - t;
        },
      ] as const;
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      const times: number[] = [];
      for (const side of order) times[side] = await sides[side as 0 | 1]();
      if (round >= WARMUP) {
        handlerMs.push(times[0] ?? Number.NaN);
        rawMs.push(times[1] ?? Number.NaN);
      }
    }
    const [{ n } = { n: 0 }] = await db.sql.query<{ n: number }>(
      "SELECT CAST(count(*) AS int) AS n FROM users",
    );
    if (n !== (ROUNDS + WARMUP) * BATCH * 2)
      throw new Error(`expected ${(ROUNDS + WARMUP) * BATCH * 2} rows, found ${n}`);

    const rate = (ms: number) => round((BATCH / ms) * 1000, 0);
    const handlerRate = rate(percentile(handlerMs, 50));
    const rawRate = rate(percentile(rawMs, 50));
    const rows: BenchRow[] = [
      {
        name: `handler, ${BATCH}-record batch -> PostgreSQL (median of ${ROUNDS})`,
        value: handlerRate,
        unit: "records/s",
        baseline: { name: "raw pg multi-row upsert", value: rawRate },
        ratio: round(handlerRate / rawRate),
        target: `>= ${TARGET}x raw`,
        met: handlerRate / rawRate >= TARGET,
      },
      { name: "handler batch p50", value: round(percentile(handlerMs, 50)), unit: "ms" },
      { name: "handler batch p95", value: round(percentile(handlerMs, 95)), unit: "ms" },
      { name: "raw upsert batch p50", value: round(percentile(rawMs, 50)), unit: "ms" },
    ];
    reportBench("subscriber", rows);
  } finally {
    await raw.end().catch(() => undefined);
    await db.close();
    await scratch.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
