import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { DB_USERS, ENV } from "@sml/contracts/env";
import { statementTimeoutMsFor, type ZipFunctionName, zipBundleFile } from "@sml/contracts/functions";
import { AssetType, dependable, Fn, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "../config";
import type { Database } from "./database";
import { type PolicyStatement, RDS_DATA_API_ACTIONS, SQS_EVENT_SOURCE_ACTIONS } from "./iam";
import type { Messaging } from "./messaging";
import type { MigrationSet } from "./migrations";
import type { NetworkAccess } from "./network";
import { type BuiltFunction, registryFunctionProps, ServiceFunction, type ZipCode } from "./service-function";

export interface FunctionsProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkAccess;
  readonly database: Database;
  readonly messaging: Messaging;
  /** Folder holding `dist/functions/<name>/` (the repository root, or a test's build folder). */
  readonly bundleRoot: string;
  readonly migrations: MigrationSet;
}

/**
 * How long the migration function waits for the database to accept a connection. A paused Aurora Serverless v2
 * cluster resumes in about 15 s, about 30 s after more than a day paused (Aurora user guide, "Scaling to zero
 * ACUs with automatic pause and resume"); three times the longer, and far below the function's timeout, so the
 * migrations themselves keep most of it (the policy rule `database-connect-deadline-below-timeout` checks).
 */
export const MIGRATE_CONNECT_DEADLINE_MS = 90_000;

/** Thrown at synth when a bundle folder is missing. */
export class MissingBundleError extends Error {
  override readonly name = "MissingBundleError";
}

/**
 * The function's zip from `npm run build`, copied into the stack as a FILE asset. The build writes it
 * reproducibly, so synth only copies it (an ARCHIVE asset zipped each folder in a child process per stack,
 * most of the synth time) and identical builds keep the same path and hash.
 */
function zipCode(scope: Construct, name: ZipFunctionName, bundleRoot: string): ZipCode {
  const file = join(bundleRoot, zipBundleFile(name));
  if (!existsSync(file))
    throw new MissingBundleError(
      `Bundle ${file} is missing. Run \`npm run build\` (or \`npm run synth\`, which builds first) at the repository root.`,
    );
  return {
    kind: "zip",
    asset: new TerraformAsset(scope, `${name}-bundle`, { path: file, type: AssetType.FILE }),
    // What Lambda reports as CodeSha256 for this zip: base64 SHA-256 of its bytes.
    sourceCodeHash: createHash("sha256").update(readFileSync(file)).digest("base64"),
  };
}

/**
 * The zip functions in the private subnets: the API (`/users`, `/health`) and the SQS subscriber with its event
 * source mapping, both served through their `live` alias, and the migration function that Terraform invokes
 * whenever the migration set changes.
 */
export class Functions extends Construct {
  readonly api: ServiceFunction;
  readonly subscriber: ServiceFunction;
  readonly migrate: ServiceFunction;
  /** The registry's functions this construct builds, by name. */
  readonly built: { readonly [N in "api" | "subscriber" | "migrate"]: BuiltFunction };
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly migrationInvocation: LambdaInvocation;
  /**
   * Data API driver only: one Secrets Manager secret per function database user (`<prefix>-db-<user>`), read by
   * that user's functions; the migration function writes its password (packages/database/src/database-users.ts).
   */
  readonly userSecrets: Readonly<Record<string, SecretsmanagerSecret>>;
  /** Private subnets and the function security group, when functions run in the VPC (config `functions.inVpc`). */
  readonly vpcConfig: { subnetIds: string[]; securityGroupIds: string[] } | undefined;
  /** The database settings every database function gets. */
  readonly databaseEnv: Record<string, string>;
  /** How a function logs in as its own database user: its variables and IAM statements (below). */
  readonly databaseAccess: (user: string) => { env: Record<string, string>; statements: PolicyStatement[] };
  /** A zip function's code from `npm run build` (for zip functions other constructs create, e.g. the sweeper). */
  readonly zipCode: (scope: Construct, name: ZipFunctionName) => ZipCode;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config, network, database, messaging } = props;
    const prefix = config.namePrefix;
    // Outside the VPC (functions.inVpc false) the functions reach Aurora only through the Data API (validateConfig).
    const vpc = config.functions.inVpc
      ? {
          vpc: {
            subnetIds: network.privateSubnetIds,
            securityGroupIds: [network.functionSecurityGroupId as string],
          },
        }
      : {};
    const usesDataApi = config.database.driver === "data-api";
    const databaseEnv = {
      [ENV.dbDriver]: config.database.driver,
      [ENV.dbHost]: database.cluster.endpoint,
      [ENV.dbPort]: String(database.cluster.port),
      [ENV.dbName]: config.database.databaseName,
      [ENV.dbClusterArn]: database.cluster.arn,
    };
    const masterSecretEnv = { [ENV.dbSecretArn]: database.secretArn };
    const masterSecretAccess: PolicyStatement[] = [
      {
        sid: "ReadDatabaseSecret",
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [database.secretArn],
      },
      ...(usesDataApi
        ? [
            {
              sid: "RdsDataApi",
              effect: "Allow",
              actions: RDS_DATA_API_ACTIONS,
              resources: [database.cluster.arn],
            },
          ]
        : []),
    ];
    // The Data API logs in only with a secret: each function user gets its own, created empty here (no password
    // in Terraform or its state); the migration function generates the password and writes it.
    this.userSecrets = usesDataApi
      ? Object.fromEntries(
          Object.values(DB_USERS).map((user) => [
            user,
            new SecretsmanagerSecret(this, `db-user-${user}`, {
              name: `${prefix}-db-${user}`,
              description: `Data API login of the database user ${user} (password set by the migration function)`,
              // dev and previews are destroyed and re-created: a secret pending deletion would block its name.
              recoveryWindowInDays: 0,
            }),
          ]),
        )
      : {};
    const userSecretArn = (user: string): string => {
      const secret = this.userSecrets[user];
      if (!secret) throw new Error(`no database user secret for ${user}`);
      return secret.arn;
    };
    /**
     * How the api, subscriber and batch functions log in: never as the master user. The pg driver: as the
     * function's own database user with IAM database authentication, allowed for exactly that user on exactly
     * this cluster. The Data API (which takes only a secret): as the same user, with that user's own secret.
     */
    const appDatabase = (user: string): { env: Record<string, string>; statements: PolicyStatement[] } =>
      usesDataApi
        ? {
            env: { [ENV.dbSecretArn]: userSecretArn(user) },
            statements: [
              {
                sid: "ReadOwnDatabaseUserSecret",
                effect: "Allow",
                actions: ["secretsmanager:GetSecretValue"],
                resources: [userSecretArn(user)],
              },
              {
                sid: "RdsDataApi",
                effect: "Allow",
                actions: RDS_DATA_API_ACTIONS,
                resources: [database.cluster.arn],
              },
            ],
          }
        : {
            env: { [ENV.dbUser]: user },
            statements: [
              {
                sid: "ConnectAsDatabaseUser",
                effect: "Allow",
                actions: ["rds-db:connect"],
                resources: [database.dbUserArn(user)],
              },
            ],
          };
    this.vpcConfig = "vpc" in vpc ? vpc.vpc : undefined;
    this.zipCode = (codeScope, name) => zipCode(codeScope, name, props.bundleRoot);
    this.databaseEnv = databaseEnv;
    this.databaseAccess = appDatabase;
    const apiDatabase = appDatabase(DB_USERS.api);
    const subscriberDatabase = appDatabase(DB_USERS.subscriber);
    const api = registryFunctionProps("api", prefix);
    this.api = new ServiceFunction(this, "api", {
      ...api,
      code: zipCode(this, "api", props.bundleRoot),
      ...config.functions.api,
      // Each instance holds one database connection: without a cap, only the stage throttle bounds them.
      reservedConcurrency: config.functions.apiReservedConcurrency,
      environment: {
        ...api.environment,
        ...databaseEnv,
        [ENV.dbStatementTimeoutMs]: String(statementTimeoutMsFor(config.functions.api.timeoutSeconds)),
        ...apiDatabase.env,
        [ENV.topicArn]: messaging.topic.arn,
      },
      ...vpc,
      logRetentionDays: config.logRetentionDays,
      statements: [
        { sid: "PublishUsers", effect: "Allow", actions: ["sns:Publish"], resources: [messaging.topic.arn] },
        ...(messaging.topicKey
          ? [
              {
                sid: "EncryptForTopic",
                effect: "Allow",
                actions: ["kms:GenerateDataKey", "kms:Decrypt"],
                resources: [messaging.topicKey.arn],
              },
            ]
          : []),
        ...apiDatabase.statements,
      ],
    });

    const subscriber = registryFunctionProps("subscriber", prefix);
    this.subscriber = new ServiceFunction(this, "subscriber", {
      ...subscriber,
      code: zipCode(this, "subscriber", props.bundleRoot),
      memoryMb: config.functions.subscriber.memoryMb,
      timeoutSeconds: messaging.settings.subscriberTimeoutSeconds,
      environment: {
        ...subscriber.environment,
        ...databaseEnv,
        ...subscriberDatabase.env,
        [ENV.dbStatementTimeoutMs]: String(
          statementTimeoutMsFor(messaging.settings.subscriberTimeoutSeconds),
        ),
      },
      ...vpc,
      logRetentionDays: config.logRetentionDays,
      statements: [
        {
          sid: "ConsumeUsersQueue",
          effect: "Allow",
          // Used by the event source mapping (the Lambda service polls), not by the subscriber's code.
          actions: SQS_EVENT_SOURCE_ACTIONS,
          resources: [messaging.queue.arn],
        },
        ...subscriberDatabase.statements,
      ],
    });

    // The mapping invokes the `live` alias: a new subscriber version takes messages only as CodeDeploy shifts it.
    this.eventSourceMapping = new LambdaEventSourceMapping(this, "subscriber-queue", {
      functionName: this.subscriber.liveAlias.arn,
      eventSourceArn: messaging.queue.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      batchSize: messaging.settings.batchSize,
      maximumBatchingWindowInSeconds: messaging.settings.maximumBatchingWindowSeconds,
      // Each concurrent subscriber holds one database connection: this is the bound on the pool.
      scalingConfig: { maximumConcurrency: messaging.settings.maximumConcurrency },
      enabled: true,
    });

    const migrate = registryFunctionProps("migrate", prefix);
    this.migrate = new ServiceFunction(this, "migrate", {
      ...migrate,
      code: zipCode(this, "migrate", props.bundleRoot),
      ...config.functions.migrate,
      // The master user: it owns the tables and creates the functions' users (migration 0002).
      environment: {
        ...migrate.environment,
        ...databaseEnv,
        ...masterSecretEnv,
        ...(usesDataApi
          ? {
              [ENV.dbUserSecrets]: Fn.jsonencode(
                Object.fromEntries(
                  Object.entries(this.userSecrets).map(([user, secret]) => [user, secret.arn]),
                ),
              ),
            }
          : {}),
        [ENV.dbConnectDeadlineMs]: String(MIGRATE_CONNECT_DEADLINE_MS),
        [ENV.dbStatementTimeoutMs]: String(statementTimeoutMsFor(config.functions.migrate.timeoutSeconds)),
      },
      ...vpc,
      logRetentionDays: config.logRetentionDays,
      statements: [
        ...masterSecretAccess,
        ...(usesDataApi
          ? [
              {
                // Reads a user's password, or writes the one it generated: those secrets only.
                sid: "SetDatabaseUserSecrets",
                effect: "Allow",
                actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
                resources: Object.values(this.userSecrets).map((s) => s.arn),
              },
            ]
          : []),
      ],
    });

    this.built = {
      api: { fn: this.api },
      subscriber: { fn: this.subscriber },
      migrate: { fn: this.migrate },
    };

    // Terraform re-invokes the function when a trigger changes: a migration added or changed, or a new cluster
    // (its resource id is new even when the name is the same, e.g. after a replacement or a restore), which
    // would otherwise be left with an empty schema. A failing migration fails the apply.
    this.migrationInvocation = new LambdaInvocation(this, "run-migrations", {
      functionName: this.migrate.function.functionName,
      input: JSON.stringify({ source: "terraform-apply", migrationSetHash: props.migrations.hash }),
      triggers: {
        migrationSetHash: props.migrations.hash,
        clusterResourceId: database.cluster.clusterResourceId,
        // A new user secret (first apply, or re-created) has no password until the function writes it.
        ...(usesDataApi
          ? {
              userSecretIds: Object.values(this.userSecrets)
                .map((s) => s.id)
                .join(","),
            }
          : {}),
      },
      dependsOn: [database.writer, ...database.access, this.migrate.function, ...network.egress],
    });

    // Code that reads or writes the database goes live only after this apply's migrations ran: a new version of
    // the api or subscriber, or a new event source mapping (which starts polling at once), never meets the old
    // schema. Schema changes are expand/contract for that reason (docs/operations.md, "Schema changes").
    for (const resource of [this.api.function, this.subscriber.function, this.eventSourceMapping])
      resource.dependsOn = [...(resource.dependsOn ?? []), dependable(this.migrationInvocation)];
  }
}
