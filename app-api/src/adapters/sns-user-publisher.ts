import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  type UserDeletionMessage,
  UserDeletionMessageSchema,
  type UserMessage,
  UserMessageSchema,
} from "@sml/contracts/users";
import type { UserPublisher } from "../core/ports";

export interface SnsUserPublisherProps {
  readonly topicArn: string;
  /** Injectable for tests and the local stack; the default client honours AWS_ENDPOINT_URL and AWS_REGION. */
  readonly client?: SNSClient;
}

/** Publishes each accepted user as one SNS message whose body is exactly the `{name,email}` JSON contract. */
export class SnsUserPublisher implements UserPublisher {
  private readonly topicArn: string;
  private readonly client: SNSClient;

  constructor(props: SnsUserPublisherProps) {
    this.topicArn = props.topicArn;
    this.client = props.client ?? new SNSClient({});
  }

  async publish(message: UserMessage | UserDeletionMessage): Promise<{ messageId: string }> {
    // Parsing again guards the wire contract: no extra property can leak into the subscriber's input.
    const body = JSON.stringify(
      "delete" in message ? UserDeletionMessageSchema.parse(message) : UserMessageSchema.parse(message),
    );
    const out = await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Message: body }));
    if (!out.MessageId) throw new Error("SNS Publish answered without a MessageId");
    return { messageId: out.MessageId };
  }
}
