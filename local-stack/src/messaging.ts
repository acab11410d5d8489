/**
 * SNS and SQS on this machine: fauxqs in-process, with the topic, the subscriber's queue, its dead-letter
 * queue, the subscription and the redrive policy created through the real AWS SDK from the same settings the
 * infrastructure uses.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { MessagingSettings } from "@sml/contracts/messaging";

/** Resource names; the infrastructure suffixes its own with the environment. */
export const LOCAL_RESOURCE_NAMES = {
  topic: "users-local",
  queue: "users-subscriber-local",
  deadLetterQueue: "users-subscriber-dlq-local",
} as const;

/** fauxqs accepts any credentials; the SDK still needs some to sign with. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface LocalMessaging {
  readonly endpoint: string;
  readonly region: string;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  /** Messages in the subscriber's queue that a receive would return now. */
  visibleMessages(): Promise<number>;
  /** Every message still in the queue (waiting, delayed or in flight) and in the DLQ, without consuming any. */
  snapshot(): Promise<PendingMessages>;
  /** Sends saved messages back into the queue and the DLQ. */
  restore(saved: PendingMessages): Promise<void>;
  stop(): Promise<void>;
}

/** A message as saved across restarts: fauxqs keeps its state in memory only. */
export interface PendingMessage {
  readonly body: string;
  readonly messageAttributes: Record<
    string,
    { DataType: string; StringValue?: string; BinaryValue?: string }
  >;
}

interface InspectedMessage {
  readonly body: string;
  readonly messageAttributes: PendingMessage["messageAttributes"];
}

interface QueueInspection {
  readonly messages: {
    readonly ready: readonly InspectedMessage[];
    readonly delayed: readonly InspectedMessage[];
    readonly inflight: readonly { readonly message: InspectedMessage }[];
  };
}

export interface PendingMessages {
  readonly queue: readonly PendingMessage[];
  readonly deadLetterQueue: readonly PendingMessage[];
}

export interface MessagingOptions {
  readonly port: number;
  readonly region: string;
  readonly settings: MessagingSettings;
}

export function awsClientConfig(endpoint: string, region: string) {
  return { endpoint, region, credentials: LOCAL_AWS_CREDENTIALS };
}

export async function startMessaging(options: MessagingOptions): Promise<LocalMessaging> {
  // fauxqs is ESM-only; tsx loads it through this dynamic import (see FACTS.md). Its startFauxqs() listens on
  // every interface; building the app and listening on loopback keeps the emulator off the network.
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, defaultRegion: options.region });
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
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: LOCAL_RESOURCE_NAMES.deadLetterQueue,
        Attributes: { MessageRetentionPeriod: String(settings.deadLetterRetentionSeconds) },
      }),
    );
    const deadLetterQueueUrl = required(dlq.QueueUrl, "dead-letter queue URL");
    const deadLetterQueueArn = await queueArn(sqs, deadLetterQueueUrl);
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: LOCAL_RESOURCE_NAMES.queue,
        Attributes: {
          VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(settings.messageRetentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterQueueArn,
            maxReceiveCount: settings.maxReceiveCount,
          }),
        },
      }),
    );
    const queueUrl = required(queue.QueueUrl, "queue URL");
    const arn = await queueArn(sqs, queueUrl);
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
    const inspect = async (name: string): Promise<PendingMessage[]> => {
      const { messages } = await inspectQueue(name);
      return [...messages.ready, ...messages.delayed, ...messages.inflight.map((i) => i.message)].map(
        (m) => ({
          body: m.body,
          messageAttributes: m.messageAttributes,
        }),
      );
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
      snapshot: async () => ({
        queue: await inspect(LOCAL_RESOURCE_NAMES.queue),
        deadLetterQueue: await inspect(LOCAL_RESOURCE_NAMES.deadLetterQueue),
      }),
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
