import type { DataAwsEcrRepository } from "@cdktf/provider-aws/lib/data-aws-ecr-repository";
import type { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import type { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import type { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { DB_USERS, ENV } from "@sml/contracts/env";
import { dependable, type TerraformStack } from "cdktf";
import { SHARED_CONFIG } from "../src/config";
import { auroraMaxConnections } from "../src/config/slo";
import { policyDocument } from "../src/constructs/iam";
import type { Stacks } from "../src/stacks";
import { GITHUB_ROLE_MANAGED_POLICIES } from "../src/stacks/bootstrap-stack";
import { imageLifecycleRules } from "../src/stacks/registry-stack";
import { POLICY_RULES, type PolicyRule, ruleById, type Violation } from "./support/policy-rules";
import {
  addressOf,
  defineTestStacks,
  ref,
  synthAllStacks,
  synthStack,
  TEST_PULL_REQUEST,
} from "./support/synth";

// Every stack of the app, and a pull request's preview stack.
const { synthesized } = synthAllStacks({ environments: ["dev", "prd"], preview: TEST_PULL_REQUEST });

describe.each(POLICY_RULES.map((rule) => [rule.id, rule] as const))(
  "policy rule %s",
  (_id, rule: PolicyRule) => {
    it.each(synthesized.map((s) => [s.id, s] as const))(
      `holds in stack %s (${rule.description})`,
      (_stack, stack) => {
        expect(rule.check(stack)).toEqual([]);
      },
    );
  },
);

/**
 * A deliberately bad stack: the real app with one change a careless edit could make. `alter` breaks it and
 * returns the stack to check and the address of the resource the rule must name.
 */
function breakApp(
  alter: (stacks: Stacks) => { stack: TerraformStack; offender: string },
  environments: readonly string[],
): { violations: (rule: PolicyRule) => Violation[]; offender: string } {
  // "preview" in the list stands for the test pull request's preview stack.
  const stacks = defineTestStacks({
    environments: environments.filter((e) => e !== "preview"),
    ...(environments.includes("preview") ? { preview: TEST_PULL_REQUEST } : {}),
  });
  const { stack, offender } = alter(stacks);
  const synth = synthStack(stack);
  return { violations: (rule) => rule.check(synth), offender };
}

const dev = (stacks: Stacks) => {
  const env = stacks.environments.dev;
  if (!env) throw new Error("dev stack missing");
  return env;
};
const prd = (stacks: Stacks) => {
  const env = stacks.environments.prd;
  if (!env) throw new Error("prd stack missing");
  return env;
};
const preview = (stacks: Stacks) => {
  if (!stacks.preview) throw new Error("preview stack missing");
  return stacks.preview;
};

type BadCase = [string, string, (stacks: Stacks) => { stack: TerraformStack; offender: string }, string[]?];

const BAD_CASES: BadCase[] = [
  [
    "served-through-live-alias",
    "the subscriber's event source mapping pointed at the function instead of its live alias",
    (s) => {
      const env = dev(s);
      env.functions.eventSourceMapping.functionName = env.functions.subscriber.function.arn;
      return { stack: env, offender: addressOf(env.functions.eventSourceMapping) };
    },
  ],
  [
    "aliases-shifted-by-codedeploy",
    "the api's live alias managed by Terraform again (no ignore_changes)",
    (s) => {
      const env = dev(s);
      env.functions.api.liveAlias.lifecycle = { ignoreChanges: ["routing_config"] };
      return { stack: env, offender: addressOf(env.functions.api.liveAlias) };
    },
  ],
  [
    "deployment-groups-roll-back-on-guarding-alarms",
    "dev's api group rolling back on failures only, not on alarms",
    (s) => {
      const env = dev(s);
      const group = env.deployment.groups.api;
      if (!group) throw new Error("no api deployment group");
      group.putAutoRollbackConfiguration({ enabled: true, events: ["DEPLOYMENT_FAILURE"] });
      return { stack: env, offender: addressOf(group) };
    },
  ],
  [
    "deployment-groups-roll-back-on-guarding-alarms",
    "prd's api group also watching a latency alarm, which guardsRollout leaves out",
    (s) => {
      const env = prd(s);
      const group = env.deployment.groups.api;
      const latency = env.observability.alarms.find((a) =>
        a.friendlyUniqueId.includes("api-latency-p99-get-users"),
      );
      if (!group || !latency) throw new Error("no api deployment group or latency alarm");
      const guarding = env.observability
        .guarding("api")
        .map((a) => ref("aws_cloudwatch_metric_alarm", a.friendlyUniqueId, "alarm_name"));
      group.putAlarmConfiguration({
        enabled: true,
        alarms: [...guarding, ref("aws_cloudwatch_metric_alarm", latency.friendlyUniqueId, "alarm_name")],
      });
      return { stack: env, offender: addressOf(group) };
    },
    ["prd"],
  ],
  [
    "previews-cannot-touch-dev-or-prd",
    "a preview's api publishing to dev's topic",
    (s) => {
      const env = preview(s);
      env.functions.api.function.addOverride(
        `environment.variables.${ENV.topicArn}`,
        "arn:aws:sns:eu-west-1:123456789012:sml-dev-users",
      );
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
    ["preview"],
  ],
  [
    "previews-cannot-touch-dev-or-prd",
    "a preview deployed from the repository dev and prd run from",
    (s) => {
      const env = preview(s);
      const repository = env.node.tryFindChild("prediction-repository") as DataAwsEcrRepository | undefined;
      if (!repository) throw new Error("no prediction-repository data source");
      repository.addOverride("name", SHARED_CONFIG.predictionRepositoryName);
      return { stack: env, offender: addressOf(repository) };
    },
    ["preview"],
  ],
  [
    "previews-cannot-touch-dev-or-prd",
    "a preview keeping its state under prd's key",
    (s) => {
      const env = preview(s);
      env.backend.addOverride("key", "serverless-ml-api/sml-prd/terraform.tfstate");
      return { stack: env, offender: `${env.node.id} (terraform.backend.s3)` };
    },
    ["preview"],
  ],
  [
    "database-functions-have-a-path",
    "dev's api outside the VPC switched back to the pg driver (no route to 5432)",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride("environment.variables.DB_DRIVER", "pg");
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "database-functions-have-a-path",
    "dev's subscriber on the Data API without rds-data on the cluster",
    (s) => {
      const env = dev(s);
      env.functions.subscriber.function.addOverride(
        "environment.variables.DB_CLUSTER_ARN",
        `\${aws_rds_cluster.other.arn}`,
      );
      return { stack: env, offender: addressOf(env.functions.subscriber.function) };
    },
  ],
  [
    "iam-no-wildcards",
    "a role policy granting s3:* on *",
    (s) => {
      const env = dev(s);
      const bad = new IamRolePolicy(env, "bad-policy", {
        role: env.functions.api.role.id,
        policy: policyDocument(env, "bad-doc", [{ effect: "Allow", actions: ["s3:*"], resources: ["*"] }])
          .json,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "iam-no-wildcards",
    "a role policy granting sns:Publish on every topic",
    (s) => {
      const env = dev(s);
      const bad = new IamRolePolicy(env, "bad-policy", {
        role: env.functions.api.role.id,
        policy: policyDocument(env, "bad-doc", [
          { effect: "Allow", actions: ["sns:Publish"], resources: ["*"] },
        ]).json,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "iam-no-wildcards",
    "a key policy granting kms:* to a function role",
    (s) => {
      const env = dev(s);
      const bad = new KmsKey(env, "bad-key", {
        policy: policyDocument(env, "bad-key-doc", [
          {
            effect: "Allow",
            actions: ["kms:*"],
            resources: ["*"],
            principals: [{ type: "AWS", identifiers: [env.functions.api.role.arn] }],
          },
        ]).json,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "iam-managed-policies-allow-listed",
    "AdministratorAccess attached to a function role",
    (s) => {
      const env = dev(s);
      const bad = new IamRolePolicyAttachment(env, "bad-attachment", {
        role: env.functions.api.role.name,
        policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "iam-roles-carry-environment-boundary",
    "a role in the registry stack, which has no environment boundary",
    (s) => {
      const bad = new IamRole(s.registry, "bad-role", {
        name: "sml-registry-helper",
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
      });
      return { stack: s.registry, offender: addressOf(bad) };
    },
  ],
  [
    "iam-roles-carry-environment-boundary",
    "a dev function role whose boundary is overridden to prd's",
    (s) => {
      const env = dev(s);
      env.functions.api.role.addOverride(
        "permissions_boundary",
        `arn:aws:iam::${ref("data.aws_caller_identity", "account", "account_id")}:policy/sml-prd-boundary`,
      );
      return { stack: env, offender: addressOf(env.functions.api.role) };
    },
  ],
  [
    "iam-roles-carry-environment-boundary",
    "a dev flow-log role whose boundary is removed",
    (s) => {
      const env = dev(s);
      const flowLogRole = env.network.node.findAll().find((c) => c instanceof IamRole) as IamRole | undefined;
      const role =
        flowLogRole ??
        new IamRole(env, "bad-role", {
          name: "sml-dev-bad",
          assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
        });
      role.addOverride("permissions_boundary", null);
      return { stack: env, offender: addressOf(role) };
    },
  ],
  [
    "data-stores-encrypted",
    "a queue without SSE",
    (s) => {
      const env = dev(s);
      env.messaging.queue.addOverride("sqs_managed_sse_enabled", false);
      return { stack: env, offender: addressOf(env.messaging.queue) };
    },
  ],
  [
    "data-stores-encrypted",
    "a topic without a KMS key",
    (s) => {
      const env = dev(s);
      env.messaging.topic.addOverride("kms_master_key_id", undefined);
      return { stack: env, offender: addressOf(env.messaging.topic) };
    },
  ],
  [
    "data-stores-encrypted",
    "an unencrypted Aurora cluster",
    (s) => {
      const env = dev(s);
      env.database.cluster.addOverride("storage_encrypted", false);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
  ],
  [
    "data-stores-encrypted",
    "a bucket without a server-side encryption configuration",
    (s) => {
      const bad = new S3Bucket(s.bootstrap, "bad-bucket", { bucket: "unencrypted" });
      return { stack: s.bootstrap, offender: addressOf(bad) };
    },
  ],
  [
    "data-stores-encrypted",
    "an ECR repository without encryption configuration",
    (s) => {
      s.registry.repository.addOverride("encryption_configuration", undefined);
      return { stack: s.registry, offender: addressOf(s.registry.repository) };
    },
  ],
  [
    "databases-not-public",
    "a publicly accessible writer",
    (s) => {
      const env = dev(s);
      env.database.writer.addOverride("publicly_accessible", true);
      return { stack: env, offender: addressOf(env.database.writer) };
    },
  ],
  [
    "no-open-ingress",
    "HTTPS from 0.0.0.0/0 into the database security group",
    (s) => {
      const env = dev(s);
      const bad = new VpcSecurityGroupIngressRule(env, "bad-ingress", {
        securityGroupId: env.database.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "no-open-ingress",
    "an inline rule from ::/0",
    (s) => {
      const env = dev(s);
      const bad = new SecurityGroup(env, "bad-sg", {
        vpcId: env.network.vpc.id,
        ingress: [{ fromPort: 22, toPort: 22, protocol: "tcp", ipv6CidrBlocks: ["::/0"] }],
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "postgres-only-from-functions",
    "5432 from the whole VPC range",
    (s) => {
      const env = dev(s);
      const bad = new VpcSecurityGroupIngressRule(env, "bad-ingress", {
        securityGroupId: env.database.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: env.config.network.vpcCidr,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "postgres-only-from-functions",
    "all ports from a security group no function uses",
    (s) => {
      const env = dev(s);
      const other = new SecurityGroup(env, "other-sg", { vpcId: env.network.vpc.id });
      const bad = new VpcSecurityGroupIngressRule(env, "bad-ingress", {
        securityGroupId: env.database.securityGroup.id,
        ipProtocol: "-1",
        referencedSecurityGroupId: other.id,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "functions-reach-database",
    "the functions' egress to 5432 narrowed to 443 (Terraform drops the default allow-all egress)",
    (s) => {
      const env = prd(s);
      const [, egress] = env.database.access;
      if (!egress) throw new Error("no egress rule to the database");
      egress.addOverride("from_port", 443);
      egress.addOverride("to_port", 443);
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "sqs-source-queues-have-dlq",
    "the users queue without its redrive policy",
    (s) => {
      const env = dev(s);
      env.messaging.queue.addOverride("redrive_policy", undefined);
      return { stack: env, offender: addressOf(env.messaging.queue) };
    },
  ],
  [
    "sqs-source-queues-have-dlq",
    "a second queue with no dead-letter queue",
    (s) => {
      const env = dev(s);
      const bad = new SqsQueue(env, "bad-queue", { name: "no-dlq", sqsManagedSseEnabled: true });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "sqs-mappings-report-batch-item-failures",
    "a mapping without ReportBatchItemFailures",
    (s) => {
      const env = dev(s);
      env.functions.eventSourceMapping.addOverride("function_response_types", undefined);
      return { stack: env, offender: addressOf(env.functions.eventSourceMapping) };
    },
  ],
  [
    "sqs-mappings-report-batch-item-failures",
    "a mapping without maximum concurrency",
    (s) => {
      const env = dev(s);
      env.functions.eventSourceMapping.addOverride("scaling_config", undefined);
      return { stack: env, offender: addressOf(env.functions.eventSourceMapping) };
    },
  ],
  [
    "sqs-visibility-timeout-6x-function-timeout",
    "a visibility timeout of 2x the subscriber timeout",
    (s) => {
      const env = dev(s);
      env.messaging.queue.addOverride(
        "visibility_timeout_seconds",
        2 * env.config.messaging.subscriberTimeoutSeconds,
      );
      return { stack: env, offender: addressOf(env.functions.eventSourceMapping) };
    },
  ],
  [
    "database-connections-bounded",
    "an api function without reserved concurrency",
    (s) => {
      const env = prd(s);
      env.functions.api.function.addOverride("reserved_concurrent_executions", undefined);
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "database-connections-bounded",
    "an api reserved concurrency that, with the subscriber and the migration, reaches max_connections",
    (s) => {
      const env = prd(s);
      const limit = auroraMaxConnections(env.config.database);
      const others = env.config.messaging.maximumConcurrency + 1;
      env.functions.api.function.addOverride("reserved_concurrent_executions", limit - others);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "database-connections-bounded",
    // AWS caps max_connections at 2,000 for a minimum of 0 or 0.5 ACU with a maximum of 16 or more (re:Post,
    // "Working of max_connections for Amazon Aurora PostgreSQL Serverless"); the memory formula alone gave ~3,604.
    "prd (0.5..16 ACU) with functions that can open 2,000 connections",
    (s) => {
      const env = prd(s);
      const others = env.config.messaging.maximumConcurrency + 1;
      env.functions.api.function.addOverride("reserved_concurrent_executions", 2000 - others);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    ["prd"],
  ],
  [
    "functions-have-log-group-with-retention",
    "a log group that keeps logs forever",
    (s) => {
      const env = dev(s);
      env.functions.subscriber.logGroup.addOverride("retention_in_days", undefined);
      return { stack: env, offender: addressOf(env.functions.subscriber.function) };
    },
  ],
  [
    "functions-have-log-group-with-retention",
    "a function logging to a group that does not exist in the stack",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride("logging_config.log_group", "/aws/lambda/somewhere-else");
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "functions-active-tracing",
    "a function with PassThrough tracing",
    (s) => {
      const env = dev(s);
      env.prediction.fn.function.addOverride("tracing_config.mode", "PassThrough");
      return { stack: env, offender: addressOf(env.prediction.fn.function) };
    },
  ],
  [
    "vpc-functions-in-private-subnets",
    "the API function in the public subnets",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride(
        "vpc_config.subnet_ids",
        env.network.publicSubnets.map((subnet) => subnet.id),
      );
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "vpc-functions-in-private-subnets",
    "private subnets that hand out public IPs",
    (s) => {
      const env = prd(s);
      for (const subnet of env.network.privateSubnets) subnet.addOverride("map_public_ip_on_launch", true);
      return { stack: env, offender: addressOf(env.functions.subscriber.function) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "queue-policy-scoped-to-topic",
    "a queue policy letting any principal send",
    (s) => {
      const env = dev(s);
      const bad = new SqsQueuePolicy(env, "bad-queue-policy", {
        queueUrl: env.messaging.deadLetterQueue.url,
        policy: policyDocument(env, "bad-queue-doc", [
          {
            effect: "Allow",
            principals: [{ type: "*", identifiers: ["*"] }],
            actions: ["sqs:SendMessage"],
            resources: [env.messaging.deadLetterQueue.arn],
          },
        ]).json,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "queue-policy-scoped-to-topic",
    "a queue policy letting SNS send from any topic",
    (s) => {
      const env = dev(s);
      const bad = new SqsQueuePolicy(env, "bad-queue-policy", {
        queueUrl: env.messaging.deadLetterQueue.url,
        policy: policyDocument(env, "bad-queue-doc", [
          {
            effect: "Allow",
            principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
            actions: ["sqs:SendMessage"],
            resources: [env.messaging.deadLetterQueue.arn],
          },
        ]).json,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "api-stage-throttles-and-logs",
    "a stage without throttling",
    (s) => {
      const env = dev(s);
      env.api.stage.addOverride("default_route_settings.throttling_rate_limit", undefined);
      return { stack: env, offender: addressOf(env.api.stage) };
    },
  ],
  [
    "api-stage-throttles-and-logs",
    "a stage without access logs",
    (s) => {
      const env = dev(s);
      env.api.stage.addOverride("access_log_settings", undefined);
      return { stack: env, offender: addressOf(env.api.stage) };
    },
  ],
  [
    "ecr-scan-on-push-immutable",
    "mutable tags",
    (s) => {
      s.registry.repository.addOverride("image_tag_mutability", "MUTABLE");
      return { stack: s.registry, offender: addressOf(s.registry.repository) };
    },
  ],
  [
    "ecr-scan-on-push-immutable",
    "no scan on push",
    (s) => {
      s.registry.repository.addOverride("image_scanning_configuration.scan_on_push", false);
      return { stack: s.registry, offender: addressOf(s.registry.repository) };
    },
  ],
  [
    "prd-database-protected",
    "prd without deletion protection",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("deletion_protection", false);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    ["prd"],
  ],
  [
    "prd-database-protected",
    "prd with one day of backups",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("backup_retention_period", 1);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    ["prd"],
  ],
  [
    "prd-database-protected",
    "prd skipping the final snapshot",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("skip_final_snapshot", true);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    ["prd"],
  ],
  [
    "no-literal-secrets",
    "a database password in a function's environment",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride("environment.variables.DB_PASSWORD", "correct-horse-battery");
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "no-literal-secrets",
    "a literal master password on the cluster",
    (s) => {
      const env = dev(s);
      env.database.cluster.addOverride("master_password", "Sup3rSecret!");
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
  ],
  [
    "no-literal-secrets",
    "an AWS access key id in a tag",
    (s) => {
      const env = dev(s);
      env.messaging.topic.addOverride("tags.note", "AKIAIOSFODNN7EXAMPLE");
      return { stack: env, offender: addressOf(env.messaging.topic) };
    },
  ],
  [
    "lambda-permissions-scoped",
    "API Gateway allowed to invoke from any API",
    (s) => {
      const env = dev(s);
      const bad = new LambdaPermission(env, "bad-permission", {
        action: "lambda:InvokeFunction",
        functionName: env.functions.api.functionName,
        principal: "apigateway.amazonaws.com",
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "lambda-permissions-scoped",
    "API Gateway allowed to invoke from every route of the API",
    (s) => {
      const env = dev(s);
      const bad = new LambdaPermission(env, "bad-permission", {
        action: "lambda:InvokeFunction",
        functionName: env.functions.api.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${env.api.api.executionArn}/*/*`,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "lambda-permissions-scoped",
    "API Gateway allowed to invoke from any method on a path",
    (s) => {
      const env = dev(s);
      const bad = new LambdaPermission(env, "bad-permission", {
        action: "lambda:InvokeFunction",
        functionName: env.functions.api.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${env.api.api.executionArn}/*/*/users`,
      });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "state-in-encrypted-locked-s3",
    "a backend without the lock file",
    (s) => {
      const env = dev(s);
      env.backend.addOverride("use_lockfile", false);
      return { stack: env, offender: "sml-dev (terraform.backend.s3)" };
    },
  ],
  [
    "state-in-encrypted-locked-s3",
    "local state",
    () => {
      const stacks = defineTestStacks({ environments: [], bootstrapLocalState: true });
      return { stack: stacks.bootstrap, offender: "sml-bootstrap (terraform.backend)" };
    },
  ],
  [
    "s3-buckets-block-public-access",
    "a bucket without a public access block",
    (s) => {
      const bad = new S3Bucket(s.bootstrap, "bad-bucket", { bucket: "open" });
      return { stack: s.bootstrap, offender: addressOf(bad) };
    },
  ],
  [
    "prd-user-pools-protected",
    "the prd user pool without deletion protection",
    (s) => {
      const pool = prd(s).api.userPool;
      if (!pool) throw new Error("prd has no user pool");
      pool.addOverride("deletion_protection", "INACTIVE");
      return { stack: prd(s), offender: addressOf(pool) };
    },
    ["prd"],
  ],
  [
    "uploads-expire-within-a-day",
    "the batch bucket keeping uploaded inputs for 7 days again",
    (s) => {
      const env = dev(s);
      const lifecycle = env.node.findAll().find((c) => c.node.path.endsWith("batches/lifecycle")) as
        | S3BucketLifecycleConfiguration
        | undefined;
      if (!lifecycle) throw new Error("no batch bucket lifecycle");
      lifecycle.addOverride("rule.0.expiration.0.days", 7);
      const notification = env.node.findAll().find((c) => c.node.path.endsWith("batches/notification"));
      if (!notification) throw new Error("no batch bucket notification");
      return { stack: env, offender: addressOf(notification as S3BucketNotification) };
    },
  ],
  [
    "user-pools-invite-only",
    "the prd user pool open to self-registration again",
    (s) => {
      const pool = prd(s).api.userPool;
      if (!pool) throw new Error("prd has no user pool");
      pool.addOverride("admin_create_user_config.allow_admin_create_user_only", false);
      return { stack: prd(s), offender: addressOf(pool) };
    },
    ["prd"],
  ],
  [
    "no-dependency-cycles",
    "a dead-letter queue whose redrive-allow policy names the queue that redrives to it",
    (s) => {
      const env = dev(s);
      env.messaging.deadLetterQueue.addOverride(
        "redrive_allow_policy",
        JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [env.messaging.queue.arn] }),
      );
      return { stack: env, offender: addressOf(env.messaging.queue) };
    },
  ],
  [
    "lambda-permissions-reference-function",
    "an API Gateway permission naming the api function by its literal name",
    (s) => {
      const env = dev(s);
      const permission = env.api.node
        .findAll()
        .find((c) => c instanceof LambdaPermission) as LambdaPermission;
      permission.addOverride("function_name", env.functions.api.functionName);
      return { stack: env, offender: addressOf(permission) };
    },
  ],
  [
    "lambda-permissions-reference-function",
    "a permission whose qualifier is the alias name as a literal",
    (s) => {
      const env = dev(s);
      const permission = env.api.node
        .findAll()
        .find(
          (c) => c instanceof LambdaPermission && c.node.id === "invoke-post-predict",
        ) as LambdaPermission;
      permission.addOverride("qualifier", "live");
      return { stack: env, offender: addressOf(permission) };
    },
  ],
  [
    "database-code-after-migrations",
    "the api function without its dependency on the migration run",
    (s) => {
      const env = dev(s);
      // What the function depended on before the fix: its policy and log group, not the migration run.
      env.functions.api.function.dependsOn = [dependable(env.functions.api.logGroup)];
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "database-code-after-migrations",
    "the subscriber and its event source mapping without a dependency on the migration run",
    (s) => {
      const env = dev(s);
      env.functions.subscriber.function.dependsOn = [dependable(env.functions.subscriber.logGroup)];
      env.functions.eventSourceMapping.dependsOn = [];
      return { stack: env, offender: addressOf(env.functions.eventSourceMapping) };
    },
  ],
  [
    "vpc-endpoints-have-callers",
    "an ECR API endpoint in prd, where only the Lambda service pulls the image",
    (s) => {
      const env = prd(s);
      const bad = new VpcEndpoint(env, "bad-endpoint", {
        vpcId: env.network.vpc.id,
        serviceName: `com.amazonaws.${env.config.region}.ecr.api`,
        vpcEndpointType: "Interface",
        subnetIds: env.network.privateSubnets.map((subnet) => subnet.id),
      });
      return { stack: env, offender: addressOf(bad) };
    },
    ["prd"],
  ],
  [
    "vpc-endpoints-have-callers",
    "a CloudWatch Logs endpoint, which function logging never uses",
    (s) => {
      const env = prd(s);
      const bad = new VpcEndpoint(env, "bad-endpoint", {
        vpcId: env.network.vpc.id,
        serviceName: `com.amazonaws.${env.config.region}.logs`,
        vpcEndpointType: "Interface",
        subnetIds: env.network.privateSubnets.map((subnet) => subnet.id),
      });
      return { stack: env, offender: addressOf(bad) };
    },
    ["prd"],
  ],
  [
    "data-api-only-where-used",
    "the Data API enabled on a cluster whose functions use the pg driver",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("enable_http_endpoint", true);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "read-only-roles-deny-data-reads",
    "a second ReadOnlyAccess role without the data-read denies",
    (s) => {
      const bad = new IamRole(s.bootstrap, "bad-role", {
        name: "github-sml-auditor",
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
      });
      new IamRolePolicyAttachment(s.bootstrap, "bad-attachment", {
        role: bad.name,
        policyArn: GITHUB_ROLE_MANAGED_POLICIES.plan,
      });
      return { stack: s.bootstrap, offender: addressOf(bad) };
    },
  ],
  [
    "read-only-roles-deny-data-reads",
    "the plan role denying S3 object reads everywhere but another bucket",
    (s) => {
      const other = new S3Bucket(s.bootstrap, "other-bucket", { bucket: "someone-elses-data" });
      const policy = s.bootstrap.node
        .findAll()
        .find((c) => c instanceof IamRolePolicy && c.node.id === "plan-deny-data-reads") as IamRolePolicy;
      policy.addOverride(
        "policy",
        policyDocument(s.bootstrap, "bad-deny-doc", [
          {
            effect: "Deny",
            actions: ["s3:GetObject", "s3:GetObjectVersion"],
            notResources: [`${other.arn}/*`],
          },
        ]).json,
      );
      return { stack: s.bootstrap, offender: addressOf(s.bootstrap.planRole) };
    },
  ],
  [
    "safe-to-change-types-documented",
    "a resource type without a row in the replacement table",
    (s) => {
      const env = dev(s);
      const bad = new SsmParameter(env, "bad-parameter", { name: "/sml-dev/x", type: "String", value: "x" });
      return { stack: env, offender: addressOf(bad) };
    },
  ],
  [
    "safe-to-change-stateful-guarded",
    "the prd cluster without prevent_destroy (a renamed subnet group would replace it)",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("lifecycle.prevent_destroy", false);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    ["prd"],
  ],
  [
    "safe-to-change-stateful-guarded",
    "the prd dead-letter queue without prevent_destroy",
    (s) => {
      const env = prd(s);
      env.messaging.deadLetterQueue.addOverride("lifecycle.prevent_destroy", false);
      return { stack: env, offender: addressOf(env.messaging.deadLetterQueue) };
    },
    ["prd"],
  ],
  [
    "safe-to-change-stateful-guarded",
    "the prd user pool guarded by create_before_destroy only (the new pool would start without users)",
    (s) => {
      const pool = prd(s).api.userPool;
      if (!pool) throw new Error("prd has no user pool");
      pool.addOverride("lifecycle.prevent_destroy", false);
      pool.addOverride("lifecycle.create_before_destroy", true);
      return { stack: prd(s), offender: addressOf(pool) };
    },
    ["prd"],
  ],
  [
    "safe-to-change-stateful-guarded",
    "the ECR repository without prevent_destroy",
    (s) => {
      s.registry.repository.addOverride("lifecycle", undefined);
      return { stack: s.registry, offender: addressOf(s.registry.repository) };
    },
  ],
  [
    "safe-to-change-stateful-guarded",
    "the state bucket without prevent_destroy",
    (s) => {
      s.bootstrap.stateBucket.addOverride("lifecycle.prevent_destroy", false);
      return { stack: s.bootstrap, offender: addressOf(s.bootstrap.stateBucket) };
    },
  ],
  [
    "safe-to-change-in-use-replaceable",
    "the database security group's description no longer ignored",
    (s) => {
      const env = dev(s);
      env.database.securityGroup.addOverride("lifecycle.ignore_changes", undefined);
      return { stack: env, offender: addressOf(env.database.securityGroup) };
    },
  ],
  [
    "safe-to-change-in-use-replaceable",
    "a boundary policy whose description change would replace it",
    (s) => {
      const boundary = s.bootstrap.boundaries.prd;
      if (!boundary) throw new Error("no prd boundary");
      boundary.addOverride("lifecycle", undefined);
      return { stack: s.bootstrap, offender: addressOf(boundary) };
    },
  ],
  [
    "safe-to-change-in-use-replaceable",
    "the parameter group without create_before_destroy (the PostgreSQL 17 family could not replace it)",
    (s) => {
      const env = dev(s);
      env.database.parameterGroup.addOverride("lifecycle", undefined);
      return { stack: env, offender: addressOf(env.database.parameterGroup) };
    },
  ],
  [
    "safe-to-change-in-use-replaceable",
    "the parameter group created first under the same fixed name",
    (s) => {
      const env = dev(s);
      env.database.parameterGroup.addOverride("name_prefix", undefined);
      env.database.parameterGroup.addOverride("name", "sml-dev-aurora-pg16");
      return { stack: env, offender: addressOf(env.database.parameterGroup) };
    },
  ],
  [
    "plan-clean-known-diffs",
    "the state bucket's encryption rule without blocked_encryption_types (provider issue #47320)",
    (s) => {
      const sse = s.bootstrap.node
        .findAll()
        .find((c) => c instanceof S3BucketServerSideEncryptionConfigurationA) as
        | S3BucketServerSideEncryptionConfigurationA
        | undefined;
      if (!sse) throw new Error("no encryption configuration in the bootstrap stack");
      sse.addOverride("rule.0.blocked_encryption_types", undefined);
      return { stack: s.bootstrap, offender: addressOf(sse) };
    },
  ],
  [
    "plan-clean-known-diffs",
    "a NAT gateway without the regional_nat_gateway_address ignore (provider issue #46242)",
    (s) => {
      const env = prd(s);
      const [nat] = env.network.natGateways;
      if (!nat) throw new Error("prd has no NAT gateway");
      nat.addOverride("lifecycle", undefined);
      return { stack: env, offender: addressOf(nat) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "plan-clean-known-diffs",
    "a pinned engine_version that Terraform manages outside an upgrade",
    (s) => {
      const env = dev(s);
      env.database.cluster.addOverride("lifecycle.ignore_changes", undefined);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
  ],
  [
    "migrations-rerun-on-new-cluster",
    "a migration invocation triggered by the migration hash only",
    (s) => {
      const env = dev(s);
      env.functions.migrationInvocation.addOverride("triggers.clusterResourceId", undefined);
      return { stack: env, offender: addressOf(env.functions.migrationInvocation) };
    },
  ],
  [
    "statement-timeout-below-function-timeout",
    "an API statement timeout equal to the API function's timeout (the stuck query outlives the function)",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride(
        "environment.variables.DB_STATEMENT_TIMEOUT_MS",
        String(env.config.functions.api.timeoutSeconds * 1000),
      );
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "statement-timeout-below-function-timeout",
    "a subscriber without a statement timeout",
    (s) => {
      const env = dev(s);
      env.functions.subscriber.function.addOverride(
        "environment.variables.DB_STATEMENT_TIMEOUT_MS",
        undefined,
      );
      return { stack: env, offender: addressOf(env.functions.subscriber.function) };
    },
  ],
  [
    "database-users-iam-scoped",
    "the api logging in as the subscriber's database user (its policy names sml_api)",
    (s) => {
      const env = dev(s);
      env.functions.api.function.addOverride(`environment.variables.${ENV.dbUser}`, DB_USERS.subscriber);
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "database-users-iam-scoped",
    "a cluster with IAM database authentication off",
    (s) => {
      const env = prd(s);
      env.database.cluster.addOverride("iam_database_authentication_enabled", false);
      return { stack: env, offender: addressOf(env.database.cluster) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "database-users-iam-scoped",
    "an extra policy letting the api log in as the master user",
    (s) => {
      const env = dev(s);
      new IamRolePolicy(env, "bad-policy", {
        role: env.functions.api.role.id,
        policy: policyDocument(env, "bad-doc", [
          { effect: "Allow", actions: ["rds-db:connect"], resources: [env.database.dbUserArn("sml_admin")] },
        ]).json,
      });
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "database-users-iam-scoped",
    "the subscriber reading the master secret again (as before IAM database authentication)",
    (s) => {
      const env = prd(s);
      new IamRolePolicy(env, "bad-policy", {
        role: env.functions.subscriber.role.id,
        policy: policyDocument(env, "bad-doc", [
          {
            effect: "Allow",
            actions: ["secretsmanager:GetSecretValue"],
            resources: [env.database.secretArn],
          },
        ]).json,
      });
      return { stack: env, offender: addressOf(env.functions.subscriber.function) };
    },
    // The pg + IAM-auth, in-VPC, NAT shape is prd's; dev runs outside the VPC on the Data API.
    ["prd"],
  ],
  [
    "database-users-iam-scoped",
    "a preview's api on the Data API logging in with the master secret again",
    (s) => {
      const env = preview(s);
      env.functions.api.function.addOverride(
        `environment.variables.${ENV.dbSecretArn}`,
        env.database.secretArn,
      );
      new IamRolePolicy(env, "bad-policy", {
        role: env.functions.api.role.id,
        policy: policyDocument(env, "bad-doc", [
          {
            effect: "Allow",
            actions: ["secretsmanager:GetSecretValue"],
            resources: [env.database.secretArn],
          },
        ]).json,
      });
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
    ["preview"],
  ],
  [
    "database-users-iam-scoped",
    "dev's api also reading the subscriber's database user secret",
    (s) => {
      const env = dev(s);
      const other = env.functions.userSecrets[DB_USERS.subscriber];
      if (!other) throw new Error("dev has no subscriber user secret");
      new IamRolePolicy(env, "bad-policy", {
        role: env.functions.api.role.id,
        policy: policyDocument(env, "bad-doc", [
          { effect: "Allow", actions: ["secretsmanager:GetSecretValue"], resources: [other.arn] },
        ]).json,
      });
      return { stack: env, offender: addressOf(env.functions.api.function) };
    },
  ],
  [
    "database-users-iam-scoped",
    "rds-db:connect for the migration function, which has no DB_USER",
    (s) => {
      const env = dev(s);
      new IamRolePolicy(env, "bad-policy", {
        role: env.functions.migrate.role.id,
        policy: policyDocument(env, "bad-doc", [
          { effect: "Allow", actions: ["rds-db:connect"], resources: [env.database.dbUserArn(DB_USERS.api)] },
        ]).json,
      });
      return { stack: env, offender: addressOf(env.functions.migrate.function) };
    },
  ],
  [
    "database-connect-deadline-below-timeout",
    "a connect deadline as long as the migration function's timeout",
    (s) => {
      const env = dev(s);
      const timeoutMs = env.config.functions.migrate.timeoutSeconds * 1000;
      env.functions.migrate.function.addOverride(
        `environment.variables.${ENV.dbConnectDeadlineMs}`,
        String(timeoutMs),
      );
      return { stack: env, offender: addressOf(env.functions.migrate.function) };
    },
  ],
  [
    "database-connect-deadline-below-timeout",
    "dev's migration function giving up before a paused cluster can resume",
    (s) => {
      const env = dev(s);
      env.functions.migrate.function.addOverride(`environment.variables.${ENV.dbConnectDeadlineMs}`, "5000");
      return { stack: env, offender: addressOf(env.functions.migrate.function) };
    },
  ],
  [
    "buckets-destroy-cleanly",
    "a preview's batch bucket without force_destroy (its destroy would stop at BucketNotEmpty)",
    (s) => {
      const env = preview(s);
      env.batches.bucket.forceDestroy = false;
      return { stack: env, offender: addressOf(env.batches.bucket) };
    },
    ["preview"],
  ],
  [
    "buckets-destroy-cleanly",
    "prd's batch bucket emptied by a destroy",
    (s) => {
      const env = prd(s);
      env.batches.bucket.forceDestroy = true;
      return { stack: env, offender: addressOf(env.batches.bucket) };
    },
    ["prd"],
  ],
  [
    "ecr-lifecycle-spares-deployed-images",
    "the registry keeping the newest 30 images of any tag (every dev and preview push counts against prd's image)",
    (s) => {
      const policy = s.registry.node.findAll().find((c) => c instanceof EcrLifecyclePolicy) as
        | EcrLifecyclePolicy
        | undefined;
      if (!policy) throw new Error("no lifecycle policy in the registry stack");
      policy.policy = JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
            action: { type: "expire" },
          },
        ],
      });
      return { stack: s.registry, offender: addressOf(policy) };
    },
  ],
  [
    "ecr-lifecycle-spares-deployed-images",
    "dev's rule ahead of prd's (a promoted image also carries its dev- tag)",
    (s) => {
      const policy = s.registry.node.findAll().find((c) => c instanceof EcrLifecyclePolicy) as
        | EcrLifecyclePolicy
        | undefined;
      if (!policy) throw new Error("no lifecycle policy in the registry stack");
      const rules = imageLifecycleRules(SHARED_CONFIG.images).map((r) =>
        r.selection.tagPrefixList?.includes(SHARED_CONFIG.images.tagPrefixes.dev)
          ? { ...r, rulePriority: 0 }
          : r,
      );
      policy.policy = JSON.stringify({ rules });
      return { stack: s.registry, offender: addressOf(policy) };
    },
  ],
  [
    "rollout-alarms-watch-the-new-version",
    "dev's subscriber group rolled back by the users DLQ's depth (one poison message stops every deploy)",
    (s) => {
      const env = dev(s);
      const group = env.deployment.groups.subscriber;
      const dlq = env.observability.alarms.find((a) => a.friendlyUniqueId.includes("dlq-depth"));
      if (!group || !dlq) throw new Error("no subscriber group or DLQ alarm");
      group.putAlarmConfiguration({
        enabled: true,
        alarms: [ref("aws_cloudwatch_metric_alarm", dlq.friendlyUniqueId, "alarm_name")],
      });
      return { stack: env, offender: addressOf(group) };
    },
  ],
  [
    "rollout-alarms-watch-the-new-version",
    "a preview's api group guarded by the api's errors over every version (FunctionName only)",
    (s) => {
      const env = preview(s);
      const group = env.deployment.groups.api;
      const errors = env.observability.alarms.find((a) => a.friendlyUniqueId.includes("lambda-errors-api"));
      if (!group || !errors) throw new Error("no api group or errors alarm");
      group.putAlarmConfiguration({
        enabled: true,
        alarms: [ref("aws_cloudwatch_metric_alarm", errors.friendlyUniqueId, "alarm_name")],
      });
      return { stack: env, offender: addressOf(group) };
    },
    ["preview"],
  ],
  [
    "previews-share-dev-network",
    "a preview building a VPC of its own again",
    (s) => {
      const env = preview(s);
      const vpc = new Vpc(env, "own-vpc", { cidrBlock: "10.30.0.0/16" });
      return { stack: env, offender: addressOf(vpc) };
    },
    ["preview"],
  ],
  // The entry point (issue 28): infra/tests/support/site-policy-rules.ts.
  [
    "cdn-s3-origins-use-oac",
    "the site origin without its origin access control",
    (s) => {
      const env = dev(s);
      env.site.distribution.addOverride("origin.0.origin_access_control_id", "");
      return { stack: env, offender: addressOf(env.site.distribution) };
    },
  ],
  [
    "cdn-s3-origins-use-oac",
    "a site bucket policy letting CloudFront read for any distribution",
    (s) => {
      const env = dev(s);
      const doc = env.site.node.findChild("policy-document") as DataAwsIamPolicyDocument;
      doc.addOverride("statement", [
        {
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
          actions: ["s3:GetObject"],
          resources: [`${env.site.bucket.arn}/*`],
        },
      ]);
      return { stack: env, offender: addressOf(env.site.bucket) };
    },
  ],
  [
    "cdn-https-only-tls12",
    "an API behaviour that answers plain HTTP",
    (s) => {
      const env = dev(s);
      env.site.distribution.addOverride("ordered_cache_behavior.0.viewer_protocol_policy", "allow-all");
      return { stack: env, offender: addressOf(env.site.distribution) };
    },
  ],
  [
    "cdn-https-only-tls12",
    "a certificate of its own that still accepts TLS 1.0",
    (s) => {
      const env = dev(s);
      env.site.distribution.addOverride("viewer_certificate", {
        acm_certificate_arn: "arn:aws:acm:us-east-1:111111111111:certificate/x",
        ssl_support_method: "sni-only",
        minimum_protocol_version: "TLSv1",
      });
      return { stack: env, offender: addressOf(env.site.distribution) };
    },
  ],
  [
    "cdn-access-logs",
    "a distribution without access logs",
    (s) => {
      const env = dev(s);
      env.site.distribution.addOverride("logging_config", undefined);
      return { stack: env, offender: addressOf(env.site.distribution) };
    },
  ],
  [
    "cdn-security-headers",
    "a CSP that lets other sites frame the page",
    (s) => {
      const env = dev(s);
      env.site.headersPolicy.addOverride(
        "security_headers_config.content_security_policy.content_security_policy",
        "default-src 'self'",
      );
      return { stack: env, offender: addressOf(env.site.distribution) };
    },
  ],
  [
    "user-pools-invite-only",
    "a pool anyone can sign up to",
    (s) => {
      const pool = prd(s).api.userPool;
      if (!pool) throw new Error("prd has no user pool");
      pool.addOverride("admin_create_user_config.allow_admin_create_user_only", false);
      return { stack: prd(s), offender: addressOf(pool) };
    },
    ["prd"],
  ],
  [
    "user-pool-clients-short-lived",
    "the site client with a 30-day refresh token",
    (s) => {
      const env = dev(s);
      env.signIn.siteClient.addOverride("refresh_token_validity", 720);
      return { stack: env, offender: addressOf(env.signIn.siteClient) };
    },
  ],
  [
    "user-pool-password-flow-cli-only",
    "the site client allowing USER_PASSWORD_AUTH",
    (s) => {
      const env = dev(s);
      env.signIn.siteClient.addOverride("explicit_auth_flows", [
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
      ]);
      return { stack: env, offender: addressOf(env.signIn.siteClient) };
    },
  ],
  [
    "user-pool-password-flow-cli-only",
    "the smoke-test client allowing USER_PASSWORD_AUTH beside the command line's",
    (s) => {
      const env = prd(s);
      const client = env.api.smokeTestClient;
      if (!client) throw new Error("prd has no smoke-test client");
      client.addOverride("explicit_auth_flows", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
      return { stack: env, offender: addressOf(client) };
    },
    ["prd"],
  ],
  [
    "user-pool-clients-short-lived",
    "the site client allowing the implicit grant",
    (s) => {
      const env = dev(s);
      env.signIn.siteClient.addOverride("allowed_oauth_flows", ["code", "implicit"]);
      return { stack: env, offender: addressOf(env.signIn.siteClient) };
    },
  ],
  [
    "ecr-lifecycle-spares-deployed-images",
    "the preview repository expiring only pr- and untagged images (a push tagged otherwise never expires)",
    (s) => {
      const policy = s.registry.node
        .findAll()
        .filter((c): c is EcrLifecyclePolicy => c instanceof EcrLifecyclePolicy)
        .find((c) => c.node.id === "preview-lifecycle");
      if (!policy) throw new Error("no preview lifecycle policy in the registry stack");
      const rules = imageLifecycleRules(SHARED_CONFIG.images).filter(
        (r) =>
          r.selection.tagStatus === "untagged" ||
          r.selection.tagPrefixList?.includes(SHARED_CONFIG.images.tagPrefixes.preview),
      );
      policy.policy = JSON.stringify({ rules });
      return { stack: s.registry, offender: addressOf(policy) };
    },
  ],
  [
    "rollout-guards-reachable",
    "prd's sweeper guarded by its rollout alarm needing 3 errors in a minute again (it runs once per 5 minutes)",
    (s) => {
      const env = prd(s);
      const group = env.deployment.groups["batch-sweeper"];
      const alarm = env.observability.guarding("batch-sweeper")[0];
      if (!group || !alarm) throw new Error("no sweeper deployment group or guarding alarm");
      alarm.threshold = 3;
      alarm.period = 60;
      return { stack: env, offender: addressOf(group) };
    },
    ["prd"],
  ],
];

describe("each policy rule fails on a deliberately bad stack", () => {
  it("has at least one bad stack per rule", () => {
    const covered = new Set(BAD_CASES.map(([id]) => id));
    expect(POLICY_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  const cases = BAD_CASES.map(
    ([id, what, alter, environments]) => [id, what, alter, environments ?? ["dev"]] as const,
  );
  it.each(cases)("%s names the offender in: %s", (id, _what, alter, environments) => {
    const { violations, offender } = breakApp(alter, environments);
    const found = violations(ruleById(id));
    expect(found).toEqual(
      expect.arrayContaining([expect.objectContaining({ resource: expect.stringContaining(offender) })]),
    );
  });
});
