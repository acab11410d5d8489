/**
 * Service level objectives and the CloudWatch alarms that guard them: the one definition that the observability
 * construct builds alarms from and that the tables in docs/slo.md are generated from (`sloTable()` and
 * `alarmTable()`, laid out by scripts/generate/slo-doc.ts: `npm run generate`).
 */
import { FUNCTION_NAMES, type RolledOutFunctionName } from "@sml/contracts/functions";
import { type DefinedRouteKey, ROUTES, type Route, routeKey } from "@sml/contracts/routes";

export type { DefinedRouteKey };

function definedRouteKey(route: Route): DefinedRouteKey {
  return routeKey(route) as DefinedRouteKey;
}

/** Length of the SLO window that error budgets are counted over. */
export const SLO_WINDOW_DAYS = 30;

export interface ServiceLevelObjective {
  readonly key: string;
  readonly name: string;
  /** What is measured, in words an operator can check on the dashboard. */
  readonly indicator: string;
  /** Objective over the window, e.g. 99.9 (% of good events). */
  readonly objectivePercent: number;
}

/** p99 latency objective per route, in milliseconds (API Gateway `Latency`: request in to response out). */
export const ROUTE_LATENCY_P99_MS: Readonly<Record<DefinedRouteKey, number>> = Object.freeze({
  "GET /health": 500,
  "GET /users": 500,
  "GET /users/{id}": 500,
  "POST /users": 500,
  // One publish, as POST /users.
  "DELETE /users/{id}": 500,
  // The image function runs TensorFlow.js on the wasm backend; a 1,000-instance batch is the slow case.
  "POST /predict": 1000,
  // Served from summaries built at init: no model call.
  "GET /models": 500,
  // The document is built once per instance, then served from memory.
  "GET /openapi.json": 500,
  // One insert and a presigned URL (signed locally, no call to S3).
  "POST /batches": 500,
  // One page (at most 100 batches) from an index range scan.
  "GET /batches": 500,
  "GET /batches/{id}": 500,
});

/** How long a batch message may wait for a worker: a range takes minutes, ten run at once (BATCH_QUEUE_SETTINGS). */
export const BATCH_QUEUE_WAIT_BOUND_SECONDS = 30 * 60;

/** Bound on the time from an accepted `POST /users` to its row in PostgreSQL. */
export const QUEUE_PATH_BOUND_SECONDS = 60;

export const SERVICE_LEVEL_OBJECTIVES: readonly ServiceLevelObjective[] = Object.freeze([
  {
    key: "api-availability",
    name: "API availability, per route",
    indicator: "responses that are not 5xx / all responses (API Gateway `5xx`, `Count`)",
    objectivePercent: 99.9,
  },
  ...ROUTES.map((route) => ({
    key: `api-latency ${routeKey(route)}`,
    name: `Latency of \`${routeKey(route)}\``,
    indicator: `requests answered within ${ROUTE_LATENCY_P99_MS[definedRouteKey(route)]} ms (API Gateway \`Latency\` p99)`,
    objectivePercent: 99,
  })),
  {
    key: "queue-freshness",
    name: "Queue path: POST to row",
    indicator: `accepted users readable through GET within ${QUEUE_PATH_BOUND_SECONDS} s (SQS \`ApproximateAgeOfOldestMessage\`)`,
    objectivePercent: 99,
  },
  {
    key: "queue-durability",
    name: "Queue path: nothing dead-lettered",
    indicator: "accepted users that reach PostgreSQL without passing through the DLQ",
    objectivePercent: 99.99,
  },
  {
    key: "batch-completion",
    name: "Batch predictions: every upload finishes",
    indicator: `batch messages (uploads, ranges) handled without reaching the batch DLQ, none waiting over ${BATCH_QUEUE_WAIT_BOUND_SECONDS / 60} min (SQS)`,
    objectivePercent: 99.9,
  },
  {
    key: "predict-availability",
    name: "Predictions",
    indicator: "`POST /predict` responses that are not 5xx / all `POST /predict` responses",
    objectivePercent: 99.9,
  },
]);

/** Minutes of full outage the objective allows over the window. */
export function errorBudgetMinutes(objectivePercent: number): number {
  return Math.round(((100 - objectivePercent) / 100) * SLO_WINDOW_DAYS * 24 * 60 * 10) / 10;
}

export type AlarmScope =
  | "route"
  | "function"
  /** A rolled-out function's newest version, as its `live` alias runs it (dimension ExecutedVersion). */
  | "function-version"
  | "queue"
  | "dead-letter-queue"
  | "batch-queue"
  | "batch-dead-letter-queue"
  | "batch-sweeper"
  | "database";

export type ComparisonOperator = "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold";

/** A metric read directly (`metric`) or a percentage computed by metric math (`ratio`). */
export type AlarmSignal =
  | {
      readonly kind: "metric";
      readonly namespace: string;
      readonly metricName: string;
      /** `Sum`, `Maximum`, ... or a percentile such as `p99` (an extended statistic). */
      readonly statistic: string;
    }
  | {
      readonly kind: "ratio";
      readonly namespace: string;
      /** 100 * numerator / denominator, both summed over the period. */
      readonly numeratorMetric: string;
      readonly denominatorMetric: string;
      /** Below this many requests in a period the rate counts as 0, so one error in three calls does not page. */
      readonly minimumDenominator: number;
    }
  | {
      readonly kind: "percent-of-limit";
      readonly namespace: string;
      readonly metricName: string;
      readonly statistic: string;
      /**
       * What the limit is; the construct computes its value per environment: Aurora's `max_connections` for the
       * cluster's capacity range, or the connection budget (what the functions can open at once, one per
       * instance: `connectionBudget` in infra/src/config/index.ts).
       */
      readonly limit: "aurora-max-connections" | "function-connection-budget";
    };

export interface AlarmRule {
  /** Stable id; the alarm's name is `<prefix>-<key>[-<target>]`. */
  readonly key: string;
  readonly title: string;
  readonly scope: AlarmScope;
  /** For route alarms: the route they watch. */
  readonly route?: DefinedRouteKey;
  readonly signal: AlarmSignal;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly unit: "%" | "ms" | "s" | "count";
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "notBreaching" | "breaching" | "missing" | "ignore";
  /** Key of the objective the alarm protects, or why it exists. */
  readonly protects: string;
}

const FIVE_MINUTES = 300;
const ONE_MINUTE = 60;

/**
 * 14.4x the 99.9 % budget's burn rate: at this error rate a 30-day budget is gone in about two days, the usual
 * "page now" threshold (Google SRE workbook, "Alerting on SLOs").
 */
const FAST_BURN_ERROR_RATE_PERCENT = 1.44;

export const ALARM_RULES: readonly AlarmRule[] = Object.freeze([
  ...ROUTES.map(
    (route): AlarmRule => ({
      key: `api-5xx-rate-${slug(routeKey(route))}`,
      title: `5xx rate of \`${routeKey(route)}\``,
      scope: "route",
      route: definedRouteKey(route),
      signal: {
        kind: "ratio",
        namespace: "AWS/ApiGateway",
        numeratorMetric: "5xx",
        denominatorMetric: "Count",
        minimumDenominator: 10,
      },
      comparison: "GreaterThanThreshold",
      threshold: FAST_BURN_ERROR_RATE_PERCENT,
      unit: "%",
      periodSeconds: FIVE_MINUTES,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
      protects: route.target === "prediction" ? "predict-availability" : "api-availability",
    }),
  ),
  ...ROUTES.map(
    (route): AlarmRule => ({
      key: `api-latency-p99-${slug(routeKey(route))}`,
      title: `p99 latency of \`${routeKey(route)}\``,
      scope: "route",
      route: definedRouteKey(route),
      signal: { kind: "metric", namespace: "AWS/ApiGateway", metricName: "Latency", statistic: "p99" },
      comparison: "GreaterThanThreshold",
      threshold: ROUTE_LATENCY_P99_MS[definedRouteKey(route)],
      unit: "ms",
      periodSeconds: FIVE_MINUTES,
      // Three windows in a row: one cold start or one Aurora resume (dev) must not page.
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
      protects: `api-latency ${routeKey(route)}`,
    }),
  ),
  {
    key: "lambda-errors",
    title: "Lambda errors",
    scope: "function",
    signal: { kind: "metric", namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum" },
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 5,
    unit: "count",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    protects: "api-availability",
  },
  {
    // The rollout guard: errors of the version Terraform just published, counted only where the `live` alias runs
    // it (dimensions FunctionName, Resource <function>:live, ExecutedVersion; Lambda developer guide, "Types of
    // metrics for Lambda functions", dimensions). The old version's errors and a queue's backlog cannot stop a
    // rollout of the fix; a few errors in a minute from the new version, on any share of the traffic, do.
    key: "rollout-errors",
    title: "Errors of the version being rolled out",
    scope: "function-version",
    signal: { kind: "metric", namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum" },
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 3,
    unit: "count",
    periodSeconds: ONE_MINUTE,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    protects: "api-availability",
  },
  {
    key: "lambda-throttles",
    title: "Lambda throttles",
    scope: "function",
    signal: { kind: "metric", namespace: "AWS/Lambda", metricName: "Throttles", statistic: "Sum" },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    unit: "count",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
    protects: "api-availability",
  },
  {
    key: "queue-oldest-message-age",
    title: "Subscriber queue: oldest message age",
    scope: "queue",
    signal: {
      kind: "metric",
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      statistic: "Maximum",
    },
    comparison: "GreaterThanThreshold",
    threshold: QUEUE_PATH_BOUND_SECONDS,
    unit: "s",
    periodSeconds: ONE_MINUTE,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    treatMissingData: "notBreaching",
    protects: "queue-freshness",
  },
  {
    key: "dlq-depth",
    title: "Dead-letter queue depth",
    scope: "dead-letter-queue",
    signal: {
      kind: "metric",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      statistic: "Maximum",
    },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    unit: "count",
    periodSeconds: ONE_MINUTE,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    protects: "queue-durability",
  },
  {
    key: "batch-queue-oldest-message-age",
    title: "Batch queue: oldest message age",
    scope: "batch-queue",
    signal: {
      kind: "metric",
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      statistic: "Maximum",
    },
    comparison: "GreaterThanThreshold",
    threshold: BATCH_QUEUE_WAIT_BOUND_SECONDS,
    unit: "s",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
    protects: "batch-completion",
  },
  {
    // The shared lambda-errors rule needs 5 errors in 5 minutes; the sweeper runs once in 5 minutes, so one failed
    // run must alarm on its own: until it runs again, stuck batches stay pending or running.
    key: "batch-sweeper-errors",
    title: "Batch sweeper: failed runs",
    scope: "batch-sweeper",
    signal: { kind: "metric", namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum" },
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    unit: "count",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    protects: "batch-completion",
  },
  {
    key: "batch-dlq-depth",
    title: "Batch dead-letter queue depth",
    scope: "batch-dead-letter-queue",
    signal: {
      kind: "metric",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      statistic: "Maximum",
    },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    unit: "count",
    periodSeconds: ONE_MINUTE,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    protects: "batch-completion",
  },
  {
    key: "aurora-acu-utilization",
    title: "Aurora capacity (ACU) near its maximum",
    scope: "database",
    signal: { kind: "metric", namespace: "AWS/RDS", metricName: "ACUUtilization", statistic: "Maximum" },
    comparison: "GreaterThanThreshold",
    threshold: 80,
    unit: "%",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: "notBreaching",
    protects: "api-latency GET /users",
  },
  {
    key: "aurora-connections",
    title: "Aurora connections near max_connections",
    scope: "database",
    signal: {
      kind: "percent-of-limit",
      namespace: "AWS/RDS",
      metricName: "DatabaseConnections",
      statistic: "Maximum",
      limit: "aurora-max-connections",
    },
    comparison: "GreaterThanThreshold",
    threshold: 80,
    unit: "%",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
    protects: "api-availability",
  },
  {
    // The stacks bound the functions' connections far below max_connections (api reserved concurrency +
    // subscriber maximumConcurrency + the migration), so the engine cap alone would never fire: this alarm
    // watches connections against what the functions can open. Near 100 % the api is close to being throttled;
    // above it, something other than the functions holds connections (a leak, a second pool, a person).
    key: "aurora-connections-budget",
    title: "Aurora connections near the functions' connection budget",
    scope: "database",
    signal: {
      kind: "percent-of-limit",
      namespace: "AWS/RDS",
      metricName: "DatabaseConnections",
      statistic: "Maximum",
      limit: "function-connection-budget",
    },
    comparison: "GreaterThanThreshold",
    threshold: 90,
    unit: "%",
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
    protects: "api-availability",
  },
]);

/**
 * The alarms an environment nobody is on call for keeps (`observability.alarms: "actionable"`): each asks for a
 * step someone takes alone, whatever the traffic. A function's errors mean a code or data defect to fix; a
 * message in the dead-letter queue is a user lost until someone redrives it. Latency, throttling, capacity and
 * connection alarms protect SLOs that such an environment does not promise.
 */
export const ACTIONABLE_ALARM_KEYS: readonly string[] = Object.freeze([
  "lambda-errors",
  // What rolls a bad version back in an environment nobody watches (dev, previews): CodeDeploy acts on it.
  "rollout-errors",
  "dlq-depth",
  // A batch message in its DLQ is a batch stuck in running until someone redrives it (or the sweeper fails it).
  "batch-dlq-depth",
  // Without the sweeper no stuck batch ever ends.
  "batch-sweeper-errors",
]);

/** The alarm rules an environment creates for its `observability.alarms` setting. */
export function alarmRulesFor(selection: "all" | "actionable"): readonly AlarmRule[] {
  return selection === "all" ? ALARM_RULES : ALARM_RULES.filter((r) => ACTIONABLE_ALARM_KEYS.includes(r.key));
}

/**
 * Whether the alarms of `rule` guard a rollout of `fn`: CodeDeploy stops the deployment and moves the `live`
 * alias back when one of them is in ALARM while it runs, including one that was firing before it started
 * (CodeDeploy user guide, "Monitoring deployments with CloudWatch alarms"). So only alarms on the new version's
 * own metrics guard (`function-version` scope: `fn`'s own instance, Observability.guarding). The rest page and
 * never block:
 * - `function` scope (errors, throttles by FunctionName): they count every version, so the old version's errors
 *   would stop the rollout of its fix;
 * - `route` scope: API Gateway's metrics have no version, and p99 latency rises with a new version's cold starts;
 * - the queues' oldest-message age and dead-letter depth: one poison message would stop every deploy;
 * - the database's capacity and connection alarms: load, not code.
 * CodeDeploy takes at most 10 alarms per deployment group (CodeDeploy user guide, "CodeDeploy quotas"); the
 * deployment tests check each group's count. The policy rule `rollout-alarms-watch-the-new-version` checks every
 * group's alarms over the synthesized stacks.
 */
export function guardsRollout(rule: AlarmRule, _fn: RolledOutFunctionName): boolean {
  return rule.scope === "function-version";
}

/**
 * A rule whose threshold the target can reach: a function that runs once every `runsEverySeconds` makes at most
 * ceil(period / runsEvery) invocations in a period (one attempt each: its schedule's target retries nothing), so
 * "3 errors in a minute" can never fire for a 5-minute schedule. Such a target counts over at least one run
 * period, and its threshold drops to what it can reach (policy rule `rollout-guards-reachable`).
 */
export function reachableFor(rule: AlarmRule, runsEverySeconds: number | undefined): AlarmRule {
  if (runsEverySeconds === undefined) return rule;
  const periodSeconds = Math.max(rule.periodSeconds, runsEverySeconds);
  const threshold = Math.min(rule.threshold, Math.ceil(periodSeconds / runsEverySeconds));
  return { ...rule, periodSeconds, threshold };
}

/** Lower-case alphanumerics and dashes, for alarm names and route construct ids: `GET /users/{id}` -> `get-users-id`. */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** An Aurora Serverless v2 capacity range, in ACUs. */
export interface AcuRange {
  readonly minAcu: number;
  readonly maxAcu: number;
}

/**
 * Aurora PostgreSQL Serverless v2's default `max_connections` for a capacity range, as AWS documents it
 * (AWS re:Post, "Working of max_connections for Amazon Aurora PostgreSQL Serverless"; Aurora user guide,
 * "Aurora Serverless v2 capacity", "Maximum connections for Aurora Serverless v2"):
 * - it follows the engine default `LEAST(DBInstanceClassMemory/9531392, 5000)`, with memory sized from the
 *   maximum ACU. DBInstanceClassMemory is less than 2 GiB per ACU; this models it through AWS's two published
 *   values on that line: 189 connections at a maximum of 1 ACU and 3,360 at 16 ACU (about 211.4 per ACU);
 * - with a minimum of 0 or 0.5 ACU it is capped at 2,000, so any maximum of 16 or more gives 2,000;
 * - with a minimum of 1 ACU or more: 3,360 at a maximum of 16, 5,000 at 32 or more.
 * `max_connections` is a static parameter: a new capacity range takes effect after an instance reboot
 * (docs/operations.md, "Scaling limits").
 */
export function auroraMaxConnections({ minAcu, maxAcu }: AcuRange): number {
  const [atOneAcu, atSixteenAcu] = [189, 3360];
  const memoryFormula = atOneAcu + Math.floor(((maxAcu - 1) * (atSixteenAcu - atOneAcu)) / 15);
  const cap = minAcu < 1 ? 2000 : 5000;
  return Math.min(memoryFormula, cap);
}

const COMPARISON_SYMBOL: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: ">=",
};

const SCOPE_LABEL: Record<AlarmScope, string> = {
  route: "the route",
  function: `each function (${FUNCTION_NAMES.join(", ")})`,
  "function-version": "each rolled-out function's newest version, through `live`",
  queue: "users queue",
  "dead-letter-queue": "users DLQ",
  "batch-queue": "batch worker queue",
  "batch-dead-letter-queue": "batch worker DLQ",
  "batch-sweeper": "batch sweeper function",
  database: "Aurora cluster",
};

const LIMIT_LABEL: Record<Extract<AlarmSignal, { kind: "percent-of-limit" }>["limit"], string> = {
  "aurora-max-connections": "max_connections of the capacity range",
  "function-connection-budget": "the functions' connection budget",
};

function describeSignal(signal: AlarmSignal): string {
  switch (signal.kind) {
    case "metric":
      return `${signal.namespace} \`${signal.metricName}\` ${signal.statistic}`;
    case "ratio":
      return `100 x \`${signal.numeratorMetric}\` / \`${signal.denominatorMetric}\` (${signal.namespace}; 0 below ${signal.minimumDenominator} requests)`;
    case "percent-of-limit":
      return `100 x ${signal.namespace} \`${signal.metricName}\` ${signal.statistic} / ${LIMIT_LABEL[signal.limit]}`;
  }
}

function formatDuration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** A table as header and rows of cells; scripts/generate/slo-doc.ts lays it out in docs/slo.md. */
export interface DocTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The alarm table of docs/slo.md, generated from `ALARM_RULES`. */
export function alarmTable(rules: readonly AlarmRule[] = ALARM_RULES): DocTable {
  const rows = rules.map((rule) => {
    const unit = rule.unit === "count" ? "" : ` ${rule.unit}`;
    return [
      `\`${rule.key}\``,
      rule.route ? `\`${rule.route}\`` : SCOPE_LABEL[rule.scope],
      describeSignal(rule.signal),
      `${COMPARISON_SYMBOL[rule.comparison]} ${rule.threshold}${unit}`,
      `${rule.datapointsToAlarm} of ${rule.evaluationPeriods} x ${formatDuration(rule.periodSeconds)}`,
      rule.protects,
    ];
  });
  return { header: ["alarm", "watches", "signal", "fires when", "window", "protects"], rows };
}

/** The objectives table of docs/slo.md, generated from `SERVICE_LEVEL_OBJECTIVES`. */
export function sloTable(objectives: readonly ServiceLevelObjective[] = SERVICE_LEVEL_OBJECTIVES): DocTable {
  const rows = objectives.map((slo) => [
    `\`${slo.key}\``,
    slo.name,
    slo.indicator,
    `${slo.objectivePercent} %`,
    `${errorBudgetMinutes(slo.objectivePercent)} min`,
  ]);
  return { header: ["key", "objective", "SLI", `target (${SLO_WINDOW_DAYS} days)`, "error budget"], rows };
}
