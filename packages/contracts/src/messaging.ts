/**
 * Settings of the SNS -> SQS -> subscriber path, shared by the infrastructure (queues, event source mapping)
 * and the local stack (fauxqs queues, the emulated event source mapping), so both behave alike.
 */
import { FUNCTIONS } from "./functions";

export interface MessagingSettings {
  /** Subscriber Lambda timeout. */
  readonly subscriberTimeoutSeconds: number;
  /** SQS visibility timeout; AWS advises at least 6x the function timeout so retries do not overlap. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Records per subscriber invocation. */
  readonly batchSize: number;
  /** How long the event source mapping gathers records before invoking. */
  readonly maximumBatchingWindowSeconds: number;
  /** Concurrent subscriber invocations; each holds one database connection. */
  readonly maximumConcurrency: number;
  /** How long the source queue keeps a message. */
  readonly messageRetentionSeconds: number;
  /** How long the dead-letter queue keeps a message (the SQS maximum, 14 days). */
  readonly deadLetterRetentionSeconds: number;
}

const SUBSCRIBER_TIMEOUT_SECONDS = FUNCTIONS.subscriber.timeoutSeconds;

export const DEFAULT_MESSAGING_SETTINGS: MessagingSettings = Object.freeze({
  subscriberTimeoutSeconds: SUBSCRIBER_TIMEOUT_SECONDS,
  visibilityTimeoutSeconds: SUBSCRIBER_TIMEOUT_SECONDS * 6,
  maxReceiveCount: 5,
  batchSize: 25,
  maximumBatchingWindowSeconds: 1,
  maximumConcurrency: 2,
  messageRetentionSeconds: 4 * 24 * 3600,
  deadLetterRetentionSeconds: 14 * 24 * 3600,
});
