/**
 * The emulated SQS event source mapping against fauxqs (real SQS wire protocol). The subscriber here is a
 * recording fake: these tests are about what the mapping does with each kind of answer.
 */
import { randomUUID } from "node:crypto";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DEFAULT_MESSAGING_SETTINGS, type MessagingSettings } from "@sml/contracts/messaging";
import type { SQSEvent } from "aws-lambda";
import { EventSourceMapping, type SqsHandler } from "../../src/event-source-mapping";
import { type FauxqsProcess, startFauxqsProcess } from "../support/fauxqs-process";
import { eventually } from "../support/local-stack-process";

jest.setTimeout(30_000);

let fauxqs: FauxqsProcess;
let sqs: SQSClient;
const mappings: EventSourceMapping[] = [];

beforeAll(async () => {
  fauxqs = await startFauxqsProcess();
  sqs = new SQSClient({
    endpoint: fauxqs.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  sqs.destroy();
  await fauxqs.stop();
});

/** Short timeouts so retries happen within a test; everything else as deployed. */
const settings = (overrides: Partial<MessagingSettings> = {}): MessagingSettings => ({
  ...DEFAULT_MESSAGING_SETTINGS,
  visibilityTimeoutSeconds: 1,
  maxReceiveCount: 3,
  maximumBatchingWindowSeconds: 0,
  ...overrides,
});

async function queuePair(s: MessagingSettings) {
  const name = `esm-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn as string;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(s.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: s.maxReceiveCount }),
      },
    }),
  );
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn as string;
  return { queueUrl: queue.QueueUrl as string, queueArn, dlqUrl: dlq.QueueUrl as string };
}

async function send(queueUrl: string, bodies: readonly string[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: { kind: { DataType: "String", StringValue: "test" } },
        })),
      }),
    );
  }
}

async function counts(queueUrl: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

function startMapping(q: { queueUrl: string; queueArn: string }, s: MessagingSettings, handler: SqsHandler) {
  const mapping = new EventSourceMapping({
    sqs,
    queueUrl: q.queueUrl,
    queueArn: q.queueArn,
    region: "us-east-1",
    functionName: "test-subscriber",
    handler,
    settings: s,
  });
  mappings.push(mapping);
  mapping.start();
  return mapping;
}

const bodiesOf = (events: SQSEvent[]) => events.flatMap((e) => e.Records.map((r) => r.body));

test("invokes the handler with SQS records as Lambda builds them, then deletes them", async () => {
  const s = settings();
  const q = await queuePair(s);
  await send(q.queueUrl, ["a", "b", "c"]);
  const events: SQSEvent[] = [];
  startMapping(q, s, async (event) => {
    events.push(event);
    return { batchItemFailures: [] };
  });
  await eventually("three records", async () => (bodiesOf(events).length === 3 ? true : undefined));
  expect(bodiesOf(events).sort()).toEqual(["a", "b", "c"]);
  const record = events[0]?.Records[0];
  expect(record).toEqual({
    messageId: expect.any(String),
    receiptHandle: expect.any(String),
    body: expect.any(String),
    attributes: expect.objectContaining({
      ApproximateReceiveCount: "1",
      SentTimestamp: expect.stringMatching(/^\d+$/),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
    }),
    messageAttributes: {
      kind: { stringValue: "test", stringListValues: [], binaryListValues: [], dataType: "String" },
    },
    md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
    md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
    eventSource: "aws:sqs",
    eventSourceARN: q.queueArn,
    awsRegion: "us-east-1",
  });
  await eventually("an empty queue", async () => {
    const c = await counts(q.queueUrl);
    return c.visible + c.inFlight === 0 ? true : undefined;
  });
});

test("deletes the records that succeeded and redelivers each batchItemFailure with a higher receive count", async () => {
  const s = settings();
  const q = await queuePair(s);
  await send(q.queueUrl, ["ok-1", "flaky", "ok-2"]);
  const seen: { body: string; receiveCount: string }[] = [];
  startMapping(q, s, async (event) => {
    const failures = [];
    for (const r of event.Records) {
      seen.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount });
      if (r.body === "flaky" && r.attributes.ApproximateReceiveCount === "1")
        failures.push({ itemIdentifier: r.messageId });
    }
    return { batchItemFailures: failures };
  });
  await eventually("the flaky record's second delivery", async () =>
    seen.some((x) => x.body === "flaky" && x.receiveCount === "2") ? true : undefined,
  );
  expect(seen.filter((x) => x.body.startsWith("ok-"))).toEqual([
    expect.objectContaining({ receiveCount: "1" }),
    expect.objectContaining({ receiveCount: "1" }),
  ]);
  await eventually("an empty queue", async () => {
    const c = await counts(q.queueUrl);
    return c.visible + c.inFlight === 0 ? true : undefined;
  });
});

test("returns the whole batch when the handler throws, until maxReceiveCount moves it to the DLQ", async () => {
  const s = settings({ maxReceiveCount: 2 });
  const q = await queuePair(s);
  await send(q.queueUrl, ["poison"]);
  let calls = 0;
  startMapping(q, s, async () => {
    calls++;
    throw new Error("database unreachable");
  });
  await eventually("the message in the DLQ", async () =>
    (await counts(q.dlqUrl)).visible === 1 ? true : undefined,
  );
  expect(calls).toBe(2);
  expect(await counts(q.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
});

test("returns the whole batch when the handler times out, and a late result of the timed-out call deletes nothing", async () => {
  const s = settings({ subscriberTimeoutSeconds: 1, visibilityTimeoutSeconds: 2 });
  const q = await queuePair(s);
  await send(q.queueUrl, ["slow"]);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const seen: string[] = [];
  startMapping(q, s, async (event) => {
    const count = event.Records[0]?.attributes.ApproximateReceiveCount ?? "";
    seen.push(count);
    // The first call outlives the function timeout; Lambda would have stopped it, so its answer must not count.
    if (count === "1") await gate;
    return count === "1"
      ? {}
      : { batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId ?? "" }] };
  });
  await eventually("a second delivery after the timeout", async () =>
    seen.includes("2") ? true : undefined,
  );
  release();
  await eventually("a third delivery", async () => (seen.includes("3") ? true : undefined));
  expect(seen.slice(0, 3)).toEqual(["1", "2", "3"]);
});

test("treats a batchItemFailures entry that names no record of the batch as a failure of the whole batch", async () => {
  const s = settings();
  const q = await queuePair(s);
  await send(q.queueUrl, ["x"]);
  const seen: string[] = [];
  startMapping(q, s, async (event) => {
    const count = event.Records[0]?.attributes.ApproximateReceiveCount ?? "";
    seen.push(count);
    return count === "1" ? { batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] } : {};
  });
  await eventually("a second delivery", async () => (seen.includes("2") ? true : undefined));
  expect(seen).toEqual(["1", "2"]);
});

test("gathers records from several receives into one invocation of at most batchSize within the window", async () => {
  // 15 is more than one receive can return (10), so the first invocation needs two receives.
  const s = settings({
    batchSize: 15,
    maximumBatchingWindowSeconds: 2,
    maximumConcurrency: 1,
    visibilityTimeoutSeconds: 30,
  });
  const q = await queuePair(s);
  await send(
    q.queueUrl,
    Array.from({ length: 20 }, (_, i) => `m${i}`),
  );
  const sizes: number[] = [];
  startMapping(q, s, async (event) => {
    sizes.push(event.Records.length);
    return {};
  });
  await eventually("twenty records", async () =>
    sizes.reduce((a, b) => a + b, 0) === 20 ? true : undefined,
  );
  expect(sizes).toEqual([15, 5]);
});

test("runs at most maximumConcurrency invocations at once", async () => {
  const s = settings({ batchSize: 1, maximumConcurrency: 2, visibilityTimeoutSeconds: 30 });
  const q = await queuePair(s);
  await send(
    q.queueUrl,
    Array.from({ length: 6 }, (_, i) => `c${i}`),
  );
  let running = 0;
  let peak = 0;
  let done = 0;
  startMapping(q, s, async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 150));
    running--;
    done++;
    return {};
  });
  await eventually("six invocations", async () => (done === 6 ? true : undefined));
  expect(peak).toBe(2);
});

test("finishes the batch in progress when stopped and leaves the rest in the queue", async () => {
  const s = settings({ batchSize: 2, maximumConcurrency: 1, visibilityTimeoutSeconds: 30 });
  const q = await queuePair(s);
  await send(q.queueUrl, ["s1", "s2", "s3", "s4"]);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let signalStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    signalStarted = r;
  });
  const mapping = startMapping(q, s, async () => {
    signalStarted();
    await gate;
    return {};
  });
  await started;
  const stopping = mapping.stop();
  release();
  await stopping;
  expect(await counts(q.queueUrl)).toEqual({ visible: 2, inFlight: 0 });
});
