/**
 * Prices a synthesized Terraform stack (cdktf's cdk.tf.json) line by line, idle and at a traffic profile, from
 * the committed price table (prices.json). Every resource type is either priced here or listed in FREE_TYPES
 * with the reason; any other type throws UnknownResourceTypeError, so nothing new goes unpriced.
 */
import { BATCH_OBJECT_EXPIRY_DAYS } from "@sml/contracts/batches";
import { ProfileError, type TrafficProfile } from "./profile";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is walked dynamically.
export type TfJson = Record<string, any>;

export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly asOf: string;
  readonly checkedOn: string | null;
  readonly note?: string;
}

export interface PriceTable {
  readonly writtenOn: string;
  readonly currency: "USD";
  readonly hoursPerMonth: number;
  readonly regions: Readonly<Record<string, Readonly<Record<string, Price>>>>;
}

/** One priced line: a resource (or a part of one) with what it costs idle and at the profile, per month. */
export interface CostLine {
  readonly resource: string;
  readonly item: string;
  /** Price-table keys used. */
  readonly prices: readonly string[];
  readonly idleUsdPerMonth: number;
  readonly profileUsdPerMonth: number;
  /** How the figure was reached (quantities x unit prices). */
  readonly basis: string;
}

export interface FreeResource {
  readonly resource: string;
  readonly reason: string;
}

export interface StackCost {
  readonly region: string;
  readonly idleUsdPerMonth: number;
  readonly profileUsdPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly free: readonly FreeResource[];
}

export class UnknownResourceTypeError extends Error {
  override readonly name = "UnknownResourceTypeError";
}

export class UnknownRegionError extends Error {
  override readonly name = "UnknownRegionError";
}

/**
 * Types that cost nothing by themselves, with the reason. What traffic through them costs is priced on the
 * resource that carries it (a route's requests on the API, a subscription's messages on the topic and queue).
 */
export const FREE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  aws_vpc: "VPCs are free; what runs in them is priced",
  aws_subnet: "subnets are free",
  aws_route_table: "route tables are free",
  aws_route: "routes are free",
  aws_route_table_association: "free",
  aws_internet_gateway: "free; data out to the internet is priced on the API",
  aws_security_group: "free",
  aws_default_security_group: "free",
  aws_vpc_security_group_ingress_rule: "free",
  aws_vpc_security_group_egress_rule: "free",
  aws_db_subnet_group: "free",
  aws_rds_cluster_parameter_group: "free",
  aws_iam_role: "IAM is free",
  aws_iam_role_policy: "IAM is free",
  aws_iam_policy: "IAM is free",
  aws_iam_role_policy_attachment: "IAM is free",
  aws_iam_openid_connect_provider: "IAM is free",
  aws_kms_alias: "aliases are free; the key is priced",
  aws_sns_topic_policy: "free",
  aws_sqs_queue_policy: "free",
  aws_sqs_queue_redrive_allow_policy: "free",
  aws_lambda_permission: "free",
  // EventBridge pricing: scheduled rules' events are AWS service events, which are not charged.
  aws_cloudwatch_event_rule: "EventBridge scheduled rules are free (AWS service events are not charged)",
  aws_cloudwatch_event_target: "free",
  aws_lambda_alias: "free; its provisioned concurrency is priced",
  // "There is no additional charge for code deployments to AWS Lambda" (aws.amazon.com/codedeploy/pricing).
  aws_codedeploy_app: "free for the Lambda compute platform",
  aws_codedeploy_deployment_group: "free for the Lambda compute platform",
  aws_lambda_invocation:
    "one invocation of the migration function per apply that changes migrations: fractions of a cent",
  aws_apigatewayv2_integration: "free; requests are priced on the API",
  aws_apigatewayv2_route: "free; requests are priced on the API",
  aws_apigatewayv2_authorizer: "JWT authorizers of HTTP APIs are free; the user pool is priced",
  aws_cognito_user_pool_client: "free; monthly active users are priced on the pool",
  aws_ecr_lifecycle_policy: "free (it lowers the storage priced on the repository)",
  aws_ecr_repository_policy: "free",
  aws_s3_bucket_lifecycle_configuration: "free",
  aws_s3_bucket_ownership_controls: "free",
  aws_s3_bucket_policy: "free",
  aws_s3_bucket_public_access_block: "free",
  aws_s3_bucket_server_side_encryption_configuration: "SSE-S3 and bucket keys are free",
  aws_s3_bucket_versioning: "free; old versions count in the bucket's storage",
  aws_flow_log: "free; the logs it delivers are priced on their log group",
  aws_sns_topic_subscription: "SNS to SQS deliveries are free; e-mails are priced on the topic",
  aws_lambda_event_source_mapping: "free; its polls are priced on the queue",
  aws_s3_bucket_notification: "S3 event notifications are free; the messages are priced on the queue",
  aws_s3_bucket_cors_configuration: "free",
  aws_cloudfront_origin_access_control: "free",
  aws_cloudfront_response_headers_policy:
    "free; the answers it adds headers to are priced on the distribution",
  aws_cognito_user_group: "free",
  aws_cognito_user_pool_domain: "the hosted sign-in is included in the pool's monthly active users",
});

// ---------------------------------------------------------------------------------------------------------------
// Terraform JSON helpers

interface Resource {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly body: TfJson;
}

const REFERENCE = /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.|\[|\})/g;

/** `${aws_x.y.arn}` references in any value (strings, arrays, objects). */
function referencesIn(value: unknown): { type: string; name: string; address: string }[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return [...text.matchAll(REFERENCE)].map((m) => ({
    type: m[1] as string,
    name: m[2] as string,
    address: `${m[1]}.${m[2]}`,
  }));
}

function resources(json: TfJson): Resource[] {
  const out: Resource[] = [];
  for (const [type, byName] of Object.entries(
    (json.resource ?? {}) as Record<string, Record<string, TfJson>>,
  ))
    for (const [name, body] of Object.entries(byName))
      out.push({ type, name, address: `${type}.${name}`, body });
  return out.sort((a, b) => a.address.localeCompare(b.address));
}

const block = (v: unknown): TfJson | undefined => (Array.isArray(v) ? v[0] : (v as TfJson | undefined));

/** The stack's AWS region (its aws provider block). */
export function stackRegion(json: TfJson): string {
  const provider = block(json.provider?.aws);
  const region = provider?.region;
  if (typeof region !== "string") throw new UnknownRegionError("the stack has no aws provider with a region");
  return region;
}

// ---------------------------------------------------------------------------------------------------------------
// Usage the profile implies for one stack

interface Usage {
  /** Invocations a month by function resource address. */
  readonly invocations: Map<string, number>;
  readonly requests: number;
  readonly publishes: number;
  /** Queues an S3 bucket notifies (the batch worker's): their messages are batch messages, not users. */
  readonly batchQueues: ReadonlySet<string>;
  /** Messages through a batch queue a month: per file, the upload notification and one range. */
  readonly batchMessages: number;
}

/** Messages per batch file: the upload notification, then one range (a file under BATCH_RANGE_BYTES). */
const BATCH_MESSAGES_PER_FILE = 2;

/** Queue addresses that an aws_s3_bucket_notification sends to. */
function notifiedQueues(all: Resource[]): Set<string> {
  const queues = new Set<string>();
  for (const n of all.filter((r) => r.type === "aws_s3_bucket_notification"))
    for (const q of referencesIn(n.body.queue)) if (q.type === "aws_sqs_queue") queues.add(q.address);
  return queues;
}

/** The resource address of the function a route's integration targets (directly or through an alias). */
/** The function a value invokes: the function itself, or the function behind the alias it references. */
function invokedFunction(all: Resource[], value: unknown) {
  let fn = referencesIn(value).find((r) => r.type === "aws_lambda_function" || r.type === "aws_lambda_alias");
  if (fn?.type === "aws_lambda_alias") {
    const alias = all.find((r) => r.address === fn?.address);
    fn = referencesIn(alias?.body.function_name).find((r) => r.type === "aws_lambda_function");
  }
  return fn;
}

function routeTargets(json: TfJson, all: Resource[]): Map<string, string> {
  const byAddress = new Map(all.map((r) => [r.address, r]));
  const targets = new Map<string, string>();
  for (const route of all.filter((r) => r.type === "aws_apigatewayv2_route")) {
    const integration = referencesIn(route.body.target).find(
      (r) => r.type === "aws_apigatewayv2_integration",
    );
    const uri = integration && byAddress.get(integration.address)?.body.integration_uri;
    const fn = invokedFunction(all, uri);
    if (fn) targets.set(String(route.body.route_key), fn.address);
  }
  void json;
  return targets;
}

function usageOf(json: TfJson, all: Resource[], profile: TrafficProfile): Usage {
  const invocations = new Map<string, number>();
  const add = (fn: string, n: number) => invocations.set(fn, (invocations.get(fn) ?? 0) + n);
  const targets = routeTargets(json, all);
  const hasApi = all.some((r) => r.type === "aws_apigatewayv2_api");
  const requests = hasApi ? profile.requestsPerMonth : 0;
  let publishes = 0;
  for (const [route, share] of Object.entries(profile.routeMix)) {
    const fn = targets.get(route);
    if (hasApi && !fn)
      throw new ProfileError(
        `the route mix names ${route}, which is no route of this API (routes: ${[...targets.keys()].sort().join(", ")})`,
      );
    if (fn) add(fn, requests * share);
    if (profile.publishingRoutes.includes(route) && fn) publishes += requests * share;
  }
  const batchQueues = notifiedQueues(all);
  const batchMessages = batchQueues.size > 0 ? profile.batchFilesPerMonth * BATCH_MESSAGES_PER_FILE : 0;
  // Each message reaches its consumer once (batches of one at this rate: an upper bound on invocations).
  for (const m of all.filter((r) => r.type === "aws_lambda_event_source_mapping")) {
    const fn = invokedFunction(all, m.body.function_name);
    const fromBatchQueue = referencesIn(m.body.event_source_arn).some((q) => batchQueues.has(q.address));
    if (fn) add(fn.address, fromBatchQueue ? batchMessages : publishes);
  }
  // The batch API: one POST and the polls per file, on top of the route mix.
  const batchApi = targets.get("POST /batches");
  const batchRequests =
    batchApi && batchQueues.size > 0 ? profile.batchFilesPerMonth * (1 + profile.batchPollsPerFile) : 0;
  if (batchApi) add(batchApi, batchRequests);
  return { invocations, requests: requests + batchRequests, publishes, batchQueues, batchMessages };
}

/** `sml-dev-api` -> `api`: the function's role in the profile's duration table. */
function functionRole(functionName: string): string {
  return functionName.split("-").at(-1) ?? functionName;
}

// ---------------------------------------------------------------------------------------------------------------
// Pricing

const round = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 6 });

/** What a pricer reads: the stack, the usage the profile implies for it, the prices, and where lines go. */
interface PricingContext {
  readonly all: readonly Resource[];
  readonly byAddress: ReadonlyMap<string, Resource>;
  readonly usage: Usage;
  readonly profile: TrafficProfile;
  readonly hours: number;
  readonly seconds: number;
  /** The region's price for a price-table key; throws when prices.json lacks it. */
  readonly price: (key: string) => number;
  /** Adds a priced line for the resource. */
  readonly line: (
    r: Resource,
    item: string,
    keys: string[],
    idle: number,
    atProfile: number,
    basis: string,
  ) => void;
  /** Resources priced as free after a look at them (a gateway endpoint). */
  readonly free: FreeResource[];
  /** Functions by `function_name`: a log group `/aws/lambda/<name>` belongs to one. */
  readonly functionsByName: ReadonlyMap<string, Resource>;
  /** Database calls a month of every database function but the migration (Aurora I/O). */
  readonly databaseCalls: number;
  /** Of those, the calls through the RDS Data API. */
  readonly dataApiCalls: number;
}

/** Prices one resource of its type: adds its cost lines (or, for a free variant, a free entry). */
type Pricer = (r: Resource, context: PricingContext) => void;

/**
 * The priced resource types, each with its pricer. A type is either here or in FREE_TYPES (infra/tests/cost.test.ts
 * checks every type of the synthesized stacks against both).
 */
export const PRICERS: Readonly<Record<string, Pricer>> = Object.freeze({
  aws_apigatewayv2_api: (r, { price, line, usage, profile }) => {
    const million = usage.requests / 1e6;
    line(
      r,
      "HTTP API requests",
      ["apigw.http.requests"],
      0,
      million * price("apigw.http.requests"),
      `${fmt(million)} M requests x $${price("apigw.http.requests")}`,
    );
    const gb = (usage.requests * profile.responseKbPerRequest) / 1e6;
    line(
      r,
      "data transfer out (responses)",
      ["dataTransfer.outGb"],
      0,
      gb * price("dataTransfer.outGb"),
      `${fmt(gb)} GB x $${price("dataTransfer.outGb")}`,
    );
  },
  aws_apigatewayv2_stage: (r, { price, line, all }) => {
    const b = r.body;
    const detailed = block(b.default_route_settings)?.detailed_metrics_enabled === true;
    const routes = all.filter((x) => x.type === "aws_apigatewayv2_route").length;
    // HTTP API detailed metrics: Count, 4xx, 5xx, Latency, IntegrationLatency, DataProcessed per route.
    const metrics = detailed ? routes * 6 : 0;
    line(
      r,
      detailed ? `detailed (per-route) metrics: ${routes} routes x 6` : "detailed metrics off",
      ["cloudwatch.metric"],
      0,
      metrics * price("cloudwatch.metric"),
      `${metrics} metrics x $${price("cloudwatch.metric")}, billed for the hours a route is called`,
    );
  },
  aws_lambda_function: (r, { price, line, usage, profile, seconds }) => {
    const b = r.body;
    const n = usage.invocations.get(r.address) ?? 0;
    const memoryGb = Number(b.memory_size ?? 128) / 1024;
    const role = functionRole(String(b.function_name));
    const ms = profile.durationMs[role] ?? 100;
    const gbSeconds = (n * ms * memoryGb) / 1000;
    line(
      r,
      `${b.function_name}: requests and duration (${fmt(n)} invocations x ${ms} ms x ${memoryGb} GB)`,
      ["lambda.requests", "lambda.arm64.gbSecond"],
      0,
      (n / 1e6) * price("lambda.requests") + gbSeconds * price("lambda.arm64.gbSecond"),
      `${fmt(n / 1e6)} M x $${price("lambda.requests")} + ${fmt(gbSeconds)} GB-s x $${price("lambda.arm64.gbSecond")}`,
    );
    if (block(b.tracing_config)?.mode === "Active") {
      // Default sampling: the first request each second, then 5 % of the rest (X-Ray developer guide).
      const reservoir = Math.min(n, seconds);
      const traces = reservoir + 0.05 * Math.max(0, n - reservoir);
      line(
        r,
        `${b.function_name}: X-Ray traces`,
        ["xray.traceRecorded"],
        0,
        (traces / 1e6) * price("xray.traceRecorded"),
        `${fmt(traces / 1e6)} M traces x $${price("xray.traceRecorded")}`,
      );
    }
    if (block(b.environment)?.variables?.POWERTOOLS_METRICS_NAMESPACE && n > 0) {
      const metrics = profile.customMetricsPerFunction;
      line(
        r,
        `${b.function_name}: custom metrics (EMF)`,
        ["cloudwatch.metric"],
        0,
        metrics * price("cloudwatch.metric"),
        `${metrics} metrics x $${price("cloudwatch.metric")}, billed for the hours they are published`,
      );
    }
  },
  aws_lambda_provisioned_concurrency_config: (r, { price, line, byAddress, seconds }) => {
    const b = r.body;
    const alias = referencesIn(b.qualifier).find((x) => x.type === "aws_lambda_alias");
    const fnRef =
      referencesIn(b.function_name).find((x) => x.type === "aws_lambda_function") ??
      referencesIn(alias && byAddress.get(alias.address)?.body.function_name).find(
        (x) => x.type === "aws_lambda_function",
      );
    const fn = fnRef && byAddress.get(fnRef.address);
    if (!fn) throw new Error(`${r.address}: cannot find the function it provisions`);
    const instances = Number(b.provisioned_concurrent_executions);
    const memoryGb = Number(fn.body.memory_size ?? 128) / 1024;
    const gbSeconds = instances * memoryGb * seconds;
    const cost = gbSeconds * price("lambda.arm64.provisioned.gbSecond");
    line(
      r,
      `provisioned concurrency: ${instances} x ${memoryGb} GB, all month`,
      ["lambda.arm64.provisioned.gbSecond"],
      cost,
      cost,
      `${fmt(gbSeconds)} GB-s x $${price("lambda.arm64.provisioned.gbSecond")}`,
    );
  },
  aws_cloudwatch_log_group: (r, { price, line, all, usage, profile, functionsByName }) => {
    const b = r.body;
    const name = String(b.name);
    let gb = 0;
    let what = "no traffic of the profile";
    let ingestKey = "cloudwatch.logs.ingestGb";
    const fn = name.startsWith("/aws/lambda/") ? functionsByName.get(name.slice(12)) : undefined;
    if (fn) {
      const n = usage.invocations.get(fn.address) ?? 0;
      gb = (n * profile.functionLogKbPerInvocation) / 1e6;
      what = `${fmt(n)} invocations x ${profile.functionLogKbPerInvocation} KB`;
    } else if (name.startsWith("/aws/apigateway/")) {
      gb = (usage.requests * profile.accessLogKbPerRequest) / 1e6;
      what = `${fmt(usage.requests)} requests x ${profile.accessLogKbPerRequest} KB`;
    } else if (
      all.some(
        (x) =>
          x.type === "aws_flow_log" &&
          referencesIn(x.body.log_destination).some((ref) => ref.address === r.address),
      )
    ) {
      gb = profile.flowLogGb;
      what = "VPC flow logs";
      ingestKey = "cloudwatch.logs.vendedIngestGb";
    }
    const retentionMonths = b.retention_in_days ? Number(b.retention_in_days) / 30 : 120;
    const storedGb = gb * retentionMonths;
    line(
      r,
      `log group ${name}: ingestion and storage (${what})`,
      [ingestKey, "cloudwatch.logs.storageGbMonth"],
      0,
      gb * price(ingestKey) + storedGb * price("cloudwatch.logs.storageGbMonth"),
      `${fmt(gb)} GB x $${price(ingestKey)} + ${fmt(storedGb)} GB kept x $${price("cloudwatch.logs.storageGbMonth")}`,
    );
  },
  aws_cloudwatch_metric_alarm: (r, { price, line }) => {
    const b = r.body;
    const highRes = Number(b.period ?? 60) < 60;
    const queries = Array.isArray(b.metric_query)
      ? (b.metric_query as TfJson[]).filter((q) => q.metric).length
      : 1;
    const key = highRes ? "cloudwatch.alarm.highResolution" : "cloudwatch.alarm.standard";
    const cost = queries * price(key);
    line(
      r,
      `alarm ${b.alarm_name} (${queries} metric${queries === 1 ? "" : "s"})`,
      [key],
      cost,
      cost,
      `${queries} x $${price(key)}`,
    );
  },
  aws_cloudwatch_dashboard: (r, { price, line }) => {
    const b = r.body;
    const cost = price("cloudwatch.dashboard");
    line(r, `dashboard ${b.dashboard_name}`, ["cloudwatch.dashboard"], cost, cost, `1 x $${cost}`);
  },
  aws_kms_key: (r, { price, line }) => {
    const b = r.body;
    const cost = price("kms.key");
    line(
      r,
      `customer-managed key: ${b.description ?? r.name}`,
      ["kms.key"],
      cost,
      cost,
      `1 key-month x $${cost} (first year of rotation)`,
    );
  },
  aws_sns_topic: (r, { price, line, all, usage, profile }) => {
    const b = r.body;
    const isUsers = all.some(
      (x) =>
        x.type === "aws_sns_topic_subscription" &&
        x.body.protocol === "sqs" &&
        referencesIn(x.body.topic_arn).some((t) => t.address === r.address),
    );
    const emails = all.some(
      (x) =>
        x.type === "aws_sns_topic_subscription" &&
        x.body.protocol === "email" &&
        referencesIn(x.body.topic_arn).some((t) => t.address === r.address),
    );
    const publishes = isUsers ? usage.publishes : emails ? profile.alarmEmailsPerMonth : 0;
    // Each publish to an encrypted topic may call KMS; SNS caches data keys, so this is an upper bound.
    const kms = b.kms_master_key_id ? publishes : 0;
    line(
      r,
      `topic ${b.name}: publishes${kms ? " and KMS requests (upper bound)" : ""}`,
      ["sns.publish", "kms.request"],
      0,
      (publishes / 1e6) * price("sns.publish") + (kms / 1e4) * price("kms.request"),
      `${fmt(publishes / 1e6)} M x $${price("sns.publish")} + ${fmt(kms / 1e4)} x 10k KMS x $${price("kms.request")}`,
    );
  },
  aws_sqs_queue: (r, { price, line, all, usage, seconds }) => {
    const b = r.body;
    const polled = all.filter(
      (x) =>
        x.type === "aws_lambda_event_source_mapping" &&
        referencesIn(x.body.event_source_arn).some((q) => q.address === r.address),
    );
    // Lambda keeps 5 long-polling connections on an SQS source, each a ReceiveMessage per 20 s wait when the
    // queue is empty (AWS Lambda developer guide, "Using Lambda with Amazon SQS": scaling and processing).
    const idlePolls = polled.length * 5 * (seconds / Math.max(1, Number(b.receive_wait_time_seconds ?? 20)));
    const messages =
      polled.length === 0 ? 0 : usage.batchQueues.has(r.address) ? usage.batchMessages : usage.publishes;
    // Per message: the delivery (SNS or S3 or the worker's SendMessage), the receive that returns it, the delete.
    const requests = messages * 3;
    line(
      r,
      `queue ${b.name}: ${polled.length ? "event source mapping polls and messages" : "no consumer polls it"}`,
      ["sqs.request"],
      (idlePolls / 1e6) * price("sqs.request"),
      ((idlePolls + requests) / 1e6) * price("sqs.request"),
      `${fmt(idlePolls / 1e6)} M empty polls + ${fmt(requests / 1e6)} M message requests x $${price("sqs.request")}`,
    );
  },
  aws_rds_cluster: (r, { price, line, profile, databaseCalls, dataApiCalls }) => {
    const b = r.body;
    const storage = profile.auroraStorageGb * price("aurora.storage.gbMonth");
    line(
      r,
      "cluster storage",
      ["aurora.storage.gbMonth"],
      storage,
      storage,
      `${profile.auroraStorageGb} GB x $${price("aurora.storage.gbMonth")}; backups within the free 100 % of the volume`,
    );
    const io = (databaseCalls * profile.auroraIoPerCall) / 1e6;
    line(
      r,
      "cluster I/O",
      ["aurora.io.million"],
      0,
      io * price("aurora.io.million"),
      `${fmt(io)} M I/O x $${price("aurora.io.million")}`,
    );
    if (b.manage_master_user_password === true) {
      const reads = profile.secretReadsPerMonth;
      line(
        r,
        "RDS-managed master secret (Secrets Manager)",
        ["secretsManager.secret", "secretsManager.apiCalls"],
        price("secretsManager.secret"),
        price("secretsManager.secret") + (reads / 1e4) * price("secretsManager.apiCalls"),
        `1 secret x $${price("secretsManager.secret")} + ${fmt(reads / 1e4)} x 10k reads x $${price("secretsManager.apiCalls")}`,
      );
    }
    if (b.enable_http_endpoint === true)
      line(
        r,
        "RDS Data API requests",
        ["rdsDataApi.request"],
        0,
        (dataApiCalls / 1e6) * price("rdsDataApi.request"),
        `${fmt(dataApiCalls / 1e6)} M x $${price("rdsDataApi.request")}`,
      );
  },
  aws_rds_cluster_instance: (r, { price, line, byAddress, profile, hours }) => {
    const b = r.body;
    const clusterRef = referencesIn(b.cluster_identifier).find((x) => x.type === "aws_rds_cluster");
    const cluster = clusterRef && byAddress.get(clusterRef.address);
    const scaling = block(cluster?.body.serverlessv2_scaling_configuration);
    if (b.instance_class !== "db.serverless" || !scaling)
      throw new UnknownResourceTypeError(`${r.address}: only Aurora Serverless v2 instances are priced`);
    const min = Number(scaling.min_capacity);
    // At 0 ACU with auto-pause an idle cluster pauses: no compute. Without auto-pause it holds its minimum.
    const pauses = min === 0 && scaling.seconds_until_auto_pause !== undefined;
    const idleAcu = pauses ? 0 : min;
    // At the profile's steady trickle (a request every few seconds) the cluster never reaches its pause delay.
    const activeAcu = Math.max(min, profile.activeAcu);
    const acuHour = price("aurora.serverlessV2.acuHour");
    line(
      r,
      `${b.identifier}: Serverless v2 compute (idle ${idleAcu} ACU${pauses ? ", paused" : ""}; profile ${activeAcu} ACU)`,
      ["aurora.serverlessV2.acuHour"],
      idleAcu * hours * acuHour,
      activeAcu * hours * acuHour,
      `${idleAcu} / ${activeAcu} ACU x ${hours} h x $${acuHour}`,
    );
  },
  aws_nat_gateway: (r, { price, line, all, profile, hours }) => {
    const natCount = all.filter((x) => x.type === "aws_nat_gateway").length;
    const gb = profile.vpcApiTrafficGb / natCount;
    const endpoints = all.some(
      (x) => x.type === "aws_vpc_endpoint" && x.body.vpc_endpoint_type === "Interface",
    );
    const processed = endpoints ? 0 : gb;
    const hourly = hours * price("vpc.natGateway.hour");
    line(
      r,
      `NAT gateway hours and data${endpoints ? " (AWS API traffic goes through the endpoints)" : ""}`,
      ["vpc.natGateway.hour", "vpc.natGateway.gb"],
      hourly,
      hourly + processed * price("vpc.natGateway.gb"),
      `${hours} h x $${price("vpc.natGateway.hour")} + ${fmt(processed)} GB x $${price("vpc.natGateway.gb")}`,
    );
  },
  aws_eip: (r, { price, line, hours }) => {
    const cost = hours * price("vpc.publicIpv4.hour");
    line(
      r,
      "public IPv4 address",
      ["vpc.publicIpv4.hour"],
      cost,
      cost,
      `${hours} h x $${price("vpc.publicIpv4.hour")}`,
    );
  },
  aws_vpc_endpoint: (r, { price, line, all, profile, hours, free }) => {
    const b = r.body;
    if (b.vpc_endpoint_type !== "Interface") {
      free.push({ resource: r.address, reason: "gateway endpoints are free" });
      return;
    }
    const azs = Array.isArray(b.subnet_ids) ? b.subnet_ids.length : 1;
    const interfaces = all.filter(
      (x) => x.type === "aws_vpc_endpoint" && x.body.vpc_endpoint_type === "Interface",
    ).length;
    const gb = profile.vpcApiTrafficGb / interfaces;
    const fixed = azs * hours * price("privatelink.interfaceEndpoint.azHour");
    line(
      r,
      `interface endpoint ${String(b.service_name).split(".").at(-1)} in ${azs} AZs`,
      ["privatelink.interfaceEndpoint.azHour", "privatelink.interfaceEndpoint.gb"],
      fixed,
      fixed + gb * price("privatelink.interfaceEndpoint.gb"),
      `${azs} x ${hours} h x $${price("privatelink.interfaceEndpoint.azHour")} + ${fmt(gb)} GB x $${price("privatelink.interfaceEndpoint.gb")}`,
    );
  },
  aws_cognito_user_pool: (r, { price, line, profile }) => {
    const billable = Math.max(0, profile.monthlyActiveUsers - 10_000);
    line(
      r,
      `user pool (${fmt(profile.monthlyActiveUsers)} monthly active users; 10,000 free)`,
      ["cognito.essentials.mau"],
      0,
      billable * price("cognito.essentials.mau"),
      `${fmt(billable)} billable MAU x $${price("cognito.essentials.mau")}`,
    );
  },
  aws_ecr_repository: (r, { price, line, profile }) => {
    const b = r.body;
    const cost = profile.registryStorageGb * price("ecr.storageGbMonth");
    line(
      r,
      `registry ${b.name}: image storage`,
      ["ecr.storageGbMonth"],
      cost,
      cost,
      `${profile.registryStorageGb} GB x $${price("ecr.storageGbMonth")}`,
    );
  },
  aws_cloudfront_distribution: (r, { price, line, usage, profile }) => {
    // Every API request and every file of a visit's first load passes the distribution. Origin fetches from
    // S3 and API Gateway to CloudFront are free; the API's response bytes are priced on the API's line.
    const requests = usage.requests + profile.siteVisitsPerMonth * 3;
    const billableRequests = Math.max(0, requests - 10_000_000);
    const gb = (profile.siteVisitsPerMonth * profile.siteFirstLoadKb) / 1e6;
    const billableGb = Math.max(0, gb - 1000);
    line(
      r,
      `distribution: ${fmt(requests)} HTTPS requests (API and site), ${fmt(gb)} GB of site out (always-free tier: 10 M requests, 1 TB)`,
      ["cloudfront.requests.https", "cloudfront.dataOutGb"],
      0,
      (billableRequests / 10_000) * price("cloudfront.requests.https") +
        billableGb * price("cloudfront.dataOutGb"),
      `${fmt(billableRequests)} billable requests x $${price("cloudfront.requests.https")}/10,000 + ${fmt(billableGb)} billable GB x $${price("cloudfront.dataOutGb")}`,
    );
  },
  aws_s3_bucket: (r, { price, line, all, usage, profile }) => {
    const b = r.body;
    const servedBy = (kind: "origin" | "logging_config") =>
      all.some(
        (x) =>
          x.type === "aws_cloudfront_distribution" &&
          referencesIn(x.body[kind]).some((n) => n.address === r.address),
      );
    if (servedBy("origin")) {
      // The site's files: stored, read by CloudFront on a cache miss (assets are cached for a year).
      const gbMonth = profile.siteStorageMb / 1000;
      const gets = profile.siteVisitsPerMonth * 0.01 * 3;
      const storage = gbMonth * price("s3.standard.gbMonth");
      line(
        r,
        `bucket ${b.bucket}: the site's files`,
        ["s3.standard.gbMonth", "s3.requests.get"],
        storage,
        storage + (gets / 1000) * price("s3.requests.get"),
        `${fmt(gbMonth)} GB x $${price("s3.standard.gbMonth")} + ${fmt(gets)} GET (cache misses, 1 % of files)`,
      );
      return;
    }
    if (servedBy("logging_config")) {
      // CloudFront's access logs, kept SITE_LOG_EXPIRY_DAYS (30): about a month's worth stored at any time.
      const requests = usage.requests + profile.siteVisitsPerMonth * 3;
      const gbMonth = (requests * profile.cdnLogKbPerRequest) / 1e6;
      // CloudFront writes a log file per edge and period: a few per hour.
      const puts = 24 * 30 * 4;
      line(
        r,
        `bucket ${b.bucket}: CloudFront access logs (30 days)`,
        ["s3.standard.gbMonth", "s3.requests.put"],
        0,
        gbMonth * price("s3.standard.gbMonth") + (puts / 1000) * price("s3.requests.put"),
        `${fmt(gbMonth)} GB-months x $${price("s3.standard.gbMonth")} + ${fmt(puts)} log files (PUT)`,
      );
      return;
    }
    if (
      all.some(
        (x) =>
          x.type === "aws_s3_bucket_notification" &&
          referencesIn(x.body.bucket).some((n) => n.address === r.address),
      )
    ) {
      // The batch bucket: each file and its result stay BATCH_OBJECT_EXPIRY_DAYS (the lifecycle rule).
      const files = profile.batchFilesPerMonth;
      const inGb = (files * profile.batchRowsPerFile * profile.batchInputBytesPerRow) / 1e9;
      const outGb = (files * profile.batchRowsPerFile * profile.batchOutputBytesPerRow) / 1e9;
      const gbMonth = (2 * (inGb + outGb) * BATCH_OBJECT_EXPIRY_DAYS) / 30;
      // Per file: the upload; the range result and the result (one PUT each below 8 MiB parts); the worker's
      // read and the caller's download.
      const puts = files * 3;
      const gets = files * 2;
      const cost =
        gbMonth * price("s3.standard.gbMonth") +
        (puts / 1000) * price("s3.requests.put") +
        (gets / 1000) * price("s3.requests.get") +
        outGb * price("dataTransfer.outGb");
      line(
        r,
        `bucket ${b.bucket}: batch files and results (${fmt(files)} files x ${fmt(profile.batchRowsPerFile)} rows)`,
        ["s3.standard.gbMonth", "s3.requests.put", "s3.requests.get", "dataTransfer.outGb"],
        0,
        cost,
        `${fmt(gbMonth)} GB-months (parts and results for ${BATCH_OBJECT_EXPIRY_DAYS} days) x $${price("s3.standard.gbMonth")} + ${fmt(puts)} PUT + ${fmt(gets)} GET + ${fmt(outGb)} GB downloaded x $${price("dataTransfer.outGb")}`,
      );
      return;
    }
    const storage = profile.stateStorageGb * price("s3.standard.gbMonth");
    const requests =
      (profile.stateRequestsPerMonth / 2 / 1000) * (price("s3.requests.put") + price("s3.requests.get"));
    line(
      r,
      `bucket ${b.bucket}: storage and requests (Terraform state)`,
      ["s3.standard.gbMonth", "s3.requests.put", "s3.requests.get"],
      storage,
      storage + requests,
      `${profile.stateStorageGb} GB x $${price("s3.standard.gbMonth")} + ${fmt(profile.stateRequestsPerMonth)} requests, half writes`,
    );
  },
  aws_secretsmanager_secret: (r, { price, line, profile }) => {
    const b = r.body;
    // A function user's Data API login: read on each cold start and Data API session (profile's secret reads).
    const reads = profile.secretReadsPerMonth;
    line(
      r,
      `secret ${b.name} (Secrets Manager)`,
      ["secretsManager.secret", "secretsManager.apiCalls"],
      price("secretsManager.secret"),
      price("secretsManager.secret") + (reads / 1e4) * price("secretsManager.apiCalls"),
      `1 secret x $${price("secretsManager.secret")} + ${fmt(reads / 1e4)} x 10k reads x $${price("secretsManager.apiCalls")}`,
    );
  },
});

/** Prices every resource of a stack; throws on a resource type that is neither priced nor listed as free. */
export function estimateStack(json: TfJson, table: PriceTable, profile: TrafficProfile): StackCost {
  const region = stackRegion(json);
  const prices = table.regions[region];
  if (!prices)
    throw new UnknownRegionError(
      `no prices for ${region} in scripts/cost/prices.json (regions: ${Object.keys(table.regions).join(", ")})`,
    );
  const price = (key: string): number => {
    const p = prices[key];
    if (!p) throw new Error(`scripts/cost/prices.json has no ${key} for ${region}`);
    return p.usd;
  };
  const hours = table.hoursPerMonth;
  const seconds = hours * 3600;
  const all = resources(json);
  const byAddress = new Map(all.map((r) => [r.address, r]));
  const usage = usageOf(json, all, profile);
  const lines: CostLine[] = [];
  const free: FreeResource[] = [];
  const line = (
    r: Resource,
    item: string,
    keys: string[],
    idle: number,
    atProfile: number,
    basis: string,
  ): void => {
    lines.push({
      resource: r.address,
      item,
      prices: keys,
      idleUsdPerMonth: idle,
      profileUsdPerMonth: atProfile,
      basis,
    });
  };

  /** Invocations of the function a log group belongs to (`/aws/lambda/<name>`). */
  const functionsByName = new Map(
    all.filter((r) => r.type === "aws_lambda_function").map((f) => [String(f.body.function_name), f]),
  );
  const dataApiUsers = all.filter(
    (r) => r.type === "aws_lambda_function" && block(r.body.environment)?.variables?.DB_DRIVER === "data-api",
  );
  const databaseCalls = all
    .filter((r) => r.type === "aws_lambda_function" && block(r.body.environment)?.variables?.DB_HOST)
    .filter((r) => functionRole(String(r.body.function_name)) !== "migrate")
    .reduce((n, f) => n + (usage.invocations.get(f.address) ?? 0) * profile.dataApiCallsPerInvocation, 0);
  const dataApiCalls = dataApiUsers.reduce(
    (n, f) => n + (usage.invocations.get(f.address) ?? 0) * profile.dataApiCallsPerInvocation,
    0,
  );

  const context: PricingContext = {
    all,
    byAddress,
    usage,
    profile,
    hours,
    seconds,
    price,
    line,
    free,
    functionsByName,
    databaseCalls,
    dataApiCalls,
  };
  for (const r of all) {
    const pricer = Object.hasOwn(PRICERS, r.type) ? PRICERS[r.type] : undefined;
    if (pricer) {
      pricer(r, context);
      continue;
    }
    const reason = Object.hasOwn(FREE_TYPES, r.type) ? FREE_TYPES[r.type] : undefined;
    if (reason === undefined)
      throw new UnknownResourceTypeError(
        `${r.address}: resource type ${r.type} is neither priced nor listed as free in scripts/cost/estimate.ts; price it in PRICERS (and add its prices to scripts/cost/prices.json) or add it to FREE_TYPES with the reason`,
      );
    free.push({ resource: r.address, reason });
  }
  // Data sources are read at plan time: free.
  for (const [type, byName] of Object.entries((json.data ?? {}) as Record<string, Record<string, TfJson>>))
    for (const name of Object.keys(byName))
      free.push({ resource: `data.${type}.${name}`, reason: "a data source is a read at plan time" });

  const rounded = lines.map((l) => ({
    ...l,
    idleUsdPerMonth: round(l.idleUsdPerMonth),
    profileUsdPerMonth: round(l.profileUsdPerMonth),
  }));
  return {
    region,
    idleUsdPerMonth: round(lines.reduce((s, l) => s + l.idleUsdPerMonth, 0)),
    profileUsdPerMonth: round(lines.reduce((s, l) => s + l.profileUsdPerMonth, 0)),
    lines: rounded,
    free,
  };
}
