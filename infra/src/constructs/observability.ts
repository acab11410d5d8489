import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { FunctionName, RolledOutFunctionName } from "@sml/contracts/functions";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import { Construct } from "constructs";
import { ALARM_RULES, type AlarmRule, guardsRollout, reachableFor } from "../config/slo";

/** A function to watch: its registry name, the key of its alarm names (`api`), and the deployed function name. */
export interface WatchedFunction {
  readonly key: FunctionName;
  readonly functionName: string;
  /**
   * For a function CodeDeploy rolls out: its alias and the version Terraform published last (a reference), the
   * dimensions of the `function-version` alarms that guard the rollout.
   */
  readonly rollout?: {
    readonly alias: string;
    readonly version: string;
    /**
     * For a function only a schedule runs (the batch sweeper): seconds between runs. Its rollout guard then counts
     * over at least one run period and fires on a single error, since it can never see more per period.
     */
    readonly runsEverySeconds?: number;
  };
}

export interface ObservabilityProps {
  /** Prefix of every alarm, topic and dashboard name, e.g. `sml-dev`. */
  readonly namePrefix: string;
  /** Region the dashboard's widgets read metrics from. */
  readonly region: string;
  /** HTTP API id and stage name: the dimensions of API Gateway's per-route metrics. */
  readonly apiId: string;
  readonly apiStageName: string;
  /** Every Lambda function of the environment; each gets error and throttle alarms. */
  readonly functions: readonly WatchedFunction[];
  /** Name (not URL) of the subscriber's source queue and of its dead-letter queue. */
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** Name of the batch worker's queue and of its dead-letter queue. */
  readonly batchQueueName: string;
  readonly batchDeadLetterQueueName: string;
  /** The batch sweeper's function name (its own error alarm: it runs once per schedule period). */
  readonly batchSweeperFunctionName: string;
  /** Aurora cluster identifier. */
  readonly databaseClusterIdentifier: string;
  /** `prevent_destroy` on the alarm key (environment config `preventDestroy`). */
  readonly preventDestroy?: boolean;
  /** Aurora's `max_connections` for the cluster's capacity range (`auroraMaxConnections`). */
  readonly databaseMaxConnections: number;
  /** The most connections the functions can open at once (`connectionBudget(config).total`). */
  readonly databaseConnectionBudget: number;
  /**
   * Addresses that receive alarm notifications. An alarm nobody receives protects nothing: only an exploring synth
   * (never deployed, `defineStacks` refuses it for a deploy) passes none.
   */
  readonly alarmEmails: readonly string[];
  /** Alarm rules; defaults to the project's SLO definition (infra/src/config/slo.ts). */
  readonly rules?: readonly AlarmRule[];
  /** Creates the environment's dashboard (default true). */
  readonly dashboard?: boolean;
}

/**
 * The SLOs of docs/slo.md as CloudWatch alarms, an encrypted SNS topic they notify (with the environment's
 * alarm e-mail subscribed), and one dashboard for the environment.
 */
export class Observability extends Construct {
  readonly alarmTopic: SnsTopic;
  readonly alarms: readonly CloudwatchMetricAlarm[];
  readonly dashboard: CloudwatchDashboard | undefined;
  /** Each alarm with the rule it was built from and the function it watches (function-scope rules). */
  private readonly built: { rule: AlarmRule; functionKey?: string; alarm: CloudwatchMetricAlarm }[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const caller = new DataAwsCallerIdentity(this, "caller");

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key (its policy cannot be
    // changed), so the topic gets a customer-managed key whose policy lets CloudWatch use it.
    const keyPolicy = new DataAwsIamPolicyDocument(this, "alarm-key-policy", {
      statement: [
        {
          sid: "AccountAdministersKey",
          principals: [{ type: "AWS", identifiers: [`arn:aws:iam::${caller.accountId}:root`] }],
          actions: ["kms:*"],
          resources: ["*"],
        },
        {
          sid: "CloudWatchEncryptsAlarmNotifications",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [caller.accountId] }],
        },
      ],
    });
    const key = new KmsKey(this, "alarm-key", {
      description: `${props.namePrefix} alarm notifications`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: keyPolicy.json,
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
    });
    new KmsAlias(this, "alarm-key-alias", {
      name: `alias/${props.namePrefix}-alarms`,
      targetKeyId: key.keyId,
    });

    this.alarmTopic = new SnsTopic(this, "alarm-topic", {
      name: `${props.namePrefix}-alarms`,
      kmsMasterKeyId: key.arn,
    });
    const topicPolicy = new DataAwsIamPolicyDocument(this, "alarm-topic-policy-document", {
      statement: [
        {
          sid: "CloudWatchPublishesAlarms",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["sns:Publish"],
          resources: [this.alarmTopic.arn],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [caller.accountId] }],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "AWS", identifiers: ["*"] }],
          actions: ["sns:Publish", "sns:Subscribe"],
          resources: [this.alarmTopic.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new SnsTopicPolicy(this, "alarm-topic-policy", { arn: this.alarmTopic.arn, policy: topicPolicy.json });
    // The first keeps its original id, so a second address adds a subscription instead of replacing the first
    // (each replaced e-mail subscription waits for its recipient to confirm again).
    props.alarmEmails.forEach((endpoint, i) => {
      new SnsTopicSubscription(this, i === 0 ? "alarm-email" : `alarm-email-${i + 1}`, {
        topicArn: this.alarmTopic.arn,
        protocol: "email",
        endpoint,
      });
    });

    const alarms: CloudwatchMetricAlarm[] = [];
    for (const baseRule of props.rules ?? ALARM_RULES) {
      for (const target of alarmTargets(baseRule, props)) {
        const rule = reachableFor(baseRule, target.runsEverySeconds);
        const name = target.suffix
          ? `${props.namePrefix}-${rule.key}-${target.suffix}`
          : `${props.namePrefix}-${rule.key}`;
        const alarm = new CloudwatchMetricAlarm(this, name, {
          alarmName: name,
          alarmDescription: `${rule.title}${target.suffix ? ` (${target.suffix})` : ""}. Protects SLO ${rule.protects}; see docs/slo.md and docs/operations.md.`,
          comparisonOperator: rule.comparison,
          threshold: rule.threshold,
          evaluationPeriods: rule.evaluationPeriods,
          datapointsToAlarm: rule.datapointsToAlarm,
          treatMissingData: rule.treatMissingData,
          alarmActions: [this.alarmTopic.arn],
          okActions: [this.alarmTopic.arn],
          ...alarmMetric(rule, target.dimensions, props),
        });
        alarms.push(alarm);
        this.built.push({
          rule,
          ...((rule.scope === "function" || rule.scope === "function-version") && target.suffix
            ? { functionKey: target.suffix }
            : {}),
          alarm,
        });
      }
    }
    this.alarms = alarms;

    this.dashboard =
      props.dashboard === false
        ? undefined
        : new CloudwatchDashboard(this, "dashboard", {
            dashboardName: props.namePrefix,
            dashboardBody: JSON.stringify(dashboardBody(props)),
          });
  }

  /** The alarms that guard a rollout of `fn`: its own function alarms and the rules `guardsRollout` names. */
  guarding(fn: RolledOutFunctionName): CloudwatchMetricAlarm[] {
    return this.built
      .filter(
        ({ rule, functionKey }) =>
          guardsRollout(rule, fn) && (functionKey === undefined || functionKey === fn),
      )
      .map(({ alarm }) => alarm);
  }
}

interface AlarmTarget {
  readonly suffix?: string;
  readonly runsEverySeconds?: number;
  readonly dimensions: Record<string, string>;
}

/**
 * The dimensions of API Gateway's detailed (per-route) metrics for HTTP APIs: the route's method and its path
 * as `Resource` (API Gateway developer guide, "Monitor CloudWatch metrics for HTTP APIs").
 */
function routeDimensions(props: ObservabilityProps, route: string): Record<string, string> {
  const [method, resource] = route.split(" ") as [string, string];
  return { ApiId: props.apiId, Method: method, Resource: resource, Stage: props.apiStageName };
}

function alarmTargets(rule: AlarmRule, props: ObservabilityProps): AlarmTarget[] {
  switch (rule.scope) {
    case "route":
      if (!rule.route)
        throw new Error(`Alarm rule ${rule.key} has scope "route" but no route; set rule.route.`);
      return [{ dimensions: routeDimensions(props, rule.route) }];
    case "function":
      return props.functions.map((fn) => ({ suffix: fn.key, dimensions: { FunctionName: fn.functionName } }));
    case "function-version":
      // Invocations through the alias carry Resource <function>:<alias> and the version that ran them.
      return props.functions.flatMap((fn) =>
        fn.rollout
          ? [
              {
                suffix: fn.key,
                ...(fn.rollout.runsEverySeconds ? { runsEverySeconds: fn.rollout.runsEverySeconds } : {}),
                dimensions: {
                  FunctionName: fn.functionName,
                  Resource: `${fn.functionName}:${fn.rollout.alias}`,
                  ExecutedVersion: fn.rollout.version,
                },
              },
            ]
          : [],
      );
    case "queue":
      return [{ dimensions: { QueueName: props.queueName } }];
    case "dead-letter-queue":
      return [{ dimensions: { QueueName: props.deadLetterQueueName } }];
    case "batch-queue":
      return [{ dimensions: { QueueName: props.batchQueueName } }];
    case "batch-dead-letter-queue":
      return [{ dimensions: { QueueName: props.batchDeadLetterQueueName } }];
    case "batch-sweeper":
      return [{ dimensions: { FunctionName: props.batchSweeperFunctionName } }];
    case "database":
      return [{ dimensions: { DBClusterIdentifier: props.databaseClusterIdentifier } }];
  }
}

type AlarmMetricFields = Pick<
  CloudwatchMetricAlarmConfig,
  "namespace" | "metricName" | "statistic" | "extendedStatistic" | "period" | "dimensions" | "metricQuery"
>;

function alarmMetric(
  rule: AlarmRule,
  dimensions: Record<string, string>,
  props: ObservabilityProps,
): AlarmMetricFields {
  const signal = rule.signal;
  const period = rule.periodSeconds;
  switch (signal.kind) {
    case "metric": {
      const isPercentile = /^p\d+(\.\d+)?$/.test(signal.statistic);
      return {
        namespace: signal.namespace,
        metricName: signal.metricName,
        period,
        dimensions,
        ...(isPercentile ? { extendedStatistic: signal.statistic } : { statistic: signal.statistic }),
      };
    }
    case "ratio":
      return {
        metricQuery: [
          {
            id: "numerator",
            metric: {
              namespace: signal.namespace,
              metricName: signal.numeratorMetric,
              stat: "Sum",
              period,
              dimensions,
            },
            returnData: false,
          },
          {
            id: "denominator",
            metric: {
              namespace: signal.namespace,
              metricName: signal.denominatorMetric,
              stat: "Sum",
              period,
              dimensions,
            },
            returnData: false,
          },
          {
            id: "rate",
            expression: `IF(denominator >= ${signal.minimumDenominator}, 100 * numerator / denominator, 0)`,
            label: `${signal.numeratorMetric} rate (%)`,
            returnData: true,
          },
        ],
      };
    case "percent-of-limit": {
      const limit =
        signal.limit === "aurora-max-connections"
          ? props.databaseMaxConnections
          : props.databaseConnectionBudget;
      return {
        metricQuery: [
          {
            id: "used",
            metric: {
              namespace: signal.namespace,
              metricName: signal.metricName,
              stat: signal.statistic,
              period,
              dimensions,
            },
            returnData: false,
          },
          {
            id: "percent",
            expression: `100 * used / ${limit}`,
            label: `${signal.metricName} (% of ${limit})`,
            returnData: true,
          },
        ],
      };
    }
  }
}

type DashboardMetric = (string | Record<string, unknown>)[];

function metricWidget(
  title: string,
  metrics: DashboardMetric[],
  region: string,
  options: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "metric",
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stacked: false, period: 60, metrics, ...options },
  };
}

function dashboardBody(props: ObservabilityProps): { widgets: Record<string, unknown>[] } {
  const api = (metric: string, route: string, stat: string): DashboardMetric => [
    "AWS/ApiGateway",
    metric,
    ...Object.entries(routeDimensions(props, route)).flat(),
    { stat, label: `${route} ${metric} ${stat}` },
  ];
  const routes = ROUTES.map((route) => routeKey(route));
  const lambda = (metric: string, stat: string): DashboardMetric[] =>
    props.functions.map((fn) => [
      "AWS/Lambda",
      metric,
      "FunctionName",
      fn.functionName,
      { stat, label: fn.key },
    ]);
  const db = (metric: string, stat: string): DashboardMetric => [
    "AWS/RDS",
    metric,
    "DBClusterIdentifier",
    props.databaseClusterIdentifier,
    { stat },
  ];
  const queue = (name: string, metric: string, label: string): DashboardMetric => [
    "AWS/SQS",
    metric,
    "QueueName",
    name,
    { stat: "Maximum", label },
  ];
  return {
    widgets: [
      metricWidget(
        "API requests and 5xx per route",
        routes.flatMap((r) => [api("Count", r, "Sum"), api("5xx", r, "Sum")]),
        props.region,
      ),
      metricWidget(
        "API p99 latency per route (ms)",
        routes.map((r) => api("Latency", r, "p99")),
        props.region,
      ),
      metricWidget("Lambda errors", lambda("Errors", "Sum"), props.region),
      metricWidget("Lambda throttles", lambda("Throttles", "Sum"), props.region),
      metricWidget("Lambda duration p99 (ms)", lambda("Duration", "p99"), props.region),
      metricWidget("Lambda concurrent executions", lambda("ConcurrentExecutions", "Maximum"), props.region),
      metricWidget(
        "Queue path",
        [
          queue(props.queueName, "ApproximateAgeOfOldestMessage", "oldest message age (s)"),
          queue(props.queueName, "ApproximateNumberOfMessagesVisible", "queued"),
          queue(props.deadLetterQueueName, "ApproximateNumberOfMessagesVisible", "dead-lettered"),
        ],
        props.region,
      ),
      metricWidget(
        "Aurora capacity and connections",
        [
          db("ServerlessDatabaseCapacity", "Maximum"),
          db("ACUUtilization", "Maximum"),
          [...db("DatabaseConnections", "Maximum").slice(0, -1), { stat: "Maximum", yAxis: "right" }],
        ],
        props.region,
      ),
    ],
  };
}
