import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";
import { getEnvironmentConfig } from "../src/config";
import { prdShapedDev } from "./support/shapes";
import { bodyOf, ref, resourcesOf, statementsOf, synthEnvironment } from "./support/synth";

// A customer-managed topic key (prd's shape) with dev's names; the AWS-managed key is tested below.
const dev = synthEnvironment(prdShapedDev(getEnvironmentConfig("dev")));
const m = dev.env.messaging;
const queueArn = ref("aws_sqs_queue", m.queue.friendlyUniqueId, "arn");
const dlqArn = ref("aws_sqs_queue", m.deadLetterQueue.friendlyUniqueId, "arn");
const topicArn = ref("aws_sns_topic", m.topic.friendlyUniqueId, "arn");

describe("messaging", () => {
  it("encrypts the topic with a rotating customer-managed KMS key", () => {
    const key = m.topicKey;
    if (!key) throw new Error("no customer-managed topic key");
    expect(bodyOf(dev.json, m.topic).kms_master_key_id).toBe(ref("aws_kms_key", key.friendlyUniqueId, "arn"));
    expect(bodyOf(dev.json, key).enable_key_rotation).toBe(true);
  });

  it("encrypts both queues with SSE-SQS", () => {
    expect(bodyOf(dev.json, m.queue).sqs_managed_sse_enabled).toBe(true);
    expect(bodyOf(dev.json, m.deadLetterQueue).sqs_managed_sse_enabled).toBe(true);
  });

  it("sets the queue's visibility timeout from the shared settings, at least 6x the subscriber timeout", () => {
    const queue = bodyOf(dev.json, m.queue);
    expect(queue.visibility_timeout_seconds).toBe(DEFAULT_MESSAGING_SETTINGS.visibilityTimeoutSeconds);
    expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(
      6 * DEFAULT_MESSAGING_SETTINGS.subscriberTimeoutSeconds,
    );
    expect(queue.message_retention_seconds).toBe(DEFAULT_MESSAGING_SETTINGS.messageRetentionSeconds);
  });

  it("redrives to the dead-letter queue after maxReceiveCount receives", () => {
    expect(JSON.parse(bodyOf(dev.json, m.queue).redrive_policy)).toEqual({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: DEFAULT_MESSAGING_SETTINGS.maxReceiveCount,
    });
    expect(bodyOf(dev.json, m.deadLetterQueue).message_retention_seconds).toBe(1209600);
  });

  it("lets only the users queue redrive into the dead-letter queue", () => {
    const [, allow] =
      resourcesOf(dev.json, "aws_sqs_queue_redrive_allow_policy").find(
        ([, a]) => a.queue_url === ref("aws_sqs_queue", m.deadLetterQueue.friendlyUniqueId, "url"),
      ) ?? [];
    expect(allow?.queue_url).toBe(ref("aws_sqs_queue", m.deadLetterQueue.friendlyUniqueId, "url"));
    expect(JSON.parse(allow?.redrive_allow_policy)).toEqual({
      redrivePermission: "byQueue",
      sourceQueueArns: [queueArn],
    });
  });

  it("allows only the users topic to send to the queue, and only over TLS", () => {
    const [, policy] =
      resourcesOf(dev.json, "aws_sqs_queue_policy").find(
        ([, p]) => p.queue_url === ref("aws_sqs_queue", m.queue.friendlyUniqueId, "url"),
      ) ?? [];
    expect(policy?.queue_url).toBe(ref("aws_sqs_queue", m.queue.friendlyUniqueId, "url"));
    const statements = statementsOf(dev.json, policy?.policy);
    expect(statements).toEqual([
      expect.objectContaining({
        effect: "Allow",
        actions: ["sqs:SendMessage"],
        resources: [queueArn],
        principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
        condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [topicArn] }],
      }),
      expect.objectContaining({
        effect: "Deny",
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    ]);
  });

  it("subscribes the queue to the topic with the SNS envelope kept (raw delivery off)", () => {
    expect(dev.text).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: "sqs",
      topic_arn: topicArn,
      endpoint: queueArn,
      raw_message_delivery: false,
    });
  });

  it("exposes the queue names the alarms need", () => {
    expect([m.queueName, m.deadLetterQueueName]).toEqual(["sml-dev-users", "sml-dev-users-dlq"]);
  });
});
