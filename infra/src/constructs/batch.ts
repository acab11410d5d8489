import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import {
  BATCH_ABORT_INCOMPLETE_UPLOAD_DAYS,
  BATCH_LIFECYCLE_RULES,
  BATCH_PART_EXPIRY_DAYS,
  BATCH_PREFIXES,
  BATCH_QUEUE_SETTINGS,
  BATCH_SWEEP_INTERVAL_MINUTES,
  BATCHES_RESERVED_CONCURRENCY,
} from "@sml/contracts/batches";
import { DB_USERS, ENV } from "@sml/contracts/env";
import { imageHandler, statementTimeoutMsFor } from "@sml/contracts/functions";
import { dependable } from "cdktf";
import { Construct } from "constructs";
import { BATCH_SWEEPER_CONNECTIONS, type EnvironmentConfig } from "../config";
import { denyPlainHttp, policyDocument, SQS_EVENT_SOURCE_ACTIONS } from "./iam";
import type { NetworkAccess } from "./network";
import { type BuiltFunction, registryFunctionProps, ServiceFunction } from "./service-function";
import { WorkQueue } from "./work-queue";
import type { Functions } from "./zip-functions";

export interface BatchPredictionsProps {
  readonly config: EnvironmentConfig;
  readonly accountId: string;
  readonly network: NetworkAccess;
  /** The zip functions: their database settings and login rule, which the batch functions share. */
  readonly functions: Functions;
  /** The prediction image (`<repository>@sha256:<digest>`): both batch functions run it with their own command. */
  readonly imageUri: string;
}

/** Days S3 keeps range results (parts/), and before it removes an abandoned multipart upload (contracts). */
export const PART_EXPIRY_DAYS = BATCH_PART_EXPIRY_DAYS;
export const ABORT_INCOMPLETE_UPLOAD_DAYS = BATCH_ABORT_INCOMPLETE_UPLOAD_DAYS;

/**
 * Batch predictions: a private bucket (all public access blocked, SSE-S3, bucket-owner objects, TLS only, inputs
 * and results expiring after BATCH_OBJECT_EXPIRY_DAYS), its upload notification (ObjectCreated under inputs/)
 * into the worker's queue (SSE-SQS, TLS only, a dead-letter queue), and the two functions of the prediction image:
 * `batches` (POST /batches, GET /batches/{id}) and `batch-worker`, each with IAM on its own prefixes only.
 * Inside the VPC an S3 gateway endpoint keeps the files off the NAT gateways (free; NAT bills per GB).
 */
export class BatchPredictions extends Construct {
  readonly bucket: S3Bucket;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly http: ServiceFunction;
  readonly worker: ServiceFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  /** Fails batches that can no longer end (docs/batches.md, "Every batch ends"), on an EventBridge schedule. */
  readonly sweeper: ServiceFunction;
  readonly sweepSchedule: CloudwatchEventRule;
  /** The registry's functions this construct builds, by name. */
  readonly built: { readonly [N in "batches" | "batch-worker" | "batch-sweeper"]: BuiltFunction };
  readonly notification: S3BucketNotification;
  readonly s3Endpoint: VpcEndpoint | undefined;
  /** Only in a VPC without NAT: the worker's own SendMessage (range fan-out) has no other way out. */
  readonly sqsEndpoint: VpcEndpoint | undefined;

  constructor(scope: Construct, id: string, props: BatchPredictionsProps) {
    super(scope, id);
    const { config, functions } = props;
    const prefix = config.namePrefix;
    const settings = BATCH_QUEUE_SETTINGS;

    // Bucket names are global: the account id keeps two accounts' environments apart.
    // Inputs and results wait here for their callers; like the users queues, guarded where the config says so.
    // A destroyable environment (dev, a preview) empties the bucket on destroy: S3 refuses to delete a bucket
    // with objects (BucketNotEmpty), and Terraform removes the lifecycle rule first, so nothing would expire them.
    // A protected one (prd) never lets a destroy empty it.
    const lifecycle = { preventDestroy: config.preventDestroy };
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: `${prefix}-batches-${props.accountId}`,
      forceDestroy: !config.preventDestroy,
      lifecycle,
    });
    const bucketArn = this.bucket.arn;
    const objects = (p: string) => `${bucketArn}/${p}*`;
    new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          // SSE-S3: presigned URLs work for the client without a KMS grant; the key never leaves S3.
          applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
          blockedEncryptionTypes: ["SSE-C"],
        },
      ],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      // The rules the local stack applies too (BATCH_LIFECYCLE_RULES in @sml/contracts/batches).
      rule: BATCH_LIFECYCLE_RULES.map((r) => ({
        id: r.id,
        status: "Enabled",
        filter: [{ prefix: r.prefix }],
        expiration: [{ days: r.expirationDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: r.abortIncompleteUploadDays }],
      })),
    });
    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: policyDocument(this, "policy-document", [
        denyPlainHttp(["s3:*"], [bucketArn, `${bucketArn}/*`]),
      ]).json,
    });

    const queues = new WorkQueue(this, "queues", {
      name: `${prefix}-batch-worker`,
      settings,
      preventDestroy: config.preventDestroy,
      senders: (queueArn) => [
        {
          // Amazon S3 user guide, "Walkthrough: Configuring a bucket for notifications (SNS topic or SQS queue)".
          sid: "OnlyTheBatchBucketNotifies",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["s3.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [queueArn],
          condition: [
            { test: "ArnEquals", variable: "aws:SourceArn", values: [bucketArn] },
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
          ],
        },
      ],
      movedFromParent: true,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.queueName = queues.queueName;
    this.deadLetterQueueName = queues.deadLetterQueueName;
    // S3 checks that it may send to the queue when the notification is created: the policy comes first.
    this.notification = new S3BucketNotification(this, "notification", {
      bucket: this.bucket.id,
      queue: [
        { queueArn: this.queue.arn, events: ["s3:ObjectCreated:*"], filterPrefix: BATCH_PREFIXES.inputs },
      ],
      dependsOn: [queues.policy],
    });

    const vpc = functions.vpcConfig;
    this.s3Endpoint =
      vpc && config.network.vpcEndpoints
        ? new VpcEndpoint(this, "s3-endpoint", {
            vpcId: props.network.vpcId,
            serviceName: `com.amazonaws.${config.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: props.network.privateRouteTableIds,
            tags: { Name: `${prefix}-s3` },
          })
        : undefined;
    // Unlike the event source mapping's polls (the Lambda service's, outside the VPC), the worker's code sends to
    // SQS; without NAT it needs an interface endpoint (validateConfig requires vpcEndpoints then).
    const endpointSg = props.network.endpointSecurityGroup;
    this.sqsEndpoint =
      vpc && config.network.natMode === "none" && endpointSg
        ? new VpcEndpoint(this, "sqs-endpoint", {
            vpcId: props.network.vpcId,
            serviceName: `com.amazonaws.${config.region}.sqs`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: props.network.privateSubnetIds,
            securityGroupIds: [endpointSg.id],
            tags: { Name: `${prefix}-sqs` },
          })
        : undefined;
    const database = functions.databaseAccess(DB_USERS.batch);
    const environment = (registry: { environment: Record<string, string> }, timeoutSeconds: number) => ({
      ...registry.environment,
      ...functions.databaseEnv,
      ...database.env,
      [ENV.dbStatementTimeoutMs]: String(statementTimeoutMsFor(timeoutSeconds)),
      [ENV.batchBucket]: this.bucket.bucket,
    });

    // Served through `live` like the api (registry `rollout`): CodeDeploy shifts it, rolling back on its alarms.
    const batches = registryFunctionProps("batches", prefix);
    this.http = new ServiceFunction(this, "batches", {
      ...batches,
      code: { kind: "image", imageUri: props.imageUri, command: [imageHandler("batches")] },
      // Each instance holds one database connection (the connection budget counts it).
      reservedConcurrency: BATCHES_RESERVED_CONCURRENCY,
      environment: environment(batches, batches.timeoutSeconds),
      ...(vpc ? { vpc } : {}),
      logRetentionDays: config.logRetentionDays,
      statements: [
        {
          // A presigned URL carries the signer's permissions: PUT only under inputs/, GET only under results/.
          sid: "PresignUploads",
          effect: "Allow",
          actions: ["s3:PutObject"],
          resources: [objects(BATCH_PREFIXES.inputs)],
        },
        {
          sid: "PresignResults",
          effect: "Allow",
          actions: ["s3:GetObject"],
          resources: [objects(BATCH_PREFIXES.results)],
        },
        ...database.statements,
      ],
    });

    // The queue's mapping invokes `live`, like the subscriber's, so a rollout shifts ranges too.
    const worker = registryFunctionProps("batch-worker", prefix);
    const workerTimeout = settings.subscriberTimeoutSeconds;
    this.worker = new ServiceFunction(this, "worker", {
      ...worker,
      code: {
        kind: "image",
        imageUri: props.imageUri,
        command: [imageHandler("batch-worker")],
      },
      timeoutSeconds: workerTimeout,
      environment: { ...environment(worker, workerTimeout), [ENV.batchQueueUrl]: this.queue.url },
      ...(vpc ? { vpc } : {}),
      logRetentionDays: config.logRetentionDays,
      statements: [
        {
          sid: "ReadInputsAndParts",
          effect: "Allow",
          actions: ["s3:GetObject"],
          resources: [objects(BATCH_PREFIXES.inputs), objects(BATCH_PREFIXES.parts)],
        },
        {
          sid: "WritePartsAndResults",
          effect: "Allow",
          // PutObject also covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
          actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
          resources: [objects(BATCH_PREFIXES.parts), objects(BATCH_PREFIXES.results)],
        },
        {
          sid: "QueueRanges",
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [this.queue.arn],
        },
        {
          sid: "ConsumeBatchQueue",
          effect: "Allow",
          // Used by the event source mapping (the Lambda service polls), not by the worker's code.
          actions: SQS_EVENT_SOURCE_ACTIONS,
          resources: [this.queue.arn],
        },
        ...database.statements,
      ],
    });

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "worker-queue", {
      functionName: this.worker.liveAlias.arn,
      eventSourceArn: this.queue.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      batchSize: settings.batchSize,
      scalingConfig: { maximumConcurrency: settings.maximumConcurrency },
      enabled: true,
    });

    // The schedule invokes `live`, like every service trigger here, so CodeDeploy shifts (and rolls back) it too.
    const sweeper = registryFunctionProps("batch-sweeper", prefix);
    this.sweeper = new ServiceFunction(this, "sweeper", {
      ...sweeper,
      code: functions.zipCode(this, "batch-sweeper"),
      // One run at a time (a slow run and the next schedule never overlap), one database connection.
      reservedConcurrency: BATCH_SWEEPER_CONNECTIONS,
      environment: {
        ...sweeper.environment,
        ...functions.databaseEnv,
        ...database.env,
        [ENV.dbStatementTimeoutMs]: String(statementTimeoutMsFor(sweeper.timeoutSeconds)),
        [ENV.batchBucket]: this.bucket.bucket,
      },
      ...(vpc ? { vpc } : {}),
      logRetentionDays: config.logRetentionDays,
      // Its database login, and a listing of inputs/ only: whether a pending batch's file was uploaded (its
      // notification then waits in the queue, and the batch is left pending). No object read, no SQS.
      statements: [
        {
          sid: "ListInputs",
          effect: "Allow",
          actions: ["s3:ListBucket"],
          resources: [bucketArn],
          condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${BATCH_PREFIXES.inputs}*`] }],
        },
        ...database.statements,
      ],
    });
    this.sweepSchedule = new CloudwatchEventRule(this, "sweep-schedule", {
      name: sweeper.functionName,
      description: `Runs ${sweeper.functionName} every ${BATCH_SWEEP_INTERVAL_MINUTES} minutes`,
      scheduleExpression: `rate(${BATCH_SWEEP_INTERVAL_MINUTES} minutes)`,
    });
    new CloudwatchEventTarget(this, "sweep-target", {
      rule: this.sweepSchedule.name,
      arn: this.sweeper.liveAlias.arn,
      // Nothing to retry: the next run, minutes later, sweeps again (and an error fires the function's alarm).
      retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
    });
    // Only this rule may invoke it (Lambda developer guide, "Using resource-based policies for Lambda": source ARN).
    new LambdaPermission(this, "sweep-permission", {
      statementId: "EventBridgeSchedule",
      action: "lambda:InvokeFunction",
      functionName: this.sweeper.function.functionName,
      qualifier: this.sweeper.liveAlias.name,
      principal: "events.amazonaws.com",
      sourceArn: this.sweepSchedule.arn,
      sourceAccount: props.accountId,
    });

    this.built = {
      batches: { fn: this.http },
      "batch-worker": { fn: this.worker },
      // Only its schedule runs it: once per BATCH_SWEEP_INTERVAL_MINUTES, so its guard counts per run.
      "batch-sweeper": { fn: this.sweeper, runsEverySeconds: BATCH_SWEEP_INTERVAL_MINUTES * 60 },
    };

    // Like the api and the subscriber: code that reads the batch tables goes live after this apply's migrations.
    for (const resource of [
      this.http.function,
      this.worker.function,
      this.eventSourceMapping,
      this.sweeper.function,
    ])
      resource.dependsOn = [...(resource.dependsOn ?? []), dependable(functions.migrationInvocation)];
  }
}
