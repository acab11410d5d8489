import { FUNCTIONS } from "@sml/contracts/functions";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";
import { SITE } from "./site-source";
import type { EnvironmentConfig, EnvironmentName, SharedConfig } from "./types";

/** Every environment's region comes from the site (infra/src/config/site.ts). */
const REGION = SITE.region;

/** The variable an environment's alarm e-mail is read from at synth: `SML_ALARM_EMAIL_PRD` for prd. */
export const alarmEmailVariable = (name: EnvironmentName): string => `SML_ALARM_EMAIL_${name.toUpperCase()}`;

/** State, registry and GitHub settings, from the site (a fork edits infra/src/config/site.ts, not this). */
export const SHARED_CONFIG: SharedConfig = Object.freeze({
  project: SITE.project,
  region: REGION,
  state: Object.freeze({ bucket: SITE.state.bucket, region: REGION, keyPrefix: SITE.state.keyPrefix }),
  githubRepository: SITE.githubRepository,
  accounts: SITE.accounts,
  githubOidcProviderArn: SITE.githubOidcProviderArn,
  people: SITE.people,
  predictionRepositoryName: "serverless-ml-api/prediction",
  previewRepositoryName: "serverless-ml-api/prediction-preview",
  images: Object.freeze({
    tagPrefixes: Object.freeze({ dev: "dev-", prd: "prd-", preview: "pr-" }),
    // prd: 30 promotions back for a rollback by digest; dev: its last deploys (CodeDeploy rolls back to the last).
    keep: Object.freeze({ dev: 10, prd: 30 }),
    previewDays: 14,
  }),
  environments: Object.freeze(["dev", "prd", "preview"] as const),
});

/**
 * Cheapest setup that still runs the whole system (docs/cost.md: at most $5/month idle): the same VPC with
 * public and private subnets and Aurora in the private ones, but no NAT gateway and no endpoints; the functions
 * run outside the VPC and reach Aurora through the RDS Data API (IAM-authorised, TLS). Aurora pauses when idle.
 */
const dev: EnvironmentConfig = {
  name: "dev",
  region: REGION,
  accountId: SITE.accounts.dev,
  namePrefix: `${SITE.project}-dev`,
  preventDestroy: false,
  network: {
    vpcCidr: "10.10.0.0/16",
    availabilityZones: [`${REGION}a`, `${REGION}b`],
    natMode: "none",
    vpcEndpoints: false,
    flowLogs: false,
  },
  database: {
    engineVersion: "16.10",
    upgradeEngine: false,
    databaseName: "sml",
    minAcu: 0,
    maxAcu: 4,
    secondsUntilAutoPause: 900,
    reader: false,
    backupRetentionDays: 1,
    backupWindow: SITE.databaseWindows.dev.backup,
    maintenanceWindow: SITE.databaseWindows.dev.maintenance,
    deletionProtection: false,
    finalSnapshot: false,
    applyImmediately: true,
    driver: "data-api",
  },
  functions: {
    api: { memoryMb: FUNCTIONS.api.memoryMb, timeoutSeconds: FUNCTIONS.api.timeoutSeconds },
    // 10 instances serve 4x the stage throttle while a request takes under 50 ms (the local-stack bench's
    // "HTTP p50 / p99" rows); 10 + 2 + 1 of ~901 connections at 4 ACU.
    apiReservedConcurrency: 10,
    subscriber: { memoryMb: FUNCTIONS.subscriber.memoryMb },
    migrate: { memoryMb: FUNCTIONS.migrate.memoryMb, timeoutSeconds: FUNCTIONS.migrate.timeoutSeconds },
    inVpc: false,
  },
  prediction: {
    memoryMb: FUNCTIONS.prediction.memoryMb,
    timeoutSeconds: FUNCTIONS.prediction.timeoutSeconds,
    reservedConcurrency: undefined,
    provisionedConcurrency: undefined,
  },
  api: {
    throttlingRateLimit: 50,
    throttlingBurstLimit: 100,
    jwtAuthorizer: true,
    userPoolDeletionProtection: false,
    detailedMetrics: false,
  },
  web: { priceClass: "PriceClass_100" },
  messaging: DEFAULT_MESSAGING_SETTINGS,
  // A customer-managed key buys nothing here: dev holds test data, is destroyable, and no policy is tightened.
  usersTopicKey: "aws-managed",
  // Nobody is on call for dev: errors and dead letters only, and the console's automatic dashboards.
  observability: { alarms: "actionable", dashboard: false },
  // Nobody waits on dev: the new version takes all traffic at once, and still rolls back on an alarm.
  rollout: { deploymentConfig: "CodeDeployDefault.LambdaAllAtOnce" },
  logRetentionDays: 14,
  alarmEmail: process.env[alarmEmailVariable("dev")],
};

/**
 * The per-pull-request stacks (`sml-pr-<number>`, docs/deploy.md "Previews"): dev's lean profile in the dev
 * account, in dev's VPC (no network of their own: 5 VPCs per region), under their own name prefix, boundary and
 * deploy role, so that a preview can change neither dev nor prd. `namePrefix` here is what every preview's names start with; each stack gets `sml-pr-<number>`
 * (`previewConfig`). Smaller than dev: a preview lives for days and serves one reviewer.
 */
const preview: EnvironmentConfig = {
  ...dev,
  name: "preview",
  namePrefix: `${SITE.project}-pr`,
  // dev's VPC (no VPC, NAT or subnet of its own): the preview's Aurora cluster sits in dev's private subnets.
  network: { ...dev.network, shareFrom: "dev" },
  database: { ...dev.database, maxAcu: 2, secondsUntilAutoPause: 300 },
  functions: { ...dev.functions, apiReservedConcurrency: 2 },
  api: { ...dev.api, throttlingRateLimit: 10, throttlingBurstLimit: 20 },
  logRetentionDays: 3,
  alarmEmail: process.env[alarmEmailVariable("preview")],
};

/** Production: NAT per AZ, endpoints, flow logs, a capacity floor and a reader, protection against deletion. */
const prd: EnvironmentConfig = {
  name: "prd",
  region: REGION,
  accountId: SITE.accounts.prd,
  namePrefix: `${SITE.project}-prd`,
  preventDestroy: true,
  network: {
    vpcCidr: "10.20.0.0/16",
    availabilityZones: [`${REGION}a`, `${REGION}b`],
    natMode: "gateway-per-az",
    vpcEndpoints: true,
    flowLogs: true,
  },
  database: {
    engineVersion: "16.10",
    upgradeEngine: false,
    databaseName: "sml",
    minAcu: 0.5,
    maxAcu: 16,
    secondsUntilAutoPause: undefined,
    reader: true,
    backupRetentionDays: 14,
    backupWindow: SITE.databaseWindows.prd.backup,
    maintenanceWindow: SITE.databaseWindows.prd.maintenance,
    deletionProtection: true,
    finalSnapshot: true,
    applyImmediately: false,
    driver: "pg",
  },
  functions: {
    api: { memoryMb: 1024, timeoutSeconds: FUNCTIONS.api.timeoutSeconds },
    // 100 instances serve the 500 rps throttle while a request takes under 200 ms (the local-stack bench's
    // "HTTP p50 / p99" rows); 100 + 5 + 1 of ~3604 connections at 16 ACU.
    apiReservedConcurrency: 100,
    subscriber: { memoryMb: 1024 },
    migrate: { memoryMb: FUNCTIONS.migrate.memoryMb, timeoutSeconds: FUNCTIONS.migrate.timeoutSeconds },
    inVpc: true,
  },
  prediction: {
    memoryMb: 2048,
    timeoutSeconds: FUNCTIONS.prediction.timeoutSeconds,
    reservedConcurrency: 50,
    provisionedConcurrency: 2,
  },
  api: {
    throttlingRateLimit: 500,
    throttlingBurstLimit: 1000,
    jwtAuthorizer: true,
    userPoolDeletionProtection: true,
    detailedMetrics: true,
  },
  web: { priceClass: "PriceClass_100" },
  // More subscriber instances in prd; each holds one database connection, far below max_connections at 0.5 ACU.
  messaging: Object.freeze({ ...DEFAULT_MESSAGING_SETTINGS, maximumConcurrency: 5 }),
  usersTopicKey: "customer-managed",
  observability: { alarms: "all", dashboard: true },
  // 10 % of the traffic on the new version for 5 minutes, then all of it; a guarding alarm rolls it back.
  rollout: { deploymentConfig: "CodeDeployDefault.LambdaCanary10Percent5Minutes" },
  logRetentionDays: 90,
  alarmEmail: process.env[alarmEmailVariable("prd")],
};

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = Object.freeze({
  dev,
  prd,
  preview,
});
