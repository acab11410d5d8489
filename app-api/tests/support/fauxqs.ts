import { randomUUID } from "node:crypto";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

/**
 * A topic with one SQS queue subscribed (raw delivery, so the queue holds exactly the published body), on the
 * fauxqs server the jest globalSetup started (AWS_ENDPOINT_URL). Names are unique per call.
 */
export async function createTopicWithQueue(): Promise<{
  sns: SNSClient;
  sqs: SQSClient;
  topicArn: string;
  queueUrl: string;
}> {
  if (!process.env.AWS_ENDPOINT_URL)
    throw new Error("AWS_ENDPOINT_URL is not set: is the fauxqs globalSetup on?");
  const suffix = randomUUID().slice(0, 8);
  const sns = new SNSClient({});
  // fauxqs names queues sqs.<region>.localhost, which does not resolve here: keep the configured endpoint.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `users-${suffix}` }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `users-${suffix}` }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  if (!TopicArn || !QueueUrl) throw new Error("fauxqs did not return a topic ARN or queue URL");
  return { sns, sqs, topicArn: TopicArn, queueUrl: QueueUrl };
}

/** Receives and deletes until the queue answers empty, returning every message body. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const m of Messages) {
      bodies.push(m.Body ?? "");
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
