import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { UserDeletion, UserWrite, UserWriter } from "@sml/contracts/users";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { MalformedMessageError } from "../core/errors";
import { saveUsers } from "../core/save-users";
import { toUserChange } from "../core/user-message";
import { fromSqsRecord } from "./sqs-user-message";

export interface SqsHandlerDeps {
  readonly users: UserWriter;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The subscriber: Powertools Batch validates each record (a malformed one becomes a batch item failure, logged
 * with its ids), then the valid ones are stored with one statement. If that write fails, the handler throws, so
 * SQS makes every message of the batch visible again; after maxReceiveCount receives one lands in the DLQ.
 */
export function createSqsHandler({ users, logger, metrics }: SqsHandlerDeps): SqsHandler {
  const processor = new BatchProcessor(EventType.SQS);

  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    const writes: UserWrite[] = [];
    const deletions: UserDeletion[] = [];
    const recordHandler = (record: SQSRecord): void => {
      let snsMessageId: string | undefined;
      try {
        const message = fromSqsRecord(record);
        snsMessageId = message.messageId;
        const change = toUserChange(message);
        if ("email" in change) writes.push(change);
        else deletions.push(change);
      } catch (err) {
        metrics.addMetric("MalformedMessages", MetricUnit.Count, 1);
        logger.warn("Rejected a malformed message", {
          messageId: record.messageId,
          snsMessageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          reason: err instanceof MalformedMessageError ? err.message : String(err),
        });
        throw err;
      }
    };

    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        context,
        // A batch of only malformed messages is reported item by item, not thrown as one failure.
        throwOnFullBatchFailure: false,
      });
      try {
        const { written, superseded, deleted } = await saveUsers(users, writes, deletions);
        metrics.addMetric("UsersWritten", MetricUnit.Count, written);
        if (deleted > 0) metrics.addMetric("UsersDeleted", MetricUnit.Count, deleted);
        if (superseded > 0) metrics.addMetric("MessagesSuperseded", MetricUnit.Count, superseded);
        logger.info("Stored a batch", {
          records: event.Records.length,
          written,
          superseded,
          deleted,
          failed: response.batchItemFailures.length,
          messageIds: [...writes, ...deletions].map((w) => w.messageId),
        });
      } catch (err) {
        metrics.addMetric("BatchWriteFailures", MetricUnit.Count, 1);
        logger.error("Storing the batch failed; every message in it will be retried", {
          error: err as Error,
          messageIds: event.Records.map((r) => r.messageId),
        });
        throw err;
      }
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
