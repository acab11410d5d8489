/**
 * Roles for people (bootstrap stack): per environment a read-only role (plan, logs, metrics, dead-letter peek)
 * and an operator role (deploy, redrive, rotate, roll back), trusting only the site's principals. Checked as the
 * deploy roles are (environment-access.test.ts): by evaluating the synthesized policies against requests.
 * ReadOnlyAccess and PowerUserAccess are AWS-managed and not in the JSON; these tests cover the inline allows and
 * every explicit deny that overrides them (IAM user guide, "Policy evaluation logic": an explicit Deny wins).
 */
import { SHARED_CONFIG, SITE } from "../src/config";
import {
  PEOPLE_READONLY_DENIED_DATA_READS,
  PEOPLE_ROLE_MANAGED_POLICIES,
  type PeopleRoleKind,
  peopleRoleName,
} from "../src/stacks/bootstrap-stack";
import { decide, type EvalStatement, resolveStatements } from "./support/iam-eval";
import { bodyOf, resourcesOf, statementsOf, synthAllStacks, type TfJson } from "./support/synth";

const ACCOUNT = SITE.accounts.dev;
const REGION = SITE.region;
const BUCKET_ARN = `arn:aws:s3:::${SHARED_CONFIG.state.bucket}`;
const STATE = (stack: string, file = "terraform.tfstate") =>
  `${BUCKET_ARN}/${SHARED_CONFIG.state.keyPrefix}/${stack}/${file}`;
// Roles for people exist for the long-lived environments the site names (previews use dev's).
const ENVS = Object.keys(SITE.people) as (keyof typeof SITE.people)[];
type Env = (typeof ENVS)[number];
const OTHER = (env: Env): Env => ENVS.find((e) => e !== env) as Env;

const { stacks, synthesized } = synthAllStacks();
const bootstrap = synthesized.find((s) => s.id === stacks.bootstrap.node.id);
if (!bootstrap) throw new Error("no bootstrap stack");
const resolve = (text: string) =>
  text
    .replace(/\$\{data\.aws_caller_identity\.[^.]+\.account_id\}/g, ACCOUNT)
    .replace(/\$\{aws_s3_bucket\.[^.]+\.arn\}/g, BUCKET_ARN);

function roleOf(env: Env, kind: PeopleRoleKind) {
  const role = stacks.bootstrap.peopleRoles[env]?.[kind];
  if (!role) throw new Error(`no ${kind} role for ${env}`);
  return role;
}

function inlineOf(roleId: string): EvalStatement[] {
  const ref = `\${aws_iam_role.${roleId}.id}`;
  const inline = resourcesOf(bootstrap?.json as TfJson, "aws_iam_role_policy")
    .map(([, p]) => p)
    .filter((p) => p.role === ref);
  expect(inline).toHaveLength(1);
  return resolveStatements(statementsOf(bootstrap?.json as TfJson, inline[0]?.policy), resolve);
}

const at = (service: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}`;

describe.each(ENVS)("roles for people of %s", (env) => {
  const other = OTHER(env);
  const prefix = `sml-${env}`;
  const otherPrefix = `sml-${other}`;

  it.each(["readonly", "operator"] as const)(
    "names the %s role after its kind and environment, trusting only the site's principals",
    (kind) => {
      const body = bodyOf(bootstrap.json, roleOf(env, kind));
      expect(body.name).toBe(peopleRoleName(SHARED_CONFIG, kind, env));
      const patterns = SITE.people[env][kind === "readonly" ? "readOnly" : "operator"];
      const [trust, ...more] = statementsOf(bootstrap.json, body.assume_role_policy);
      expect(more).toEqual([]);
      expect(trust).toMatchObject({
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [
          {
            type: "AWS",
            identifiers: [...new Set(patterns.map((p) => `arn:aws:iam::${p.split(":")[4]}:root`))],
          },
        ],
        // aws:PrincipalArn narrows the account to the configured roles (IAM user guide, "AWS global condition
        // context keys": aws:PrincipalArn).
        condition: [{ test: "ArnLike", variable: "aws:PrincipalArn", values: patterns }],
      });
      expect(body.max_session_duration).toBeLessThanOrEqual(3600);
    },
  );

  it.each(["readonly", "operator"] as const)("attaches only the %s kind's managed policy", (kind) => {
    const role = roleOf(env, kind);
    const attachments = resourcesOf(bootstrap.json, "aws_iam_role_policy_attachment")
      .map(([, a]) => a)
      .filter((a) => a.role === `\${aws_iam_role.${role.friendlyUniqueId}.name}`);
    expect(attachments.map((a) => a.policy_arn)).toEqual([PEOPLE_ROLE_MANAGED_POLICIES[kind]]);
  });

  it("gives the operator exactly the deploy role's grants and denies (the same boundary rule and cross-environment denies)", () => {
    const deploy = stacks.bootstrap.deployRoles[env];
    if (!deploy) throw new Error(`no deploy role for ${env}`);
    expect(inlineOf(roleOf(env, "operator").friendlyUniqueId)).toEqual(inlineOf(deploy.friendlyUniqueId));
  });

  describe("the operator", () => {
    const statements = () => inlineOf(roleOf(env, "operator").friendlyUniqueId);
    it("is denied the other environment's functions, aliases, queues and state, and every role for people", () => {
      const s = statements();
      expect(
        decide(s, {
          action: "lambda:UpdateAlias",
          resource: `${at("lambda")}:function:${otherPrefix}-prediction:live`,
        }),
      ).toBe("deny");
      expect(
        decide(s, { action: "sqs:StartMessageMoveTask", resource: `${at("sqs")}:${otherPrefix}-users-dlq` }),
      ).toBe("deny");
      expect(decide(s, { action: "s3:PutObject", resource: STATE(otherPrefix) })).toBe("deny");
      for (const kind of ["readonly", "operator"] as const)
        for (const e of ENVS)
          expect(
            decide(s, {
              action: "iam:PutRolePolicy",
              resource: `arn:aws:iam::${ACCOUNT}:role/${peopleRoleName(SHARED_CONFIG, kind, e)}`,
            }),
          ).toBe("deny");
    });

    it("is not denied its own environment's redrive, rollback and secret rotation (PowerUserAccess allows them)", () => {
      const s = statements();
      expect(
        decide(s, { action: "sqs:StartMessageMoveTask", resource: `${at("sqs")}:${prefix}-users-dlq` }),
      ).not.toBe("deny");
      expect(
        decide(s, {
          action: "lambda:UpdateAlias",
          resource: `${at("lambda")}:function:${prefix}-prediction:live`,
        }),
      ).not.toBe("deny");
      expect(
        decide(s, {
          action: "secretsmanager:RotateSecret",
          resource: `${at("secretsmanager")}:secret:rds!cluster-x`,
        }),
      ).not.toBe("deny");
    });
  });

  describe("the read-only role", () => {
    const statements = () => inlineOf(roleOf(env, "readonly").friendlyUniqueId);

    it("takes the state lock of its own stack and the registry for a plan, and no other", () => {
      const s = statements();
      expect(
        decide(s, { action: "s3:PutObject", resource: STATE("sml-registry", "terraform.tfstate.tflock") }),
      ).toBe("allow");
      expect(
        decide(s, { action: "s3:PutObject", resource: STATE("sml-bootstrap", "terraform.tfstate.tflock") }),
      ).toBe("implicit-deny");
      expect(decide(s, { action: "s3:PutObject", resource: STATE(prefix, "terraform.tfstate.tflock") })).toBe(
        "allow",
      );
      expect(decide(s, { action: "s3:PutObject", resource: STATE(prefix) })).toBe("implicit-deny");
      expect(
        decide(s, { action: "s3:PutObject", resource: STATE(otherPrefix, "terraform.tfstate.tflock") }),
      ).toBe("deny");
      expect(decide(s, { action: "s3:GetObject", resource: STATE(otherPrefix) })).toBe("deny");
      expect(decide(s, { action: "s3:GetObject", resource: STATE(prefix) })).not.toBe("deny");
    });

    it("reads its environment's logs and peeks at its dead letters, never at the live queue", () => {
      const s = statements();
      for (const action of ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery"])
        expect(decide(s, { action, resource: `${at("logs")}:log-group:/aws/lambda/${prefix}-api` })).not.toBe(
          "deny",
        );
      expect(
        decide(s, { action: "sqs:ReceiveMessage", resource: `${at("sqs")}:${prefix}-users-dlq` }),
      ).not.toBe("deny");
      expect(decide(s, { action: "sqs:ReceiveMessage", resource: `${at("sqs")}:${prefix}-users` })).toBe(
        "deny",
      );
    });

    it("reads nothing of the other environment, not even its logs or dead letters", () => {
      const s = statements();
      expect(
        decide(s, {
          action: "logs:GetLogEvents",
          resource: `${at("logs")}:log-group:/aws/lambda/${otherPrefix}-api`,
        }),
      ).toBe("deny");
      expect(
        decide(s, { action: "sqs:ReceiveMessage", resource: `${at("sqs")}:${otherPrefix}-users-dlq` }),
      ).toBe("deny");
      expect(
        decide(s, {
          action: "ec2:DescribeVpcs",
          resource: "*",
          context: { "aws:ResourceTag/Environment": other },
        }),
      ).toBe("deny");
    });

    it("reads no secret value, parameter value, table item or image layer", () => {
      const s = statements();
      expect(PEOPLE_READONLY_DENIED_DATA_READS).toContain("secretsmanager:GetSecretValue");
      for (const action of PEOPLE_READONLY_DENIED_DATA_READS)
        expect([action, decide(s, { action, resource: `${at("service")}:anything` })]).toEqual([
          action,
          "deny",
        ]);
      expect(decide(s, { action: "s3:GetObject", resource: "arn:aws:s3:::some-other-bucket/data.csv" })).toBe(
        "deny",
      );
    });
  });
});
