import { randomUUID } from "node:crypto";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";

export interface UsersPath {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly maxReceiveCount: number;
}

/**
 * The users topic -> queue -> DLQ wiring on fauxqs, with the redrive and retention settings the infrastructure
 * uses (DEFAULT_MESSAGING_SETTINGS); only the visibility timeout is shortened so redeliveries happen within a
 * test.
 */
export async function createUsersPath(
  options: { rawDelivery?: boolean; visibilityTimeoutSeconds?: number } = {},
): Promise<UsersPath> {
  if (!process.env.AWS_ENDPOINT_URL)
    throw new Error("AWS_ENDPOINT_URL is not set: is the fauxqs globalSetup on?");
  const settings = DEFAULT_MESSAGING_SETTINGS;
  const suffix = randomUUID().slice(0, 8);
  const sns = new SNSClient({});
  // fauxqs names queue URLs sqs.<region>.localhost, which does not resolve here: keep the configured endpoint.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const arnOf = async (QueueUrl: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    if (!Attributes?.QueueArn) throw new Error(`fauxqs returned no ARN for ${QueueUrl}`);
    return Attributes.QueueArn;
  };
  const { QueueUrl: dlqUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `users-dlq-${suffix}`,
      Attributes: { MessageRetentionPeriod: String(settings.deadLetterRetentionSeconds) },
    }),
  );
  if (!dlqUrl) throw new Error("fauxqs returned no DLQ URL");
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `users-${suffix}`,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 1),
        MessageRetentionPeriod: String(settings.messageRetentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(dlqUrl),
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  if (!queueUrl) throw new Error("fauxqs returned no queue URL");
  const queueArn = await arnOf(queueUrl);
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: `users-${suffix}` }));
  if (!topicArn) throw new Error("fauxqs returned no topic ARN");
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: queueArn,
      Attributes: { RawMessageDelivery: options.rawDelivery ? "true" : "false" },
    }),
  );
  return { sns, sqs, topicArn, queueUrl, queueArn, dlqUrl, maxReceiveCount: settings.maxReceiveCount };
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Receives up to 10 messages with every system attribute (as the Lambda event source mapping does). */
export async function receive(sqs: SQSClient, queueUrl: string, waitSeconds = 0): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return Messages;
}
