import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  COMMENT_MARKER,
  dangerousChanges,
  PlanFormatError,
  renderComment,
  summarisePlan,
} from "../../delivery/plan-summary";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const FIXTURE = join(__dirname, "..", "support", "fixtures", "plan-prd.json");
const prdPlan: unknown = JSON.parse(readFileSync(FIXTURE, "utf8"));
const emptyPlan = { format_version: "1.2", terraform_version: "1.11.4", resource_changes: [] };

describe("summarisePlan", () => {
  const summary = summarisePlan("sml-prd", prdPlan);

  it("counts additions, changes and destructions the way terraform plan does", () => {
    // create + 2 replacements added; 1 update; delete + 2 replacements destroyed.
    expect(summary).toMatchObject({ add: 3, change: 1, destroy: 3, replace: 2 });
  });

  it("classifies create-before-destroy and destroy-before-create both as replacements", () => {
    expect(summary.changes.filter((c) => c.kind === "replace").map((c) => c.address)).toEqual([
      "aws_rds_cluster.database_cluster_6F1C2A7B",
      "aws_lambda_permission.api_invoke_2C3D4E5F",
    ]);
  });

  it("leaves out data source reads and no-op resources", () => {
    const addresses = summary.changes.map((c) => c.address);
    expect(addresses).not.toContain("data.aws_caller_identity.observability_caller_1A2B3C4D");
    expect(addresses).not.toContain("aws_sns_topic.messaging_topic_9A8B7C6D");
  });

  it("rejects a file that is not a terraform JSON plan, naming the stack", () => {
    expect(() => summarisePlan("sml-dev", { resources: [] })).toThrow(PlanFormatError);
    expect(() => summarisePlan("sml-dev", "plan")).toThrow(/sml-dev: not a Terraform JSON plan/);
  });
});

describe("dangerousChanges", () => {
  it("flags stateful resources that would be replaced or destroyed, and nothing else", () => {
    const danger = dangerousChanges([summarisePlan("sml-prd", prdPlan)]);
    expect(danger.map((d) => [d.stack, d.address, d.kind])).toEqual([
      ["sml-prd", "aws_rds_cluster.database_cluster_6F1C2A7B", "replace"],
      ["sml-prd", "aws_cloudwatch_log_group.functions_old_7E6D5C4B", "delete"],
    ]);
  });

  it("does not flag an in-place update of a queue", () => {
    const updateOnly = {
      format_version: "1.2",
      resource_changes: [
        { address: "aws_sqs_queue.q", type: "aws_sqs_queue", change: { actions: ["update"] } },
      ],
    };
    expect(dangerousChanges([summarisePlan("sml-dev", updateOnly)])).toEqual([]);
  });
});

describe("renderComment", () => {
  const comment = renderComment([summarisePlan("sml-dev", emptyPlan), summarisePlan("sml-prd", prdPlan)]);

  it("starts with the marker the workflow finds its previous comment by", () => {
    expect(comment.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
  });

  it("puts a caution block naming each endangered resource above the table", () => {
    const caution = comment.indexOf("> [!CAUTION]");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(comment.indexOf("| stack |"));
    expect(comment).toContain("2 stateful resource(s) would be REPLACED or DESTROYED");
    expect(comment).toContain("> - `sml-prd`: `aws_rds_cluster.database_cluster_6F1C2A7B` (**replace**)");
    expect(comment).toContain(
      "> - `sml-prd`: `aws_cloudwatch_log_group.functions_old_7E6D5C4B` (**destroy**)",
    );
  });

  it("has one row of counts per stack", () => {
    expect(comment).toContain("| `sml-dev` | 0 | 0 | 0 | 0 |");
    expect(comment).toContain("| `sml-prd` | 3 | 1 | 3 | 2 |");
    expect(comment).toContain("`sml-dev`: no changes.");
  });

  it("lists each change in a diff block", () => {
    expect(comment).toContain("-/+ replace aws_rds_cluster.database_cluster_6F1C2A7B  (stateful)");
    expect(comment).toContain("+ create aws_lambda_function.functions_api_5B4A3C2D\n");
    expect(comment).toContain("~ update aws_sqs_queue.messaging_queue_0D9E8F7A  (stateful)");
  });

  it("has no warning when nothing stateful is at risk", () => {
    expect(renderComment([summarisePlan("sml-dev", emptyPlan)])).not.toContain("CAUTION");
  });
});

describe("plan-summary command line", () => {
  const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const script = join(REPO_ROOT, "scripts", "delivery", "plan-summary.ts");

  it("prints the comment for <stack>=<plan.json> arguments", () => {
    const result = spawnSync(tsx, [script, `sml-prd=${FIXTURE}`], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(renderComment([summarisePlan("sml-prd", prdPlan)]));
  });

  it("exits 1 with a usage line when an argument is not <stack>=<file>", () => {
    const result = spawnSync(tsx, [script, FIXTURE], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("is not <stack>=<plan.json>");
  });
});
