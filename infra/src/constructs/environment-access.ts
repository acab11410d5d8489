import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DB_USERS } from "@sml/contracts/env";
import { Aspects, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import type { EnvironmentConfig } from "../config";
import {
  type PolicyStatement,
  RDS_DATA_API_ACTIONS,
  VPC_NETWORK_INTERFACE_ACTIONS,
  XRAY_ACTIONS,
} from "./iam";

/**
 * Key of the provider default tag that names an environment (`Environment = dev|prd`). The deploy roles' deny
 * statements read it as `aws:ResourceTag/Environment`, so every environment stack must set it on its provider.
 */
export const ENVIRONMENT_TAG_KEY = "Environment";

/**
 * Services the environment's roles may be passed to: Lambda (function roles), VPC flow logs and CodeDeploy (the
 * role that shifts the `live` aliases, passed when the deploy creates a deployment group).
 */
export const PASSED_TO_SERVICES: readonly string[] = Object.freeze([
  "lambda.amazonaws.com",
  "vpc-flow-logs.amazonaws.com",
  "codedeploy.amazonaws.com",
]);

/** Name of the environment's permissions boundary (`sml-dev-boundary`), created by the bootstrap stack. */
export const boundaryPolicyName = (namePrefix: string): string => `${namePrefix}-boundary`;

/** ARN of the environment's permissions boundary in an account. */
export const boundaryPolicyArn = (accountId: string, namePrefix: string): string =>
  `arn:aws:iam::${accountId}:policy/${boundaryPolicyName(namePrefix)}`;

/**
 * The most any role of the environment may ever do: the union of what its functions and its flow-log role use,
 * on the environment's own resources (topic keys only through SNS, which only publishes to its own topics). A role the deploy role creates must carry this boundary, so an inline
 * policy granting more (say `*` on `*`) is still capped here: no IAM, no STS, nothing of the other environment.
 * A new permission in a role policy needs a matching line here first (the synth tests check every grant).
 */
/** S3 actions that change a bucket's own configuration (S3 service authorization reference, "Actions"). */
export const STATE_BUCKET_CONFIGURATION_WRITES = [
  "s3:PutBucket*",
  "s3:DeleteBucket*",
  "s3:PutLifecycleConfiguration",
  "s3:PutEncryptionConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:PutAccelerateConfiguration",
  "s3:PutAnalyticsConfiguration",
  "s3:PutInventoryConfiguration",
  "s3:PutMetricsConfiguration",
  "s3:PutIntelligentTieringConfiguration",
] as const;

export function boundaryStatements(config: EnvironmentConfig, accountId: string): PolicyStatement[] {
  const prefix = config.namePrefix;
  const at = (service: string) => `arn:aws:${service}:${config.region}:${accountId}`;
  return [
    {
      sid: "OwnLogGroups",
      effect: "Allow",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      resources: [`${at("logs")}:log-group:/aws/lambda/${prefix}-*`, `${at("logs")}:log-group:/${prefix}/*`],
    },
    {
      sid: "XRay",
      effect: "Allow",
      actions: XRAY_ACTIONS,
      resources: ["*"],
    },
    {
      sid: "VpcNetworkInterfaces",
      effect: "Allow",
      actions: VPC_NETWORK_INTERFACE_ACTIONS,
      resources: ["*"],
    },
    {
      sid: "PublishOwnTopics",
      effect: "Allow",
      actions: ["sns:Publish"],
      resources: [`${at("sns")}:${prefix}-*`],
    },
    {
      // The topic key is used only by SNS on the publisher's behalf. A condition on the key's Environment tag
      // would be narrower, but KMS applies new tags only after up to five minutes (the first deploy's smoke
      // test would fail); publishing to the other environment's topic is refused above anyway.
      sid: "TopicKeysViaSns",
      effect: "Allow",
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: [`${at("kms")}:key/*`],
      condition: [
        { test: "StringEquals", variable: "kms:ViaService", values: [`sns.${config.region}.amazonaws.com`] },
      ],
    },
    {
      // The secrets (RDS-managed and the users') use the AWS-managed key; allowed only through Secrets Manager.
      sid: "DecryptSecretsViaSecretsManager",
      effect: "Allow",
      // GenerateDataKey: the migration function's PutSecretValue encrypts a new version with the same key.
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [`${at("kms")}:key/*`],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: [`secretsmanager.${config.region}.amazonaws.com`],
        },
      ],
    },
    {
      sid: "ConsumeOwnQueues",
      effect: "Allow",
      actions: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ],
      resources: [`${at("sqs")}:${prefix}-*`],
    },
    {
      // The batch worker fans its ranges out over its own queue.
      sid: "SendOwnQueues",
      effect: "Allow",
      actions: ["sqs:SendMessage"],
      resources: [`${at("sqs")}:${prefix}-*`],
    },
    {
      // Batch inputs, range results and results, in the environment's batch bucket only (`<prefix>-batches-<account>`;
      // a preview's is `sml-pr-<number>-batches-<account>` under the previews' `sml-pr` boundary).
      sid: "OwnBatchObjects",
      effect: "Allow",
      actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [`arn:aws:s3:::${prefix}-*batches-*/*`],
    },
    {
      // The batch sweeper lists its bucket's inputs/ (is a pending batch's file there?); the function's own policy
      // narrows it to that prefix.
      sid: "ListOwnBatchBucket",
      effect: "Allow",
      actions: ["s3:ListBucket"],
      resources: [`arn:aws:s3:::${prefix}-*batches-*`],
    },
    {
      // RDS names its secrets `rds!cluster-<uuid>` and tags them with the cluster's ARN
      // (`aws:rds:primaryDBClusterArn`): the tag is the only link from a secret to its environment.
      sid: "ReadOwnDatabaseSecret",
      effect: "Allow",
      actions: ["secretsmanager:GetSecretValue"],
      resources: [`${at("secretsmanager")}:secret:rds!*`],
      condition: [
        {
          test: "StringLike",
          variable: "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn",
          values: [`${at("rds")}:cluster:${prefix}-*`],
        },
      ],
    },
    {
      // Data API logins of the functions' own database users (`<prefix>-db-<user>`, constructs/zip-functions.ts):
      // each function reads its own, the migration function writes the passwords it generates.
      sid: "OwnDatabaseUserSecrets",
      effect: "Allow",
      actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      resources: [`${at("secretsmanager")}:secret:${prefix}-*`],
    },
    {
      // IAM database authentication as the functions' own users, never as the master user. The dbuser ARN names
      // the cluster by its resource id (`cluster-<random>`), which has no environment in it and no tags to
      // condition on, so this line cannot tell dev's cluster from prd's; the function policies name their own
      // cluster's id exactly, and only their own VPC reaches the cluster (infra/README.md, "Security model").
      sid: "ConnectAsFunctionDatabaseUsers",
      effect: "Allow",
      actions: ["rds-db:connect"],
      resources: Object.values(DB_USERS).map((user) => `${at("rds-db")}:dbuser:*/${user}`),
    },
    {
      sid: "OwnDatabaseDataApi",
      effect: "Allow",
      actions: RDS_DATA_API_ACTIONS,
      resources: [`${at("rds")}:cluster:${prefix}-*`],
    },
    {
      // The CodeDeploy role (constructs/deployment.ts): moves the environment's own aliases, invokes its own
      // hook functions, and reads its own alarms.
      sid: "ShiftOwnAliases",
      effect: "Allow",
      actions: [
        "lambda:GetAlias",
        "lambda:UpdateAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:InvokeFunction",
      ],
      resources: [`${at("lambda")}:function:${prefix}-*`],
    },
    {
      sid: "ReadOwnAlarms",
      effect: "Allow",
      actions: ["cloudwatch:DescribeAlarms"],
      resources: [`${at("cloudwatch")}:alarm:${prefix}-*`],
    },
  ];
}

export interface DeployRoleScope {
  /** The environment the role deploys. */
  readonly config: EnvironmentConfig;
  /** Every other environment and its stack's state key prefix (`<prefix>/<stack id>`): all denied. */
  readonly others: readonly { readonly config: EnvironmentConfig; readonly statePrefix: string }[];
  readonly accountId: string;
  /**
   * Name patterns of the roles no deploy role may change: the GitHub roles (`github-sml-*`) and the roles for
   * people (`people-sml-*`), its own among them.
   */
  readonly protectedRolePatterns: readonly string[];
  /** Every environment's boundary ARN: no deploy role may change any of them. */
  readonly boundaryArns: readonly string[];
  readonly stateBucketArn: string;
  /** State key prefixes the role may read but never write (the bootstrap stack's, an administrator's). */
  readonly readOnlyStatePrefixes: readonly string[];
}

/** Role actions a deploy needs that neither grant permissions nor loosen the boundary. */
const ROLE_LIFECYCLE_ACTIONS = [
  "iam:GetRole",
  "iam:DeleteRole",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
  "iam:UpdateAssumeRolePolicy",
  "iam:TagRole",
  "iam:UntagRole",
  "iam:GetRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:ListRolePolicies",
  "iam:ListAttachedRolePolicies",
  "iam:ListInstanceProfilesForRole",
];

/** Role actions that give a role permissions: allowed only while the role carries the environment's boundary. */
export const BOUNDED_ROLE_ACTIONS: readonly string[] = Object.freeze([
  "iam:CreateRole",
  "iam:PutRolePermissionsBoundary",
  "iam:AttachRolePolicy",
  "iam:PutRolePolicy",
]);

const MUTATING_ROLE_ACTIONS = [
  ...BOUNDED_ROLE_ACTIONS,
  "iam:DeleteRole",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
  "iam:UpdateAssumeRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:DeleteRolePermissionsBoundary",
  "iam:TagRole",
  "iam:UntagRole",
];

/**
 * The deploy role's inline policy, next to AWS's PowerUserAccess (every service but IAM). It closes the two
 * holes PowerUserAccess leaves in a shared account as far as one account allows:
 * - IAM escalation: roles are created and given policies only with the environment's boundary, the boundary can
 *   be neither removed nor edited, the GitHub roles cannot be touched, and roles are passed only to the services
 *   that run them.
 * - Reach into the other environment: explicit denies by name pattern (functions, queues, topics, log groups,
 *   clusters, roles, alarms, state keys), by the `Environment` tag (VPCs, subnets, keys, APIs, user pools, ...),
 *   by the RDS secret's cluster tag and by the function behind an event source mapping.
 * What stays open (other workloads of the account, services without tags) is written down in infra/README.md,
 * "Security model": one AWS account per environment closes it.
 */
export function deployRoleStatements(scope: DeployRoleScope): PolicyStatement[] {
  const { config, accountId } = scope;
  const ownRoles = `arn:aws:iam::${accountId}:role/${config.namePrefix}-*`;
  const ownBoundary = boundaryPolicyArn(accountId, config.namePrefix);
  const statements: PolicyStatement[] = [
    {
      sid: "GrantOnlyWithinBoundary",
      effect: "Allow",
      actions: [...BOUNDED_ROLE_ACTIONS],
      resources: [ownRoles],
      condition: [{ test: "StringEquals", variable: "iam:PermissionsBoundary", values: [ownBoundary] }],
    },
    {
      sid: "ManageEnvironmentRoles",
      effect: "Allow",
      actions: ROLE_LIFECYCLE_ACTIONS,
      resources: [ownRoles],
    },
    {
      sid: "PassEnvironmentRoles",
      effect: "Allow",
      actions: ["iam:PassRole"],
      resources: [ownRoles],
      condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: [...PASSED_TO_SERVICES] }],
    },
    {
      sid: "DenyBoundaryRemoval",
      effect: "Deny",
      actions: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
      resources: ["*"],
    },
    {
      sid: "DenyBoundaryChanges",
      effect: "Deny",
      actions: [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      resources: [...scope.boundaryArns],
    },
    {
      sid: "DenyGithubRoleChanges",
      effect: "Deny",
      actions: [...MUTATING_ROLE_ACTIONS, "iam:PassRole"],
      resources: scope.protectedRolePatterns.map((pattern) => `arn:aws:iam::${accountId}:role/${pattern}`),
    },
    {
      sid: "ProtectStateBucket",
      effect: "Deny",
      // Every bucket-configuration write (S3's service authorization reference lists them as PutBucket*,
      // DeleteBucket* and the Put*Configuration actions): the state bucket's Object Lock, versioning, policy,
      // lifecycle, encryption and replication are the bootstrap's; a deploy needs none of them.
      actions: [
        ...STATE_BUCKET_CONFIGURATION_WRITES,
        "s3:DeleteObjectVersion",
        "s3:BypassGovernanceRetention",
      ],
      resources: [scope.stateBucketArn, `${scope.stateBucketArn}/*`],
    },
    {
      sid: "DenyAdministratorStateWrites",
      effect: "Deny",
      actions: ["s3:PutObject", "s3:DeleteObject"],
      resources: scope.readOnlyStatePrefixes.map((p) => `${scope.stateBucketArn}/${p}/*`),
    },
  ];
  for (const other of scope.others)
    statements.push(...denyEnvironment(other.config, other.statePrefix, scope.stateBucketArn));
  return statements;
}

export interface PreviewRoleScope {
  readonly stateBucketArn: string;
  /** `<state key prefix>/<preview name prefix>`: every preview's state key starts with it. */
  readonly previewStatePrefix: string;
  /** The previews' name prefix (`sml-pr`): their batch buckets are `sml-pr-<number>-batches-<account>`. */
  readonly previewNamePrefix: string;
  /** Repositories dev and prd run images from: the preview role may not touch them at all. */
  readonly protectedRepositories: readonly string[];
  /** The previews' own repository: push and pull only. */
  readonly previewRepository: string;
}

/** What changes a repository or deletes its images, rather than pushing or pulling one. */
const REPOSITORY_ADMINISTRATION_ACTIONS = [
  "ecr:DeleteRepository",
  "ecr:SetRepositoryPolicy",
  "ecr:DeleteRepositoryPolicy",
  "ecr:PutLifecyclePolicy",
  "ecr:DeleteLifecyclePolicy",
  "ecr:PutImageTagMutability",
  "ecr:PutImageScanningConfiguration",
  "ecr:BatchDeleteImage",
  "ecr:TagResource",
  "ecr:UntagResource",
];

/**
 * Extra denies of the preview deploy role, which runs the code of any pull request labelled `preview` with
 * PowerUserAccess: nothing dev or prd depends on may change. Not the image repository they run from (every
 * ECR action denied; previews push to their own repository, where they may push and pull but not delete images
 * or change the repository), not the registry's replication or registry policy, and no object of the state
 * bucket outside the previews' own keys (the registry's and bootstrap's state included) nor of any bucket but
 * the previews' own (`sml-pr-*`).
 */
export function previewRoleStatements(scope: PreviewRoleScope): PolicyStatement[] {
  const repository = (name: string) => `arn:aws:ecr:*:*:repository/${name}`;
  return [
    {
      sid: "DenyProtectedRepositories",
      effect: "Deny",
      actions: ["ecr:*"],
      resources: scope.protectedRepositories.map(repository),
    },
    {
      sid: "PushPullPreviewRepositoryOnly",
      effect: "Deny",
      actions: REPOSITORY_ADMINISTRATION_ACTIONS,
      resources: [repository(scope.previewRepository)],
    },
    {
      sid: "DenyRegistrySettings",
      effect: "Deny",
      actions: [
        "ecr:PutRegistryPolicy",
        "ecr:DeleteRegistryPolicy",
        "ecr:PutReplicationConfiguration",
        "ecr:PutRegistryScanningConfiguration",
      ],
      resources: ["*"],
    },
    {
      sid: "DenyObjectsOutsidePreviews",
      effect: "Deny",
      actions: [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
      ],
      notResources: [
        `${scope.stateBucketArn}/${scope.previewStatePrefix}-*`,
        `arn:aws:s3:::${scope.previewNamePrefix}-*`,
      ],
    },
  ];
}

const statementId = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * Denies one other environment's resources (by name, tag, secret tag, event source mapping, state key) to a role
 * of this environment: the deploy roles and the roles for people (see {@link deployRoleStatements}).
 */
export function denyEnvironment(
  other: EnvironmentConfig,
  statePrefix: string,
  stateBucketArn: string,
): PolicyStatement[] {
  const p = other.namePrefix;
  const env = statementId(other.name);
  return [
    {
      sid: `Deny${env}ByName`,
      effect: "Deny",
      actions: ["*"],
      resources: [
        `arn:aws:lambda:*:*:function:${p}-*`,
        `arn:aws:lambda:*:*:layer:${p}-*`,
        `arn:aws:sqs:*:*:${p}-*`,
        `arn:aws:sns:*:*:${p}-*`,
        `arn:aws:logs:*:*:log-group:/aws/lambda/${p}-*`,
        `arn:aws:logs:*:*:log-group:/aws/apigateway/${p}-*`,
        `arn:aws:logs:*:*:log-group:/${p}/*`,
        `arn:aws:rds:*:*:cluster:${p}-*`,
        `arn:aws:rds:*:*:db:${p}-*`,
        `arn:aws:secretsmanager:*:*:secret:${p}-*`,
        `arn:aws:rds:*:*:cluster-pg:${p}-*`,
        `arn:aws:rds:*:*:subgrp:${p}-*`,
        `arn:aws:rds:*:*:cluster-snapshot:${p}-*`,
        // Automated snapshots are named `rds:<cluster>-<date>`.
        `arn:aws:rds:*:*:cluster-snapshot:rds:${p}-*`,
        `arn:aws:kms:*:*:alias/${p}-*`,
        `arn:aws:cloudwatch:*:*:alarm:${p}-*`,
        `arn:aws:cloudwatch::*:dashboard/${p}`,
        `arn:aws:iam::*:role/${p}-*`,
        `arn:aws:iam::*:policy/${p}-*`,
        `arn:aws:codedeploy:*:*:application:${p}-*`,
        `arn:aws:codedeploy:*:*:deploymentgroup:${p}-*`,
        // The batch bucket and its objects (bucket ARNs carry no account: the name pattern is the scope).
        `arn:aws:s3:::${p}-batches-*`,
        `arn:aws:s3:::${p}-batches-*/*`,
        `${stateBucketArn}/${statePrefix}/*`,
      ],
    },
    {
      // Resources whose ARNs carry only an id (VPCs, subnets, NAT, endpoints, keys, APIs, user pools) are
      // tagged by the other stack's provider default tags.
      sid: `Deny${env}ByTag`,
      effect: "Deny",
      actions: ["*"],
      resources: ["*"],
      condition: [
        { test: "StringEquals", variable: `aws:ResourceTag/${ENVIRONMENT_TAG_KEY}`, values: [other.name] },
      ],
    },
    {
      // Nor may it create or tag anything as the other environment's.
      sid: `Deny${env}Tagging`,
      effect: "Deny",
      actions: ["*"],
      resources: ["*"],
      condition: [
        { test: "StringEquals", variable: `aws:RequestTag/${ENVIRONMENT_TAG_KEY}`, values: [other.name] },
      ],
    },
    {
      sid: `Deny${env}DatabaseSecret`,
      effect: "Deny",
      actions: ["secretsmanager:*"],
      resources: ["*"],
      condition: [
        {
          test: "StringLike",
          variable: "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn",
          values: [`arn:aws:rds:*:*:cluster:${p}-*`],
        },
      ],
    },
    {
      sid: `Deny${env}EventSourceMappings`,
      effect: "Deny",
      actions: [
        "lambda:CreateEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
      ],
      resources: ["*"],
      condition: [
        { test: "ArnLike", variable: "lambda:FunctionArn", values: [`arn:aws:lambda:*:*:function:${p}-*`] },
      ],
    },
  ];
}

/**
 * Sets the environment's boundary on every IAM role of a stack, including roles added later, so no construct
 * can forget it (and the deploy role could not create the role without it anyway).
 */
export class PermissionsBoundaryAspect implements IAspect {
  constructor(private readonly boundaryArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof IamRole) node.permissionsBoundary = this.boundaryArn;
  }
}

/** Applies {@link PermissionsBoundaryAspect} to a stack. */
export function applyPermissionsBoundary(scope: IConstruct, boundaryArn: string): void {
  Aspects.of(scope).add(new PermissionsBoundaryAspect(boundaryArn));
}
