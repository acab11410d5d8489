import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import type { MessagingSettings } from "@sml/contracts/messaging";
import { Construct } from "constructs";
import { WorkQueue } from "./work-queue";

export interface MessagingProps {
  readonly namePrefix: string;
  readonly settings: MessagingSettings;
  /** `prevent_destroy` on the queues (messages) and the topic key (a new key cannot decrypt the old one's data). */
  readonly preventDestroy: boolean;
  /** The topic's key: a KMS key of this construct, or the account's AWS-managed `alias/aws/sns` (free). */
  readonly topicKey: "customer-managed" | "aws-managed";
}

/** The AWS-managed SNS key: its key policy lets any principal of the account use it through SNS only. */
export const AWS_MANAGED_SNS_KEY = "alias/aws/sns";

/**
 * The users path: SNS topic (customer-managed KMS key) -> SQS queue (SSE-SQS) with a dead-letter queue.
 * Only this topic may send to the queue; the DLQ accepts redrives from this queue only. Delivery keeps the SNS
 * envelope (raw delivery off) because the subscriber orders updates by the SNS publish timestamp.
 */
export class Messaging extends Construct {
  readonly topic: SnsTopic;
  /** The customer-managed topic key; undefined with the AWS-managed key (no IAM grant is needed for that one). */
  readonly topicKey: KmsKey | undefined;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly subscription: SnsTopicSubscription;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly settings: MessagingSettings;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { namePrefix, settings } = props;
    this.settings = settings;

    // The default key policy delegates to IAM, so only roles granted kms:GenerateDataKey on this key can publish.
    // The AWS-managed key keeps the messages encrypted at rest as well; what it gives up is control of the key
    // policy and of the key's deletion (AWS KMS developer guide, "AWS managed keys"), which dev does not need.
    if (props.topicKey === "customer-managed") {
      this.topicKey = new KmsKey(this, "topic-key", {
        description: `${namePrefix} users topic encryption`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        lifecycle: { preventDestroy: props.preventDestroy },
      });
      new KmsAlias(this, "topic-key-alias", {
        name: `alias/${namePrefix}-users-topic`,
        targetKeyId: this.topicKey.keyId,
      });
    }

    this.topic = new SnsTopic(this, "topic", {
      name: `${namePrefix}-users`,
      kmsMasterKeyId: this.topicKey?.arn ?? AWS_MANAGED_SNS_KEY,
    });

    const queues = new WorkQueue(this, "queues", {
      name: `${namePrefix}-users`,
      settings,
      preventDestroy: props.preventDestroy,
      senders: (queueArn) => [
        {
          sid: "OnlyTheUsersTopicSends",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [queueArn],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [this.topic.arn] }],
        },
      ],
      movedFromParent: true,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.queueName = queues.queueName;
    this.deadLetterQueueName = queues.deadLetterQueueName;

    this.subscription = new SnsTopicSubscription(this, "subscription", {
      topicArn: this.topic.arn,
      protocol: "sqs",
      endpoint: this.queue.arn,
      rawMessageDelivery: false,
    });
  }
}
