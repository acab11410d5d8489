import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BATCH_SWEEP_INTERVAL_MINUTES } from "@sml/contracts/batches";
import { FUNCTIONS as FUNCTION_REGISTRY } from "@sml/contracts/functions";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import { TerraformStack, Testing } from "cdktf";
import { connectionBudget, ENVIRONMENTS } from "../src/config";
import {
  ACTIONABLE_ALARM_KEYS,
  ALARM_RULES,
  type AlarmRule,
  alarmRulesFor,
  auroraMaxConnections,
  type DefinedRouteKey,
  errorBudgetMinutes,
  ROUTE_LATENCY_P99_MS,
  reachableFor,
} from "../src/config/slo";
import {
  Observability,
  type ObservabilityProps,
  type WatchedFunction,
} from "../src/constructs/observability";
import { synthAllStacks } from "./support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is walked dynamically; toMatchObject checks its shape.
type Json = Record<string, any>;

/** Every function but migrate is rolled out through `live` (its version here a literal; a reference in a stack). */
const rollout = { alias: "live", version: "7" };
const FUNCTIONS: readonly WatchedFunction[] = [
  { key: "api", functionName: "sml-test-api", rollout },
  { key: "subscriber", functionName: "sml-test-subscriber", rollout },
  { key: "prediction", functionName: "sml-test-prediction", rollout },
  { key: "migrate", functionName: "sml-test-migrate" },
  { key: "batches", functionName: "sml-test-batches", rollout },
  { key: "batch-worker", functionName: "sml-test-batch-worker", rollout },
];

const BASE_PROPS: ObservabilityProps = {
  namePrefix: "sml-test",
  region: "us-east-1",
  apiId: "a1b2c3",
  apiStageName: "$default",
  functions: FUNCTIONS,
  queueName: "sml-test-users",
  deadLetterQueueName: "sml-test-users-dlq",
  batchQueueName: "sml-test-batch-worker",
  batchDeadLetterQueueName: "sml-test-batch-worker-dlq",
  batchSweeperFunctionName: "sml-test-batch-sweeper",
  databaseClusterIdentifier: "sml-test-db",
  databaseMaxConnections: 823,
  databaseConnectionBudget: 13,
  alarmEmails: ["oncall@ops.acme.io", "db-team@acme.io"],
};

function synth(props: Partial<ObservabilityProps> = {}): Json {
  const app = Testing.app();
  const stack = new TerraformStack(app, "observability-test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new Observability(stack, "observability", { ...BASE_PROPS, ...props });
  return JSON.parse(Testing.synth(stack));
}

const stack = synth();
const alarms: Json[] = Object.values(stack.resource.aws_cloudwatch_metric_alarm ?? {});
const topicId = Object.keys(stack.resource.aws_sns_topic)[0] as string;
const callerId = Object.keys(stack.data.aws_caller_identity)[0] as string;
const alarmByName = new Map(alarms.map((alarm) => [alarm.alarm_name as string, alarm]));

function alarmNamesFor(rule: AlarmRule): string[] {
  if (rule.scope === "function") return FUNCTIONS.map((fn) => `sml-test-${rule.key}-${fn.key}`);
  if (rule.scope === "function-version")
    return FUNCTIONS.filter((fn) => fn.rollout).map((fn) => `sml-test-${rule.key}-${fn.key}`);
  return [`sml-test-${rule.key}`];
}

function metricOf(query: Json[], id: string): Json {
  const entry = query.find((q) => q.id === id);
  if (!entry) throw new Error(`metric query ${id} missing`);
  return entry.metric;
}

describe("Observability alarms", () => {
  it("creates exactly one alarm per rule and target", () => {
    const expected = ALARM_RULES.flatMap(alarmNamesFor);
    expect([...alarmByName.keys()].sort()).toEqual([...expected].sort());
  });

  it.each(ALARM_RULES.flatMap((rule) => alarmNamesFor(rule).map((name) => [name, rule] as const)))(
    "%s has the threshold, comparison and window of its SLO rule",
    (name, rule) => {
      const alarm = alarmByName.get(name);
      expect(alarm).toBeDefined();
      expect(alarm).toMatchObject({
        threshold: rule.threshold,
        comparison_operator: rule.comparison,
        evaluation_periods: rule.evaluationPeriods,
        datapoints_to_alarm: rule.datapointsToAlarm,
        treat_missing_data: rule.treatMissingData,
      });
    },
  );

  it("notifies the alarm topic on alarm and on recovery from every alarm", () => {
    for (const alarm of alarms) {
      expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topicId}.arn}`]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
    }
  });

  it.each(ROUTES.map((route) => routeKey(route)))(
    "watches the 5xx rate of %s with a request floor",
    (key) => {
      const rule = ALARM_RULES.find((r) => r.route === key && r.signal.kind === "ratio");
      if (!rule) throw new Error(`no 5xx rule for ${key}`);
      const alarm = alarmByName.get(`sml-test-${rule.key}`) as Json;
      const [method, resource] = key.split(" ");
      const dimensions = { ApiId: "a1b2c3", Method: method, Resource: resource, Stage: "$default" };
      expect(metricOf(alarm.metric_query, "numerator")).toMatchObject({
        namespace: "AWS/ApiGateway",
        metric_name: "5xx",
        stat: "Sum",
        dimensions,
      });
      expect(metricOf(alarm.metric_query, "denominator")).toMatchObject({ metric_name: "Count", dimensions });
      const rate = alarm.metric_query.find((q: Json) => q.id === "rate");
      expect(rate.expression).toBe("IF(denominator >= 10, 100 * numerator / denominator, 0)");
      expect(rate.return_data).toBe(true);
      expect(alarm.threshold).toBe(1.44);
    },
  );

  it.each(ROUTES.map((route) => routeKey(route) as DefinedRouteKey))(
    "watches the p99 latency of %s against its objective",
    (key) => {
      const rule = ALARM_RULES.find((r) => r.route === key && r.signal.kind === "metric");
      if (!rule) throw new Error(`no latency rule for ${key}`);
      const alarm = alarmByName.get(`sml-test-${rule.key}`) as Json;
      expect(alarm).toMatchObject({
        namespace: "AWS/ApiGateway",
        metric_name: "Latency",
        extended_statistic: "p99",
        dimensions: {
          ApiId: "a1b2c3",
          Method: key.split(" ")[0],
          Resource: key.split(" ")[1],
          Stage: "$default",
        },
        threshold: ROUTE_LATENCY_P99_MS[key],
      });
      expect(alarm.statistic).toBeUndefined();
    },
  );

  it("watches errors and throttles of every function by its deployed name", () => {
    for (const fn of FUNCTIONS) {
      expect(alarmByName.get(`sml-test-lambda-errors-${fn.key}`)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "Errors",
        statistic: "Sum",
        dimensions: { FunctionName: fn.functionName },
      });
      expect(alarmByName.get(`sml-test-lambda-throttles-${fn.key}`)).toMatchObject({
        metric_name: "Throttles",
        comparison_operator: "GreaterThanThreshold",
        threshold: 0,
        dimensions: { FunctionName: fn.functionName },
      });
    }
  });

  it("guards each rolled-out function on its newest version as the live alias runs it, never migrate", () => {
    for (const fn of FUNCTIONS.filter((f) => f.rollout))
      expect(alarmByName.get(`sml-test-rollout-errors-${fn.key}`)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "Errors",
        dimensions: {
          FunctionName: fn.functionName,
          Resource: `${fn.functionName}:live`,
          ExecutedVersion: "7",
        },
      });
    expect(alarmByName.has("sml-test-rollout-errors-migrate")).toBe(false);
  });

  it("fires on the first message in the dead-letter queue", () => {
    expect(alarmByName.get("sml-test-dlq-depth")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      statistic: "Maximum",
      dimensions: { QueueName: "sml-test-users-dlq" },
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      evaluation_periods: 1,
    });
  });

  it("watches the age of the oldest message in the subscriber's queue", () => {
    expect(alarmByName.get("sml-test-queue-oldest-message-age")).toMatchObject({
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "sml-test-users" },
      threshold: 60,
    });
  });

  it("watches Aurora capacity as a share of the maximum ACU", () => {
    expect(alarmByName.get("sml-test-aurora-acu-utilization")).toMatchObject({
      namespace: "AWS/RDS",
      metric_name: "ACUUtilization",
      dimensions: { DBClusterIdentifier: "sml-test-db" },
      threshold: 80,
    });
  });

  it("computes the connections alarms against max_connections and against the functions' connection budget", () => {
    const percentOf = (name: string) =>
      (alarmByName.get(name) as Json).metric_query.find((q: Json) => q.id === "percent").expression;
    const alarm = alarmByName.get("sml-test-aurora-connections") as Json;
    expect(metricOf(alarm.metric_query, "used")).toMatchObject({
      metric_name: "DatabaseConnections",
      dimensions: { DBClusterIdentifier: "sml-test-db" },
    });
    expect(percentOf("sml-test-aurora-connections")).toBe("100 * used / 823");
    expect(percentOf("sml-test-aurora-connections-budget")).toBe("100 * used / 13");
  });

  it("rejects a route rule that names no route", () => {
    const broken: AlarmRule = { ...(ALARM_RULES[0] as AlarmRule), route: undefined };
    expect(() => synth({ rules: [broken] })).toThrow(/scope "route" but no route/);
  });
});

describe("Observability notifications", () => {
  it("encrypts the alarm topic with a rotating customer-managed key", () => {
    const topic = Object.values(stack.resource.aws_sns_topic as Json)[0] as Json;
    expect(topic.name).toBe("sml-test-alarms");
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.[^.]+\.arn\}$/);
    const key = Object.values(stack.resource.aws_kms_key as Json)[0] as Json;
    expect(key.enable_key_rotation).toBe(true);
  });

  it("lets CloudWatch, and only from this account, use the key and publish to the topic", () => {
    const documents = Object.values(stack.data.aws_iam_policy_document as Json) as Json[];
    const cloudwatchStatements = documents
      .flatMap((doc) => doc.statement as Json[])
      .filter((s) => s.principals?.[0]?.identifiers?.includes("cloudwatch.amazonaws.com"));
    expect(cloudwatchStatements.map((s) => s.actions).sort()).toEqual([
      ["kms:Decrypt", "kms:GenerateDataKey*"],
      ["sns:Publish"],
    ]);
    for (const statement of cloudwatchStatements) {
      expect(statement.condition).toEqual([
        {
          test: "StringEquals",
          variable: "aws:SourceAccount",
          values: [`\${data.aws_caller_identity.${callerId}.account_id}`],
        },
      ]);
    }
  });

  it("subscribes every configured email address to the alarm topic", () => {
    const subscriptions = Object.values(stack.resource.aws_sns_topic_subscription as Json);
    expect(subscriptions).toHaveLength(BASE_PROPS.alarmEmails.length);
    expect(subscriptions).toEqual(
      expect.arrayContaining(
        BASE_PROPS.alarmEmails.map((endpoint) =>
          expect.objectContaining({
            protocol: "email",
            endpoint,
            topic_arn: expect.stringContaining("aws_sns_topic."),
          }),
        ),
      ),
    );
  });
});

describe("Observability dashboard", () => {
  const dashboard = Object.values(stack.resource.aws_cloudwatch_dashboard as Json)[0] as Json;
  const body = JSON.parse(dashboard.dashboard_body);
  const metrics: unknown[][] = body.widgets.flatMap((w: Json) => w.properties.metrics);

  it("gives every line of a widget its own label", () => {
    for (const widget of body.widgets as Json[]) {
      const labels = (widget.properties.metrics as unknown[][]).map((m) => {
        const options = m[m.length - 1] as Json;
        return options.label ?? m.slice(0, -1).join(" ");
      });
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  it("is named after the environment", () => {
    expect(dashboard.dashboard_name).toBe("sml-test");
  });

  it("charts every route, function, queue and the cluster", () => {
    for (const route of ROUTES) {
      expect(metrics).toContainEqual(
        expect.arrayContaining(["Latency", "Method", route.method, "Resource", route.path]),
      );
    }
    for (const fn of FUNCTIONS) {
      expect(metrics).toContainEqual(expect.arrayContaining(["Errors", fn.functionName]));
    }
    expect(metrics).toContainEqual(
      expect.arrayContaining(["ApproximateAgeOfOldestMessage", "sml-test-users"]),
    );
    expect(metrics).toContainEqual(
      expect.arrayContaining(["ApproximateNumberOfMessagesVisible", "sml-test-users-dlq"]),
    );
    expect(metrics).toContainEqual(expect.arrayContaining(["DatabaseConnections", "sml-test-db"]));
  });
});

describe("SLO definition", () => {
  // AWS's documented max_connections for Aurora PostgreSQL Serverless v2: AWS re:Post, "Working of
  // max_connections for Amazon Aurora PostgreSQL Serverless" (its three examples and the rule it states), and the
  // Aurora user guide, "Aurora Serverless v2 capacity" (max_connections follows the maximum ACU's memory).
  it.each([
    [0.5, 16, 2000, "minimum 0.5 with maximum 16: capped at 2,000 (re:Post example 1)"],
    [0, 16, 2000, "minimum 0 with maximum 16: capped at 2,000"],
    [0.5, 256, 2000, "minimum 0.5 with any maximum >= 16: still 2,000"],
    [1, 16, 3360, "minimum 1 with maximum 16: 3,360 (re:Post example 2)"],
    [1, 32, 5000, "minimum >= 1 with maximum 32: 5,000"],
    [2, 128, 5000, "minimum >= 1 with maximum > 32: 5,000"],
    [0.5, 1, 189, "range 0.5-1 ACU: 189 (re:Post example 3, the memory formula)"],
  ])("gives Aurora max_connections at %s..%s ACU as %s: %s", (minAcu, maxAcu, expected) => {
    expect(auroraMaxConnections({ minAcu, maxAcu })).toBe(expected);
  });

  it("follows the memory formula below 16 ACU: grows with the maximum, the same for any minimum", () => {
    const maxima = [1, 2, 4, 8, 12, 15.5];
    const low = maxima.map((maxAcu) => auroraMaxConnections({ minAcu: 0, maxAcu }));
    const high = maxima.map((maxAcu) => auroraMaxConnections({ minAcu: 1, maxAcu }));
    expect(high.every((n, i) => i === 0 || n > (high[i - 1] as number))).toBe(true);
    // Below the cap the minimum does not matter; at 12+ ACU the 2,000 cap of a sub-1 minimum bites.
    expect(low.slice(0, 4)).toEqual(high.slice(0, 4));
    expect(low.slice(4)).toEqual([2000, 2000]);
    expect(high[high.length - 1]).toBeLessThan(3360);
  });

  it("counts a 99.9 % objective as 43.2 minutes of budget over 30 days", () => {
    expect(errorBudgetMinutes(99.9)).toBe(43.2);
    expect(errorBudgetMinutes(99)).toBe(432);
  });

  it("gives every alarm rule a unique key", () => {
    const keys = ALARM_RULES.map((rule) => rule.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("environment stacks", () => {
  const { stacks, synthesized } = synthAllStacks();
  const stackJson = (id: string): Json => {
    const found = synthesized.find((s) => s.id === id);
    if (!found) throw new Error(`stack ${id} was not synthesized`);
    return found.json;
  };

  it.each(["dev", "prd"] as const)(
    "sml-%s carries every alarm its config selects, with the rule's threshold",
    (name) => {
      const json = stackJson(`sml-${name}`);
      const envAlarms = new Map(
        Object.values(json.resource.aws_cloudwatch_metric_alarm as Json).map((a: Json) => [a.alarm_name, a]),
      );
      const rules = alarmRulesFor(ENVIRONMENTS[name].observability.alarms);
      for (const rule of rules) {
        const rolledOut = (Object.keys(FUNCTION_REGISTRY) as string[]).filter((fn) => fn !== "migrate");
        const names =
          rule.scope === "function"
            ? (Object.keys(FUNCTION_REGISTRY) as string[]).map((fn) => `sml-${name}-${rule.key}-${fn}`)
            : rule.scope === "function-version"
              ? rolledOut.map((fn) => `sml-${name}-${rule.key}-${fn}`)
              : [`sml-${name}-${rule.key}`];
        for (const alarmName of names) {
          // The sweeper runs only on its schedule: its version guard counts per run (reachableFor).
          const sweeper = rule.scope === "function-version" && alarmName.endsWith("-batch-sweeper");
          const expected = sweeper ? reachableFor(rule, BATCH_SWEEP_INTERVAL_MINUTES * 60) : rule;
          expect(envAlarms.get(alarmName)).toMatchObject({
            threshold: expected.threshold,
            ...(sweeper ? { period: expected.periodSeconds } : {}),
            comparison_operator: rule.comparison,
          });
        }
      }
      // A function-scoped rule makes one alarm per function of the registry, every other rule one.
      const perFunction = Object.keys(FUNCTION_REGISTRY).length;
      expect(envAlarms.size).toBe(
        rules.length +
          (perFunction - 1) * rules.filter((r) => r.scope === "function").length +
          // every function but migrate is rolled out
          (perFunction - 2) * rules.filter((r) => r.scope === "function-version").length,
      );
    },
  );

  it("gives prd every SLO alarm and dev only those that ask someone to act (errors, dead letters)", () => {
    expect(alarmRulesFor(ENVIRONMENTS.prd.observability.alarms)).toEqual(ALARM_RULES);
    const dev = alarmRulesFor(ENVIRONMENTS.dev.observability.alarms).map((r) => r.key);
    expect(dev.sort()).toEqual([...ACTIONABLE_ALARM_KEYS].sort());
    // An actionable alarm must not depend on per-route metrics, which dev does not buy.
    for (const rule of ALARM_RULES.filter((r) => ACTIONABLE_ALARM_KEYS.includes(r.key)))
      expect(rule.scope).not.toBe("route");
  });

  const percentExpression = (name: string, alarm: string) =>
    (
      Object.values(stackJson(`sml-${name}`).resource.aws_cloudwatch_metric_alarm as Json).find(
        (a: Json) => a.alarm_name === `sml-${name}-${alarm}`,
      ) as Json
    ).metric_query.find((q: Json) => q.id === "percent").expression;

  const withConnectionAlarms = (["dev", "prd"] as const).filter((n) =>
    alarmRulesFor(ENVIRONMENTS[n].observability.alarms).some((r) => r.key === "aurora-connections"),
  );

  it.each(withConnectionAlarms)("sml-%s sizes the connections alarm from its capacity range", (name) => {
    const env = stacks.environments[name];
    if (!env) throw new Error(`no ${name} stack`);
    const limit = auroraMaxConnections(env.config.database);
    expect(percentExpression(name, "aurora-connections")).toBe(`100 * used / ${limit}`);
  });

  it("divides prd's connections by the 2,000 AWS documents for a 0.5..16 ACU range, not the memory formula's 3,604", () => {
    const { minAcu, maxAcu } = ENVIRONMENTS.prd.database;
    expect(minAcu < 1 && maxAcu >= 16).toBe(true);
    expect(percentExpression("prd", "aurora-connections")).toBe("100 * used / 2000");
  });

  it.each(withConnectionAlarms)(
    "sml-%s watches connections against what its functions can open (the connection budget)",
    (name) => {
      const budget = connectionBudget(ENVIRONMENTS[name]);
      expect(budget.total).toBeLessThan(budget.limit);
      expect(percentExpression(name, "aurora-connections-budget")).toBe(`100 * used / ${budget.total}`);
    },
  );

  it.each(["dev", "prd"] as const)("subscribes sml-%s's required alarm e-mail to its alarm topic", (name) => {
    const subscriptions = Object.values(
      stackJson(`sml-${name}`).resource.aws_sns_topic_subscription as Json,
    ).filter((s: Json) => s.protocol === "email");
    expect(subscriptions.map((s: Json) => s.endpoint)).toEqual([
      process.env[`SML_ALARM_EMAIL_${name.toUpperCase()}`],
    ]);
  });
});

describe("docs agree with the environment config", () => {
  const docs = join(__dirname, "..", "..", "docs");
  const { dev, prd } = ENVIRONMENTS;

  /** Cells of the Markdown table row whose first cell starts with `label` (padding and pipes removed). */
  function row(file: string, label: string): string[] {
    const line = readFileSync(join(docs, file), "utf8")
      .split("\n")
      .find((l) => l.startsWith(`| ${label}`));
    if (!line) throw new Error(`docs/${file} has no table row starting with "${label}"`);
    return line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
  }

  it("operations.md states each environment's stage throttle, api and subscriber concurrency and maximum ACU", () => {
    expect(row("operations.md", "stage throttle").slice(1)).toEqual(
      [dev, prd].map((c) => `${c.api.throttlingRateLimit} / ${c.api.throttlingBurstLimit} rps`),
    );
    expect(row("operations.md", "api reserved concurrency").slice(1)).toEqual(
      [dev, prd].map((c) => String(c.functions.apiReservedConcurrency)),
    );
    expect(row("operations.md", "subscriber `maximumConcurrency`").slice(1)).toEqual(
      [dev, prd].map((c) => String(c.messaging.maximumConcurrency)),
    );
    expect(row("operations.md", "Aurora max ACU").slice(1)).toEqual(
      [dev, prd].map((c) => String(c.database.maxAcu)),
    );
    expect(row("operations.md", "`max_connections` for the capacity range").slice(1)).toEqual(
      [dev, prd].map((c) => String(auroraMaxConnections(c.database))),
    );
    expect(row("operations.md", "Aurora min..max ACU").slice(1)).toEqual(
      [dev, prd].map((c) => `${c.database.minAcu}..${c.database.maxAcu}`),
    );
    expect(row("operations.md", "connection budget").slice(1)).toEqual(
      [dev, prd].map((c) => String(connectionBudget(c).total)),
    );
  });
});
