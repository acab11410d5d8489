/**
 * The batch predictions construct, checked on the synthesized stacks against the relationships AWS requires and
 * the shared facts (packages/contracts/src/batches.ts), not against restated literals.
 */
import {
  BATCH_INPUT_EXPIRY_DAYS,
  BATCH_OBJECT_EXPIRY_DAYS,
  BATCH_PREFIXES,
  BATCH_QUEUE_SETTINGS,
  BATCH_SWEEP_INTERVAL_MINUTES,
  batchKeys,
} from "@sml/contracts/batches";
import { DB_USERS, ENV } from "@sml/contracts/env";
import { FUNCTIONS, imageHandler } from "@sml/contracts/functions";
import { getEnvironmentConfig } from "../src/config";
import type { ServiceFunction } from "../src/constructs/service-function";
import { prdShapedDev } from "./support/shapes";
import { bodyOf, ref, resourcesOf, statementsOf, synthEnvironment, type TfJson } from "./support/synth";

const dev = synthEnvironment(getEnvironmentConfig("dev"));
const prdShaped = synthEnvironment(prdShapedDev(getEnvironmentConfig("dev")));
const prd = synthEnvironment(getEnvironmentConfig("prd"));
const b = dev.env.batches;
const bucketArn = ref("aws_s3_bucket", b.bucket.friendlyUniqueId, "arn");
const bucketId = ref("aws_s3_bucket", b.bucket.friendlyUniqueId, "id");
const queueArn = ref("aws_sqs_queue", b.queue.friendlyUniqueId, "arn");

const single = (json: TfJson, type: string, bucket = bucketId): TfJson => {
  const found = resourcesOf(json, type)
    .map(([, r]) => r)
    .filter((r) => r.bucket === bucket);
  expect(found).toHaveLength(1);
  return found[0] as TfJson;
};

/** Allow statements of a function's own policy. */
function allows(fn: ServiceFunction, json: TfJson = dev.json): TfJson[] {
  const policy = Object.values(json.resource.aws_iam_role_policy as Record<string, TfJson>).find(
    (p) => p.role === ref("aws_iam_role", fn.role.friendlyUniqueId, "id"),
  );
  return statementsOf(json, policy?.policy).filter((s) => s.effect === "Allow");
}

/** The bucket object ARNs a role may use an S3 action on. */
const s3Resources = (fn: ServiceFunction, action: string): string[] =>
  allows(fn)
    .filter((s) => (s.actions as string[]).includes(action))
    .flatMap((s) => s.resources as string[]);

const under = (prefix: string) => `${bucketArn}/${prefix}*`;

describe("batch bucket", () => {
  it("blocks every kind of public access (S3 user guide, 'Blocking public access to your Amazon S3 storage')", () => {
    expect(single(dev.json, "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(single(dev.json, "aws_s3_bucket_ownership_controls").rule).toEqual({
      object_ownership: "BucketOwnerEnforced",
    });
  });

  it("encrypts every object at rest by default and refuses customer-held keys", () => {
    const rule = single(dev.json, "aws_s3_bucket_server_side_encryption_configuration").rule[0];
    expect(["AES256", "aws:kms"]).toContain(rule.apply_server_side_encryption_by_default.sse_algorithm);
    expect(rule.blocked_encryption_types).toEqual(["SSE-C"]);
  });

  it("denies every request over plain HTTP, on the bucket and its objects", () => {
    const policy = single(dev.json, "aws_s3_bucket_policy");
    expect(statementsOf(dev.json, policy.policy)).toContainEqual(
      expect.objectContaining({
        effect: "Deny",
        actions: ["s3:*"],
        resources: [bucketArn, `${bucketArn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    );
  });

  it("expires inputs after BATCH_INPUT_EXPIRY_DAYS, results after BATCH_OBJECT_EXPIRY_DAYS, parts sooner, and aborts abandoned uploads", () => {
    const rules = single(dev.json, "aws_s3_bucket_lifecycle_configuration").rule as TfJson[];
    const byPrefix = new Map(rules.map((r) => [r.filter[0].prefix, r]));
    expect(byPrefix.get(BATCH_PREFIXES.inputs)?.expiration).toEqual([{ days: BATCH_INPUT_EXPIRY_DAYS }]);
    expect(byPrefix.get(BATCH_PREFIXES.results)?.expiration).toEqual([{ days: BATCH_OBJECT_EXPIRY_DAYS }]);
    expect(byPrefix.get(BATCH_PREFIXES.parts)?.expiration[0].days).toBeLessThanOrEqual(
      BATCH_OBJECT_EXPIRY_DAYS,
    );
    // Every prefix the worker writes is covered (a key the lifecycle misses is kept forever).
    for (const key of [batchKeys.input("x", "csv"), batchKeys.part("x", 0), batchKeys.result("x", "jsonl")])
      expect(rules.some((r) => r.status === "Enabled" && key.startsWith(r.filter[0].prefix))).toBe(true);
    for (const r of rules)
      expect(r.abort_incomplete_multipart_upload[0].days_after_initiation).toBeGreaterThan(0);
  });

  it("keeps the bucket and the worker's queues with prevent_destroy where the config asks for it", () => {
    const pb = prd.env.batches;
    for (const r of [pb.bucket, pb.queue, pb.deadLetterQueue])
      expect(bodyOf(prd.json, r).lifecycle?.prevent_destroy).toBe(true);
  });
});

describe("upload notifications", () => {
  it("sends ObjectCreated under inputs/ only, to the worker's queue, after the queue policy admits S3", () => {
    const notification = bodyOf(dev.json, b.notification);
    expect(notification.queue).toEqual([
      expect.objectContaining({
        queue_arn: queueArn,
        events: ["s3:ObjectCreated:*"],
        filter_prefix: BATCH_PREFIXES.inputs,
      }),
    ]);
    // S3 validates the destination when the notification is written (S3 user guide, "Granting permissions to
    // publish event notification messages to a destination").
    expect(notification.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_sqs_queue_policy\./)]),
    );
    const policy = resourcesOf(dev.json, "aws_sqs_queue_policy")
      .map(([, p]) => p)
      .find((p) => p.queue_url === ref("aws_sqs_queue", b.queue.friendlyUniqueId, "url"));
    expect(statementsOf(dev.json, policy?.policy)).toContainEqual(
      expect.objectContaining({
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["s3.amazonaws.com"] }],
        actions: ["sqs:SendMessage"],
        resources: [queueArn],
        condition: expect.arrayContaining([
          { test: "ArnEquals", variable: "aws:SourceArn", values: [bucketArn] },
        ]),
      }),
    );
  });

  it("gives the queue a visibility timeout of at least 6x the worker's timeout and a dead-letter queue", () => {
    // Lambda developer guide, "Using Lambda with Amazon SQS": at least six times the function timeout.
    const queue = bodyOf(dev.json, b.queue);
    const worker = bodyOf(dev.json, b.worker.function);
    expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * worker.timeout);
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: ref("aws_sqs_queue", b.deadLetterQueue.friendlyUniqueId, "arn"),
      maxReceiveCount: BATCH_QUEUE_SETTINGS.maxReceiveCount,
    });
    expect(queue.sqs_managed_sse_enabled).toBe(true);
  });

  it("maps the queue to the worker one record at a time, with partial batch responses", () => {
    expect(bodyOf(dev.json, b.eventSourceMapping)).toMatchObject({
      // Through `live`, like every mapping (policy rule served-through-live-alias).
      function_name: ref("aws_lambda_alias", b.worker.liveAlias.friendlyUniqueId, "arn"),
      event_source_arn: queueArn,
      batch_size: 1,
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: BATCH_QUEUE_SETTINGS.maximumConcurrency },
    });
  });
});

describe("batch functions", () => {
  it.each([
    ["batches", () => b.http],
    ["batch-worker", () => b.worker],
  ] as const)("runs %s from the prediction image with its own bundle's handler", (name, fn) => {
    const body = bodyOf(dev.json, fn().function);
    const prediction = bodyOf(dev.json, dev.env.prediction.fn.function);
    expect(body.package_type).toBe("Image");
    expect(body.image_uri).toBe(prediction.image_uri);
    expect(body.image_config).toEqual({ command: [imageHandler(name)] });
    expect(body.timeout).toBe(FUNCTIONS[name].timeoutSeconds);
    expect(body.environment.variables[ENV.batchBucket]).toBe(
      ref("aws_s3_bucket", b.bucket.friendlyUniqueId, "bucket"),
    );
  });

  it("lets the batches function presign uploads to inputs/ and downloads of results/ only", () => {
    expect(s3Resources(b.http, "s3:PutObject")).toEqual([under(BATCH_PREFIXES.inputs)]);
    expect(s3Resources(b.http, "s3:GetObject")).toEqual([under(BATCH_PREFIXES.results)]);
    expect(
      allows(b.http)
        .flatMap((s) => s.actions as string[])
        .filter((a) => a.startsWith("s3:")),
    ).toEqual(["s3:PutObject", "s3:GetObject"]);
  });

  it("lets the worker read inputs and parts, write parts and results, never write inputs", () => {
    expect(s3Resources(b.worker, "s3:GetObject").sort()).toEqual(
      [under(BATCH_PREFIXES.inputs), under(BATCH_PREFIXES.parts)].sort(),
    );
    expect(s3Resources(b.worker, "s3:PutObject").sort()).toEqual(
      [under(BATCH_PREFIXES.parts), under(BATCH_PREFIXES.results)].sort(),
    );
    expect(s3Resources(b.worker, "s3:PutObject")).not.toContain(under(BATCH_PREFIXES.inputs));
    // Its own queue only: the ranges it fans out.
    const sqs = allows(b.worker).filter((s) => (s.actions as string[]).some((a) => a.startsWith("sqs:")));
    for (const s of sqs) expect(s.resources).toEqual([queueArn]);
    expect(bodyOf(dev.json, b.worker.function).environment.variables[ENV.batchQueueUrl]).toBe(
      ref("aws_sqs_queue", b.queue.friendlyUniqueId, "url"),
    );
  });

  it("logs both functions in as their own database user with the pg driver (IAM authentication)", () => {
    const pb = prdShaped.env.batches;
    for (const fn of [pb.http, pb.worker, pb.sweeper]) {
      expect(bodyOf(prdShaped.json, fn.function).environment.variables[ENV.dbUser]).toBe(DB_USERS.batch);
      expect(allows(fn, prdShaped.json)).toContainEqual(
        expect.objectContaining({
          actions: ["rds-db:connect"],
          // Aurora user guide, "Creating and using an IAM policy for IAM database access": the cluster's
          // resource id and the user name.
          resources: [
            expect.stringMatching(
              new RegExp(
                `:dbuser:\\$\\{aws_rds_cluster\\.${prdShaped.env.database.cluster.friendlyUniqueId}\\.cluster_resource_id\\}/${DB_USERS.batch}$`,
              ),
            ),
          ],
        }),
      );
    }
  });

  it("reaches S3 through a gateway endpoint on the private route tables when the functions run in the VPC", () => {
    const endpoint = prd.env.batches.s3Endpoint;
    if (!endpoint) throw new Error("no S3 endpoint in a VPC environment with endpoints");
    const body = bodyOf(prd.json, endpoint);
    expect(body.vpc_endpoint_type).toBe("Gateway");
    expect(body.route_table_ids).toEqual(
      prd.env.network.privateRouteTables.map((t) => ref("aws_route_table", t.friendlyUniqueId, "id")),
    );
    expect(dev.env.batches.s3Endpoint).toBeUndefined();
  });

  it("adds an SQS interface endpoint only where the worker's sends have no NAT to leave by", () => {
    // prd has NAT gateways: no endpoint. A VPC without NAT (natMode "none", endpoints on) gets one, in the private
    // subnets behind the endpoints' security group, like the network's own endpoints.
    expect(prd.env.batches.sqsEndpoint).toBeUndefined();
    const base = getEnvironmentConfig("prd");
    const noNat = synthEnvironment({
      ...base,
      network: { ...base.network, natMode: "none", vpcEndpoints: true },
    });
    const endpoint = noNat.env.batches.sqsEndpoint;
    if (!endpoint) throw new Error("no SQS endpoint in a VPC without NAT");
    const sg = noNat.env.network.endpointSecurityGroup;
    expect(bodyOf(noNat.json, endpoint)).toMatchObject({
      vpc_endpoint_type: "Interface",
      private_dns_enabled: true,
      subnet_ids: noNat.env.network.privateSubnets.map((s) => ref("aws_subnet", s.friendlyUniqueId, "id")),
      security_group_ids: [ref("aws_security_group", sg?.friendlyUniqueId ?? "", "id")],
    });
  });

  it("starts the batch functions and their mapping only after the apply's migrations (which create their tables)", () => {
    const invocation = `aws_lambda_invocation.${dev.env.functions.migrationInvocation.friendlyUniqueId}`;
    for (const r of [b.http.function, b.worker.function, b.eventSourceMapping])
      expect(bodyOf(dev.json, r).depends_on).toContain(invocation);
  });
});

describe("batch sweeper (issue 25 item 3: every batch ends)", () => {
  const sweeper = b.sweeper;
  const fn = bodyOf(dev.json, sweeper.function);

  it("runs every BATCH_SWEEP_INTERVAL_MINUTES on an EventBridge schedule, through its live alias, invocable only by that rule", () => {
    expect(bodyOf(dev.json, b.sweepSchedule).schedule_expression).toBe(
      `rate(${BATCH_SWEEP_INTERVAL_MINUTES} minutes)`,
    );
    const targets = resourcesOf(dev.json, "aws_cloudwatch_event_target").map(([, t]) => t);
    expect(targets).toEqual([
      expect.objectContaining({
        rule: ref("aws_cloudwatch_event_rule", b.sweepSchedule.friendlyUniqueId, "name"),
        arn: ref("aws_lambda_alias", sweeper.liveAlias.friendlyUniqueId, "arn"),
      }),
    ]);
    const permissions = resourcesOf(dev.json, "aws_lambda_permission")
      .map(([, p]) => p)
      .filter((p) => p.principal === "events.amazonaws.com");
    // Lambda developer guide, "Using resource-based policies for Lambda": source_arn limits the caller to this rule.
    expect(permissions).toEqual([
      expect.objectContaining({
        function_name: ref("aws_lambda_function", sweeper.function.friendlyUniqueId, "function_name"),
        qualifier: ref("aws_lambda_alias", sweeper.liveAlias.friendlyUniqueId, "name"),
        source_arn: ref("aws_cloudwatch_event_rule", b.sweepSchedule.friendlyUniqueId, "arn"),
      }),
    ]);
  });

  it("logs in as the batch functions do (their database user with pg: see above), lists inputs/ and may do nothing else (no object read, no SQS)", () => {
    // Whatever the environment's driver: exactly the worker's database statements, nothing of SQS, and of S3
    // only a listing of the bucket under inputs/ (is a pending batch's file there?).
    // (Each role's log statement names its own log group.)
    const beyondLogs = (fn: ServiceFunction) => allows(fn).filter((s) => s.sid !== "OwnLogGroup");
    const withoutS3Sqs = (fn: ServiceFunction) =>
      beyondLogs(fn).filter((s) =>
        (s.actions as string[]).every((a) => !a.startsWith("s3:") && !a.startsWith("sqs:")),
      );
    expect(withoutS3Sqs(sweeper)).toEqual(withoutS3Sqs(b.worker));
    const s3 = beyondLogs(sweeper).filter((s) => (s.actions as string[]).some((a) => a.startsWith("s3:")));
    expect(s3).toEqual([
      {
        sid: "ListInputs",
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: [ref("aws_s3_bucket", b.bucket.friendlyUniqueId, "arn")],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: [`${BATCH_PREFIXES.inputs}*`] }],
      },
    ]);
    expect(beyondLogs(sweeper).some((s) => (s.actions as string[]).some((a) => a.startsWith("sqs:")))).toBe(
      false,
    );
    expect(fn.environment.variables[ENV.batchBucket]).toBe(
      ref("aws_s3_bucket", b.bucket.friendlyUniqueId, "bucket"),
    );
    // One run at a time: a slow sweep and the next schedule never overlap (and the budget counts one connection).
    expect(fn.reserved_concurrent_executions).toBe(1);
    expect(fn.timeout).toBe(FUNCTIONS["batch-sweeper"].timeoutSeconds);
  });

  it("alarms on one failed run (the shared lambda-errors rule needs 5 in 5 minutes; it runs once in 5)", () => {
    const alarms = resourcesOf(dev.json, "aws_cloudwatch_metric_alarm")
      .map(([, a]) => a)
      .filter((a) => a.alarm_name === "sml-dev-batch-sweeper-errors");
    expect(alarms).toEqual([
      expect.objectContaining({
        metric_name: "Errors",
        namespace: "AWS/Lambda",
        threshold: 1,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        dimensions: {
          FunctionName: ref("aws_lambda_function", sweeper.function.friendlyUniqueId, "function_name"),
        },
      }),
    ]);
  });
});
