import type { MessagingSettings } from "@sml/contracts/messaging";
import type { PeopleAccess } from "./site";

/**
 * The deployable environments. Stack ids end with the name (`sml-dev`), so `cdktf deploy '*-dev'` works.
 * `preview` is the environment of the per-pull-request stacks (`sml-pr-<number>`, docs/deploy.md "Previews"):
 * one boundary and one deploy role, in the dev account, for every copy.
 */
export type EnvironmentName = "dev" | "prd" | "preview";
/**
 * The long-lived environments the site config names (account, people, database windows). Previews are not among
 * them: every preview stack lives in dev's account with dev's windows, and people reach it with dev's roles.
 */
export type SiteEnvironmentName = Exclude<EnvironmentName, "preview">;

/**
 * How CodeDeploy shifts a Lambda alias to a new version: one of its predefined Lambda deployment configurations
 * (CodeDeploy user guide, "Deployment configurations on an AWS Lambda compute platform"). A canary sends the
 * percentage to the new version for the minutes named, then the rest; all-at-once shifts everything at once.
 * The deployment rolls back when it fails or when one of the function's guarding alarms fires meanwhile.
 */
export type LambdaDeploymentConfigName =
  | "CodeDeployDefault.LambdaAllAtOnce"
  | "CodeDeployDefault.LambdaCanary10Percent5Minutes"
  | "CodeDeployDefault.LambdaCanary10Percent10Minutes"
  | "CodeDeployDefault.LambdaCanary10Percent15Minutes"
  | "CodeDeployDefault.LambdaCanary10Percent30Minutes"
  | "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
  | "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"
  | "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes"
  | "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes";

export interface RolloutConfig {
  /** How CodeDeploy shifts the `live` alias of the api, subscriber and prediction functions. Free. */
  readonly deploymentConfig: LambdaDeploymentConfigName;
  /**
   * Lambda functions CodeDeploy invokes before (`beforeAllowTraffic`) and after (`afterAllowTraffic`) the
   * shift, by name; each must report its result with `codedeploy:PutLifecycleEventHookExecutionStatus`, and a
   * failure rolls the deployment back. Omitted: no hooks (the deploy workflow smoke-tests the new version
   * itself before the shift). Invocations are billed as usual.
   */
  readonly hooks?: { readonly beforeAllowTraffic?: string; readonly afterAllowTraffic?: string };
}

/**
 * How the private subnets reach the internet (AWS APIs such as SNS, Secrets Manager, X-Ray).
 * - `gateway-per-az`: one NAT gateway per AZ; an AZ outage cannot cut the other AZ off.
 *   Costs 2 x (~$33/month + $0.045/GB processed + $3.65 for the gateway's public IPv4 address).
 * - `single-gateway`: one NAT gateway shared by both AZs; half the price, one AZ is a single point of failure.
 * - `none`: no NAT gateway and no internet route; functions in the VPC then reach AWS only through VPC endpoints,
 *   so `vpcEndpoints` must be on, unless the functions run outside the VPC (`functions.inVpc: false`).
 */
export type NatMode = "gateway-per-az" | "single-gateway" | "none";

/** How the zip functions talk to Aurora (read by the handlers from `DB_DRIVER`). */
export type DatabaseDriver = "pg" | "data-api";

export interface NetworkConfig {
  /** IPv4 range of the VPC; the four subnets are carved out of it as /20s. Free. */
  readonly vpcCidr: string;
  /** Exactly two AZs: public + private subnet in each; the Aurora reader goes to the second. Free. */
  readonly availabilityZones: readonly [string, string];
  /** NAT layout, see {@link NatMode}. The biggest fixed network cost. */
  readonly natMode: NatMode;
  /**
   * Interface VPC endpoints for the AWS APIs that code inside the VPC calls (SNS, Secrets Manager, X-Ray, plus the
   * RDS Data API when that driver is on), so those calls stay off the NAT gateway and the internet. SQS polling,
   * logs and image pulls are the Lambda service's, outside the VPC: no endpoint. Costs ~$7.30/month per service
   * per AZ (~$44/month for the 3 services in 2 AZs, ~$58 with the RDS Data API endpoint) + $0.01/GB.
   */
  readonly vpcEndpoints: boolean;
  /** VPC flow logs (all traffic) to CloudWatch Logs. Costs $0.50/GB ingested (vended-log pricing) + storage. */
  readonly flowLogs: boolean;
  /**
   * Build no network: use this environment's VPC, found by its tags (previews use dev's). A region holds 5 VPCs
   * by default, the default VPC included, so a VPC per preview fails the third preview's apply half-way. Only for
   * a stack whose functions run outside the VPC: it creates nothing in the other VPC but what RDS places there.
   */
  readonly shareFrom?: Exclude<EnvironmentName, "preview">;
}

export interface DatabaseConfig {
  /**
   * Aurora PostgreSQL engine version a new cluster starts on (a PostgreSQL 16 minor; 16.10 is the newest we
   * checked). 16.3+ is needed for 0 ACU with auto-pause. The parameter group's family follows its major.
   * After creation Terraform ignores the cluster's engine version (AWS applies minor upgrades in the maintenance
   * window, and forces them at the end of a minor's standard support), so changing it alone upgrades nothing:
   * see `upgradeEngine` and docs/operations.md, "Upgrading PostgreSQL".
   */
  readonly engineVersion: string;
  /**
   * `true` only in the pull request that upgrades the engine (docs/operations.md): Terraform then sets the
   * cluster's engine version to `engineVersion`, allowing a major upgrade. Normally `false`. Free.
   */
  readonly upgradeEngine: boolean;
  /** Database created in the cluster, read by the functions from `DB_NAME`. */
  readonly databaseName: string;
  /**
   * Lowest Aurora Serverless v2 capacity. 0 lets the cluster pause (no compute charge while paused, ~15 s resume
   * on the first connection); every ACU held as a floor costs ~$0.12/hour (~$88/month) per instance.
   */
  readonly minAcu: number;
  /** Highest capacity per instance; caps both spend (~$0.12 per ACU-hour) and connections (~max_connections). */
  readonly maxAcu: number;
  /**
   * Seconds without connections before a 0-ACU cluster pauses (300..86400), or `undefined` to never pause.
   * Only valid with `minAcu: 0`. Free; the price is the resume latency after a pause.
   */
  readonly secondsUntilAutoPause: number | undefined;
  /** Adds a reader instance in the second AZ for failover. Doubles the instance compute cost (same ACU range). */
  readonly reader: boolean;
  /** Days of automated backups (1..35). Backup storage up to the cluster size is free, beyond ~$0.021/GB-month. */
  readonly backupRetentionDays: number;
  /** Daily automated-backup window, UTC (`hh24:mi-hh24:mi`), from the site's `databaseWindows`. */
  readonly backupWindow: string;
  /** Weekly maintenance window, UTC (`ddd:hh24:mi-ddd:hh24:mi`), from the site's `databaseWindows`. */
  readonly maintenanceWindow: string;
  /** Refuses `terraform destroy` of the cluster until switched off. Free. */
  readonly deletionProtection: boolean;
  /** Takes a final snapshot when the cluster is destroyed. Snapshot storage ~$0.021/GB-month until deleted. */
  readonly finalSnapshot: boolean;
  /** Applies modifications at once instead of in the next maintenance window (may restart instances). Free. */
  readonly applyImmediately: boolean;
  /** Zip functions' database driver; `data-api` also grants `rds-data:*Statement` on the cluster. Data API: $0.35 per million requests beyond the free tier. */
  readonly driver: DatabaseDriver;
}

export interface ZipFunctionSettings {
  /** Memory in MB; Lambda bills GB-seconds ($0.0000133334 per GB-s on arm64), CPU scales with memory. */
  readonly memoryMb: number;
  /** Timeout in seconds; bounds the bill of a stuck invocation. */
  readonly timeoutSeconds: number;
}

export interface PredictionConfig extends ZipFunctionSettings {
  /**
   * Concurrency reserved for (and capped at) the prediction function, or `undefined` for the shared pool.
   * Free, but it is taken away from the account's other functions.
   */
  readonly reservedConcurrency: number | undefined;
  /**
   * Pre-initialised instances of the `live` alias (no cold starts), or `undefined` for none. Costs
   * ~$0.0000033334 per GB-s provisioned on arm64 (~$8.60/month per 1 GB instance) whether used or not.
   */
  readonly provisionedConcurrency: number | undefined;
}

/**
 * Which CloudWatch alarms (infra/src/config/slo.ts) an environment creates. `all`: every SLO alarm.
 * `actionable`: only those whose firing asks someone to act on their own ({@link ACTIONABLE_ALARM_KEYS}), for an
 * environment nobody is on call for. Each alarm metric costs $0.10/month.
 */
export type AlarmSelection = "all" | "actionable";

/** How the users topic is encrypted. Both keep the data encrypted at rest; only the key's owner differs. */
export type TopicKey = "customer-managed" | "aws-managed";

export interface ApiConfig {
  /** Steady-state requests per second allowed by the stage before 429s. Free; protects the database. */
  readonly throttlingRateLimit: number;
  /** Burst bucket size of the stage throttle. Free. */
  readonly throttlingBurstLimit: number;
  /**
   * Protects every route marked `authorized` with a JWT authorizer backed by a new Cognito user pool. Cognito
   * Essentials: free for 10,000 monthly active users, then ~$0.015 per MAU. Must be on in every environment
   * (issue 28: every route but /health and the OpenAPI document needs a token); validation refuses `false`.
   */
  readonly jwtAuthorizer: boolean;
  /**
   * Refuses to delete the Cognito user pool (and its users) until switched off, also on a `terraform destroy` or
   * a replacement. Only applies with `jwtAuthorizer`. Free.
   */
  readonly userPoolDeletionProtection: boolean;
  /**
   * API Gateway detailed (per-route) metrics, needed by the per-route latency and 5xx alarms. Billed as custom
   * metrics ($0.30 per metric-month, 6 metrics per route) for each hour a route is called; nothing while idle.
   */
  readonly detailedMetrics: boolean;
}

/** The environment's entry point: CloudFront in front of the site bucket and the API (constructs/site-distribution.ts). */
export interface WebConfig {
  /**
   * CloudFront price class. `PriceClass_100` (North America, Europe) is the cheapest; requests are priced by the
   * edge that serves them ($0.0100 per 10,000 HTTPS requests, $0.085/GB out in those regions).
   */
  readonly priceClass: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /**
   * A domain of the site's own (`app.example.com`) and its ACM certificate in us-east-1 (CloudFront reads only
   * that region's); the DNS record is the domain owner's. Without it the site is at `https://<id>.cloudfront.net`
   * with CloudFront's certificate. Free.
   */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
}

export interface ObservabilityConfig {
  /** Which SLO alarms exist; `all` needs `api.detailedMetrics` (the per-route alarms read those metrics). */
  readonly alarms: AlarmSelection;
  /** The environment's CloudWatch dashboard: $3.00 per dashboard-month beyond the account's first three. */
  readonly dashboard: boolean;
}

/** One environment's settings. Everything that costs money or widens access is a visible switch here. */
export interface EnvironmentConfig {
  /** Environment name; suffix of the stack id and of the GitHub environment that may deploy it. */
  readonly name: EnvironmentName;
  /** AWS region of every resource of the environment. */
  readonly region: string;
  /** The AWS account the environment deploys to: the provider's `allowed_account_ids` (site config). */
  readonly accountId: string;
  /** Prefix of every resource name (`sml-dev-api`); keeps IAM ARN patterns and dashboards readable. */
  readonly namePrefix: string;
  /**
   * Terraform's `prevent_destroy` on what holds data or trust (the Aurora cluster, the Cognito user pool, the KMS
   * keys): any plan that would destroy or replace one fails, and an intended replacement needs a reviewed pull
   * request that lifts it (docs/operations.md, "Replacing what holds data"). `false` keeps the environment (and
   * any per-pull-request copy of it) destroyable. Free.
   */
  readonly preventDestroy: boolean;
  /** VPC, NAT, endpoints and flow logs. */
  readonly network: NetworkConfig;
  /** Aurora Serverless v2 cluster. */
  readonly database: DatabaseConfig;
  /** Memory and timeout of the zip functions. */
  readonly functions: {
    /** HTTP API function (`/users`, `/health`). */
    readonly api: ZipFunctionSettings;
    /**
     * Reserved concurrency of the API function: the most instances it runs at once, hence the most database
     * connections it holds (one each). Together with the subscriber's `maximumConcurrency` and the migration (1)
     * it must stay below Aurora's `max_connections` at `maxAcu` (checked at synth). Free, but it is taken from
     * the account's unreserved concurrency (AWS keeps at least 100 unreserved), and requests beyond it are
     * throttled (an error response, the `lambda-throttles-api` alarm) instead of exhausting the connections.
     */
    readonly apiReservedConcurrency: number;
    /** SQS subscriber; its timeout comes from the messaging settings (the queue's visibility depends on it). */
    readonly subscriber: Omit<ZipFunctionSettings, "timeoutSeconds">;
    /** Migration function, invoked by Terraform on apply. */
    readonly migrate: ZipFunctionSettings;
    /**
     * Runs the zip functions in the private subnets (`true`), reaching Aurora on 5432 and AWS APIs through NAT or
     * endpoints; or outside the VPC (`false`), reaching Aurora only through the RDS Data API (so
     * `database.driver` must be `data-api`) and AWS APIs directly, with neither NAT nor endpoints. Free either
     * way; `false` is what lets an environment drop the NAT gateway (~$36.50/month) without endpoints.
     */
    readonly inVpc: boolean;
  };
  /** Prediction image function. */
  readonly prediction: PredictionConfig;
  /** HTTP API stage and authorizer. */
  readonly api: ApiConfig;
  /** The site and its CloudFront distribution. */
  readonly web: WebConfig;
  /** SNS -> SQS -> subscriber settings, shared with the local stack (`@sml/contracts/messaging`). */
  readonly messaging: MessagingSettings;
  /**
   * Key of the users topic. `customer-managed`: a KMS key of this stack ($1/month), whose policy and rotation
   * the project controls and whose deletion can be prevented. `aws-managed`: `alias/aws/sns`, free, usable by
   * any principal of the account that may publish to the topic.
   */
  readonly usersTopicKey: TopicKey;
  /** Alarms and dashboard. */
  readonly observability: ObservabilityConfig;
  /** How a new function version reaches traffic (CodeDeploy, docs/deploy.md "Rollout and rollback"). */
  readonly rollout: RolloutConfig;
  /** CloudWatch Logs retention of every log group (function, API access, flow logs). Storage ~$0.03/GB-month. */
  readonly logRetentionDays: number;
  /**
   * Where the alarms (observability construct) send e-mail. Required, and never in the code: read at synth from
   * `SML_ALARM_EMAIL_<ENV>` (e.g. `SML_ALARM_EMAIL_PRD`); an unset or placeholder address fails the synth of
   * the environment's stack (`requireAlarmEmail`, infra/README.md "Alarm e-mail"). Free.
   */
  readonly alarmEmail: string | undefined;
}

/** Terraform state location, shared by every stack (one key per stack). */
export interface StateBackendConfig {
  /** S3 bucket created by the bootstrap stack (globally unique name). */
  readonly bucket: string;
  /** Region of the state bucket. */
  readonly region: string;
  /** Key prefix; each stack's state lives at `<prefix>/<stack id>/terraform.tfstate`. */
  readonly keyPrefix: string;
}

/** Settings of the stacks that exist once, not per environment. */
export interface SharedConfig {
  /** Short project name: prefix of stack ids (`sml-dev`) and of resource names. */
  readonly project: string;
  /** Terraform state bucket and keys. */
  readonly state: StateBackendConfig;
  /** Region of the bootstrap and registry stacks. */
  readonly region: string;
  /** `owner/name` of the GitHub repository whose workflows may assume the deploy and plan roles. */
  readonly githubRepository: string;
  /** AWS account id per environment (site config); the bootstrap and registry stacks live in that one account. */
  readonly accounts: Readonly<Record<SiteEnvironmentName, string>>;
  /** An existing GitHub OIDC provider to trust instead of creating one (site config), or `undefined`. */
  readonly githubOidcProviderArn: string | undefined;
  /** Who may assume each environment's roles for people (site config). */
  readonly people: Readonly<Record<SiteEnvironmentName, PeopleAccess>>;
  /** ECR repository holding the prediction image (one registry, images promoted by digest). */
  readonly predictionRepositoryName: string;
  /**
   * ECR repository of the preview stacks' images: pull request code pushes here, never into the repository dev
   * and prd run from (the preview deploy role is denied that one entirely).
   */
  readonly previewRepositoryName: string;
  /**
   * How the registry's images are tagged and expired (the ECR lifecycle policy of the registry stack). ECR
   * storage: $0.10/GB-month, a model image is a few hundred MB.
   */
  readonly images: ImageRetention;
  /** The environments that get a deploy role (GitHub environment of the same name). */
  readonly environments: readonly EnvironmentName[];
}

/**
 * Each deployed image carries its environment's tag prefix, and the ECR lifecycle policy expires images only by
 * prefix: a rule that counts every image (`tagStatus: any`) would delete the image prd runs after enough dev and
 * preview pushes (ECR user guide, "Lifecycle policy evaluation rules": an image matched by a higher-priority rule's
 * tags is never expired by a lower-priority rule, so prd's rule, first, keeps what prd was promoted to).
 */
export interface ImageRetention {
  /**
   * Tag prefix per environment: dev pushes `dev-<commit>`, a prd deploy adds `prd-<digest hex>` to the image it
   * promotes, a preview pushes `pr-<number>-<commit>` (scripts/delivery/push-image.sh, tag-image.sh).
   */
  readonly tagPrefixes: Readonly<Record<EnvironmentName, string>>;
  /** Newest images kept per long-lived environment's prefix: its rollback window (newest by push time). */
  readonly keep: Readonly<Record<"dev" | "prd", number>>;
  /** Days a preview image is kept: well beyond the sweep's 4 days without a deploy (preview.yml). */
  readonly previewDays: number;
}
