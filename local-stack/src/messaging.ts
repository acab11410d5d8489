/**
 * SNS and SQS on this machine: fauxqs in-process, with the topic, the subscriber's queue, its dead-letter
 * queue, the subscription and the redrive policy created through the real AWS SDK from the same settings the
 * infrastructure uses.
 *
 * The queues are durable: fauxqs writes every SQS mutation through to SQLite (`node:sqlite`, synchronously, in
 * the request that makes it), so a message that SNS delivered to the queue is in the file before Publish
 * answers, and so before the API answers 202. At start fauxqs loads the file again: waiting and DLQ messages
 * are back, messages that were in flight become visible when their visibility timeout ends, and a message is
 * removed from the file when the subscriber deletes it. See QUEUE_SYNC for what reaches the disk when.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { MessagingSettings } from "@sml/contracts/messaging";
import { addS3Cors, type HookableApp } from "./s3-cors";
import { S3_FRONT_TOKEN_HEADER, s3ErrorXml } from "./s3-front";

/** Resource names; the infrastructure suffixes its own with the environment. */
export const LOCAL_RESOURCE_NAMES = {
  topic: "users-local",
  queue: "users-subscriber-local",
  deadLetterQueue: "users-subscriber-dlq-local",
} as const;

/** fauxqs accepts any credentials; the SDK still needs some to sign with. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/**
 * Where the queues live, and the fsync policy (SQLite `PRAGMA synchronous`, in the WAL journal mode fauxqs sets):
 * - `disk` (default): `NORMAL`. Each commit is written to the WAL file before the call returns, without an
 *   fsync; the WAL is fsynced at each checkpoint (every 1,000 pages). A crash of the stack (SIGKILL, OOM, a
 *   panic) loses nothing it acknowledged, because the bytes are in the kernel's page cache; a crash of the
 *   operating system or a power cut can lose the commits since the last checkpoint, never the file's consistency
 *   (sqlite.org/pragma.html#pragma_synchronous, sqlite.org/wal.html).
 * - `disk-fsync`: `FULL`, fauxqs's own setting: every commit fsyncs the WAL, so an acknowledged message also
 *   survives a power cut. About 2 ms per commit on this machine, and the event loop waits for it (node:sqlite
 *   is synchronous): a message costs three commits (sent, received, deleted).
 * - `memory`: nothing on disk, as before the queue was durable; kept so the bench can measure what durability
 *   costs. Messages queued at a stop or a crash are lost.
 */
export const QUEUE_STORAGE = ["disk", "disk-fsync", "memory"] as const;
export type QueueStorage = (typeof QUEUE_STORAGE)[number];
const QUEUE_SYNC: Record<Exclude<QueueStorage, "memory">, string> = { disk: "NORMAL", "disk-fsync": "FULL" };

/** fauxqs's SQLite file inside the data folder given to it. */
export const QUEUE_DATABASE_FILE = "fauxqs.db";

export interface LocalMessaging {
  readonly endpoint: string;
  readonly region: string;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  /** Messages in the subscriber's queue that a receive would return now. */
  visibleMessages(): Promise<number>;
  /** Sends saved messages back into the queue and the DLQ. */
  restore(saved: PendingMessages): Promise<void>;
  stop(): Promise<void>;
}

/** A message as an earlier version of the local stack saved it at shutdown (`pending-messages.json`). */
export interface PendingMessage {
  readonly body: string;
  readonly messageAttributes: Record<
    string,
    { DataType: string; StringValue?: string; BinaryValue?: string }
  >;
}

interface QueueInspection {
  readonly messages: { readonly ready: readonly unknown[] };
}

export interface PendingMessages {
  readonly queue: readonly PendingMessage[];
  readonly deadLetterQueue: readonly PendingMessage[];
}

export interface MessagingOptions {
  readonly port: number;
  readonly region: string;
  readonly settings: MessagingSettings;
  readonly storage: QueueStorage;
  /** Folder for fauxqs's SQLite file (unused with `memory`). */
  readonly dataDir: string;
  /** Called after each request fauxqs answered (the batch pipeline turns S3 uploads into notifications). */
  readonly onResponse?: (request: { method: string; url: string; statusCode: number }) => void;
  /** Set: fauxqs answers S3 requests only when they carry this token, i.e. came through the S3 front. */
  readonly s3FrontToken?: string;
  /** The CORS rule of a bucket, as the site needs it (see s3-cors.ts); none when omitted. */
  readonly s3Cors?: { readonly bucket: string; readonly origins: () => readonly string[] };
}

/**
 * The largest single PUT S3 takes: 5 GB ("Uploading objects" in the S3 user guide: "upload a single object up to
 * 5 GB" in one operation). fauxqs sets Fastify's body limit to 11 MiB, below the batch API's advertised maxBytes.
 */
export const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;

/**
 * Whether fauxqs will route a request to S3: SQS requests carry X-Amz-Target (JSON protocol), SNS and STS ones a
 * form body (query protocol); the rest, except fauxqs's own /health and /_fauxqs routes, is S3.
 */
export function isS3Request(request: { url: string; headers: Record<string, unknown> }): boolean {
  if (request.headers["x-amz-target"] !== undefined) return false;
  if (String(request.headers["content-type"] ?? "").includes("x-www-form-urlencoded")) return false;
  const path = request.url.split("?")[0] ?? "";
  return path !== "/health" && !path.startsWith("/_fauxqs/");
}

export function awsClientConfig(endpoint: string, region: string) {
  return { endpoint, region, credentials: LOCAL_AWS_CREDENTIALS };
}

/** The parts of fauxqs's internals that wire its SQLite persistence into its stores (fauxqs 2.4.1). */
interface FauxqsPersistence {
  readonly db: { exec(sql: string): void };
  load(sqsStore: object, snsStore: object, s3Store: object): void;
  close(): void;
}
interface FauxqsInternals {
  readonly PersistenceManager: new (dataDir: string) => FauxqsPersistence;
  readonly SqsStore: new () => {
    persistence?: FauxqsPersistence;
    allQueues(): Iterable<{ persistence?: FauxqsPersistence }>;
  };
  readonly SnsStore: new () => { persistence?: FauxqsPersistence };
  readonly S3Store: new () => { persistence?: FauxqsPersistence };
}

/**
 * fauxqs's own `startFauxqs({ dataDir })` wires persistence exactly like this, but listens on every interface
 * whatever `host` says; building the app from the same parts keeps the emulator, and the users' names and
 * e-mails queued in it, on loopback. Its package exports only the entry point, so the parts are imported by
 * file; the exact version pin in package.json and the end-to-end SIGKILL test hold this to the code read.
 */
async function loadFauxqsInternals(): Promise<FauxqsInternals> {
  const root = (require.resolve.paths("fauxqs") ?? [])
    .map((dir) => join(dir, "fauxqs"))
    .find((dir) => existsSync(join(dir, "dist", "persistence.js")));
  if (root === undefined) throw new Error("fauxqs is not installed; run npm ci");
  const part = (file: string) => import(pathToFileURL(join(root, "dist", file)).href);
  const [persistence, sqs, sns, s3] = await Promise.all([
    part("persistence.js"),
    part("sqs/sqsStore.js"),
    part("sns/snsStore.js"),
    part("s3/s3Store.js"),
  ]);
  return {
    PersistenceManager: persistence.PersistenceManager,
    SqsStore: sqs.SqsStore,
    SnsStore: sns.SnsStore,
    S3Store: s3.S3Store,
  };
}

type FauxqsStores = NonNullable<NonNullable<Parameters<typeof import("fauxqs").buildApp>[0]>["stores"]>;

/** Stores loaded from (and writing through to) `${dataDir}/fauxqs.db`, as startFauxqs({ dataDir }) builds them. */
async function durableStores(storage: Exclude<QueueStorage, "memory">, dataDir: string) {
  const f = await loadFauxqsInternals();
  // Owner-only: the queued messages hold users' names and e-mails.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const persistence = new f.PersistenceManager(dataDir);
  persistence.db.exec(`PRAGMA synchronous = ${QUEUE_SYNC[storage]}`);
  const stores = { sqsStore: new f.SqsStore(), snsStore: new f.SnsStore(), s3Store: new f.S3Store() };
  // Loaded before persistence is attached, as fauxqs does: re-inserting while loading would cascade deletes.
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  stores.sqsStore.persistence = persistence;
  stores.snsStore.persistence = persistence;
  stores.s3Store.persistence = persistence;
  for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;
  return { stores, persistence };
}

export async function startMessaging(options: MessagingOptions): Promise<LocalMessaging> {
  // fauxqs is ESM-only; tsx loads it through this dynamic import (see FACTS.md).
  const { buildApp } = await import("fauxqs");
  const durable =
    options.storage === "memory" ? undefined : await durableStores(options.storage, options.dataDir);
  const app = buildApp({
    logger: false,
    defaultRegion: options.region,
    // fauxqs's declared store types are its internal classes; these are instances of the same classes.
    ...(durable ? { stores: durable.stores as unknown as FauxqsStores } : {}),
  });
  // fauxqs's catch-all S3 body parser inherits its 11 MiB server limit; the same parser with S3's own limit.
  app.removeContentTypeParser("*");
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: S3_MAX_PUT_BYTES },
    (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => {
      done(null, body);
    },
  );
  const token = options.s3FrontToken;
  if (token !== undefined) {
    type Reply = {
      code(status: number): Reply;
      header(name: string, value: string): Reply;
      send(body: string): Promise<unknown> | Reply;
    };
    app.addHook("onRequest", async (request: { url: string; headers: unknown }, reply: Reply) => {
      const headers = request.headers as Record<string, unknown>;
      if (!isS3Request({ url: request.url, headers }) || headers[S3_FRONT_TOKEN_HEADER] === token) return;
      // As S3 answers an unsigned request to a private bucket.
      await reply
        .code(403)
        .header("content-type", "application/xml")
        .send(
          s3ErrorXml(
            { status: 403, code: "AccessDenied", message: "Access Denied" },
            request.url.split("?")[0] ?? "/",
          ),
        );
    });
  }
  // After fauxqs's own preClose hook, which stops its timers: nothing writes once the file is closed.
  if (durable) app.addHook("preClose", () => durable.persistence.close());
  const onResponse = options.onResponse;
  if (onResponse) {
    app.addHook(
      "onResponse",
      async (request: { method: string; url: string }, reply: { statusCode: number }) => {
        onResponse({ method: request.method, url: request.url, statusCode: reply.statusCode });
      },
    );
  }
  if (options.s3Cors) addS3Cors(app as unknown as HookableApp, options.s3Cors.bucket, options.s3Cors.origins);
  await app.listen({ port: options.port, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address !== "object") throw new Error("fauxqs did not report its port");
  const endpoint = `http://127.0.0.1:${address.port}`;
  const server = { stop: () => app.close() };
  const clientConfig = awsClientConfig(endpoint, options.region);
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  try {
    const { settings } = options;
    const deadLetterQueueUrl = await ensureQueue(sqs, endpoint, LOCAL_RESOURCE_NAMES.deadLetterQueue, {
      MessageRetentionPeriod: String(settings.deadLetterRetentionSeconds),
    });
    const deadLetterQueueArn = await queueArn(sqs, deadLetterQueueUrl);
    const queueUrl = await ensureQueue(sqs, endpoint, LOCAL_RESOURCE_NAMES.queue, {
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(settings.messageRetentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetterQueueArn,
        maxReceiveCount: settings.maxReceiveCount,
      }),
    });
    const arn = await queueArn(sqs, queueUrl);
    // Both idempotent: a restart on a durable queue finds the topic and the subscription already there.
    const topic = await sns.send(new CreateTopicCommand({ Name: LOCAL_RESOURCE_NAMES.topic }));
    const topicArn = required(topic.TopicArn, "topic ARN");
    // Raw delivery off, as deployed: the subscriber reads SNS envelopes (publish timestamp orders updates).
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: arn }));
    // fauxqs's non-destructive inspection route, called in-process (no receive, so no receive count changes).
    const inspectQueue = async (name: string): Promise<QueueInspection> => {
      const res = await app.inject({ method: "GET", url: `/_fauxqs/queues/${encodeURIComponent(name)}` });
      if (res.statusCode !== 200) throw new Error(`fauxqs could not inspect queue ${name}: ${res.body}`);
      return res.json() as QueueInspection;
    };
    // Loads fastify's inject machinery now: at shutdown a signal sent to the whole process group (Ctrl-C)
    // has also stopped tsx's esbuild service, so no module can be compiled any more.
    await inspectQueue(LOCAL_RESOURCE_NAMES.queue);
    return {
      endpoint,
      region: options.region,
      topicArn,
      queueUrl,
      queueArn: arn,
      deadLetterQueueUrl,
      visibleMessages: async () => (await inspectQueue(LOCAL_RESOURCE_NAMES.queue)).messages.ready.length,
      async restore(saved) {
        const client = new SQSClient(clientConfig);
        try {
          await sendAll(client, queueUrl, saved.queue);
          await sendAll(client, deadLetterQueueUrl, saved.deadLetterQueue);
        } finally {
          client.destroy();
        }
      },
      async stop() {
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    sqs.destroy();
    sns.destroy();
  }
}

/**
 * Creates the queue or finds it in the durable store, then applies this start's attributes: CreateQueue
 * rejects an existing queue whose attributes differ (LOCAL_VISIBILITY_TIMEOUT_SECONDS changed since the last
 * run), SetQueueAttributes does not. The stored URL names the port of the run that created the queue; fauxqs
 * finds queues by name whatever the host, so the URL handed out names this run's endpoint.
 */
async function ensureQueue(
  sqs: SQSClient,
  endpoint: string,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = `${endpoint}${new URL(required(created.QueueUrl, `URL of queue ${name}`)).pathname}`;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  return url;
}

async function sendAll(sqs: SQSClient, queueUrl: string, messages: readonly PendingMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: m.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(m.messageAttributes).map(([name, v]): [string, MessageAttributeValue] => [
              name,
              {
                DataType: v.DataType,
                ...(v.StringValue === undefined ? {} : { StringValue: v.StringValue }),
                ...(v.BinaryValue === undefined ? {} : { BinaryValue: Buffer.from(v.BinaryValue, "base64") }),
              },
            ]),
          ),
        })),
      }),
    );
    if (out.Failed?.length)
      throw new Error(`Could not restore ${out.Failed.length} saved messages into ${queueUrl}`);
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  return required(out.Attributes?.QueueArn, "queue ARN");
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fauxqs returned no ${what}`);
  return value;
}
