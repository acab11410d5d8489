import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsEcrRepository } from "@cdktf/provider-aws/lib/data-aws-ecr-repository";
import {
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  HTTP_FUNCTION_NAMES,
  type HttpFunctionName,
  ROLLED_OUT_FUNCTION_NAMES,
} from "@sml/contracts/functions";
import { ROUTES } from "@sml/contracts/routes";
import { TerraformOutput, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import {
  accessPrefixOf,
  connectionBudget,
  ENVIRONMENTS,
  type EnvironmentConfig,
  requireAlarmEmails,
  type SharedConfig,
} from "../config";
import { alarmRulesFor, auroraMaxConnections } from "../config/slo";
import { Api, type ApiTarget } from "../constructs/api";
import { BatchPredictions } from "../constructs/batch";
import { Database } from "../constructs/database";
import { Deployment } from "../constructs/deployment";
import {
  applyPermissionsBoundary,
  boundaryPolicyArn,
  ENVIRONMENT_TAG_KEY,
} from "../constructs/environment-access";
import { Messaging } from "../constructs/messaging";
import type { MigrationSet } from "../constructs/migrations";
import { Network, type NetworkAccess, SharedNetwork } from "../constructs/network";
import { Observability, type WatchedFunction } from "../constructs/observability";
import { Prediction } from "../constructs/prediction";
import type { BuiltFunction } from "../constructs/service-function";
import { SignIn } from "../constructs/sign-in";
import { SiteDistribution } from "../constructs/site-distribution";
import { Functions } from "../constructs/zip-functions";
import { BaseStack } from "./base";

/** Terraform variable carrying the prediction image digest (`sha256:...`) pushed before the deploy. */
export const IMAGE_DIGEST_VARIABLE = "prediction_image_digest";

export interface EnvironmentStackProps {
  readonly config: EnvironmentConfig;
  readonly shared: SharedConfig;
  /** Folder holding `dist/functions/<name>/` (normally the repository root). */
  readonly bundleRoot: string;
  readonly migrations: MigrationSet;
  /**
   * Addresses subscribed to the alarm topic (default: `requireAlarmEmails(config)`, which refuses none). Empty
   * only for an exploring synth (`defineStacks` with `siteCheck: "explore"`), which no deploy uses.
   */
  readonly alarmEmails?: readonly string[];
}

/**
 * One environment of the whole system (deploy after the registry stack and the image push): network, Aurora,
 * SNS/SQS, the zip functions, the prediction image function and the HTTP API. The constructs are public fields
 * so that cross-cutting additions (alarms, dashboards) can read what they need.
 */
export class EnvironmentStack extends BaseStack {
  readonly config: EnvironmentConfig;
  /** The VPC the stack's constructs use: its own, or another environment's (`network.shareFrom`). */
  readonly networkAccess: NetworkAccess;
  readonly database: Database;
  readonly messaging: Messaging;
  readonly functions: Functions;
  readonly prediction: Prediction;
  readonly batches: BatchPredictions;
  readonly api: Api;
  /** Every function of the registry (@sml/contracts/functions), by name, from the construct that built it. */
  readonly builtFunctions: Readonly<Record<FunctionName, BuiltFunction>>;
  /** CloudFront in front of the site bucket and the API: the environment's one entry point. */
  readonly site: SiteDistribution;
  /** The site's sign-in on the API's user pool: groups, hosted domain, public client. */
  readonly signIn: SignIn;
  readonly observability: Observability;
  readonly deployment: Deployment;
  readonly imageDigest: TerraformVariable;
  /** The stack's own network; a stack that shares another's VPC has none (use `networkAccess`). */
  get network(): Network {
    if (!(this.networkAccess instanceof Network))
      throw new Error(`${this.node.id} builds no network: it uses ${this.config.network.shareFrom}'s VPC`);
    return this.networkAccess;
  }
  /** `sml-<env>-boundary`, set on every IAM role of this stack. */
  readonly permissionsBoundaryArn: string;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    const { config, shared } = props;
    super(scope, id, {
      region: config.region,
      allowedAccountIds: [config.accountId],
      state: shared.state,
      // The deploy roles' denies find the other environment's resources by this tag.
      tags: { Project: shared.project, [ENVIRONMENT_TAG_KEY]: config.name },
    });
    this.config = config;
    const account = new DataAwsCallerIdentity(this, "account");
    // Created by the bootstrap stack; the deploy role may create roles only with it (infra/README.md).
    // A preview stack (`sml-pr-42`) carries the preview environment's boundary (`sml-pr-boundary`).
    this.permissionsBoundaryArn = boundaryPolicyArn(account.accountId, accessPrefixOf(config));
    applyPermissionsBoundary(this, this.permissionsBoundaryArn);

    this.imageDigest = new TerraformVariable(this, IMAGE_DIGEST_VARIABLE, {
      type: "string",
      description:
        "Digest (sha256:...) of the prediction image in the registry; see infra/README.md for the deploy order",
      validation: [
        {
          condition: `\${can(regex("^sha256:[0-9a-f]{64}$", var.${IMAGE_DIGEST_VARIABLE}))}`,
          errorMessage:
            "prediction_image_digest must look like sha256:<64 hex characters> (docker push prints it).",
        },
      ],
    });
    // Previews run pull request code, so their images live in a repository of their own (registry stack).
    const registry = new DataAwsEcrRepository(this, "prediction-repository", {
      name: config.name === "preview" ? shared.previewRepositoryName : shared.predictionRepositoryName,
    });

    const owner = config.network.shareFrom;
    this.networkAccess =
      owner === undefined
        ? new Network(this, "network", {
            namePrefix: config.namePrefix,
            region: config.region,
            accountId: account.accountId,
            config: config.network,
            dataApiEndpoint: config.database.driver === "data-api",
            logRetentionDays: config.logRetentionDays,
          })
        : new SharedNetwork(this, "network", {
            config: config.network,
            ownerNamePrefix: ENVIRONMENTS[owner].namePrefix,
            ownerEnvironment: owner,
          });
    this.database = new Database(this, "database", {
      namePrefix: config.namePrefix,
      config: config.database,
      network: this.networkAccess,
      preventDestroy: config.preventDestroy,
      allowFunctionConnections: config.functions.inVpc,
      region: config.region,
      accountId: account.accountId,
    });
    this.messaging = new Messaging(this, "messaging", {
      namePrefix: config.namePrefix,
      settings: config.messaging,
      preventDestroy: config.preventDestroy,
      topicKey: config.usersTopicKey,
    });
    this.functions = new Functions(this, "functions", {
      config,
      network: this.networkAccess,
      database: this.database,
      messaging: this.messaging,
      bundleRoot: props.bundleRoot,
      migrations: props.migrations,
    });
    this.prediction = new Prediction(this, "prediction", {
      config,
      imageUri: `${registry.repositoryUrl}@${this.imageDigest.stringValue}`,
    });

    const imageUri = `${registry.repositoryUrl}@${this.imageDigest.stringValue}`;
    this.batches = new BatchPredictions(this, "batches", {
      config,
      accountId: account.accountId,
      network: this.networkAccess,
      functions: this.functions,
      imageUri,
    });
    // The compiler asks for a function added to the registry here (`satisfies`); the check below says which one
    // is missing when the registry and the constructs disagree at run time.
    const built = {
      ...this.functions.built,
      ...this.prediction.built,
      ...this.batches.built,
    } satisfies Record<FunctionName, BuiltFunction>;
    const unbuilt = FUNCTION_NAMES.filter((name) => !Object.hasOwn(built, name));
    if (unbuilt.length > 0)
      throw new Error(
        `No construct builds ${unbuilt.join(", ")} of the function registry (packages/contracts/src/functions.ts): build each in the construct that owns its trigger and add it to that construct's \`built\` (infra/src/constructs).`,
      );
    for (const name of FUNCTION_NAMES)
      if ((built[name].fn.alias !== undefined) !== FUNCTIONS[name].rollout)
        throw new Error(
          `${name}: the registry says rollout ${FUNCTIONS[name].rollout}, but its function ${built[name].fn.alias ? "has" : "has no"} live alias (build it from \`registryFunctionProps\`, which sets \`live\` from the registry).`,
        );
    this.builtFunctions = built;

    this.api = new Api(this, "api", {
      namePrefix: config.namePrefix,
      region: config.region,
      config: config.api,
      routes: ROUTES,
      logRetentionDays: config.logRetentionDays,
      preventDestroy: config.preventDestroy,
      // References, not the names as strings: Terraform then creates each permission after its function
      // (which waits for Aurora and the migration) and replaces it with the function.
      targets: Object.fromEntries(
        HTTP_FUNCTION_NAMES.map((name): [HttpFunctionName, ApiTarget] => {
          const { fn } = this.builtFunctions[name];
          return [
            name,
            {
              functionName: fn.function.functionName,
              invokeArn: fn.liveAlias.invokeArn,
              qualifier: fn.liveAlias.name,
            },
          ];
        }),
      ) as Record<HttpFunctionName, ApiTarget>,
    });

    // Every function gets error and throttle alarms; one served through `live` also rollout alarms, which watch
    // the version this apply published.
    const watched = FUNCTION_NAMES.map((name): WatchedFunction => {
      const { fn, runsEverySeconds } = this.builtFunctions[name];
      return {
        key: name,
        functionName: fn.function.functionName,
        ...(FUNCTIONS[name].rollout
          ? {
              rollout: {
                alias: fn.liveAlias.name,
                version: fn.function.version,
                ...(runsEverySeconds ? { runsEverySeconds } : {}),
              },
            }
          : {}),
      };
    });
    // The one entry point: the site and the API on one CloudFront domain, and the site's sign-in on the API's pool.
    const userPool = this.api.userPool;
    if (!userPool || !this.api.authorizer || !this.api.userPoolClient || !this.api.smokeTestClient)
      throw new Error("the site needs the API's user pool and authorizer (api.jwtAuthorizer)");
    const signInDomain = `${config.namePrefix}-${account.accountId}`;
    this.site = new SiteDistribution(this, "site", {
      namePrefix: config.namePrefix,
      accountId: account.accountId,
      region: config.region,
      apiDomainName: `${this.api.api.id}.execute-api.${config.region}.amazonaws.com`,
      connectOrigins: [
        // The token endpoint of Cognito's domain (SignIn's), and the batch bucket the presigned URLs name.
        `https://${signInDomain}.auth.${config.region}.amazoncognito.com`,
        `https://${this.batches.bucket.bucketRegionalDomainName}`,
      ],
      priceClass: config.web.priceClass,
      ...(config.web.domain ? { domain: config.web.domain } : {}),
      preventDestroy: config.preventDestroy,
      presignedBuckets: [this.batches.bucket],
    });
    this.signIn = new SignIn(this, "sign-in", {
      namePrefix: config.namePrefix,
      accountId: account.accountId,
      region: config.region,
      userPool,
      siteUrl: this.site.url,
    });
    // The site's access tokens carry its client id: the authorizer accepts them beside the existing clients'.
    this.api.authorizer.putJwtConfiguration({
      audience: [this.api.userPoolClient.id, this.api.smokeTestClient.id, this.signIn.siteClient.id],
      issuer: `https://cognito-idp.${config.region}.amazonaws.com/${userPool.id}`,
    });

    // The SLO alarms of docs/slo.md (infra/src/config/slo.ts), their topic and the environment's dashboard.
    this.observability = new Observability(this, "observability", {
      namePrefix: config.namePrefix,
      region: config.region,
      apiId: this.api.api.id,
      apiStageName: this.api.stageName,
      functions: watched,
      queueName: this.messaging.queueName,
      deadLetterQueueName: this.messaging.deadLetterQueueName,
      batchQueueName: this.batches.queueName,
      batchDeadLetterQueueName: this.batches.deadLetterQueueName,
      batchSweeperFunctionName: this.batches.sweeper.function.functionName,
      databaseClusterIdentifier: this.database.clusterIdentifier,
      preventDestroy: config.preventDestroy,
      databaseMaxConnections: auroraMaxConnections(config.database),
      databaseConnectionBudget: connectionBudget(config).total,
      alarmEmails: props.alarmEmails ?? requireAlarmEmails(config),
      rules: alarmRulesFor(config.observability.alarms),
      dashboard: config.observability.dashboard,
    });

    // CodeDeploy moves each `live` alias to the version this apply published, rolling back on its guarding alarms.
    this.deployment = new Deployment(this, "deployment", {
      namePrefix: config.namePrefix,
      region: config.region,
      accountId: account.accountId,
      rollout: config.rollout,
      functions: ROLLED_OUT_FUNCTION_NAMES.map((name) => ({
        key: name,
        fn: this.builtFunctions[name].fn,
        alarms: this.observability.guarding(name),
      })),
    });

    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description });
    new TerraformOutput(this, "rollout", {
      value: this.deployment.targets,
      description:
        "Per function: CodeDeploy application and group, function, alias and the version to shift to (scripts/delivery/shift-traffic.sh)",
    });
    output(
      "prediction_image",
      this.imageDigest.stringValue,
      "Digest the prediction function runs; a prd deploy promotes what dev runs (docs/deploy.md, Promotion)",
    );
    output("api_url", this.api.url, "Base URL of the HTTP API");
    output("topic_arn", this.messaging.topic.arn, "SNS topic the API publishes users to");
    output("queue_url", this.messaging.queue.url, "SQS queue the subscriber consumes");
    output("dlq_url", this.messaging.deadLetterQueue.url, "Dead-letter queue of the users queue");
    output("cluster_endpoint", this.database.cluster.endpoint, "Aurora writer endpoint");
    output("cluster_reader_endpoint", this.database.cluster.readerEndpoint, "Aurora reader endpoint");
    output("db_secret_arn", this.database.secretArn, "RDS-managed master secret");
    output("ecr_repository_url", registry.repositoryUrl, "Registry of the prediction image");
    output("prediction_function_name", this.prediction.fn.functionName, "Prediction function (alias live)");
    output("batch_bucket", this.batches.bucket.bucket, "Bucket of batch inputs and results");
    output("batch_queue_url", this.batches.queue.url, "Queue of the batch worker");
    output("batch_dlq_url", this.batches.deadLetterQueue.url, "Dead-letter queue of the batch worker");
    output("site_url", this.site.url, "The site and the API on one domain (CloudFront)");
    output(
      "site_bucket",
      this.site.bucket.bucket,
      "Bucket of the site's files (scripts/delivery/publish-site.sh)",
    );
    output("site_distribution_id", this.site.distribution.id, "CloudFront distribution (invalidations)");
    output("site_client_id", this.signIn.siteClient.id, "App client of the site (authorization code + PKCE)");
    output(
      "sign_in_authority",
      this.signIn.authority,
      "Cognito's hosted sign-in (OAuth endpoints of the site)",
    );
    if (this.api.userPool && this.api.userPoolClient && this.api.smokeTestClient) {
      output("user_pool_id", this.api.userPool.id, "Cognito user pool of the JWT authorizer");
      output(
        "user_pool_client_id",
        this.api.userPoolClient.id,
        "App client id of the API's users (a JWT audience)",
      );
      output(
        "user_pool_smoke_test_client_id",
        this.api.smokeTestClient.id,
        "App client of scripts/delivery/smoke-user.sh (admin password sign-in, 15-minute tokens)",
      );
    }
  }
}
