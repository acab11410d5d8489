/**
 * The plan role (any pull request) carries ReadOnlyAccess, which reads data as well as configuration. Its inline
 * denies must stop every user-data read (Cognito users above all) and none of the reads `terraform plan` makes:
 * both sides are evaluated here with the repository's IAM evaluator (support/iam-eval.ts) over the synthesized
 * bootstrap stack. ReadOnlyAccess itself is AWS-managed and not in the JSON: it is stood in for by an Allow of the
 * requested action, so a request comes out "allow" exactly when no explicit Deny of the role matches it.
 */
import { SHARED_CONFIG } from "../src/config";
import { GITHUB_ROLE_MANAGED_POLICIES } from "../src/stacks/bootstrap-stack";
import { decide, type EvalStatement, resolveStatements } from "./support/iam-eval";
import { PROVIDER_READS } from "./support/provider-reads";
import { bodyOf, resourcesOf, statementsOf, synthAllStacks, TEST_PULL_REQUEST } from "./support/synth";

const ACCOUNT = "123456789012";
const BUCKET_ARN = `arn:aws:s3:::${SHARED_CONFIG.state.bucket}`;

const { stacks, synthesized } = synthAllStacks({ environments: ["dev", "prd"], preview: TEST_PULL_REQUEST });
const bootstrap = synthesized.find((s) => s.id === stacks.bootstrap.node.id);
if (!bootstrap) throw new Error("no bootstrap stack");
const planRole = stacks.bootstrap.planRole;
const roleRef = (attr: string) => `\${aws_iam_role.${planRole.friendlyUniqueId}.${attr}}`;

const inlineStatements: EvalStatement[] = resourcesOf(bootstrap.json, "aws_iam_role_policy")
  .map(([, p]) => p)
  .filter((p) => p.role === roleRef("id"))
  .flatMap((p) =>
    resolveStatements(statementsOf(bootstrap.json, p.policy), (text) =>
      text
        .replace(/\$\{data\.aws_caller_identity\.[^.]+\.account_id\}/g, ACCOUNT)
        .replace(/\$\{aws_s3_bucket\.[^.]+\.arn\}/g, BUCKET_ARN),
    ),
  );
const denies: EvalStatement[] = inlineStatements.filter((s) => s.effect === "Deny");

/** The role's decision with ReadOnlyAccess stood in for by an Allow of exactly this action. */
const asPlanRole = (action: string, resource = "*") =>
  decide([...denies, { effect: "Allow", actions: [action], resources: ["*"] }], { action, resource });

/** Resource and data source types of every stack (bootstrap, registry, dev, prd, a preview). */
const types = [
  ...new Set(
    synthesized.flatMap((s) => [
      ...Object.keys(s.json.resource ?? {}),
      ...Object.keys(s.json.data ?? {}).map((t) => `data.${t}`),
    ]),
  ),
].sort();

it("is the role with ReadOnlyAccess, with explicit denies to evaluate", () => {
  const attachments = resourcesOf(bootstrap.json, "aws_iam_role_policy_attachment")
    .map(([, a]) => a)
    .filter((a) => a.role === roleRef("name"));
  expect(attachments.map((a) => a.policy_arn)).toEqual([GITHUB_ROLE_MANAGED_POLICIES.plan]);
  expect(bodyOf(bootstrap.json, planRole).name).toBe("github-sml-plan");
  expect(denies.length).toBeGreaterThan(0);
});

it("states the provider's reads for every resource and data source type of the stacks", () => {
  expect(types.length).toBeGreaterThan(40);
  expect(types.filter((t) => PROVIDER_READS[t] === undefined)).toEqual([]);
});

it("still allows every read the AWS provider makes to refresh the stacks' resources", () => {
  const reads = types.flatMap((t) => (PROVIDER_READS[t]?.actions ?? []).map((a) => `${t}: ${a}`));
  expect(reads.length).toBeGreaterThan(80);
  const denied = reads.filter((r) => asPlanRole(r.split(": ")[1] as string) !== "allow");
  expect(denied).toEqual([]);
});

it("reads every stack's state and lock object, writes neither, and reads no other object", () => {
  for (const s of synthesized) {
    const key = `${BUCKET_ARN}/${s.json.terraform.backend.s3.key}`;
    expect([s.id, asPlanRole("s3:GetObject", key)]).toEqual([s.id, "allow"]);
    // drift-plan.sh waits for a deploy's lock by reading it; plans run with -lock=false and take none.
    expect([s.id, asPlanRole("s3:GetObject", `${key}.tflock`)]).toEqual([s.id, "allow"]);
    // Every statement of the role's inline policies, Allows included: none grants a write (ReadOnlyAccess none).
    for (const action of ["s3:PutObject", "s3:DeleteObject"])
      expect([s.id, action, decide(inlineStatements, { action, resource: `${key}.tflock` })]).not.toEqual([
        s.id,
        action,
        "allow",
      ]);
  }
  expect(asPlanRole("s3:GetObject", `arn:aws:s3:::sml-prd-batches-${ACCOUNT}/inputs/x.csv`)).toBe("deny");
});

// Cognito API reference: each of these returns users' attributes (e-mail addresses), groups, devices or sign-in
// events; ReadOnlyAccess grants every cognito-idp:List*, Describe*, Get* and Admin*Get*/List* read.
it.each([
  "cognito-idp:ListUsers",
  "cognito-idp:ListUsersInGroup",
  "cognito-idp:AdminGetUser",
  "cognito-idp:AdminListGroupsForUser",
  "cognito-idp:AdminListDevices",
  "cognito-idp:AdminGetDevice",
  "cognito-idp:AdminListUserAuthEvents",
])("is denied the user read %s", (action) => {
  expect(asPlanRole(action, `arn:aws:cognito-idp:eu-west-1:${ACCOUNT}:userpool/eu-west-1_AbC`)).toBe("deny");
});

it.each([
  "secretsmanager:GetSecretValue",
  "ssm:GetParameter",
  "ssm:GetParameterHistory",
  "sqs:ReceiveMessage",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:PartiQLSelect",
  "xray:BatchGetTraces",
  "rds:DownloadDBLogFilePortion",
  "rds-data:ExecuteStatement",
  "ecr:BatchGetImage",
])("is denied the data read %s", (action) => {
  expect(asPlanRole(action)).toBe("deny");
});
