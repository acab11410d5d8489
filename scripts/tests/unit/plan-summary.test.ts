/**
 * The plan comment, on hand-written `terraform show -json` plans that follow the documented format
 * (https://developer.hashicorp.com/terraform/internals/json-format: `resource_changes[].change` with `actions`,
 * `before`, `after`, `after_unknown`, `before_sensitive`/`after_sensitive`, `replace_paths`; `action_reason`;
 * `resource_drift`; `output_changes`; `variables`). fixtures/plans/ holds one plan per stack with every case the
 * comment must show: replacements with their paths, IAM and security-group changes, outputs, drift, cautions.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APPROVAL_LABEL,
  CALLER_BREAKING_TYPES,
  COMMENT_MARKER,
  COMMENT_MAX_CHARACTERS,
  capComment,
  cautions,
  dangerousChanges,
  PlanFormatError,
  parseArguments,
  planGate,
  policyStatements,
  renderComment,
  renderStatement,
  securityGroupRules,
  summarisePlan,
} from "../../delivery/plan-summary";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const FIXTURES = join(__dirname, "..", "support", "fixtures");
const OLD_FIXTURE = join(FIXTURES, "plan-prd.json");
const planFile = (stack: string) => join(FIXTURES, "plans", `${stack}.json`);
const read = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
const STACKS = ["sml-bootstrap", "sml-registry", "sml-dev", "sml-prd"] as const;
const summaries = STACKS.map((stack) => summarisePlan(stack, read(planFile(stack))));
const [bootstrap, registry, dev, prd] = summaries as [
  (typeof summaries)[0],
  (typeof summaries)[0],
  (typeof summaries)[0],
  (typeof summaries)[0],
];
const prdJson = read(planFile("sml-prd")) as {
  resource_changes: { address: string; change: { actions: string[] } }[];
};
const emptyPlan = { format_version: "1.2", terraform_version: "1.11.4", resource_changes: [] };

describe("summarisePlan", () => {
  it("counts additions, changes and destructions the way terraform plan does", () => {
    const count = (a: string) => prdJson.resource_changes.filter((r) => r.change.actions.includes(a)).length;
    expect(prd).toMatchObject({
      add: count("create"),
      change: prdJson.resource_changes.filter((r) => r.change.actions.join() === "update").length,
      destroy: count("delete"),
      replace: prdJson.resource_changes.filter((r) => r.change.actions.length === 2).length,
    });
  });

  it("classifies create-before-destroy and destroy-before-create both as replacements", () => {
    const client = prd.changes.find((c) => c.type === "aws_cognito_user_pool_client");
    const api = prd.changes.find((c) => c.type === "aws_apigatewayv2_api");
    expect([client?.kind, api?.kind]).toEqual(["replace", "replace"]);
  });

  it("leaves out data source reads and no-op resources", () => {
    const addresses = prd.changes.map((c) => c.address);
    expect(addresses.some((a) => a.startsWith("data."))).toBe(false);
    expect(addresses).not.toContain("aws_sns_topic.messaging_topic_9A8B7C6D");
    expect(registry.changes).toEqual([]);
  });

  it("names the attribute that forces each replacement, with its value before and after (replace_paths)", () => {
    const rds = prd.changes.find((c) => c.type === "aws_rds_cluster");
    expect(rds?.replacePaths).toEqual([{ path: "database_name", before: "sml", after: "users" }]);
    const vpc = dev.changes.find((c) => c.type === "aws_vpc");
    expect(vpc?.replacePaths).toEqual([
      { path: "cidr_block", before: "10.10.0.0/16", after: "10.30.0.0/16" },
    ]);
  });

  it("keeps a requested replacement's reason when Terraform names no attribute", () => {
    const requested = prd.changes.find((c) => c.address.includes("subscriber"));
    expect(requested).toMatchObject({
      kind: "replace",
      replacePaths: [],
      actionReason: "replace_by_request",
    });
  });

  it("renders IAM policy changes as the statements removed and added", () => {
    const policy = prd.changes.find((c) => c.type === "aws_iam_role_policy");
    const [change] = policy?.policies ?? [];
    expect(change?.attribute).toBe("policy");
    // The statement present before and after shows on both sides; the diff in the comment drops it.
    expect(change?.before.filter((s) => change.after.includes(s))).toEqual([
      expect.stringMatching(/^\[PublishUsers\] Allow sns:Publish on arn:aws:sns:/),
    ]);
    expect(change?.before).toContainEqual(
      expect.stringMatching(/^\[ReadSecret\] Allow secretsmanager:GetSecretValue/),
    );
    expect(change?.after).toContainEqual(expect.stringMatching(/^\[ConnectAsApi\] Allow rds-db:connect/));
  });

  it("shows a new role's trust policy as an added statement with its principal and condition", () => {
    const role = prd.changes.find((c) => c.type === "aws_iam_role");
    expect(role?.policies).toEqual([
      {
        attribute: "assume_role_policy",
        before: [],
        after: [
          "Allow sts:AssumeRole to Service:lambda.amazonaws.com when StringEquals aws:SourceAccount = 210987654321",
        ],
      },
    ]);
  });

  it("renders security-group rules before and after, naming peers and unknown references", () => {
    const sg = prd.changes.find((c) => c.type === "aws_security_group");
    expect(sg?.securityGroupRules?.after.filter((r) => !sg.securityGroupRules?.before.includes(r))).toEqual([
      "ingress tcp 5432 from 203.0.113.0/24 (PostgreSQL from the office)",
    ]);
    const rule = prd.changes.find((c) => c.type === "aws_vpc_security_group_egress_rule");
    expect(rule?.securityGroupRules).toEqual({
      before: [],
      after: ["egress tcp 5432 to (known after apply) (PostgreSQL to the database)"],
    });
  });

  it("lists output changes, never printing a sensitive value and naming unknown ones", () => {
    expect(prd.outputs).toEqual([
      {
        name: "api_url",
        kind: "update",
        before: expect.stringMatching(/^https:\/\//),
        after: "(known after apply)",
      },
      { name: "user_pool_client_id", kind: "update", before: "(sensitive)", after: "(sensitive)" },
      { name: "worker_role_arn", kind: "create", before: "", after: "(known after apply)" },
    ]);
    expect(JSON.stringify(prd)).not.toContain("4p1b2c3d4e5f6g7h8i9j0k1l2m");
    expect(JSON.stringify(prd)).not.toContain("s3cr3t-before");
  });

  it("reports drift (resource_drift) apart from the changes, with the attributes changed outside Terraform", () => {
    expect(prd.drift).toEqual([
      {
        address: "aws_lambda_function.functions_api_function_99F72983",
        kind: "update",
        attributes: ["memory_size"],
      },
      { address: "aws_sqs_queue.messaging_dlq_5E1F2A3B", kind: "delete", attributes: [] },
    ]);
    expect(prd.changes.map((c) => c.address)).not.toContain("aws_sqs_queue.messaging_dlq_5E1F2A3B");
  });

  it("reads the image digest the plan ran with from its variables", () => {
    expect(prd.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(bootstrap.imageDigest).toBeUndefined();
  });

  it("rejects a file that is not a terraform JSON plan, naming the stack", () => {
    expect(() => summarisePlan("sml-dev", { resources: [] })).toThrow(PlanFormatError);
    expect(() => summarisePlan("sml-dev", "plan")).toThrow(/sml-dev: not a Terraform JSON plan/);
  });

  it("still reads the older fixture (no outputs, drift or variables)", () => {
    const old = summarisePlan("sml-prd", read(OLD_FIXTURE));
    expect(old).toMatchObject({ add: 3, change: 1, destroy: 3, replace: 2, outputs: [], drift: [] });
  });
});

describe("renderStatement and the rule renderers", () => {
  it("renders NotAction, NotResource, a wildcard principal and several conditions", () => {
    expect(
      renderStatement({
        Sid: "DenyPlainHttp",
        Effect: "Deny",
        Principal: "*",
        NotAction: ["s3:GetObject"],
        NotResource: "arn:aws:s3:::state/*",
        Condition: {
          Bool: { "aws:SecureTransport": "false" },
          StringNotEquals: { "aws:SourceVpc": ["vpc-1", "vpc-2"] },
        },
      }),
    ).toBe(
      "[DenyPlainHttp] Deny every action except s3:GetObject on everything except arn:aws:s3:::state/* to * when Bool aws:SecureTransport = false and StringNotEquals aws:SourceVpc = vpc-1 | vpc-2",
    );
  });

  it("never prints a sensitive policy and names an unknown one", () => {
    expect(policyStatements('{"Statement":[]}', true, undefined)).toEqual(["(sensitive)"]);
    expect(policyStatements(null, false, true)).toEqual(["(known after apply)"]);
  });

  it("renders all-traffic rules and self references", () => {
    expect(
      securityGroupRules(
        "aws_security_group_rule",
        { type: "egress", protocol: "-1", from_port: 0, to_port: 0, self: true },
        {},
      ),
    ).toEqual(["egress all traffic to itself"]);
  });
});

describe("cautions and the approving label", () => {
  const found = cautions(summaries);

  it.each(Object.keys(CALLER_BREAKING_TYPES))(
    "puts a replaced %s in the caution list (it breaks callers)",
    (type) => {
      expect(found.map((c) => c.address.split(".")[0])).toContain(type);
    },
  );

  it("puts stateful replacements and deletions there, and nothing that is only updated or created", () => {
    const addresses = found.map((c) => c.address);
    expect(addresses).toEqual(
      expect.arrayContaining([
        "aws_rds_cluster.database_cluster_6F1C2A7B",
        "aws_cloudwatch_log_group.functions_old_7E6D5C4B",
      ]),
    );
    expect(addresses).not.toContain("aws_sqs_queue.messaging_queue_0D9E8F7A");
    expect(addresses).not.toContain("aws_lambda_function.functions_subscriber_function_0B1C2D3E");
    expect(dangerousChanges(summaries).every((d) => addresses.includes(d.address))).toBe(true);
  });

  it("fails the plan check with cautions until the pull request carries the approving label", () => {
    expect(planGate(summaries, ["documentation"])).toMatch(
      new RegExp(`${found.length} change\\(s\\).*"${APPROVAL_LABEL}"`),
    );
    expect(planGate(summaries, ["documentation", APPROVAL_LABEL])).toBeUndefined();
    expect(planGate([registry], [])).toBeUndefined();
  });
});

describe("renderComment", () => {
  const logUrl = "https://github.com/acme/ml-api/actions/runs/42/job/7";
  const comment = renderComment(summaries, { logUrl, labels: [] });

  it("starts with the marker the workflow finds its previous comment by", () => {
    expect(comment.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
  });

  it("puts a caution block naming each caution and the label it needs above the table", () => {
    const caution = comment.indexOf("> [!CAUTION]");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(comment.indexOf("| stack |"));
    expect(comment).toContain(`adds the label \`${APPROVAL_LABEL}\``);
    for (const c of found()) expect(comment).toContain(`> - \`${c.stack}\`: \`${c.address}\``);
    expect(renderComment(summaries, { labels: [APPROVAL_LABEL] })).toContain(
      `Accepted by the label \`${APPROVAL_LABEL}\``,
    );
  });

  it("shows each replacement with its forcing attribute", () => {
    expect(comment).toContain(
      "- `aws_rds_cluster.database_cluster_6F1C2A7B`: `database_name` `sml` -> `users`",
    );
  });

  it("shows IAM and security-group changes as diffs of readable lines, without the unchanged statement", () => {
    const iam = comment.slice(
      comment.indexOf("**IAM policies**"),
      comment.indexOf("**Security-group rules**"),
    );
    expect(iam).toContain("- [ReadSecret] Allow secretsmanager:GetSecretValue");
    expect(iam).toContain("+ [ConnectAsApi] Allow rds-db:connect");
    expect(iam).not.toContain("PublishUsers");
    expect(iam).not.toContain('{"Version"');
    expect(comment).toContain("+ ingress tcp 5432 from 203.0.113.0/24 (PostgreSQL from the office)");
  });

  it("shows output changes, drift marked as such, the image digest and the link to the full plan", () => {
    expect(comment).toMatch(/\| `api_url` \| `https:\/\/[^`]+` \| `\(known after apply\)` \|/);
    expect(comment).toContain(
      "**Drift: 2 resource(s) changed outside Terraform** (not by this pull request)",
    );
    expect(comment).toContain(`Prediction image: \`${prd.imageDigest}\``);
    expect(comment).toContain(`[the job log](${logUrl})`);
  });

  it("has one row of counts per stack, with the drift", () => {
    expect(comment).toContain("| `sml-registry` | 0 | 0 | 0 | 0 | 0 |");
    expect(comment).toContain(
      `| \`sml-prd\` | ${prd.add} | ${prd.change} | ${prd.destroy} | ${prd.replace} | 2 |`,
    );
  });

  it("has no caution and no drift warning for a plan without either", () => {
    const quiet = renderComment([summarisePlan("sml-dev", emptyPlan)]);
    expect(quiet).not.toContain("CAUTION");
    expect(quiet).not.toContain("Drift");
    expect(quiet).toContain("No changes.");
  });

  function found() {
    return cautions(summaries);
  }
});

describe("plan-summary command line", () => {
  const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const script = join(REPO_ROOT, "scripts", "delivery", "plan-summary.ts");
  const args = STACKS.map((s) => `${s}=${planFile(s)}`);

  it("prints the comment and writes the gate's reason to --gate-file", () => {
    const gate = join(mkdtempSync(join(tmpdir(), "plan-gate-")), "gate.txt");
    const result = spawnSync(tsx, [script, "--labels", "a,b", "--gate-file", gate, ...args], {
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(renderComment(summaries, { labels: ["a", "b"] }));
    expect(readFileSync(gate, "utf8")).toBe(planGate(summaries, ["a", "b"]));
  });

  it("writes an empty gate file when the label is there", () => {
    const gate = join(mkdtempSync(join(tmpdir(), "plan-gate-")), "gate.txt");
    const result = spawnSync(tsx, [script, "--labels", APPROVAL_LABEL, "--gate-file", gate, ...args], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(readFileSync(gate, "utf8")).toBe("");
  });

  it("exits 1 with a usage line when an argument is not <stack>=<file>", () => {
    const result = spawnSync(tsx, [script, OLD_FIXTURE], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("is not <stack>=<plan.json>");
    expect(() => parseArguments(["--log-url"])).toThrow(/--log-url needs a value/);
  });
});

describe("the comment fits in GitHub's 65,536 characters (issue 24, item 9)", () => {
  // A create-everything plan: 300 roles with an inline policy of 4 statements each (the first deploy of an
  // account renders ~85,000 characters; this one more).
  const statement = (i: number, j: number) => ({
    Effect: "Allow",
    Action: [`sqs:SendMessage`, `sqs:ReceiveMessage`, `sqs:DeleteMessage`, `kms:Decrypt`],
    Resource: [`arn:aws:sqs:eu-west-1:123456789012:sml-prd-queue-${i}-${j}`],
  });
  const bigPlan = {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: Array.from({ length: 300 }, (_, i) => ({
      address: `aws_iam_role_policy.function_${i}`,
      type: "aws_iam_role_policy",
      name: `function_${i}`,
      change: {
        actions: ["create"],
        before: null,
        after: {
          name: `sml-prd-function-${i}`,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [0, 1, 2, 3].map((j) => statement(i, j)),
          }),
        },
        after_unknown: { id: true },
        before_sensitive: false,
        after_sensitive: {},
      },
    })),
  };
  const full = renderComment([summarisePlan("sml-prd", bigPlan)], { logUrl: "https://example.invalid/log" });
  const url = "https://github.com/o/r/actions/runs/1/artifacts/2";

  it("renders more than GitHub accepts for a create-everything plan (the case to handle)", () => {
    expect(full.length).toBeGreaterThan(COMMENT_MAX_CHARACTERS);
  });

  it("cuts it to the limit at a line, keeps the marker, closes the open code block and links the full comment", () => {
    const capped = capComment(full, url);
    expect(capped.length).toBeLessThanOrEqual(COMMENT_MAX_CHARACTERS);
    expect(capped.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(capped).toContain(`[plan-comment](${url})`);
    expect(capped).toContain(`of ${full.length.toLocaleString("en-US")} characters`);
    const fences = capped.split("\n").filter((l) => l.trimStart().startsWith("```")).length;
    expect(fences % 2).toBe(0);
    // Whole lines of the original, up to the notice.
    const shown = capped.slice(0, capped.indexOf("\n---\n**This comment is cut"));
    expect(full.startsWith(shown.replace(/```\n$/, ""))).toBe(true);
  });

  it("leaves a comment that fits unchanged", () => {
    const small = renderComment(summaries);
    expect(capComment(small, url)).toBe(small);
  });

  it("caps from the command line (plan.yml runs it on the comment with the cost table)", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-cap-"));
    const file = join(dir, "comment.md");
    writeFileSync(file, full);
    const result = spawnSync(
      join(REPO_ROOT, "node_modules", ".bin", "tsx"),
      [join(REPO_ROOT, "scripts", "delivery", "plan-summary.ts"), "cap", file, url],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(capComment(full, url));
  });
});
