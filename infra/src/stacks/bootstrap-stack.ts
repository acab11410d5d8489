import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import {
  type EnvironmentName,
  getEnvironmentConfig,
  type SharedConfig,
  type SiteEnvironmentName,
} from "../config";
import {
  boundaryPolicyArn,
  boundaryPolicyName,
  boundaryStatements,
  denyEnvironment,
  deployRoleStatements,
  ENVIRONMENT_TAG_KEY,
  previewRoleStatements,
} from "../constructs/environment-access";
import { denyPlainHttp, type PolicyStatement, policyDocument } from "../constructs/iam";
import { BaseStack, siteAccounts, stackId } from "./base";

/** Roles no deploy or operator role may change: the GitHub roles and the roles for people. */
const protectedRolePatterns = (shared: SharedConfig): string[] => [
  `github-${shared.project}-*`,
  `people-${shared.project}-*`,
];

/** State file of the bootstrap stack's first apply, before the bucket exists (relative to the stack folder). */
export const BOOTSTRAP_LOCAL_STATE = "terraform.bootstrap.tfstate";

/**
 * The longest session (seconds) a GitHub job may request from each role (IAM `max_session_duration`; a session
 * lasts 1 hour unless the job asks for more with `role-duration-seconds`). A first apply of an environment
 * (Aurora, the network, a canary shift of every function) can outlast 1 hour, so the deploy roles allow 2; the
 * workflows' tests keep every job's timeout within the session it requests (scripts/tests/unit/workflows.test.ts).
 */
export const GITHUB_ROLE_MAX_SESSION_SECONDS = Object.freeze({ deploy: 7200, plan: 3600 });

const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * AWS-managed policies the GitHub roles carry; the policy tests allow these attachments and no others.
 * - PowerUserAccess (deploy roles): every service the stacks create, but no IAM; the IAM the stacks need is
 *   granted separately, only for the environment's own `sml-<env>-*` roles carrying its permissions boundary,
 *   and explicit denies keep each deploy role out of the other environment (constructs/environment-access.ts).
 * - ReadOnlyAccess (plan role): `terraform plan` refreshes every resource; the data reads it also grants are
 *   denied explicitly (PLAN_ROLE_DENIED_DATA_READS).
 */
export const GITHUB_ROLE_MANAGED_POLICIES = {
  deploy: "arn:aws:iam::aws:policy/PowerUserAccess",
  plan: "arn:aws:iam::aws:policy/ReadOnlyAccess",
} as const;

/**
 * Reads of data, not of configuration, that ReadOnlyAccess grants and `terraform plan` never needs: object
 * contents (S3 objects outside the state bucket, which plan must read), log events, secret values, parameter
 * values (and their history), queue messages, table items, stream records, image layers, the user pools' users
 * (e-mail addresses, devices, sign-in events), traces, database log files, and SQL through the Data API. The plan
 * role denies each explicitly; an explicit Deny wins over the managed policy's Allow (IAM user guide, "Policy
 * evaluation logic"). infra/tests/plan-role.test.ts proves that no read the AWS provider makes to refresh the
 * stacks' resource types is among them. `lambda:GetFunction` stays allowed although it returns a link to the
 * function's code: it is how the provider reads every aws_lambda_function (the code is this repository's).
 */
export const PLAN_ROLE_DENIED_DATA_READS: readonly string[] = Object.freeze([
  "s3:GetObject",
  "s3:GetObjectVersion",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "logs:GetLogRecord",
  "secretsmanager:GetSecretValue",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "ssm:GetParameterHistory",
  "sqs:ReceiveMessage",
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "kinesis:GetRecords",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  // Cognito user pools' users: ReadOnlyAccess lists them, their attributes, groups, devices and sign-in events.
  "cognito-idp:ListUsers",
  "cognito-idp:ListUsersInGroup",
  "cognito-idp:AdminGetUser",
  "cognito-idp:AdminListGroupsForUser",
  "cognito-idp:AdminListDevices",
  "cognito-idp:AdminGetDevice",
  "cognito-idp:AdminListUserAuthEvents",
  "dynamodb:PartiQLSelect",
  "xray:BatchGetTraces",
  "rds:DownloadDBLogFilePortion",
  "rds:DownloadCompleteDBLogFile",
  "rds-data:ExecuteStatement",
  "rds-data:BatchExecuteStatement",
]);

/** Name of the GitHub deploy role of an environment (`github-sml-deploy-prd`). */
/**
 * The environments a role of `env` is denied by name, tag and state key. Previews share the dev account and are
 * denied dev and prd; dev's and prd's roles are denied each other only, which keeps their policy size (IAM's
 * 10,240 characters of inline policy per role) in bounds.
 */
function deniedEnvironments(shared: SharedConfig, env: EnvironmentName) {
  const state = (stack: string) => `${shared.state.keyPrefix}/${stackId(shared, stack)}`;
  return shared.environments
    .filter((e) => e !== env && (env === "preview" || e !== "preview"))
    .map((e) => ({ config: getEnvironmentConfig(e), statePrefix: state(e) }));
}

export const deployRoleName = (shared: SharedConfig, env: EnvironmentName): string =>
  `github-${shared.project}-deploy-${env}`;

/** The two roles for people per environment: `readonly` (plan, logs, metrics, DLQ peek) and `operator`. */
export type PeopleRoleKind = "readonly" | "operator";

/** Name of a role for people (`people-sml-operator-prd`), assumed by `npm run plan` / `npm run apply`. */
export const peopleRoleName = (shared: SharedConfig, kind: PeopleRoleKind, env: EnvironmentName): string =>
  `people-${shared.project}-${kind}-${env}`;

/**
 * AWS-managed policy of each role for people; the policy tests allow these attachments and no others.
 * - operator: PowerUserAccess, with exactly the deploy role's inline IAM grants and denies (deploy, redrive,
 *   rotate a secret, move an alias back are all PowerUserAccess actions, kept inside the environment).
 * - readonly: ReadOnlyAccess, minus data reads (PEOPLE_READONLY_DENIED_DATA_READS) and the other environment.
 */
export const PEOPLE_ROLE_MANAGED_POLICIES: Readonly<Record<PeopleRoleKind, string>> = {
  operator: GITHUB_ROLE_MANAGED_POLICIES.deploy,
  readonly: GITHUB_ROLE_MANAGED_POLICIES.plan,
};

/**
 * What the read-only role for people may not read although ReadOnlyAccess allows it: S3 objects outside the state
 * bucket, secret and parameter values, table items, stream records, image layers, users (the plan role's list, minus
 * the log, trace and database log reads and queue receives a person on duty needs: logs and traces of their
 * environment, and a peek into its dead-letter queue).
 */
export const PEOPLE_READONLY_DENIED_DATA_READS: readonly string[] = Object.freeze(
  PLAN_ROLE_DENIED_DATA_READS.filter(
    (a) =>
      !a.startsWith("logs:") &&
      !a.startsWith("xray:") &&
      !a.startsWith("rds:Download") &&
      a !== "sqs:ReceiveMessage",
  ),
);

export interface BootstrapStackProps {
  readonly shared: SharedConfig;
  /**
   * Keep this stack's own state on local disk: only for the very first apply, when the state bucket does not
   * exist yet (see infra/README.md, "First deploy"). Afterwards the state moves into the bucket it created.
   */
  readonly localState?: boolean;
}

/**
 * Created once per AWS account by an administrator: the Terraform state bucket (versioned, encrypted, private,
 * TLS only), the GitHub OIDC provider, a deploy role per environment (assumable only by this repository's
 * workflow jobs running in that GitHub environment) and a read-only plan role for pull requests.
 */
export class BootstrapStack extends BaseStack {
  readonly stateBucket: S3Bucket;
  /** The GitHub OIDC provider this stack creates; `undefined` when the site reuses the account's existing one. */
  readonly oidcProvider: IamOpenidConnectProvider | undefined;
  /** ARN of the GitHub OIDC provider every GitHub role trusts (created here or the site's existing one). */
  readonly oidcProviderArn: string;
  readonly deployRoles: Record<string, IamRole> = {};
  /** `sml-<env>-boundary`: the permissions boundary every role of that environment carries. */
  readonly boundaries: Record<string, IamPolicy> = {};
  readonly planRole: IamRole;
  /** Roles for people per environment and kind; none where the site lists no principal. */
  readonly peopleRoles: Record<string, Partial<Record<PeopleRoleKind, IamRole>>> = {};

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    const { shared } = props;
    super(scope, id, {
      region: shared.region,
      allowedAccountIds: siteAccounts(shared),
      state: shared.state,
      tags: { Project: shared.project },
      ...(props.localState ? { localStatePath: BOOTSTRAP_LOCAL_STATE } : {}),
    });
    const account = new DataAwsCallerIdentity(this, "account");

    // Every stack's state: no plan may destroy or replace it (a renamed bucket is a new, empty bucket).
    this.stateBucket = new S3Bucket(this, "state", {
      bucket: shared.state.bucket,
      lifecycle: { preventDestroy: true },
    });
    new S3BucketVersioningA(this, "state-versioning", {
      bucket: this.stateBucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "state-encryption", {
      bucket: this.stateBucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
          bucketKeyEnabled: true,
          // Stated, because S3 reports a value ("NONE", or "SSE-C" since S3 began blocking it on new buckets in 2026) that
          // provider 6.25 plans to null on every run when the field is unset (hashicorp/terraform-provider-aws#47320).
          // SSE-C is blocked: state is written with the bucket's KMS default, never with a customer-held key.
          blockedEncryptionTypes: ["SSE-C"],
        },
      ],
    });
    new S3BucketPublicAccessBlock(this, "state-public-access", {
      bucket: this.stateBucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "state-ownership", {
      bucket: this.stateBucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketLifecycleConfiguration(this, "state-lifecycle", {
      bucket: this.stateBucket.id,
      rule: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketPolicy(this, "state-policy", {
      bucket: this.stateBucket.id,
      policy: policyDocument(this, "state-policy-document", [
        denyPlainHttp(["s3:*"], [this.stateBucket.arn, `${this.stateBucket.arn}/*`]),
      ]).json,
    });

    // An account holds one provider per URL: reuse another project's (site `githubOidcProviderArn`) or create it.
    this.oidcProvider =
      shared.githubOidcProviderArn === undefined
        ? new IamOpenidConnectProvider(this, "github", {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIdList: ["sts.amazonaws.com"],
            // Every GitHub role trusts it: between a delete and a create no workflow could deploy, or plan.
            lifecycle: { preventDestroy: true },
          })
        : undefined;
    this.oidcProviderArn = this.oidcProvider?.arn ?? (shared.githubOidcProviderArn as string);
    const githubTrust = (trustId: string, subjects: string[]) =>
      policyDocument(this, trustId, [
        {
          effect: "Allow",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [this.oidcProviderArn] }],
          condition: [
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:aud`, values: ["sts.amazonaws.com"] },
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:sub`, values: subjects },
          ],
        },
      ]).json;
    const repo = `repo:${shared.githubRepository}`;

    for (const env of shared.environments) this.boundaries[env] = this.boundary(env, account);
    for (const env of shared.environments)
      this.deployRoles[env] = this.deployRole(
        env,
        shared,
        account,
        githubTrust(`deploy-${env}-trust`, [`${repo}:environment:${env}`]),
      );

    this.planRole = new IamRole(this, "plan-role", {
      name: `github-${shared.project}-plan`,
      description: "terraform plan from pull requests and main (read only)",
      maxSessionDuration: GITHUB_ROLE_MAX_SESSION_SECONDS.plan,
      assumeRolePolicy: githubTrust("plan-trust", [`${repo}:pull_request`, `${repo}:ref:refs/heads/main`]),
    });
    new IamRolePolicyAttachment(this, "plan-read-only", {
      role: this.planRole.name,
      policyArn: GITHUB_ROLE_MANAGED_POLICIES.plan,
    });
    // No state-lock writes: pull-request plans and drift plans run with -lock=false (drift waits for a deploy's
    // lock object to go by reading it), so this role, which a pull request's code can assume, cannot delete the
    // lock of a prd deploy in flight.

    new IamRolePolicy(this, "plan-deny-data-reads", {
      role: this.planRole.id,
      name: "deny-data-reads",
      // ReadOnlyAccess reads configuration and data alike; plan needs the configuration and its own state only.
      policy: policyDocument(
        this,
        "plan-deny-data-reads-policy",
        this.dataReadDenies(PLAN_ROLE_DENIED_DATA_READS),
      ).json,
    });

    // Previews have no roles for people: they live in dev's account and dev's roles reach them.
    for (const env of Object.keys(shared.people) as SiteEnvironmentName[]) {
      this.peopleRoles[env] = {};
      for (const kind of ["readonly", "operator"] as const) {
        const principals = shared.people[env][kind === "readonly" ? "readOnly" : "operator"];
        if (principals.length === 0) continue;
        const role = this.peopleRole(env, kind, shared, account, principals);
        this.peopleRoles[env][kind] = role;
        new TerraformOutput(this, `${kind}_role_arn_${env}`, { value: role.arn });
      }
    }

    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.bucket });
    new TerraformOutput(this, "github_oidc_provider_arn", { value: this.oidcProviderArn });
    new TerraformOutput(this, "plan_role_arn", { value: this.planRole.arn });
    for (const [env, role] of Object.entries(this.deployRoles))
      new TerraformOutput(this, `deploy_role_arn_${env}`, { value: role.arn });
  }

  private deployRole(
    env: EnvironmentName,
    shared: SharedConfig,
    account: DataAwsCallerIdentity,
    trust: string,
  ): IamRole {
    const config = getEnvironmentConfig(env);
    const all = shared.environments.map(getEnvironmentConfig);
    // Named outside the `sml-<env>-*` pattern it may manage, and denied every change to `github-*` roles, so the
    // role cannot edit its own permissions.
    const role = new IamRole(this, `deploy-role-${env}`, {
      name: deployRoleName(shared, env),
      description: `cdktf deploy of the ${env} environment and the image registry from GitHub Actions`,
      maxSessionDuration: GITHUB_ROLE_MAX_SESSION_SECONDS.deploy,
      assumeRolePolicy: trust,
    });
    new IamRolePolicyAttachment(this, `deploy-${env}-power-user`, {
      role: role.name,
      policyArn: GITHUB_ROLE_MANAGED_POLICIES.deploy,
    });
    const state = (stack: string) => `${shared.state.keyPrefix}/${stackId(shared, stack)}`;
    new IamRolePolicy(this, `deploy-${env}-iam`, {
      role: role.id,
      name: "environment-roles",
      policy: policyDocument(this, `deploy-${env}-iam-policy`, [
        ...deployRoleStatements({
          config,
          others: deniedEnvironments(shared, env),
          accountId: account.accountId,
          protectedRolePatterns: protectedRolePatterns(shared),
          boundaryArns: all.map((c) => boundaryPolicyArn(account.accountId, c.namePrefix)),
          stateBucketArn: this.stateBucket.arn,
          readOnlyStatePrefixes: [state("bootstrap")],
        }),
        // Pull request code: kept away from the registry and every state but the previews' own.
        ...(env === "preview"
          ? previewRoleStatements({
              stateBucketArn: this.stateBucket.arn,
              previewStatePrefix: `${shared.state.keyPrefix}/${config.namePrefix}`,
              previewNamePrefix: config.namePrefix,
              protectedRepositories: [shared.predictionRepositoryName],
              previewRepository: shared.previewRepositoryName,
            })
          : []),
      ]).json,
    });
    return role;
  }

  /**
   * A role for people of one environment, trusting only the site's principals (ARN patterns, matched on
   * `aws:PrincipalArn`) in their accounts. The operator role carries the deploy role's policies; the read-only
   * role reads configuration, metrics and its environment's logs and dead letters, takes its state's lock file
   * for a plan, and is denied the other environment exactly as the deploy roles are.
   */
  private peopleRole(
    env: EnvironmentName,
    kind: PeopleRoleKind,
    shared: SharedConfig,
    account: DataAwsCallerIdentity,
    principals: readonly string[],
  ): IamRole {
    const config = getEnvironmentConfig(env);
    const accounts = [...new Set(principals.map((arn) => arn.split(":")[4] as string))];
    const trust = policyDocument(this, `people-${kind}-${env}-trust`, [
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "AWS", identifiers: accounts.map((id) => `arn:aws:iam::${id}:root`) }],
        condition: [{ test: "ArnLike", variable: "aws:PrincipalArn", values: [...principals] }],
      },
    ]).json;
    const role = new IamRole(this, `people-${kind}-${env}`, {
      name: peopleRoleName(shared, kind, env),
      description:
        kind === "operator"
          ? `People operating ${env}: deploy, redrive, rotate, roll back (same permissions as the deploy role)`
          : `People reading ${env}: plan, logs, metrics, dead-letter peek`,
      maxSessionDuration: 3600,
      assumeRolePolicy: trust,
    });
    new IamRolePolicyAttachment(this, `people-${kind}-${env}-managed`, {
      role: role.name,
      policyArn: PEOPLE_ROLE_MANAGED_POLICIES[kind],
    });
    const state = (stack: string) => `${shared.state.keyPrefix}/${stackId(shared, stack)}`;
    const others = deniedEnvironments(shared, env);
    const statements: PolicyStatement[] =
      kind === "operator"
        ? deployRoleStatements({
            config,
            others,
            accountId: account.accountId,
            protectedRolePatterns: protectedRolePatterns(shared),
            boundaryArns: shared.environments.map((e) =>
              boundaryPolicyArn(account.accountId, getEnvironmentConfig(e).namePrefix),
            ),
            stateBucketArn: this.stateBucket.arn,
            readOnlyStatePrefixes: [state("bootstrap")],
          })
        : [
            {
              sid: "StateLockFiles",
              effect: "Allow",
              actions: ["s3:PutObject", "s3:DeleteObject"],
              // Its environment's stack and the registry (which every environment's deploy applies).
              resources: [state(env), state("registry")].map((p) => `${this.stateBucket.arn}/${p}/*.tflock`),
            },
            ...this.dataReadDenies(PEOPLE_READONLY_DENIED_DATA_READS),
            {
              // Peek at dead letters (receive with a zero visibility timeout), never at the live queue's messages.
              sid: "DenyLiveQueueReceives",
              effect: "Deny",
              actions: ["sqs:ReceiveMessage"],
              notResources: [`arn:aws:sqs:*:*:${config.namePrefix}-*-dlq`],
            },
            ...others.flatMap((o) => denyEnvironment(o.config, o.statePrefix, this.stateBucket.arn)),
          ];
    new IamRolePolicy(this, `people-${kind}-${env}-policy`, {
      role: role.id,
      name: kind === "operator" ? "environment-roles" : "environment-read",
      policy: policyDocument(this, `people-${kind}-${env}-policy-document`, statements).json,
    });
    return role;
  }

  /** Denies of data reads ReadOnlyAccess grants: S3 objects outside the state bucket, everything else anywhere. */
  private dataReadDenies(actions: readonly string[]): PolicyStatement[] {
    const s3 = (action: string) => action.startsWith("s3:");
    return [
      {
        sid: "DenyObjectReadsOutsideTheState",
        effect: "Deny",
        actions: actions.filter(s3),
        notResources: [`${this.stateBucket.arn}/*`],
      },
      { sid: "DenyDataReads", effect: "Deny", actions: actions.filter((a) => !s3(a)), resources: ["*"] },
    ];
  }

  /** The environment's permissions boundary: created here, by an administrator, so no deploy role owns it. */
  private boundary(env: EnvironmentName, account: DataAwsCallerIdentity): IamPolicy {
    const config = getEnvironmentConfig(env);
    return new IamPolicy(this, `boundary-${env}`, {
      name: boundaryPolicyName(config.namePrefix),
      // An IAM policy's description cannot change in place, and a policy in use as a boundary cannot be deleted:
      // short, frozen, ignored (infra/README.md, "Security model", says what it is).
      description: `${env} permissions boundary`,
      lifecycle: { ignoreChanges: ["description"] },
      policy: policyDocument(this, `boundary-${env}-policy`, boundaryStatements(config, account.accountId))
        .json,
      tags: { [ENVIRONMENT_TAG_KEY]: env },
    });
  }
}
