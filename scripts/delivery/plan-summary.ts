/**
 * Summarises `terraform show -json` plans as the Markdown comment the plan workflow posts on a pull request:
 * added / changed / replaced / destroyed per stack, and a loud warning when a resource that holds data would be
 * replaced or destroyed.
 *
 * Usage: tsx scripts/delivery/plan-summary.ts <stack>=<plan.json> [<stack>=<plan.json> ...] > comment.md
 */
import { readFileSync } from "node:fs";

/** Marks the comment so the workflow updates its own comment instead of adding one per push. */
export const COMMENT_MARKER = "<!-- plan-summary -->";

/**
 * Resource types whose replacement or deletion loses data or breaks callers that hold their ARN or URL:
 * databases, queues (in-flight messages), buckets (state!), topics (subscriptions), keys, secrets, registries.
 */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  "aws_rds_cluster",
  "aws_rds_cluster_instance",
  "aws_db_instance",
  "aws_sqs_queue",
  "aws_s3_bucket",
  "aws_sns_topic",
  "aws_kms_key",
  "aws_secretsmanager_secret",
  "aws_ecr_repository",
  "aws_cognito_user_pool",
  "aws_dynamodb_table",
  "aws_cloudwatch_log_group",
]);

export type ChangeKind = "create" | "update" | "replace" | "delete";

export interface ResourceChangeSummary {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  readonly stateful: boolean;
}

export interface StackPlanSummary {
  readonly stack: string;
  readonly changes: readonly ResourceChangeSummary[];
  /** Terraform's own counts: a replacement adds one and destroys one. */
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
}

interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly type: string;
    readonly mode?: string;
    readonly change: { readonly actions: readonly string[] };
  }[];
}

/** Thrown when a file is not a `terraform show -json` plan. */
export class PlanFormatError extends Error {
  override readonly name = "PlanFormatError";
}

function kindOf(actions: readonly string[]): ChangeKind | undefined {
  const has = (action: string) => actions.includes(action);
  if (has("delete") && has("create")) return "replace";
  if (has("create")) return "create";
  if (has("delete")) return "delete";
  if (has("update")) return "update";
  return undefined; // no-op, read
}

export function summarisePlan(stack: string, plan: unknown): StackPlanSummary {
  const json = plan as PlanJson;
  if (typeof json !== "object" || json === null || typeof json.format_version !== "string") {
    throw new PlanFormatError(
      `${stack}: not a Terraform JSON plan (no format_version). Produce it with \`terraform show -json tfplan\`.`,
    );
  }
  const changes: ResourceChangeSummary[] = [];
  for (const rc of json.resource_changes ?? []) {
    if (rc.mode === "data") continue;
    const kind = kindOf(rc.change.actions);
    if (!kind) continue;
    changes.push({
      address: rc.address,
      type: rc.type,
      kind,
      stateful: STATEFUL_RESOURCE_TYPES.has(rc.type),
    });
  }
  const count = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  return {
    stack,
    changes,
    add: count("create") + count("replace"),
    change: count("update"),
    destroy: count("delete") + count("replace"),
    replace: count("replace"),
  };
}

/** Stateful resources that the plans would replace or destroy. */
export function dangerousChanges(summaries: readonly StackPlanSummary[]) {
  return summaries.flatMap((s) =>
    s.changes
      .filter((c) => c.stateful && (c.kind === "replace" || c.kind === "delete"))
      .map((c) => ({ stack: s.stack, ...c })),
  );
}

const KIND_LABEL: Record<ChangeKind, string> = {
  create: "+ create",
  update: "~ update",
  replace: "-/+ replace",
  delete: "- destroy",
};

export function renderComment(summaries: readonly StackPlanSummary[]): string {
  const lines = [COMMENT_MARKER, "## Terraform plan", ""];
  const danger = dangerousChanges(summaries);
  if (danger.length > 0) {
    lines.push(
      "> [!CAUTION]",
      `> **${danger.length} stateful resource(s) would be REPLACED or DESTROYED.** Data in them is lost unless it`,
      "> is migrated first. Read docs/deploy.md (rollback) before merging.",
      ">",
      ...danger.map(
        (d) => `> - \`${d.stack}\`: \`${d.address}\` (**${d.kind === "delete" ? "destroy" : "replace"}**)`,
      ),
      "",
    );
  }
  lines.push("| stack | add | change | destroy | of which replaced |", "|---|---|---|---|---|");
  for (const s of summaries)
    lines.push(`| \`${s.stack}\` | ${s.add} | ${s.change} | ${s.destroy} | ${s.replace} |`);
  for (const s of summaries) {
    lines.push("");
    if (s.changes.length === 0) {
      lines.push(`\`${s.stack}\`: no changes.`);
      continue;
    }
    lines.push(
      `<details><summary><code>${s.stack}</code>: ${s.changes.length} resource(s) change</summary>`,
      "",
      "```diff",
      ...s.changes.map((c) => `${KIND_LABEL[c.kind]} ${c.address}${c.stateful ? "  (stateful)" : ""}`),
      "```",
      "</details>",
    );
  }
  return `${lines.join("\n")}\n`;
}

function main(args: readonly string[]): void {
  if (args.length === 0) {
    throw new Error(
      "usage: plan-summary <stack>=<plan.json> [...]  (plans from `terraform show -json tfplan`)",
    );
  }
  const summaries = args.map((arg) => {
    const separator = arg.indexOf("=");
    if (separator <= 0) throw new Error(`argument "${arg}" is not <stack>=<plan.json>`);
    const stack = arg.slice(0, separator);
    return summarisePlan(stack, JSON.parse(readFileSync(arg.slice(separator + 1), "utf8")));
  });
  process.stdout.write(renderComment(summaries));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
