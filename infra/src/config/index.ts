import { alarmEmailVariable, ENVIRONMENTS, SHARED_CONFIG } from "./environments";
import type { DatabaseWindows, PeopleAccess, SiteConfig } from "./site";
import { SITE, SITE_FILE_VARIABLE } from "./site-source";
import { SITE_FIX, siteProblems, validateSite } from "./site-validation";
import { auroraMaxConnections } from "./slo";
import type { EnvironmentConfig, EnvironmentName } from "./types";

export * from "./types";
export type { DatabaseWindows, PeopleAccess, SiteConfig };
export {
  alarmEmailVariable,
  ENVIRONMENTS,
  SHARED_CONFIG,
  SITE,
  SITE_FILE_VARIABLE,
  SITE_FIX,
  siteProblems,
  validateSite,
};

import { BATCH_QUEUE_SETTINGS, BATCHES_RESERVED_CONCURRENCY } from "@sml/contracts/batches";
/** Thrown at synth when an environment is unknown or its settings contradict each other (the one config error type). */
import { ConfigError } from "@sml/contracts/env";
import type { FunctionName } from "@sml/contracts/functions";

export { ConfigError };

/** Unreserved concurrency Lambda always keeps per account and region; a reservation below it fails. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/**
 * Concurrent executions one stack of the environment takes from its account's pool, per function: the api's and
 * the batches function's reservations, and the prediction function's reservation or, without one, its provisioned
 * concurrency (which is taken from the unreserved pool; Lambda developer guide, "Configuring provisioned
 * concurrency"). The subscriber, the batch worker and migrate reserve nothing. infra/tests/concurrency.test.ts
 * checks this against `reserved_concurrent_executions` and the provisioned configs of the synthesized stacks.
 */
/**
 * Each function's reserved concurrency in an environment, by name: the one list both the stack's total and
 * docs/deploy.md's breakdown come from, so the breakdown cannot leave a function out of the total.
 */
export function reservedConcurrencyParts(
  config: EnvironmentConfig,
): readonly (readonly [FunctionName, number])[] {
  const { reservedConcurrency: predictionReserved, provisionedConcurrency } = config.prediction;
  const prediction = predictionReserved ?? provisionedConcurrency ?? 0;
  return [
    ["api", config.functions.apiReservedConcurrency],
    ...(prediction > 0 ? [["prediction", prediction] as const] : []),
    ["batches", BATCHES_RESERVED_CONCURRENCY],
    ["batch-sweeper", BATCH_SWEEPER_CONNECTIONS],
  ];
}

export function reservedConcurrency(config: EnvironmentConfig): number {
  return reservedConcurrencyParts(config).reduce((sum, [, n]) => sum + n, 0);
}

/** Previews the account's concurrency quota is sized for (docs/deploy.md; each further one adds its reservation). */
export const PLANNED_OPEN_PREVIEWS = 1;

/**
 * What every stack in the one account reserves together: each long-lived environment once and `previews` preview
 * stacks, and the quota that leaves Lambda's unreserved minimum (the preflight's and docs/deploy.md's figure).
 */
export function accountConcurrency(previews: number = PLANNED_OPEN_PREVIEWS) {
  const perStack = Object.fromEntries(
    (Object.keys(ENVIRONMENTS) as EnvironmentName[]).map((env) => [
      env,
      reservedConcurrency(getEnvironmentConfig(env)),
    ]),
  ) as Record<EnvironmentName, number>;
  const reserved = perStack.dev + perStack.prd + previews * perStack.preview;
  return {
    perStack,
    previews,
    reserved,
    unreservedMinimum: LAMBDA_UNRESERVED_MINIMUM,
    requiredQuota: reserved + LAMBDA_UNRESERVED_MINIMUM,
  };
}

/** The paragraph of docs/deploy.md between `<!-- concurrency:start -->` and `<!-- concurrency:end -->`. */
export function renderConcurrencyDoc(): string {
  const a = accountConcurrency();
  const what = (env: EnvironmentName) =>
    reservedConcurrencyParts(getEnvironmentConfig(env))
      .map(([fn, n]) => `${fn} ${n}`)
      .join(", ");
  return [
    `The stacks reserve ${a.reserved} concurrent executions of Lambda in the region (dev ${a.perStack.dev}: ${what("dev")};`,
    `prd ${a.perStack.prd}: ${what("prd")}; each preview ${a.perStack.preview}: ${what("preview")}), and Lambda always`,
    `keeps ${a.unreservedMinimum} unreserved, so the account's concurrency quota must be at least ${a.requiredQuota} (both`,
    `environments and ${a.previews} open preview in one account; each further open preview reserves ${a.perStack.preview} more).`,
  ].join("\n");
}

/** Connections the migration function holds while Terraform runs it (once per apply that changes migrations). */
export const MIGRATION_CONNECTIONS = 1;

/**
 * The most database connections the functions can hold at once (one per instance): the API's reserved
 * concurrency, the subscriber's event source mapping `maximumConcurrency` and the migration, against Aurora's
 * `max_connections` for the cluster's capacity range (minimum and maximum ACU, see `auroraMaxConnections`).
 */
/** The batch sweeper's database connections: its reserved concurrency is 1 (infra/src/constructs/batch.ts). */
export const BATCH_SWEEPER_CONNECTIONS = 1;

export function connectionBudget(config: EnvironmentConfig): {
  readonly api: number;
  readonly subscriber: number;
  readonly migrate: number;
  readonly batch: number;
  readonly total: number;
  readonly limit: number;
} {
  const api = config.functions.apiReservedConcurrency;
  const subscriber = config.messaging.maximumConcurrency;
  const migrate = MIGRATION_CONNECTIONS;
  // The batches HTTP function (reserved concurrency), the worker (the event source mapping's concurrency) and the
  // sweeper (one scheduled run at a time: reserved concurrency 1).
  const batch =
    BATCHES_RESERVED_CONCURRENCY + BATCH_QUEUE_SETTINGS.maximumConcurrency + BATCH_SWEEPER_CONNECTIONS;
  return {
    api,
    subscriber,
    migrate,
    batch,
    total: api + subscriber + migrate + batch,
    limit: auroraMaxConnections(config.database),
  };
}

const isEnvironmentName = (name: string): name is EnvironmentName => Object.hasOwn(ENVIRONMENTS, name);

/** Checks the rules the types cannot express; returns the config unchanged or throws a ConfigError. */
export function validateConfig(config: EnvironmentConfig): EnvironmentConfig {
  const where = `infra/src/config/environments.ts (${config.name})`;
  const problems: string[] = [];
  const { database: db, network, messaging, functions } = config;
  if (network.natMode === "none" && !network.vpcEndpoints && functions.inVpc)
    problems.push(
      'network.natMode "none" with functions.inVpc needs network.vpcEndpoints: true, or the functions cannot reach SNS and Secrets Manager (or set functions.inVpc: false with database.driver "data-api")',
    );
  if (!functions.inVpc && db.driver !== "data-api")
    problems.push(
      'functions.inVpc: false needs database.driver "data-api": outside the VPC only the RDS Data API reaches Aurora',
    );
  if (network.shareFrom !== undefined && (functions.inVpc || network.vpcEndpoints || network.flowLogs))
    problems.push(
      `network.shareFrom "${network.shareFrom}" needs functions.inVpc, network.vpcEndpoints and network.flowLogs off: a stack that shares another's VPC creates nothing in it (docs/deploy.md, "Previews")`,
    );
  if (network.shareFrom !== undefined && network.shareFrom === config.name)
    problems.push("network.shareFrom names the environment itself");
  if (!functions.inVpc && network.vpcEndpoints)
    problems.push(
      "network.vpcEndpoints needs functions.inVpc: an endpoint with no caller in the VPC buys nothing",
    );
  if (config.observability.alarms === "all" && !config.api.detailedMetrics)
    problems.push(
      'observability.alarms "all" needs api.detailedMetrics: the per-route alarms read API Gateway\'s detailed metrics',
    );
  if (db.minAcu < 0 || db.maxAcu > 256 || db.minAcu > db.maxAcu || db.maxAcu < 1)
    problems.push(
      `database ACU range ${db.minAcu}..${db.maxAcu} must satisfy 0 <= minAcu <= maxAcu, 1 <= maxAcu <= 256`,
    );
  if (db.secondsUntilAutoPause !== undefined && db.minAcu !== 0)
    problems.push("database.secondsUntilAutoPause only applies with minAcu: 0");
  if (
    db.secondsUntilAutoPause !== undefined &&
    (db.secondsUntilAutoPause < 300 || db.secondsUntilAutoPause > 86400)
  )
    problems.push("database.secondsUntilAutoPause must be within 300..86400");
  if (db.backupRetentionDays < 1 || db.backupRetentionDays > 35)
    problems.push("database.backupRetentionDays must be within 1..35");
  // 16 is the oldest major with 0 ACU auto-pause; a later one arrives through the upgrade in docs/operations.md.
  const engine = /^(\d+)\.\d+$/.exec(db.engineVersion);
  if (!engine || Number(engine[1]) < 16)
    problems.push("database.engineVersion must be a PostgreSQL 16 minor or later (major.minor, e.g. 16.10)");
  if (messaging.visibilityTimeoutSeconds < 6 * messaging.subscriberTimeoutSeconds)
    problems.push(
      "messaging.visibilityTimeoutSeconds must be at least 6x subscriberTimeoutSeconds (AWS guidance)",
    );
  if (messaging.maximumConcurrency < 2)
    problems.push("messaging.maximumConcurrency must be >= 2 (SQS minimum)");
  if (messaging.batchSize > 10 && messaging.maximumBatchingWindowSeconds < 1)
    problems.push("messaging.batchSize > 10 needs maximumBatchingWindowSeconds >= 1 (SQS rule)");
  if (!Number.isInteger(functions.apiReservedConcurrency) || functions.apiReservedConcurrency < 1)
    problems.push("functions.apiReservedConcurrency must be a whole number >= 1 (0 would stop the API)");
  const budget = connectionBudget(config);
  if (budget.total >= budget.limit)
    problems.push(
      `functions.apiReservedConcurrency (${budget.api}) + messaging.maximumConcurrency (${budget.subscriber}) + migration (${budget.migrate}) + batch functions (${budget.batch}) = ${budget.total} database connections, not below max_connections ${budget.limit} at database.minAcu..maxAcu ${db.minAcu}..${db.maxAcu}: lower them, or raise maxAcu (or minAcu to 1 or more, which lifts AWS's 2,000 cap) (docs/operations.md, "Scaling limits")`,
    );
  if (functions.api.timeoutSeconds > 29)
    problems.push("functions.api.timeoutSeconds must be <= 29 (API Gateway's integration limit is 30 s)");
  const { provisionedConcurrency, reservedConcurrency } = config.prediction;
  if (
    provisionedConcurrency !== undefined &&
    reservedConcurrency !== undefined &&
    provisionedConcurrency > reservedConcurrency
  )
    problems.push("prediction.provisionedConcurrency cannot exceed prediction.reservedConcurrency");
  if (config.logRetentionDays < 1)
    problems.push("logRetentionDays must be set (>= 1): logs never expire otherwise");
  if (config.name === "prd" && (!db.deletionProtection || !db.finalSnapshot || db.backupRetentionDays < 7))
    problems.push("prd needs database.deletionProtection, database.finalSnapshot and >= 7 days of backups");
  if (!config.api.jwtAuthorizer)
    problems.push(
      "api.jwtAuthorizer must be on: every route but GET /health and the OpenAPI document needs a token in every environment",
    );
  if (config.name === "prd" && config.api.jwtAuthorizer && !config.api.userPoolDeletionProtection)
    problems.push("prd needs api.userPoolDeletionProtection: deleting the user pool deletes every user");
  if (problems.length > 0)
    throw new ConfigError(`Invalid environment config in ${where}:\n- ${problems.join("\n- ")}`);
  return config;
}

/** One address, no spaces; enough to catch a typo or a name where an address belongs. */
const EMAIL_ADDRESS = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;
/** Domains reserved for documentation and tests (RFC 2606, RFC 6761): no mail is ever delivered there. */
const PLACEHOLDER_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;

/**
 * The environment's alarm e-mail addresses (a comma-separated list in `SML_ALARM_EMAIL_<ENV>`) and, when the
 * variable is unset or empty, a message naming it (`missing`; a deploy refuses it, an exploring synth reports it).
 * A set but malformed list throws a ConfigError naming the variable. Checked when the environment's stack is built
 * (not in `validateConfig`), so synthesizing one environment needs only its own addresses.
 */
export function alarmEmailCheck(config: EnvironmentConfig): {
  readonly addresses: readonly string[];
  readonly missing?: string;
} {
  const variable = alarmEmailVariable(config.name);
  const addresses = (config.alarmEmail ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  const fix = `set ${variable} to the address (or comma-separated addresses) that should receive ${config.name}'s alarms (in your shell for \`npm run plan\`/\`apply\`, as a GitHub variable for the workflows; docs/deploy.md, "Fork it", step 2; infra/README.md, "Alarm e-mail")`;
  if (addresses.length === 0) return { addresses, missing: `${variable} is not set: ${fix}` };
  for (const address of addresses) {
    const domain = EMAIL_ADDRESS.exec(address)?.[1];
    if (!domain || PLACEHOLDER_DOMAIN.test(domain))
      throw new ConfigError(
        `alarmEmail of ${config.name} ("${address}", from ${variable}) is not a deliverable address (placeholder domains such as example.com never receive mail): ${fix}.`,
      );
  }
  if (new Set(addresses).size !== addresses.length)
    throw new ConfigError(`alarmEmail of ${config.name} (${variable}) lists an address twice: ${fix}.`);
  return { addresses };
}

/** The environment's alarm e-mail addresses, or a ConfigError naming the variable to set (`alarmEmailCheck`). */
export function requireAlarmEmails(config: EnvironmentConfig): readonly string[] {
  const { addresses, missing } = alarmEmailCheck(config);
  if (missing) throw new ConfigError(`alarmEmail of ${config.name}: ${missing}.`);
  return addresses;
}

/**
 * The prefix an environment's IAM boundary and deploy role are scoped to (`sml-<env>-*`): its config's
 * `namePrefix`, except that every preview stack (`sml-pr-<number>`) falls under the preview environment's `sml-pr`.
 */
export function accessPrefixOf(config: EnvironmentConfig): string {
  return ENVIRONMENTS[config.name].namePrefix;
}

/** A pull request number as GitHub issues them: a positive whole number (digits only, no sign, no leading 0). */
const PULL_REQUEST_NUMBER = /^[1-9][0-9]{0,6}$/;

/**
 * The config of the preview stack of one pull request: the preview environment's lean profile under the name
 * prefix `sml-pr-<number>` (docs/deploy.md, "Previews"). Anything but a pull request number throws, so no
 * preview can be named into another stack's names (`sml-pr-1` is never a prefix of `sml-prd`).
 */
export function previewConfig(pullRequest: string | number): EnvironmentConfig {
  const number = String(pullRequest).trim();
  if (!PULL_REQUEST_NUMBER.test(number))
    throw new ConfigError(
      `Preview pull request "${pullRequest}" is not a pull request number (1-9999999): set SML_PREVIEW_PR to the number only, e.g. 42.`,
    );
  const base = ENVIRONMENTS.preview;
  return validateConfig({ ...base, namePrefix: `${base.namePrefix}-${number}` });
}

/** The validated config of one environment; an unknown name throws with the list of known ones. */
export function getEnvironmentConfig(name: string): EnvironmentConfig {
  if (!isEnvironmentName(name)) {
    const known = Object.keys(ENVIRONMENTS).join(", ");
    throw new ConfigError(
      `Unknown environment "${name}". Known environments: ${known}. Add one in infra/src/config/environments.ts (see infra/README.md, "Environments").`,
    );
  }
  return validateConfig(ENVIRONMENTS[name]);
}
