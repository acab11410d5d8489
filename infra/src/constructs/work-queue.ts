import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import type { MessagingSettings } from "@sml/contracts/messaging";
import { type TerraformResource, TerraformStack } from "cdktf";
// The function cdktf names every resource with (TerraformStack.allocateLogicalId); CDK Terrain keeps it.
import { makeUniqueId } from "cdktf/lib/private/unique";
import { Construct } from "constructs";
import { denyPlainHttp, type PolicyStatement, policyDocument } from "./iam";

export interface WorkQueueProps {
  /** The queue's name; its dead-letter queue is `<name>-dlq`. */
  readonly name: string;
  /** Retention, visibility timeout and receives before dead-lettering (contracts). */
  readonly settings: Pick<
    MessagingSettings,
    "visibilityTimeoutSeconds" | "messageRetentionSeconds" | "deadLetterRetentionSeconds" | "maxReceiveCount"
  >;
  /** `prevent_destroy` on both queues: they hold messages nothing else has. */
  readonly preventDestroy: boolean;
  /**
   * Who may send to the queue: the statements of its resource policy, given the queue's ARN. A statement denying
   * plain HTTP is added to them.
   */
  readonly senders: (queueArn: string) => PolicyStatement[];
  /**
   * The queues were built directly in the parent construct before this construct existed (ids `queue`, `dlq`,
   * `dlq-redrive-allow`, `queue-policy` there). With this set, every resource carries a Terraform `moved` block
   * from that address, so a plan on an existing state moves them instead of destroying the queues and their
   * messages. Keep it as long as any state may predate the move (Terraform language docs, "Refactoring").
   */
  readonly movedFromParent?: boolean;
}

/**
 * An SQS queue (SSE-SQS, long polling, TLS only, senders named by its policy) with its dead-letter queue, which
 * accepts redrives from this queue only. The users path and the batch worker each have one.
 */
export class WorkQueue extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** The resource policy: a sender that checks it on creation (S3's notification) depends on it. */
  readonly policy: SqsQueuePolicy;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { settings } = props;
    this.queueName = props.name;
    this.deadLetterQueueName = `${props.name}-dlq`;
    const lifecycle = { preventDestroy: props.preventDestroy };

    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: this.deadLetterQueueName,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: settings.deadLetterRetentionSeconds,
      // The failed messages wait here for a redrive: a renamed queue would drop them.
      lifecycle,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: this.queueName,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
      messageRetentionSeconds: settings.messageRetentionSeconds,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: settings.maxReceiveCount,
      }),
      // Messages not yet processed live only here.
      lifecycle,
    });
    // A separate resource: on the DLQ itself it would reference the queue that references the DLQ (a cycle).
    const redriveAllow = new SqsQueueRedriveAllowPolicy(this, "dlq-redrive-allow", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
    this.policy = new SqsQueuePolicy(this, "queue-policy", {
      queueUrl: this.queue.url,
      policy: policyDocument(this, "queue-policy-document", [
        ...props.senders(this.queue.arn),
        denyPlainHttp(["sqs:*"], [this.queue.arn]),
      ]).json,
    });

    if (props.movedFromParent)
      for (const resource of [this.deadLetterQueue, this.queue, redriveAllow, this.policy])
        resource.moveFromId(addressInParent(resource));
  }
}

/** The address `resource` had with the same id directly in this construct's parent. */
function addressInParent(resource: TerraformResource): string {
  const stack = TerraformStack.of(resource);
  const scopes = resource.node.scopes;
  const path = scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
  // Drop the WorkQueue's own id: [..., parent, workQueue, resource] -> [..., parent, resource].
  const former = [...path.slice(0, -2), path[path.length - 1] as string];
  return `${resource.terraformResourceType}.${makeUniqueId(former)}`;
}
