import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { UserWrite, UserWriter } from "@sml/contracts/users";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { MalformedMessageError } from "../core/errors";
import { saveUsers } from "../core/save-users";
import { toUserWrite } from "../core/user-message";
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
    const recordHandler = (record: SQSRecord): void => {
      let snsMessageId: string | undefined;
      try {
        const message = fromSqsRecord(record);
        snsMessageId = message.messageId;
        writes.push(toUserWrite(message));
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
        const { written, superseded } = await saveUsers(users, writes);
        metrics.addMetric("UsersWritten", MetricUnit.Count, written);
        if (superseded > 0) metrics.addMetric("MessagesSuperseded", MetricUnit.Count, superseded);
        logger.info("Stored a batch", {
          records: event.Records.length,
          written,
          superseded,
          failed: response.batchItemFailures.length,
          messageIds: writes.map((w) => w.messageId),
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
