import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { DB_USERS, ENV } from "@sml/contracts/env";
import {
  LAMBDA_NODE_MAJOR,
  type ZipFunctionName,
  zipBundleDir,
  zipBundleFile,
} from "@sml/contracts/functions";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";
import { dbConfigFromEnv } from "@sml/database";
import { Testing } from "cdktf";
import { getEnvironmentConfig, SHARED_CONFIG } from "../src/config";
import { MIGRATIONS_DIR, readMigrationSet } from "../src/constructs/migrations";
import type { ServiceFunction } from "../src/constructs/service-function";
import { MissingBundleError } from "../src/constructs/zip-functions";
import { EnvironmentStack } from "../src/stacks/environment-stack";
import { REPO_ROOT, testBundleRoot } from "./support/paths";
import { prdShapedDev } from "./support/shapes";
import { bodyOf, ref, statementsOf, synthEnvironment, type TfJson } from "./support/synth";

// The in-VPC pg path (prd's shape) with dev's names and sizes; dev itself is covered in "dev shape" below.
const devConfig = prdShapedDev(getEnvironmentConfig("dev"));
const dev = synthEnvironment(devConfig);
const prd = synthEnvironment(getEnvironmentConfig("prd"));
const { functions, network, database, messaging } = dev.env;
const zipFunctions: [string, ServiceFunction][] = [
  ["api", functions.api],
  ["subscriber", functions.subscriber],
  ["migrate", functions.migrate],
];

/** Allow statements of a function's own policy, by sid. */
function permissions(fn: ServiceFunction, json: TfJson = dev.json): Record<string, TfJson> {
  const policy = Object.values(json.resource.aws_iam_role_policy as Record<string, TfJson>).find(
    (p) => p.role === ref("aws_iam_role", fn.role.friendlyUniqueId, "id"),
  );
  return Object.fromEntries(statementsOf(json, policy?.policy).map((s) => [s.sid, s]));
}

const clusterArn = ref("aws_rds_cluster", database.cluster.friendlyUniqueId, "arn");
/**
 * The IAM resource for logging in as a database user: `arn:aws:rds-db:<region>:<account>:dbuser:<DbClusterResourceId>/
 * <user>` (Aurora user guide, "Creating and using an IAM policy for IAM database access").
 */
const dbUserArn = (user: string) =>
  `arn:aws:rds-db:${devConfig.region}:${ref("data.aws_caller_identity", "account", "account_id")}:dbuser:${ref(
    "aws_rds_cluster",
    database.cluster.friendlyUniqueId,
    "cluster_resource_id",
  )}/${user}`;
const secretArn = `\${aws_rds_cluster.${database.cluster.friendlyUniqueId}.master_user_secret[0].secret_arn}`;

describe("zip functions", () => {
  it.each(zipFunctions)(
    "runs %s on the Lambda Node.js major (LAMBDA_NODE_MAJOR) on arm64 from its zip bundle, handler index.handler",
    (name, fn) => {
      const body = bodyOf(dev.json, fn.function);
      expect(body).toMatchObject({
        function_name: `sml-dev-${name}`,
        // Lambda's managed runtime identifiers are `nodejs<major>.x` (AWS Lambda developer guide, "Lambda runtimes").
        runtime: `nodejs${LAMBDA_NODE_MAJOR}.x`,
        architectures: ["arm64"],
        handler: "index.handler",
        package_type: "Zip",
        tracing_config: { mode: "Active" },
        role: ref("aws_iam_role", fn.role.friendlyUniqueId, "arn"),
      });
      expect(body.filename).toMatch(
        new RegExp(`^assets/functions_${name}-bundle_[0-9A-F]+/[0-9A-F]{32}/${name}\\.zip$`),
      );
      // Lambda's CodeSha256 of the built zip, so Terraform sees a change exactly when the zip's bytes change.
      expect(body.source_code_hash).toBe(
        createHash("sha256")
          .update(readFileSync(join(testBundleRoot(), zipBundleFile(name as ZipFunctionName))))
          .digest("base64"),
      );
    },
  );

  // The Node.js 24 runtime no longer supports callback-style handlers, `(event, context, callback)`: a handler
  // must be async (AWS Lambda developer guide, "Define Lambda function handler in Node.js"; the runtime interface
  // client treats a non-async function with three parameters as callback-style, aws-lambda-nodejs-runtime-
  // interface-client#137 and #144). Checked on the built bundle, which is what Lambda loads.
  it.each(zipFunctions)("exports an async handler of at most two parameters from the %s bundle", (name) => {
    const bundle = join(testBundleRoot(), zipBundleDir(name as ZipFunctionName), "index.js");
    const script = `const { handler } = require(${JSON.stringify(bundle)});
      console.log(JSON.stringify({ kind: handler.constructor.name, parameters: handler.length }));`;
    const run = spawnSync(process.execPath, ["-e", script], {
      cwd: tmpdir(),
      encoding: "utf8",
      timeout: 30_000,
      // Only what the handlers' cold start parses; nothing here connects anywhere at load.
      env: {
        PATH: process.env.PATH,
        [ENV.topicArn]: "arn:aws:sns:eu-west-1:123456789012:users-dev",
        [ENV.databaseUrl]: "postgres://postgres@127.0.0.1:5432/postgres",
        AWS_REGION: "eu-west-1",
      },
    });
    expect(run.stderr).toBe("");
    const handler = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(handler.kind).toBe("AsyncFunction");
    expect(handler.parameters).toBeLessThan(3);
  });

  it("caps the api function at the environment's reserved concurrency, which bounds its connections", () => {
    expect(bodyOf(dev.json, functions.api.function).reserved_concurrent_executions).toBe(
      devConfig.functions.apiReservedConcurrency,
    );
    expect(bodyOf(prd.json, prd.env.functions.api.function).reserved_concurrent_executions).toBe(
      getEnvironmentConfig("prd").functions.apiReservedConcurrency,
    );
    expect([dev, prd].map((s) => s.env.config.functions.apiReservedConcurrency)).toEqual([10, 100]);
  });

  it("reserves no concurrency for the subscriber and the migration (their mapping and Terraform bound them)", () => {
    expect(bodyOf(dev.json, functions.subscriber.function).reserved_concurrent_executions).toBeUndefined();
    expect(bodyOf(dev.json, functions.migrate.function).reserved_concurrent_executions).toBeUndefined();
  });

  it.each(zipFunctions)(
    "places %s in the private subnets with the functions' security group",
    (_name, fn) => {
      expect(bodyOf(dev.json, fn.function).vpc_config).toEqual({
        subnet_ids: network.privateSubnets.map((s) => ref("aws_subnet", s.friendlyUniqueId, "id")),
        security_group_ids: [ref("aws_security_group", network.functionSecurityGroup.friendlyUniqueId, "id")],
      });
    },
  );

  it.each(zipFunctions)(
    "gives %s its own log group with the environment's retention, created first",
    (name, fn) => {
      const body = bodyOf(dev.json, fn.function);
      expect(bodyOf(dev.json, fn.logGroup)).toMatchObject({
        name: `/aws/lambda/sml-dev-${name}`,
        retention_in_days: 14,
      });
      expect(body.logging_config).toEqual({
        log_format: "JSON",
        log_group: ref("aws_cloudwatch_log_group", fn.logGroup.friendlyUniqueId, "name"),
      });
      expect(body.depends_on).toContain(`aws_cloudwatch_log_group.${fn.logGroup.friendlyUniqueId}`);
    },
  );

  it.each(zipFunctions)("passes %s the database settings under the shared variable names", (_name, fn) => {
    expect(bodyOf(dev.json, fn.function).environment.variables).toMatchObject({
      [ENV.dbDriver]: "pg",
      [ENV.dbHost]: ref("aws_rds_cluster", database.cluster.friendlyUniqueId, "endpoint"),
      [ENV.dbPort]: ref("aws_rds_cluster", database.cluster.friendlyUniqueId, "port"),
      [ENV.dbName]: "sml",
      [ENV.dbClusterArn]: clusterArn,
    });
  });

  it.each([
    ["api", functions.api, DB_USERS.api],
    ["subscriber", functions.subscriber, DB_USERS.subscriber],
  ] as const)("tells %s its own database user and not the master secret", (_name, fn, user) => {
    const variables = bodyOf(dev.json, fn.function).environment.variables;
    expect(variables[ENV.dbUser]).toBe(user);
    expect(variables[ENV.dbSecretArn]).toBeUndefined();
    // What the function's own config parser makes of it (Lambda sets AWS_REGION; Terraform resolves the port).
    const resolved = { ...variables, [ENV.dbPort]: "5432", [ENV.awsRegion]: devConfig.region };
    expect(dbConfigFromEnv(resolved)).toMatchObject({
      user,
      region: devConfig.region,
    });
  });

  it("gives the migration function the master secret and a wait for a resuming cluster", () => {
    const variables = bodyOf(dev.json, functions.migrate.function).environment.variables;
    expect(variables[ENV.dbSecretArn]).toBe(secretArn);
    expect(variables[ENV.dbUser]).toBeUndefined();
    expect(dbConfigFromEnv({ ...variables, [ENV.dbPort]: "5432" })).toMatchObject({
      secretArn,
      connectDeadlineMs: expect.any(Number),
    });
  });

  it("gives only the API function the topic ARN", () => {
    const variables = (fn: ServiceFunction) => bodyOf(dev.json, fn.function).environment.variables;
    expect(variables(functions.api)[ENV.topicArn]).toBe(
      ref("aws_sns_topic", messaging.topic.friendlyUniqueId, "arn"),
    );
    expect(variables(functions.subscriber)[ENV.topicArn]).toBeUndefined();
    expect(variables(functions.migrate)[ENV.topicArn]).toBeUndefined();
  });

  it("gives every function a role of its own", () => {
    const roles = new Set(zipFunctions.map(([, fn]) => bodyOf(dev.json, fn.role).name));
    expect(roles).toEqual(new Set(["sml-dev-api", "sml-dev-subscriber", "sml-dev-migrate"]));
  });

  it("lets the API publish to its topic, encrypt with the topic key and log in as its database user, nothing else", () => {
    const p = permissions(functions.api);
    expect(Object.keys(p).sort()).toEqual(
      [
        "ConnectAsDatabaseUser",
        "EncryptForTopic",
        "OwnLogGroup",
        "PublishUsers",
        "VpcNetworkInterfaces",
        "XRay",
      ].sort(),
    );
    expect(p.PublishUsers).toMatchObject({
      actions: ["sns:Publish"],
      resources: [ref("aws_sns_topic", messaging.topic.friendlyUniqueId, "arn")],
    });
    expect(p.EncryptForTopic).toMatchObject({
      resources: [ref("aws_kms_key", messaging.topicKey?.friendlyUniqueId ?? "missing-topic-key", "arn")],
    });
    expect(p.ConnectAsDatabaseUser).toMatchObject({
      actions: ["rds-db:connect"],
      resources: [dbUserArn(DB_USERS.api)],
    });
    expect(p.OwnLogGroup?.resources).toEqual([
      `${ref("aws_cloudwatch_log_group", functions.api.logGroup.friendlyUniqueId, "arn")}:*`,
    ]);
  });

  it("lets the subscriber consume only its queue and log in as its database user", () => {
    const p = permissions(functions.subscriber);
    expect(Object.keys(p).sort()).toEqual([
      "ConnectAsDatabaseUser",
      "ConsumeUsersQueue",
      "OwnLogGroup",
      "VpcNetworkInterfaces",
      "XRay",
    ]);
    expect(p.ConnectAsDatabaseUser).toMatchObject({
      actions: ["rds-db:connect"],
      resources: [dbUserArn(DB_USERS.subscriber)],
    });
    expect(p.ConsumeUsersQueue).toMatchObject({
      actions: expect.arrayContaining([
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
      ]),
      resources: [ref("aws_sqs_queue", messaging.queue.friendlyUniqueId, "arn")],
    });
  });

  it("lets the migration function read the database secret and nothing of the messaging path", () => {
    expect(Object.keys(permissions(functions.migrate)).sort()).toEqual(
      ["OwnLogGroup", "ReadDatabaseSecret", "VpcNetworkInterfaces", "XRay"].sort(),
    );
  });

  it("grants the RDS Data API on the cluster only when that driver is configured", () => {
    expect(permissions(functions.api).RdsDataApi).toBeUndefined();
    const dataApi = synthEnvironment({
      ...devConfig,
      database: { ...devConfig.database, driver: "data-api" },
    });
    const p = permissions(dataApi.env.functions.subscriber, dataApi.json);
    expect(p.RdsDataApi).toMatchObject({
      actions: expect.arrayContaining(["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement"]),
      resources: [ref("aws_rds_cluster", dataApi.env.database.cluster.friendlyUniqueId, "arn")],
    });
    expect(bodyOf(dataApi.json, dataApi.env.functions.api.function).environment.variables[ENV.dbDriver]).toBe(
      "data-api",
    );
    // The Data API authenticates only with a Secrets Manager secret: no IAM database users on that path, and
    // the function's own user's secret, never the master's.
    expect(p.ConnectAsDatabaseUser).toBeUndefined();
    expect(p.ReadDatabaseSecret).toBeUndefined();
    const own = dataApi.env.functions.userSecrets[DB_USERS.subscriber];
    if (!own) throw new Error("no subscriber user secret");
    expect(p.ReadOwnDatabaseUserSecret).toMatchObject({
      actions: ["secretsmanager:GetSecretValue"],
      resources: [ref("aws_secretsmanager_secret", own.friendlyUniqueId, "arn")],
    });
  });
});

describe("subscriber event source mapping", () => {
  it("reads the users queue in batches, reports batch item failures and bounds concurrency (dev)", () => {
    expect(dev.text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: ref("aws_sqs_queue", messaging.queue.friendlyUniqueId, "arn"),
      // The live alias: a new subscriber version takes messages only as CodeDeploy shifts the alias to it.
      function_name: ref("aws_lambda_alias", functions.subscriber.liveAlias.friendlyUniqueId, "arn"),
      function_response_types: ["ReportBatchItemFailures"],
      batch_size: DEFAULT_MESSAGING_SETTINGS.batchSize,
      maximum_batching_window_in_seconds: DEFAULT_MESSAGING_SETTINGS.maximumBatchingWindowSeconds,
      scaling_config: { maximum_concurrency: DEFAULT_MESSAGING_SETTINGS.maximumConcurrency },
    });
  });

  it("uses prd's higher subscriber concurrency", () => {
    expect(bodyOf(prd.json, prd.env.functions.eventSourceMapping).scaling_config).toEqual({
      maximum_concurrency: 5,
    });
  });

  it("gives the subscriber the shared timeout, so the queue's visibility is 6x it", () => {
    expect(bodyOf(dev.json, functions.subscriber.function).timeout).toBe(
      DEFAULT_MESSAGING_SETTINGS.subscriberTimeoutSeconds,
    );
  });
});

describe("migrations on apply", () => {
  const invocation = () => bodyOf(dev.json, functions.migrationInvocation);

  it("invokes the migration function with the hash of the migration set in input and triggers", () => {
    const { hash } = readMigrationSet(REPO_ROOT);
    expect(invocation()).toMatchObject({
      function_name: ref("aws_lambda_function", functions.migrate.function.friendlyUniqueId, "function_name"),
      triggers: { migrationSetHash: hash },
    });
    expect(JSON.parse(invocation().input)).toEqual({ source: "terraform-apply", migrationSetHash: hash });
  });

  it("waits for the writer instance, the security-group rules to 5432 and the network path before invoking", () => {
    expect(database.access).toHaveLength(2);
    expect(invocation().depends_on).toEqual(
      expect.arrayContaining([
        `aws_rds_cluster_instance.${database.writer.friendlyUniqueId}`,
        ...database.access.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
        ...network.egress.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
      ]),
    );
  });

  describe("migration set hash", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "sml-migrations-"));
      mkdirSync(join(dir, MIGRATIONS_DIR), { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const write = (file: string, sql: string) => writeFileSync(join(dir, MIGRATIONS_DIR, file), sql);

    it("changes when a migration is added or edited, and only .sql files count", () => {
      write("0001_users.sql", "create table users (id int);");
      const first = readMigrationSet(dir);
      write("README.md", "not a migration");
      expect(readMigrationSet(dir)).toEqual(first);
      write("0002_index.sql", "create index on users (id);");
      const second = readMigrationSet(dir);
      expect(second.files).toEqual(["0001_users.sql", "0002_index.sql"]);
      expect(second.hash).not.toBe(first.hash);
      write("0001_users.sql", "create table users (id bigint);");
      expect(readMigrationSet(dir).hash).not.toBe(second.hash);
    });

    it("is the hash of nothing when the folder does not exist", () => {
      expect(readMigrationSet(join(dir, "missing"))).toEqual({
        files: [],
        hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      });
    });

    it("reads the repository's real migrations", () => {
      expect(readMigrationSet(REPO_ROOT).files.length).toBeGreaterThan(0);
    });
  });
});

describe("bundles", () => {
  it("fails synth with the command to run when a bundle zip is missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "sml-no-bundles-"));
    try {
      expect(
        () =>
          new EnvironmentStack(Testing.app(), "sml-dev", {
            config: devConfig,
            shared: SHARED_CONFIG,
            bundleRoot: empty,
            migrations: readMigrationSet(REPO_ROOT),
          }),
      ).toThrow(MissingBundleError);
      expect(
        () =>
          new EnvironmentStack(Testing.app(), "sml-dev", {
            config: devConfig,
            shared: SHARED_CONFIG,
            bundleRoot: empty,
            migrations: readMigrationSet(REPO_ROOT),
          }),
      ).toThrow(/dist\/functions\/api\.zip is missing\. Run `npm run build`/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("dev shape: functions outside the VPC on the Data API", () => {
  const lean = synthEnvironment(getEnvironmentConfig("dev"));
  const leanFunctions: [string, ServiceFunction][] = [
    ["api", lean.env.functions.api],
    ["subscriber", lean.env.functions.subscriber],
    ["migrate", lean.env.functions.migrate],
  ];

  it.each(leanFunctions)(
    "runs %s outside the VPC, reaching Aurora through the Data API on its cluster",
    (_n, fn) => {
      const body = bodyOf(lean.json, fn.function);
      expect(body.vpc_config).toBeUndefined();
      expect(body.environment.variables[ENV.dbDriver]).toBe("data-api");
      const p = permissions(fn, lean.json);
      expect(p.RdsDataApi?.resources).toEqual([
        ref("aws_rds_cluster", lean.env.database.cluster.friendlyUniqueId, "arn"),
      ]);
      // No ENI permissions: a function outside the VPC creates none.
      expect(p.VpcNetworkInterfaces).toBeUndefined();
    },
  );

  it("opens 5432 to nothing: outside the VPC only the Data API (HTTPS, IAM) reaches the cluster", () => {
    expect(lean.env.database.access).toEqual([]);
    const rules = Object.values(
      (lean.json.resource.aws_vpc_security_group_ingress_rule ?? {}) as Record<string, TfJson>,
    );
    expect(rules.filter((r) => Number(r.from_port) <= 5432 && 5432 <= Number(r.to_port))).toEqual([]);
  });

  it("publishes to a topic under the AWS-managed SNS key, so the api needs no KMS grant", () => {
    // AWS KMS developer guide, "AWS managed keys": their key policy lets principals of the account use them
    // through the service that created them; an IAM grant on the key is neither needed nor possible.
    expect(lean.env.messaging.topicKey).toBeUndefined();
    expect(bodyOf(lean.json, lean.env.messaging.topic).kms_master_key_id).toBe("alias/aws/sns");
    expect(permissions(lean.env.functions.api, lean.json).EncryptForTopic).toBeUndefined();
  });
});
