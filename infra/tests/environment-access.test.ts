/**
 * The deploy roles' IAM (bootstrap stack) and the permissions boundary of every environment role, checked by
 * evaluating the synthesized policy documents against requests (tests/support/iam-eval.ts) rather than by
 * comparing JSON: what matters is which calls a role can and cannot make. PowerUserAccess itself is AWS-managed
 * and not in the JSON; these tests cover the inline allows and every explicit deny that overrides it.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { ENVIRONMENTS, SHARED_CONFIG } from "../src/config";
import {
  BOUNDED_ROLE_ACTIONS,
  boundaryPolicyName,
  ENVIRONMENT_TAG_KEY,
  PASSED_TO_SERVICES,
} from "../src/constructs/environment-access";
import { decide, type EvalStatement, type Request, resolveStatements } from "./support/iam-eval";
import {
  bodyOf,
  defineTestStacks,
  ref,
  resourcesOf,
  type SynthesizedStack,
  statementsOf,
  synthAllStacks,
  synthEnvironment,
  synthStack,
  TEST_PULL_REQUEST,
  type TfJson,
} from "./support/synth";

const ACCOUNT = "123456789012";
const REGION = ENVIRONMENTS.dev.region;
const BUCKET_ARN = `arn:aws:s3:::${SHARED_CONFIG.state.bucket}`;
const STATE = (stack: string, file = "terraform.tfstate") =>
  `${BUCKET_ARN}/${SHARED_CONFIG.state.keyPrefix}/${stack}/${file}`;
const ENVS = ["dev", "prd"] as const;
type Env = (typeof ENVS)[number];
const OTHER: Record<Env, Env> = { dev: "prd", prd: "dev" };
const boundaryArn = (env: Env) => `arn:aws:iam::${ACCOUNT}:policy/sml-${env}-boundary`;

const { stacks, synthesized } = synthAllStacks();
const byId = (id: string): SynthesizedStack => {
  const found = synthesized.find((s) => s.id === id);
  if (!found) throw new Error(`no stack ${id}`);
  return found;
};
const bootstrap = byId("sml-bootstrap");

/** Account id and state bucket references of the bootstrap stack as literals. */
const resolveBootstrap = (text: string) =>
  text
    .replace(/\$\{data\.aws_caller_identity\.[^.]+\.account_id\}/g, ACCOUNT)
    .replace(/\$\{aws_s3_bucket\.[^.]+\.arn\}/g, BUCKET_ARN);

function deployStatements(env: Env | "preview"): EvalStatement[] {
  const role = stacks.bootstrap.deployRoles[env];
  if (!role) throw new Error(`no deploy role for ${env}`);
  const roleRef = `\${aws_iam_role.${role.friendlyUniqueId}.id}`;
  const inline = resourcesOf(bootstrap.json, "aws_iam_role_policy")
    .map(([, p]) => p)
    .filter((p) => p.role === roleRef);
  expect(inline).toHaveLength(1);
  return resolveStatements(statementsOf(bootstrap.json, inline[0]?.policy), resolveBootstrap);
}

function boundaryStatementsOf(env: Env | "preview"): EvalStatement[] {
  const policy = stacks.bootstrap.boundaries[env];
  if (!policy) throw new Error(`no boundary for ${env}`);
  return resolveStatements(
    statementsOf(bootstrap.json, bodyOf(bootstrap.json, policy).policy),
    resolveBootstrap,
  );
}

/**
 * Every resource an environment stack names, as the ARN AWS gives it (account and region made literal), with
 * the Environment tag a request on it carries (none: the name pattern alone must match).
 */
function namedResources(json: TfJson, tag: Env | undefined): Request[] {
  const at = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}`;
  // A name given by reference (`${aws_lambda_function.x.function_name}`), resolved to the literal it carries.
  const named = (value: string): string =>
    value.replace(/\$\{(aws_[a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}/g, (_, type, name, attr) =>
      String(json.resource[type][name][attr]),
    );
  const context: Record<string, string> = tag ? { [`aws:ResourceTag/${ENVIRONMENT_TAG_KEY}`]: tag } : {};
  const arns: [string, string, (body: TfJson) => string][] = [
    [
      "aws_lambda_function",
      "lambda:UpdateFunctionCode",
      (b) => `${at("lambda")}:function:${b.function_name}`,
    ],
    ["aws_sqs_queue", "sqs:PurgeQueue", (b) => `${at("sqs")}:${b.name}`],
    ["aws_sns_topic", "sns:Publish", (b) => `${at("sns")}:${b.name}`],
    ["aws_cloudwatch_log_group", "logs:DeleteLogGroup", (b) => `${at("logs")}:log-group:${b.name}`],
    ["aws_rds_cluster", "rds:DeleteDBCluster", (b) => `${at("rds")}:cluster:${b.cluster_identifier}`],
    ["aws_rds_cluster_instance", "rds:DeleteDBInstance", (b) => `${at("rds")}:db:${b.identifier}`],
    [
      "aws_rds_cluster_parameter_group",
      "rds:ModifyDBClusterParameterGroup",
      // A name_prefix group is named prefix + 26 characters by Terraform (id.PrefixedUniqueId).
      (b) => `${at("rds")}:cluster-pg:${b.name ?? `${b.name_prefix}20270101000000000000000001`}`,
    ],
    ["aws_db_subnet_group", "rds:DeleteDBSubnetGroup", (b) => `${at("rds")}:subgrp:${b.name}`],
    ["aws_kms_alias", "kms:UpdateAlias", (b) => `${at("kms")}:${b.name}`],
    [
      "aws_cloudwatch_metric_alarm",
      "cloudwatch:DeleteAlarms",
      (b) => `${at("cloudwatch")}:alarm:${b.alarm_name}`,
    ],
    [
      "aws_cloudwatch_dashboard",
      "cloudwatch:DeleteDashboards",
      (b) => `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${b.dashboard_name}`,
    ],
    ["aws_iam_role", "iam:PutRolePolicy", (b) => `arn:aws:iam::${ACCOUNT}:role/${b.name}`],
    // What CodeDeploy shifts (constructs/deployment.ts): the alias, the application and each group.
    [
      "aws_lambda_alias",
      "lambda:UpdateAlias",
      (b) => `${at("lambda")}:function:${named(b.function_name)}:${b.name}`,
    ],
    ["aws_codedeploy_app", "codedeploy:CreateDeployment", (b) => `${at("codedeploy")}:application:${b.name}`],
    [
      "aws_codedeploy_deployment_group",
      "codedeploy:CreateDeployment",
      (b) => `${at("codedeploy")}:deploymentgroup:${named(b.app_name)}/${named(b.deployment_group_name)}`,
    ],
  ];
  return arns.flatMap(([type, action, arn]) =>
    resourcesOf(json, type).map(([, body]) => ({ action, resource: arn(body), context })),
  );
}

describe("permissions boundaries", () => {
  it.each(ENVS)("creates sml-%s-boundary in the bootstrap stack, tagged with its environment", (env) => {
    const policy = stacks.bootstrap.boundaries[env];
    if (!policy) throw new Error(`no boundary for ${env}`);
    expect(bodyOf(bootstrap.json, policy)).toMatchObject({
      name: boundaryPolicyName(ENVIRONMENTS[env].namePrefix),
      tags: { [ENVIRONMENT_TAG_KEY]: env },
    });
  });

  it("sets the boundary on a role added to an environment stack after the fact", () => {
    const { environments } = defineTestStacks({ environments: ["dev"] });
    const env = environments.dev;
    if (!env) throw new Error("dev stack missing");
    const late = new IamRole(env, "late-role", {
      name: "sml-dev-late",
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
    });
    expect(bodyOf(synthStack(env).json, late).permissions_boundary).toBe(
      `arn:aws:iam::${ref("data.aws_caller_identity", "account", "account_id")}:policy/sml-dev-boundary`,
    );
  });

  /**
   * Every grant of every role policy in an environment stack, as concrete requests: references resolve to the
   * ARNs AWS would give the resources, key use comes through SNS, and the RDS secret carries the cluster ARN tag
   * RDS puts on it.
   */
  function grantsOf(stack: SynthesizedStack): { role: string; request: Request }[] {
    const { json } = stack;
    const at = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}`;
    const cluster = (name: string) =>
      `${at("rds")}:cluster:${json.resource.aws_rds_cluster[name].cluster_identifier}`;
    const contexts = new Map<string, Record<string, string>>();
    const resolve = (text: string) =>
      text
        // S3 ARNs carry neither region nor account (S3 user guide, "Policy resources for Amazon S3").
        .replace(
          /\$\{aws_s3_bucket\.([^.]+)\.arn\}/g,
          (_, n) => `arn:aws:s3:::${json.resource.aws_s3_bucket[n].bucket}`,
        )
        .replace(/\$\{data\.aws_caller_identity\.[^.]+\.account_id\}/g, ACCOUNT)
        .replace(
          /\$\{aws_sns_topic\.([^.]+)\.arn\}/g,
          (_, n) => `${at("sns")}:${json.resource.aws_sns_topic[n].name}`,
        )
        .replace(
          /\$\{aws_sqs_queue\.([^.]+)\.arn\}/g,
          (_, n) => `${at("sqs")}:${json.resource.aws_sqs_queue[n].name}`,
        )
        .replace(
          /\$\{aws_cloudwatch_log_group\.([^.]+)\.arn\}/g,
          (_, n) => `${at("logs")}:log-group:${json.resource.aws_cloudwatch_log_group[n].name}`,
        )
        .replace(/\$\{aws_kms_key\.([^.]+)\.arn\}/g, (_, n) => {
          const arn = `${at("kms")}:key/${n}`;
          // The functions use the topic key only through SNS (publishing to an encrypted topic).
          contexts.set(arn, { "kms:ViaService": `sns.${REGION}.amazonaws.com` });
          return arn;
        })
        .replace(/\$\{aws_rds_cluster\.([^.]+)\.master_user_secret\[0\]\.secret_arn\}/g, (_, n) => {
          const arn = `${at("secretsmanager")}:secret:rds!cluster-0b1c2d3e-${n}-AbCdEf`;
          contexts.set(arn, { "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn": cluster(n) });
          return arn;
        })
        .replace(/\$\{aws_rds_cluster\.([^.]+)\.arn\}/g, (_, n) => cluster(n))
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        .replace(
          /\$\{aws_secretsmanager_secret\.([^.]+)\.arn\}/g,
          (_, n) =>
            `${at("secretsmanager")}:secret:${json.resource.aws_secretsmanager_secret[n].name}-AbCdEf`,
        )
        .replace(
          /\$\{aws_lambda_function\.([^.]+)\.arn\}/g,
          (_, n) => `${at("lambda")}:function:${json.resource.aws_lambda_function[n].function_name}`,
        )
        .replace(
          /\$\{aws_cloudwatch_metric_alarm\.([^.]+)\.arn\}/g,
          (_, n) => `${at("cloudwatch")}:alarm:${json.resource.aws_cloudwatch_metric_alarm[n].alarm_name}`,
        )
        // A cluster resource id as RDS issues them (DbClusterResourceId).
        .replace(/\$\{aws_rds_cluster\.[^.]+\.cluster_resource_id\}/g, "cluster-ABCDEFGHIJKLMNOPQRSTUVWXY2");
    return resourcesOf(json, "aws_iam_role_policy").flatMap(([name, p]) =>
      resolveStatements(statementsOf(json, p.policy), resolve)
        .filter((s) => s.effect === "Allow")
        .flatMap((s) =>
          s.actions.flatMap((action) =>
            s.resources.map((resource) => ({
              role: `${name} ${s.sid ?? ""}`,
              request: { action, resource, context: contexts.get(resource) ?? {} },
            })),
          ),
        ),
    );
  }

  const dataApiDev = synthEnvironment({
    ...ENVIRONMENTS.dev,
    database: { ...ENVIRONMENTS.dev.database, driver: "data-api" },
    network: { ...ENVIRONMENTS.dev.network, flowLogs: true },
  });
  const previewStack = defineTestStacks({ preview: TEST_PULL_REQUEST }).preview;
  if (!previewStack) throw new Error("no preview stack");
  const cases: [string, Env | "preview", SynthesizedStack][] = [
    ["sml-dev", "dev", byId("sml-dev")],
    ["sml-prd", "prd", byId("sml-prd")],
    ["sml-dev with the Data API and flow logs", "dev", dataApiDev],
    [`sml-pr-${TEST_PULL_REQUEST} (under the preview boundary)`, "preview", synthStack(previewStack)],
  ];

  it.each(cases)(
    "allows every grant of every role policy in %s (so no deploy breaks on it)",
    (_n, env, stack) => {
      const boundary = boundaryStatementsOf(env);
      const grants = grantsOf(stack);
      expect(grants.length).toBeGreaterThan(20);
      const capped = grants.filter((g) => decide(boundary, g.request) !== "allow");
      expect(capped).toEqual([]);
    },
  );

  it("covers the Data API and flow-log grants in that variant", () => {
    const actions = grantsOf(dataApiDev).map((g) => g.request.action);
    expect(actions).toEqual(expect.arrayContaining(["rds-data:ExecuteStatement", "logs:DescribeLogStreams"]));
  });

  it.each(ENVS)(
    "caps an sml-%s role with an admin policy to its own environment's data, without IAM",
    (env) => {
      const boundary = boundaryStatementsOf(env);
      const other = OTHER[env];
      const at = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}`;
      const capped: Request[] = [
        { action: "iam:CreateRole", resource: `arn:aws:iam::${ACCOUNT}:role/sml-${env}-x` },
        { action: "iam:PutRolePolicy", resource: `arn:aws:iam::${ACCOUNT}:role/github-sml-deploy-${env}` },
        { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/github-sml-deploy-${env}` },
        { action: "s3:GetObject", resource: STATE(`sml-${env}`) },
        { action: "lambda:UpdateFunctionCode", resource: `${at("lambda")}:function:sml-${env}-api` },
        { action: "sns:Publish", resource: `${at("sns")}:sml-${other}-users` },
        { action: "sqs:ReceiveMessage", resource: `${at("sqs")}:sml-${other}-users` },
        {
          action: "secretsmanager:GetSecretValue",
          resource: `${at("secretsmanager")}:secret:rds!cluster-1-AbCdEf`,
          context: {
            "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn": `${at("rds")}:cluster:sml-${other}-db`,
          },
        },
        { action: "kms:Decrypt", resource: `${at("kms")}:key/1` },
        {
          action: "kms:Decrypt",
          resource: `${at("kms")}:key/1`,
          context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` },
        },
        { action: "rds-data:ExecuteStatement", resource: `${at("rds")}:cluster:sml-${other}-db` },
        // IAM database authentication as the master user: only migrations (with the secret) may act as it.
        {
          action: "rds-db:connect",
          resource: `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:cluster-ABCDEFGHIJKLMNOPQRSTUVWXY2/sml_admin`,
        },
        { action: "logs:PutLogEvents", resource: `${at("logs")}:log-group:/aws/lambda/sml-${other}-api:*` },
      ];
      expect(capped.filter((r) => decide(boundary, r) === "allow")).toEqual([]);
    },
  );
});

describe.each(ENVS)("deploy role of %s", (env) => {
  const statements = deployStatements(env);
  const other = OTHER[env];
  const ownRole = `arn:aws:iam::${ACCOUNT}:role/sml-${env}-api`;

  it.each([...BOUNDED_ROLE_ACTIONS])(
    "allows %s on its environment's roles only while they carry its boundary",
    (action) => {
      const withBoundary = { "iam:PermissionsBoundary": boundaryArn(env) };
      expect(decide(statements, { action, resource: ownRole, context: withBoundary })).toBe("allow");
      expect(decide(statements, { action, resource: ownRole })).toBe("implicit-deny");
      expect(
        decide(statements, {
          action,
          resource: ownRole,
          context: { "iam:PermissionsBoundary": boundaryArn(other) },
        }),
      ).toBe("implicit-deny");
      expect(
        decide(statements, {
          action,
          resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
          context: withBoundary,
        }),
      ).toBe("implicit-deny");
      expect(
        decide(statements, {
          action,
          resource: `arn:aws:iam::${ACCOUNT}:role/sml-${other}-api`,
          context: { "iam:PermissionsBoundary": boundaryArn(other) },
        }),
      ).not.toBe("allow");
    },
  );

  it("never removes a boundary, from any role", () => {
    for (const resource of [ownRole, `arn:aws:iam::${ACCOUNT}:role/anything`])
      expect(decide(statements, { action: "iam:DeleteRolePermissionsBoundary", resource })).toBe("deny");
  });

  it("cannot change or delete any environment's boundary policy", () => {
    for (const target of ENVS)
      for (const action of [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:UntagPolicy",
      ])
        expect(decide(statements, { action, resource: boundaryArn(target) })).toBe("deny");
  });

  it("cannot change its own role or any other GitHub role", () => {
    for (const name of ["github-sml-deploy-dev", "github-sml-deploy-prd", "github-sml-plan"])
      for (const action of [
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRole",
        "iam:PassRole",
      ])
        expect(decide(statements, { action, resource: `arn:aws:iam::${ACCOUNT}:role/${name}` })).toBe("deny");
  });

  it("passes its environment's roles only to the services that run them", () => {
    for (const service of PASSED_TO_SERVICES)
      expect(
        decide(statements, {
          action: "iam:PassRole",
          resource: ownRole,
          context: { "iam:PassedToService": service },
        }),
      ).toBe("allow");
    for (const service of ["ec2.amazonaws.com", "codebuild.amazonaws.com", "ecs-tasks.amazonaws.com"])
      expect(
        decide(statements, {
          action: "iam:PassRole",
          resource: ownRole,
          context: { "iam:PassedToService": service },
        }),
      ).toBe("implicit-deny");
    expect(
      decide(statements, {
        action: "iam:PassRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/sml-${other}-api`,
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      }),
    ).toBe("deny");
  });

  it(`is denied every named resource of sml-${other} by name alone, and none of its own stack's`, () => {
    const foreign = namedResources(byId(`sml-${other}`).json, undefined);
    const own = namedResources(byId(`sml-${env}`).json, env);
    expect(foreign.length).toBeGreaterThan(20);
    expect(foreign.filter((r) => decide(statements, r) !== "deny")).toEqual([]);
    expect(own.filter((r) => decide(statements, r) === "deny")).toEqual([]);
  });

  it.each([
    ["a VPC", "ec2:DeleteVpc", `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-0123`],
    ["a KMS key", "kms:Decrypt", `arn:aws:kms:${REGION}:${ACCOUNT}:key/0123`],
    ["an HTTP API", "apigateway:DELETE", `arn:aws:apigateway:${REGION}::/apis/abc123`],
    ["a user pool", "cognito-idp:AdminCreateUser", `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/x`],
  ])(
    `is denied %s tagged ${ENVIRONMENT_TAG_KEY}=${other}, not one tagged ${env}`,
    (_what, action, resource) => {
      const tagged = (e: Env) => ({ [`aws:ResourceTag/${ENVIRONMENT_TAG_KEY}`]: e });
      expect(decide(statements, { action, resource, context: tagged(other) })).toBe("deny");
      expect(decide(statements, { action, resource, context: tagged(env) })).not.toBe("deny");
    },
  );

  it(`cannot copy, share or restore ${other}'s database snapshots, final or automated`, () => {
    const snapshot = (e: Env, id: string) =>
      `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${id.replace("<env>", e)}`;
    for (const id of ["sml-<env>-db-final", "rds:sml-<env>-db-2026-01-31-02-10"])
      for (const action of [
        "rds:CopyDBClusterSnapshot",
        "rds:ModifyDBClusterSnapshotAttribute",
        "rds:RestoreDBClusterFromSnapshot",
      ]) {
        expect(decide(statements, { action, resource: snapshot(other, id) })).toBe("deny");
        expect(decide(statements, { action, resource: snapshot(env, id) })).not.toBe("deny");
      }
  });

  it(`cannot create or tag anything as ${other}'s`, () => {
    const request = (e: Env) => ({
      action: "ec2:CreateVpc",
      resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/*`,
      context: { [`aws:RequestTag/${ENVIRONMENT_TAG_KEY}`]: e },
    });
    expect(decide(statements, request(other))).toBe("deny");
    expect(decide(statements, request(env))).not.toBe("deny");
  });

  it(`cannot read sml-${other}'s database secret (found by the cluster tag RDS puts on it)`, () => {
    const secret = (e: Env) => ({
      action: "secretsmanager:GetSecretValue",
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!cluster-1-AbCdEf`,
      context: {
        "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn": `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:sml-${e}-db`,
      },
    });
    expect(decide(statements, secret(other))).toBe("deny");
    expect(decide(statements, secret(env))).not.toBe("deny");
  });

  it(`cannot point an event source mapping at sml-${other}'s functions`, () => {
    for (const action of ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping"]) {
      const esm = (e: Env) => ({
        action,
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:1234`,
        context: { "lambda:FunctionArn": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sml-${e}-subscriber` },
      });
      expect(decide(statements, esm(other))).toBe("deny");
      expect(decide(statements, esm(env))).not.toBe("deny");
    }
  });

  it("reads and writes its own and the registry's state and lock files, never the other environment's", () => {
    for (const stack of [`sml-${env}`, "sml-registry"])
      for (const file of ["terraform.tfstate", "terraform.tfstate.tflock"])
        for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
          expect(decide(statements, { action, resource: STATE(stack, file) })).not.toBe("deny");
    for (const file of ["terraform.tfstate", "terraform.tfstate.tflock"])
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        expect(decide(statements, { action, resource: STATE(`sml-${other}`, file) })).toBe("deny");
  });

  it("may read the bootstrap state but never write it, nor change the state bucket or delete old versions", () => {
    expect(decide(statements, { action: "s3:GetObject", resource: STATE("sml-bootstrap") })).not.toBe("deny");
    expect(decide(statements, { action: "s3:PutObject", resource: STATE("sml-bootstrap") })).toBe("deny");
    // Every bucket-level write S3 documents (service authorization reference), Object Lock included (issue 23).
    for (const action of [
      "s3:PutBucketPolicy",
      "s3:DeleteBucket",
      "s3:PutBucketVersioning",
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutLifecycleConfiguration",
      "s3:PutEncryptionConfiguration",
      "s3:PutReplicationConfiguration",
      "s3:PutBucketNotification",
      "s3:PutBucketLogging",
      "s3:PutBucketCORS",
      "s3:PutBucketTagging",
      "s3:DeleteBucketPolicy",
      "s3:PutIntelligentTieringConfiguration",
    ])
      expect(decide(statements, { action, resource: BUCKET_ARN })).toBe("deny");
    expect(decide(statements, { action: "s3:DeleteObjectVersion", resource: STATE(`sml-${env}`) })).toBe(
      "deny",
    );
  });

  it("keeps PowerUserAccess as the only managed policy (the deploy's services) next to this inline policy", () => {
    const role = stacks.bootstrap.deployRoles[env];
    if (!role) throw new Error(`no deploy role for ${env}`);
    const attachments = resourcesOf(bootstrap.json, "aws_iam_role_policy_attachment")
      .map(([, a]) => a)
      .filter((a) => a.role === `\${aws_iam_role.${role.friendlyUniqueId}.name}`);
    expect(attachments.map((a) => a.policy_arn)).toEqual(["arn:aws:iam::aws:policy/PowerUserAccess"]);
    expect(bodyOf(bootstrap.json, role).name).toBe(`github-sml-deploy-${env}`);
  });
});

describe("deploy role of the preview stacks (sml-pr-<number>, in the dev account)", () => {
  const statements = deployStatements("preview");
  const previewStack = defineTestStacks({ preview: TEST_PULL_REQUEST }).preview;
  if (!previewStack) throw new Error("no preview stack");
  const preview = synthStack(previewStack);
  const previewBoundary = `arn:aws:iam::${ACCOUNT}:policy/${boundaryPolicyName(ENVIRONMENTS.preview.namePrefix)}`;

  it.each(ENVS)("is denied every named resource of sml-%s by name alone, and none of its own", (env) => {
    const foreign = namedResources(byId(`sml-${env}`).json, undefined);
    expect(foreign.length).toBeGreaterThan(20);
    expect(foreign.filter((r) => decide(statements, r) !== "deny")).toEqual([]);
    const own = namedResources(preview.json, undefined);
    expect(own.filter((r) => decide(statements, r) === "deny")).toEqual([]);
  });

  it.each(ENVS)("is denied what is tagged or would be tagged %s", (env) => {
    const resource = `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-0123`;
    expect(
      decide(statements, {
        action: "ec2:DeleteVpc",
        resource,
        context: { [`aws:ResourceTag/${ENVIRONMENT_TAG_KEY}`]: env },
      }),
    ).toBe("deny");
    expect(
      decide(statements, {
        action: "ec2:CreateVpc",
        resource,
        context: { [`aws:RequestTag/${ENVIRONMENT_TAG_KEY}`]: env },
      }),
    ).toBe("deny");
  });

  it("never changes the state bucket's configuration: Object Lock, versioning, policy, lifecycle, encryption, replication", () => {
    // S3 service authorization reference: each of these is a bucket-level action on arn:aws:s3:::<bucket>.
    for (const action of [
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutBucketVersioning",
      "s3:PutBucketPolicy",
      "s3:DeleteBucketPolicy",
      "s3:PutLifecycleConfiguration",
      "s3:PutEncryptionConfiguration",
      "s3:PutReplicationConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:DeleteBucket",
    ])
      expect(decide(statements, { action, resource: BUCKET_ARN })).toBe("deny");
  });

  it("writes its own state key, never dev's or prd's", () => {
    const own = `sml-pr-${TEST_PULL_REQUEST}`;
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
      expect(decide(statements, { action, resource: STATE(own) })).not.toBe("deny");
      for (const env of ENVS)
        expect(decide(statements, { action, resource: STATE(`sml-${env}`) })).toBe("deny");
    }
  });

  // The registry stack's repositories, by what they hold: dev's and prd's images, and the previews'.
  const repositories = resourcesOf(byId("sml-registry").json, "aws_ecr_repository").map(([, r]) =>
    String(r.name),
  );
  const repositoryArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
  const previewRepository = SHARED_CONFIG.previewRepositoryName;
  const released = repositories.filter((name) => name !== previewRepository);
  // ECR actions and their resources: Amazon ECR API reference and "Actions, resources, and condition keys for
  // Amazon Elastic Container Registry" (service authorization reference).
  const PUSH_PULL = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
  ];
  const ADMINISTRATION = [
    "ecr:BatchDeleteImage",
    "ecr:DeleteRepository",
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:PutImageTagMutability",
  ];

  it("cannot push to, pull from, delete images of or change the repository dev and prd run from", () => {
    expect(released).toEqual([SHARED_CONFIG.predictionRepositoryName]);
    for (const name of released)
      for (const action of [...PUSH_PULL, ...ADMINISTRATION])
        expect([action, decide(statements, { action, resource: repositoryArn(name) })]).toEqual([
          action,
          "deny",
        ]);
  });

  it("pushes and pulls the previews' own repository, and may neither delete its images nor change it", () => {
    expect(repositories).toContain(previewRepository);
    expect(decide(statements, { action: "ecr:GetAuthorizationToken", resource: "*" })).not.toBe("deny");
    for (const action of PUSH_PULL)
      expect([
        action,
        decide(statements, { action, resource: repositoryArn(previewRepository) }),
      ]).not.toEqual([action, "deny"]);
    for (const action of ADMINISTRATION)
      expect([action, decide(statements, { action, resource: repositoryArn(previewRepository) })]).toEqual([
        action,
        "deny",
      ]);
    for (const action of ["ecr:PutReplicationConfiguration", "ecr:PutRegistryPolicy"])
      expect(decide(statements, { action, resource: "*" })).toBe("deny");
  });

  it("reads and writes no state but the previews' own: not the registry's, the bootstrap's, dev's or prd's", () => {
    const own = `sml-pr-${TEST_PULL_REQUEST}`;
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]) {
      for (const file of ["terraform.tfstate", "terraform.tfstate.tflock"]) {
        if (action !== "s3:DeleteObjectVersion")
          expect(decide(statements, { action, resource: STATE(own, file) })).not.toBe("deny");
        for (const other of synthesized.map((st) => st.id))
          expect([other, action, decide(statements, { action, resource: STATE(other, file) })]).toEqual([
            other,
            action,
            "deny",
          ]);
      }
    }
    // Its own batch bucket's objects stay reachable (a destroy empties it).
    const batches = `arn:aws:s3:::sml-pr-${TEST_PULL_REQUEST}-batches-${ACCOUNT}/inputs/x`;
    expect(decide(statements, { action: "s3:DeleteObject", resource: batches })).not.toBe("deny");
  });

  it("deploys the preview stack from the previews' repository", () => {
    const [repository, ...more] = resourcesOf(preview.json, "data.aws_ecr_repository").map(([, r]) => r.name);
    expect(more).toEqual([]);
    expect(repository).toBe(previewRepository);
  });

  it("creates roles only under sml-pr-* with the preview boundary, never a dev or prd role or boundary", () => {
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const withBoundary = (arn: string) => ({ "iam:PermissionsBoundary": arn });
    expect(
      decide(statements, {
        action: "iam:CreateRole",
        resource: role(`sml-pr-${TEST_PULL_REQUEST}-api`),
        context: withBoundary(previewBoundary),
      }),
    ).toBe("allow");
    for (const env of ENVS) {
      expect(
        decide(statements, {
          action: "iam:CreateRole",
          resource: role(`sml-${env}-api`),
          context: withBoundary(boundaryArn(env)),
        }),
      ).not.toBe("allow");
      expect(
        decide(statements, {
          action: "iam:CreateRole",
          resource: role(`sml-pr-${TEST_PULL_REQUEST}-api`),
          context: withBoundary(boundaryArn(env)),
        }),
      ).not.toBe("allow");
    }
  });

  it("names the preview boundary on every role of a preview stack", () => {
    const boundaries = resourcesOf(preview.json, "aws_iam_role").map(([, r]) =>
      String(r.permissions_boundary).replace(/\$\{data\.aws_caller_identity\.[^.]+\.account_id\}/, ACCOUNT),
    );
    expect(boundaries.length).toBeGreaterThan(0);
    expect(new Set(boundaries)).toEqual(new Set([previewBoundary]));
  });
});

/**
 * IAM quotas (IAM user guide, "IAM and AWS STS quotas"): a role's inline policies may total 10,240 characters, a
 * managed policy (each boundary) 6,144, whitespace not counted. The preview role denies two environments, the
 * longest policy here.
 */
describe("IAM policy size quotas", () => {
  const size = (doc: TfJson) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: (doc.statement as TfJson[]).map((s) => ({
        Sid: s.sid,
        Effect: s.effect ?? "Allow",
        Action: s.actions,
        Resource: s.resources ?? s.not_resources,
        Condition: s.condition,
      })),
    }).length;
  const docs = bootstrap.json.data.aws_iam_policy_document as Record<string, TfJson>;

  it.each([...ENVS, "preview"])(
    "keeps the deploy role of %s under 10,240 characters of inline policy",
    (env) => {
      const doc = docs[`deploy-${env}-iam-policy`];
      if (!doc) throw new Error(`no deploy policy for ${env}`);
      expect(size(doc)).toBeLessThan(10_240);
    },
  );

  it.each([...ENVS, "preview"])("keeps the boundary of %s under 6,144 characters", (env) => {
    const doc = docs[`boundary-${env}-policy`];
    if (!doc) throw new Error(`no boundary policy for ${env}`);
    expect(size(doc)).toBeLessThan(6_144);
  });
});
