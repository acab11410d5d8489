import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import type { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SHARED_CONFIG, SITE } from "../src/config";
import {
  BOOTSTRAP_LOCAL_STATE,
  deployRoleName,
  GITHUB_ROLE_MANAGED_POLICIES,
  GITHUB_ROLE_MAX_SESSION_SECONDS,
} from "../src/stacks/bootstrap-stack";
import { decide, resolveStatements } from "./support/iam-eval";
import { REPO_ROOT } from "./support/paths";
import {
  bodyOf,
  defineTestStacks,
  ref,
  resourcesOf,
  statementsOf,
  synthAllStacks,
  synthStack,
  type TfJson,
} from "./support/synth";

const { stacks, synthesized } = synthAllStacks();
const byId = (id: string) => {
  const found = synthesized.find((s) => s.id === id);
  if (!found) throw new Error(`no stack ${id}`);
  return found;
};
const bootstrap = byId("sml-bootstrap");
const registry = byId("sml-registry");
const repo = SHARED_CONFIG.githubRepository;

describe("stacks", () => {
  it("synthesizes bootstrap, registry and one stack per environment, ids ending in the environment", () => {
    expect(synthesized.map((s) => s.id)).toEqual(["sml-bootstrap", "sml-registry", "sml-dev", "sml-prd"]);
  });

  it.each(["sml-bootstrap", "sml-registry", "sml-dev", "sml-prd"])(
    "keeps %s's state in the S3 bucket under its own key, encrypted and locked with a lock file",
    (id) => {
      expect(byId(id).json.terraform.backend).toEqual({
        s3: {
          bucket: SHARED_CONFIG.state.bucket,
          key: `${SHARED_CONFIG.state.keyPrefix}/${id}/terraform.tfstate`,
          region: SHARED_CONFIG.state.region,
          encrypt: true,
          use_lockfile: true,
        },
      });
    },
  );

  it.each(["sml-dev", "sml-prd"] as const)(
    "configures the AWS provider of %s with the site's region, its account only, and default tags",
    (id) => {
      const env = id.slice(4) as keyof typeof SITE.accounts;
      expect(byId(id).json.provider.aws).toEqual([
        expect.objectContaining({
          region: SITE.region,
          allowed_account_ids: [SITE.accounts[env]],
          default_tags: [
            {
              tags: expect.objectContaining({ Project: "sml", Environment: id.slice(4), ManagedBy: "cdktf" }),
            },
          ],
        }),
      ]);
    },
  );

  it.each(["sml-bootstrap", "sml-registry"])(
    "pins the provider of %s to the site's one account, in the site's region",
    (id) => {
      expect(byId(id).json.provider.aws).toEqual([
        expect.objectContaining({
          region: SITE.region,
          allowed_account_ids: [...new Set(Object.values(SITE.accounts))],
        }),
      ]);
    },
  );

  it.each(["sml-dev", "sml-prd"])("outputs what operators and the smoke test need (%s)", (id) => {
    expect(Object.keys(byId(id).json.output)).toEqual(
      expect.arrayContaining([
        "api_url",
        "topic_arn",
        "queue_url",
        "dlq_url",
        "cluster_endpoint",
        "cluster_reader_endpoint",
        "db_secret_arn",
        "ecr_repository_url",
      ]),
    );
  });

  it("defines every stack output the delivery scripts read from outputs.json (prd has them all)", () => {
    const dir = join(REPO_ROOT, "scripts/delivery");
    const read = readdirSync(dir)
      .filter((f) => f.endsWith(".sh"))
      .flatMap((f) => [
        ...readFileSync(join(dir, f), "utf8").matchAll(/jq -\w+ '\.([a-z_]+)(?: \/\/ empty)?' "\$outputs"/g),
      ])
      .map((m) => m[1] as string);
    expect(read).toEqual(expect.arrayContaining(["api_url", "user_pool_smoke_test_client_id"]));
    const missing = read.filter((name) => !(name in byId("sml-prd").json.output));
    expect(missing).toEqual([]);
  });

  it("keeps the bootstrap stack's state on local disk only when asked to (its first apply)", () => {
    const first = defineTestStacks({ environments: [], bootstrapLocalState: true });
    expect(synthStack(first.bootstrap).json.terraform.backend).toEqual({
      local: { path: BOOTSTRAP_LOCAL_STATE },
    });
  });
});

describe("bootstrap stack", () => {
  const b = stacks.bootstrap;

  it("lets GitHub jobs hold a deploy role for the sessions the workflows request (issue 24, item 3)", () => {
    const roles = resourcesOf(bootstrap.json, "aws_iam_role").map(([, body]) => body) as {
      name: string;
      max_session_duration: number;
    }[];
    const byName = (name: string) => roles.find((r) => r.name === name)?.max_session_duration;
    for (const env of SHARED_CONFIG.environments)
      expect([env, byName(deployRoleName(SHARED_CONFIG, env))]).toEqual([
        env,
        GITHUB_ROLE_MAX_SESSION_SECONDS.deploy,
      ]);
    expect(byName(`github-${SHARED_CONFIG.project}-plan`)).toBe(GITHUB_ROLE_MAX_SESSION_SECONDS.plan);
    // IAM's range for max_session_duration (IAM API reference, CreateRole: 3600 to 43200 seconds).
    for (const seconds of Object.values(GITHUB_ROLE_MAX_SESSION_SECONDS)) {
      expect(seconds).toBeGreaterThanOrEqual(3600);
      expect(seconds).toBeLessThanOrEqual(43200);
    }
  });
  const bucketRef = ref("aws_s3_bucket", b.stateBucket.friendlyUniqueId, "id");

  it("creates the state bucket with versioning, KMS encryption and every public access block", () => {
    expect(bodyOf(bootstrap.json, b.stateBucket).bucket).toBe(SHARED_CONFIG.state.bucket);
    expect(bootstrap.text).toHaveResourceWithProperties(S3BucketVersioningA, {
      bucket: bucketRef,
      versioning_configuration: { status: "Enabled" },
    });
    expect(bootstrap.text).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      bucket: bucketRef,
      rule: [
        expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } }),
      ],
    });
    expect(bootstrap.text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("refuses plain-HTTP access to the state", () => {
    const [, policy] = resourcesOf(bootstrap.json, "aws_s3_bucket_policy")[0] ?? [];
    expect(statementsOf(bootstrap.json, policy?.policy)).toEqual([
      expect.objectContaining({
        effect: "Deny",
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    ]);
  });

  it("trusts GitHub's OIDC issuer for STS", () => {
    expect(bodyOf(bootstrap.json, b.oidcProvider as IamOpenidConnectProvider)).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
  });

  const trustOf = (roleBody: TfJson) => statementsOf(bootstrap.json, roleBody.assume_role_policy);

  it.each(["dev", "prd"])(
    "lets only this repository's %s GitHub environment assume that environment's deploy role",
    (env) => {
      const role = b.deployRoles[env];
      if (!role) throw new Error(`no deploy role for ${env}`);
      expect(trustOf(bodyOf(bootstrap.json, role))).toEqual([
        expect.objectContaining({
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [
            {
              type: "Federated",
              identifiers: [
                ref(
                  "aws_iam_openid_connect_provider",
                  (b.oidcProvider as IamOpenidConnectProvider).friendlyUniqueId,
                  "arn",
                ),
              ],
            },
          ],
          condition: [
            {
              test: "StringEquals",
              variable: "token.actions.githubusercontent.com:aud",
              values: ["sts.amazonaws.com"],
            },
            {
              test: "StringEquals",
              variable: "token.actions.githubusercontent.com:sub",
              values: [`repo:${repo}:environment:${env}`],
            },
          ],
        }),
      ]);
    },
  );

  it("lets pull requests and main assume the read-only plan role, which writes nothing, not even a state lock", () => {
    const body = bodyOf(bootstrap.json, b.planRole);
    expect(trustOf(body)[0]?.condition).toContainEqual({
      test: "StringEquals",
      variable: "token.actions.githubusercontent.com:sub",
      values: [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/main`],
    });
    const attachments = resourcesOf(bootstrap.json, "aws_iam_role_policy_attachment").map(([, a]) => a);
    expect(
      attachments.filter((a) => a.role === ref("aws_iam_role", b.planRole.friendlyUniqueId, "name")),
    ).toEqual([expect.objectContaining({ policy_arn: GITHUB_ROLE_MANAGED_POLICIES.plan })]);
    // Plans run with -lock=false (plan.yml, drift.yml): a role a pull request's code can assume must not be able to
    // delete the lock of a deploy in flight (review of issue 24, finding 10). Its inline policies only deny.
    const inline = resourcesOf(bootstrap.json, "aws_iam_role_policy")
      .map(([, p]) => p)
      .filter((p) => p.role === ref("aws_iam_role", b.planRole.friendlyUniqueId, "id"));
    expect(inline.length).toBeGreaterThan(0);
    for (const policy of inline)
      for (const statement of statementsOf(bootstrap.json, policy.policy))
        expect([policy.name, statement.effect]).toEqual([policy.name, "Deny"]);
  });

  it("lets the plan role read configuration and its state, but no object, log event, message or secret value", () => {
    // ReadOnlyAccess (AWS managed policy reference) allows these data reads on every resource; the plan role's
    // explicit Denies must win (IAM user guide, "Policy evaluation logic").
    const readOnlyAccess = [
      {
        effect: "Allow",
        actions: ["s3:Get*", "s3:List*", "logs:Get*", "logs:FilterLogEvents", "logs:StartQuery"],
        resources: ["*"],
      },
      {
        effect: "Allow",
        actions: [
          "secretsmanager:GetSecretValue",
          "sqs:ReceiveMessage",
          "ssm:GetParameter*",
          "ecr:BatchGetImage",
        ],
        resources: ["*"],
      },
    ];
    const stateArn = `arn:aws:s3:::${SHARED_CONFIG.state.bucket}`;
    const planPolicies = resourcesOf(bootstrap.json, "aws_iam_role_policy")
      .map(([, p]) => p)
      .filter((p) => p.role === ref("aws_iam_role", b.planRole.friendlyUniqueId, "id"))
      .flatMap((p) =>
        resolveStatements(statementsOf(bootstrap.json, p.policy), (text) =>
          text.replace(ref("aws_s3_bucket", b.stateBucket.friendlyUniqueId, "arn"), stateArn),
        ),
      );
    const decision = (action: string, resource: string) =>
      decide([...readOnlyAccess, ...planPolicies], { action, resource });
    expect(decision("s3:GetObject", `${stateArn}/serverless-ml-api/sml-prd/terraform.tfstate`)).toBe("allow");
    expect(decision("s3:GetBucketPolicy", "arn:aws:s3:::any-bucket")).toBe("allow");
    expect(decision("logs:GetLogGroupFields", "arn:aws:logs:eu-west-1:123456789012:log-group:x")).toBe(
      "allow",
    );
    expect(decision("s3:GetObject", "arn:aws:s3:::customer-data/export.csv")).toBe("deny");
    expect(decision("s3:GetObjectVersion", "arn:aws:s3:::customer-data/export.csv")).toBe("deny");
    for (const action of [
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
      "logs:StartQuery",
      "secretsmanager:GetSecretValue",
      "sqs:ReceiveMessage",
      "ssm:GetParameter",
      "ecr:BatchGetImage",
    ])
      expect([action, decision(action, "arn:aws:service:eu-west-1:123456789012:anything")]).toEqual([
        action,
        "deny",
      ]);
  });

  it("outputs the bucket, the OIDC provider and every role ARN", () => {
    expect(Object.keys(bootstrap.json.output).sort()).toEqual(
      [
        "deploy_role_arn_dev",
        "deploy_role_arn_prd",
        "deploy_role_arn_preview",
        "github_oidc_provider_arn",
        "plan_role_arn",
        "state_bucket",
        // A role for people exists (and is output) only where the site names who may assume it.
        ...(Object.keys(SITE.people) as (keyof typeof SITE.people)[]).flatMap((env) => [
          ...(SITE.people[env].readOnly.length > 0 ? [`readonly_role_arn_${env}`] : []),
          ...(SITE.people[env].operator.length > 0 ? [`operator_role_arn_${env}`] : []),
        ]),
      ].sort(),
    );
  });
});

describe("registry stack", () => {
  it("keeps the prediction image in a scanned, immutable, encrypted ECR repository", () => {
    expect(registry.text).toHaveResourceWithProperties(EcrRepository, {
      name: SHARED_CONFIG.predictionRepositoryName,
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
    });
  });

  it("expires images by their environment's tag prefix, prd's first, and untagged layers after a day", () => {
    expect(registry.text).toHaveResource(EcrLifecyclePolicy);
    const [, lifecycle] = resourcesOf(registry.json, "aws_ecr_lifecycle_policy")[0] ?? [];
    const { tagPrefixes, keep, previewDays } = SHARED_CONFIG.images;
    expect(JSON.parse(lifecycle?.policy).rules).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: expect.objectContaining({ tagPrefixList: [tagPrefixes.prd], countNumber: keep.prd }),
      }),
      expect.objectContaining({
        rulePriority: 2,
        selection: expect.objectContaining({ tagPrefixList: [tagPrefixes.dev], countNumber: keep.dev }),
      }),
      expect.objectContaining({
        rulePriority: 3,
        selection: expect.objectContaining({
          tagPrefixList: [tagPrefixes.preview],
          countType: "sinceImagePushed",
          countNumber: previewDays,
        }),
      }),
      expect.objectContaining({
        selection: expect.objectContaining({ tagStatus: "untagged", countNumber: 1 }),
      }),
    ]);
  });

  it("lets the Lambda service pull only for this project's functions", () => {
    const [, policy] = resourcesOf(registry.json, "aws_ecr_repository_policy")[0] ?? [];
    expect(statementsOf(registry.json, policy?.policy)).toEqual([
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        condition: [
          expect.objectContaining({
            variable: "aws:sourceArn",
            values: [expect.stringMatching(/:function:sml-\*$/)],
          }),
        ],
      }),
    ]);
  });

  it("outputs the repository URL the image push needs", () => {
    expect(registry.json.output.ecr_repository_url.value).toBe(
      ref("aws_ecr_repository", stacks.registry.repository.friendlyUniqueId, "repository_url"),
    );
  });
});
