/**
 * Summarises `terraform show -json` plans (https://developer.hashicorp.com/terraform/internals/json-format) as
 * the Markdown comment the plan workflow posts on a pull request, in what a reviewer needs to judge the change:
 * counts per stack; each replacement with the attributes that force it (`replace_paths`); IAM policies and
 * security-group rules before and after, as readable statements; output changes (the API URL); changes made
 * outside Terraform (`resource_drift`), marked as drift; the prediction image digest the plan used; a link to the
 * full plan in the job log; and a caution list of replacements and deletions that lose data or break callers.
 * A caution makes the plan check fail until the pull request carries the approving label (`planGate`).
 *
 * Usage: tsx scripts/delivery/plan-summary.ts [--log-url URL] [--labels a,b] [--gate-file FILE]
 *          <stack>=<plan.json> [...] > comment.md
 * --gate-file receives nothing when the check may pass, else the reason it fails (the workflow fails on it after
 * posting the comment).
 *
 *        tsx scripts/delivery/plan-summary.ts cap <comment.md> <full-comment-url> > capped.md
 * cuts a comment longer than GitHub accepts (COMMENT_MAX_CHARACTERS) at a line, closing an open code block, and
 * ends it with a link to the full comment (the workflow uploads it as an artifact first).
 */
import { readFileSync, writeFileSync } from "node:fs";

/** Marks the comment so the workflow updates its own comment instead of adding one per push. */
export const COMMENT_MARKER = "<!-- plan-summary -->";

/**
 * GitHub refuses an issue or pull-request comment body longer than 65,536 characters ("body is too long (maximum
 * is 65536 characters)"; REST API, "Create an issue comment": 422). A create-everything plan renders ~85,000.
 */
export const COMMENT_MAX_CHARACTERS = 65_536;

/** The pull-request label with which a reviewer accepts the cautions; without it the plan check fails. */
export const APPROVAL_LABEL = "plan-caution-approved";

/** Terraform variable holding the prediction image digest (infra/src/stacks/environment-stack.ts). */
export const IMAGE_DIGEST_VARIABLE = "prediction_image_digest";

/**
 * Resource types whose replacement or deletion loses data: databases, queues (in-flight messages), buckets
 * (state!), topics, keys (data encrypted with them), secrets, registries (images), user pools (users), log groups.
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

/**
 * Resource types whose replacement keeps no data but breaks whoever holds their identity, and why.
 */
export const CALLER_BREAKING_TYPES: Readonly<Record<string, string>> = Object.freeze({
  aws_apigatewayv2_api: "a new API id, so a new API URL: every caller and DNS record must change",
  aws_cognito_user_pool_client: "new client ids: every app signing users in must be reconfigured",
  aws_sns_topic_subscription:
    "an e-mail subscription must be confirmed again; alarms reach nobody until then",
  aws_iam_openid_connect_provider: "no GitHub workflow can deploy or plan between the delete and the create",
  aws_vpc: "every subnet, security group, endpoint, NAT gateway and the database's subnet group go with it",
});

/** Resource types and the attributes holding an IAM policy document (a JSON string). */
export const POLICY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  aws_iam_policy: ["policy"],
  aws_iam_role_policy: ["policy"],
  aws_iam_role: ["assume_role_policy"],
  aws_s3_bucket_policy: ["policy"],
  aws_sns_topic_policy: ["policy"],
  aws_sqs_queue_policy: ["policy"],
  aws_ecr_repository_policy: ["policy"],
  aws_kms_key: ["policy"],
  aws_secretsmanager_secret_policy: ["policy"],
});

/** Resource types that are security-group rules, or carry them inline. */
const SECURITY_GROUP_TYPES = new Set([
  "aws_security_group",
  "aws_security_group_rule",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
]);

export type ChangeKind = "create" | "update" | "replace" | "delete";

// biome-ignore lint/suspicious/noExplicitAny: attribute values of a plan are arbitrary JSON.
type Json = any;

/** One attribute path that forces a replacement, with its value before and after (`undefined`: not shown). */
export interface ReplacePath {
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

export interface ResourceChangeSummary {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  readonly stateful: boolean;
  /** Why a replacement breaks callers (CALLER_BREAKING_TYPES), when it does. */
  readonly breaksCallers?: string;
  /** Attributes that force the replacement (`replace_paths`). */
  readonly replacePaths: readonly ReplacePath[];
  /** Terraform's reason, e.g. `replace_because_cannot_update`, `replace_by_request`. */
  readonly actionReason?: string;
  /** IAM statements before/after, per policy attribute. */
  readonly policies: readonly PolicyChange[];
  /** Security-group rules before/after. */
  readonly securityGroupRules?: { readonly before: readonly string[]; readonly after: readonly string[] };
}

export interface PolicyChange {
  readonly attribute: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
}

export interface OutputChange {
  readonly name: string;
  readonly kind: ChangeKind;
  readonly before: string;
  readonly after: string;
}

export interface DriftSummary {
  readonly address: string;
  readonly kind: ChangeKind;
  /** Top-level attributes whose value changed outside Terraform. */
  readonly attributes: readonly string[];
}

export interface StackPlanSummary {
  readonly stack: string;
  readonly changes: readonly ResourceChangeSummary[];
  readonly outputs: readonly OutputChange[];
  readonly drift: readonly DriftSummary[];
  /** The image digest the plan used (`prediction_image_digest`), for environment stacks. */
  readonly imageDigest?: string;
  /** Terraform's own counts: a replacement adds one and destroys one. */
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
}

interface ChangeJson {
  readonly actions: readonly string[];
  readonly before?: Json;
  readonly after?: Json;
  readonly after_unknown?: Json;
  readonly before_sensitive?: Json;
  readonly after_sensitive?: Json;
  readonly replace_paths?: readonly (readonly (string | number)[])[];
}

interface ResourceChangeJson {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  readonly change: ChangeJson;
  readonly action_reason?: string;
}

interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  readonly resource_drift?: readonly ResourceChangeJson[];
  readonly output_changes?: Readonly<Record<string, ChangeJson>>;
  readonly variables?: Readonly<Record<string, { readonly value?: Json }>>;
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

/** The value at a path of a plan value, or undefined. */
function at(value: Json, path: readonly (string | number)[]): Json {
  return path.reduce((v, key) => (v === null || v === undefined ? undefined : v[key]), value);
}

const SENSITIVE = "(sensitive)";
const UNKNOWN = "(known after apply)";

/** A value as a reviewer reads it: sensitive and unknown values are named, never printed. */
function show(value: Json, sensitive: Json, unknown: Json): string {
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return UNKNOWN;
  if (value === undefined || value === null) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** `Allow s3:GetObject, s3:PutObject on arn:... to AWS:arn:... when StringEquals aws:SourceAccount = 1234`. */
export function renderStatement(statement: Json): string {
  const list = (v: Json): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const principals = (p: Json): string =>
    p === "*"
      ? "*"
      : Object.entries(p as Record<string, Json>)
          .map(([type, ids]) => `${type}:${list(ids).join(", ")}`)
          .join("; ");
  const parts = [statement.Effect ?? "Allow"];
  if (statement.Action !== undefined) parts.push(list(statement.Action).join(", "));
  if (statement.NotAction !== undefined)
    parts.push(`every action except ${list(statement.NotAction).join(", ")}`);
  if (statement.Resource !== undefined) parts.push(`on ${list(statement.Resource).join(", ")}`);
  if (statement.NotResource !== undefined)
    parts.push(`on everything except ${list(statement.NotResource).join(", ")}`);
  if (statement.Principal !== undefined) parts.push(`to ${principals(statement.Principal)}`);
  if (statement.NotPrincipal !== undefined)
    parts.push(`to everyone except ${principals(statement.NotPrincipal)}`);
  if (statement.Condition !== undefined) {
    const conditions = Object.entries(statement.Condition as Record<string, Record<string, Json>>).flatMap(
      ([test, byKey]) =>
        Object.entries(byKey).map(([key, values]) => `${test} ${key} = ${list(values).join(" | ")}`),
    );
    parts.push(`when ${conditions.join(" and ")}`);
  }
  const sid = statement.Sid ? `[${statement.Sid}] ` : "";
  return sid + parts.join(" ");
}

/** The statements of a policy JSON string as readable lines; a value that is not a policy is shown as it is. */
export function policyStatements(value: Json, sensitive: Json, unknown: Json): string[] {
  if (sensitive === true) return [SENSITIVE];
  if (unknown === true) return [UNKNOWN];
  if (value === undefined || value === null || value === "") return [];
  try {
    const doc = typeof value === "string" ? JSON.parse(value) : value;
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return statements.map(renderStatement);
  } catch {
    return [String(value)];
  }
}

/** Rules of a security-group change as `ingress tcp 5432 from sg-1 (description)` lines. */
export function securityGroupRules(type: string, value: Json, unknown: Json): string[] {
  if (value === null || value === undefined) return [];
  const port = (from: Json, to: Json, protocol: Json) => {
    const proto = String(protocol) === "-1" ? "all" : String(protocol);
    if (proto === "all") return "all traffic";
    return from === to ? `${proto} ${from}` : `${proto} ${from}-${to}`;
  };
  const peers = (rule: Json, unknownRule: Json): string => {
    const named = [
      ...(rule.cidr_blocks ?? []),
      ...(rule.ipv6_cidr_blocks ?? []),
      ...(rule.prefix_list_ids ?? []),
      ...(rule.security_groups ?? []),
      ...(rule.self ? ["itself"] : []),
      ...[
        rule.cidr_ipv4,
        rule.cidr_ipv6,
        rule.prefix_list_id,
        rule.referenced_security_group_id,
        rule.source_security_group_id,
      ].filter((v) => typeof v === "string" && v !== ""),
    ];
    const unknownPeer =
      unknownRule === true ||
      ["referenced_security_group_id", "source_security_group_id", "security_groups", "cidr_blocks"].some(
        (k) => unknownRule?.[k] === true || (Array.isArray(unknownRule?.[k]) && unknownRule[k].some(Boolean)),
      );
    return [...named, ...(unknownPeer ? [UNKNOWN] : [])].join(", ") || "nothing";
  };
  const line = (direction: string, rule: Json, unknownRule: Json) => {
    const toFrom = direction === "ingress" ? "from" : "to";
    const description = rule.description ? ` (${rule.description})` : "";
    const protocol = rule.protocol ?? rule.ip_protocol;
    return `${direction} ${port(rule.from_port, rule.to_port, protocol)} ${toFrom} ${peers(rule, unknownRule)}${description}`;
  };
  if (type === "aws_security_group")
    return (["ingress", "egress"] as const).flatMap((direction) =>
      ((value[direction] ?? []) as Json[]).map((rule, i) => line(direction, rule, unknown?.[direction]?.[i])),
    );
  if (type === "aws_security_group_rule") return [line(String(value.type), value, unknown)];
  return [line(type.endsWith("ingress_rule") ? "ingress" : "egress", value, unknown)];
}

function summariseResource(rc: ResourceChangeJson, kind: ChangeKind): ResourceChangeSummary {
  const c = rc.change;
  const replacePaths =
    kind === "replace"
      ? (c.replace_paths ?? []).map((path) => ({
          path: pathText(path),
          before: show(at(c.before, path), at(c.before_sensitive, path), undefined),
          after: show(at(c.after, path), at(c.after_sensitive, path), at(c.after_unknown, path)),
        }))
      : [];
  const policies: PolicyChange[] = [];
  for (const attribute of POLICY_ATTRIBUTES[rc.type] ?? []) {
    const before =
      kind === "create"
        ? []
        : policyStatements(c.before?.[attribute], c.before_sensitive?.[attribute], undefined);
    const after =
      kind === "delete"
        ? []
        : policyStatements(
            c.after?.[attribute],
            c.after_sensitive?.[attribute],
            c.after_unknown?.[attribute],
          );
    if (JSON.stringify(before) !== JSON.stringify(after)) policies.push({ attribute, before, after });
  }
  let securityGroup: ResourceChangeSummary["securityGroupRules"];
  if (SECURITY_GROUP_TYPES.has(rc.type)) {
    const before = kind === "create" ? [] : securityGroupRules(rc.type, c.before, undefined);
    const after = kind === "delete" ? [] : securityGroupRules(rc.type, c.after, c.after_unknown);
    if (JSON.stringify(before) !== JSON.stringify(after)) securityGroup = { before, after };
  }
  const breaksCallers = kind === "replace" || kind === "delete" ? CALLER_BREAKING_TYPES[rc.type] : undefined;
  return {
    address: rc.address,
    type: rc.type,
    kind,
    stateful: STATEFUL_RESOURCE_TYPES.has(rc.type),
    ...(breaksCallers ? { breaksCallers } : {}),
    replacePaths,
    ...(rc.action_reason ? { actionReason: rc.action_reason } : {}),
    policies,
    ...(securityGroup ? { securityGroupRules: securityGroup } : {}),
  };
}

/** Top-level attributes whose values differ between before and after. */
function changedAttributes(change: ChangeJson): string[] {
  const before = (change.before ?? {}) as Record<string, Json>;
  const after = (change.after ?? {}) as Record<string, Json>;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
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
    if (kind) changes.push(summariseResource(rc, kind));
  }
  const outputs: OutputChange[] = [];
  for (const [name, c] of Object.entries(json.output_changes ?? {})) {
    const kind = kindOf(c.actions);
    if (!kind) continue;
    outputs.push({
      name,
      kind,
      before: kind === "create" ? "" : show(c.before, c.before_sensitive, undefined),
      after: kind === "delete" ? "" : show(c.after, c.after_sensitive, c.after_unknown),
    });
  }
  const drift: DriftSummary[] = [];
  for (const rc of json.resource_drift ?? []) {
    if (rc.mode === "data") continue;
    const kind = kindOf(rc.change.actions);
    if (kind)
      drift.push({
        address: rc.address,
        kind,
        attributes: kind === "update" ? changedAttributes(rc.change) : [],
      });
  }
  const digest = json.variables?.[IMAGE_DIGEST_VARIABLE]?.value;
  const count = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  return {
    stack,
    changes,
    outputs,
    drift,
    ...(typeof digest === "string" ? { imageDigest: digest } : {}),
    add: count("create") + count("replace"),
    change: count("update"),
    destroy: count("delete") + count("replace"),
    replace: count("replace"),
  };
}

export interface Caution {
  readonly stack: string;
  readonly address: string;
  readonly kind: "replace" | "delete";
  /** What is lost: data (stateful) or callers (the reason). */
  readonly why: string;
}

/** Replacements and deletions that lose data or break callers: each needs the approving label. */
export function cautions(summaries: readonly StackPlanSummary[]): Caution[] {
  return summaries.flatMap((s) =>
    s.changes.flatMap((c): Caution[] => {
      if (c.kind !== "replace" && c.kind !== "delete") return [];
      const why = c.stateful ? "holds data: lost unless migrated first" : c.breaksCallers;
      return why ? [{ stack: s.stack, address: c.address, kind: c.kind, why }] : [];
    }),
  );
}

/** Stateful resources that the plans would replace or destroy (part of the cautions). */
export function dangerousChanges(summaries: readonly StackPlanSummary[]) {
  return summaries.flatMap((s) =>
    s.changes
      .filter((c) => c.stateful && (c.kind === "replace" || c.kind === "delete"))
      .map((c) => ({ stack: s.stack, ...c })),
  );
}

/**
 * Whether the plan check may pass: without cautions always; with cautions only when the pull request carries
 * APPROVAL_LABEL. Returns the reason it fails, or undefined.
 */
export function planGate(
  summaries: readonly StackPlanSummary[],
  labels: readonly string[],
): string | undefined {
  const found = cautions(summaries);
  if (found.length === 0 || labels.includes(APPROVAL_LABEL)) return undefined;
  return `${found.length} change(s) in the caution list (${found.map((c) => `${c.stack}: ${c.address}`).join(", ")}): a reviewer other than the author who accepts them adds the label "${APPROVAL_LABEL}" to the pull request after its latest push, which re-runs the plan (docs/deploy.md, "Every later deploy").`;
}

const KIND_LABEL: Record<ChangeKind, string> = {
  create: "+ create",
  update: "~ update",
  replace: "-/+ replace",
  delete: "- destroy",
};

/** Lines of a before/after list as a diff: removed `-`, added `+`, unchanged left out. */
function diffLines(before: readonly string[], after: readonly string[]): string[] {
  const removed = before.filter((l) => !after.includes(l)).map((l) => `- ${l}`);
  const added = after.filter((l) => !before.includes(l)).map((l) => `+ ${l}`);
  return [...removed, ...added];
}

/** Inline code that survives backticks in the value. */
const code = (text: string) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

export interface RenderOptions {
  /** The job log holding the full `terraform plan` output. */
  readonly logUrl?: string;
  readonly labels?: readonly string[];
}

function renderStack(s: StackPlanSummary, logUrl: string | undefined): string[] {
  const lines: string[] = [`### \`${s.stack}\``, ""];
  if (s.imageDigest)
    lines.push(`Prediction image: \`${s.imageDigest}\` (the digest the environment runs now)`, "");
  if (s.drift.length > 0) {
    lines.push(
      "> [!WARNING]",
      `> **Drift: ${s.drift.length} resource(s) changed outside Terraform** (not by this pull request). The apply`,
      "> puts them back to what the code says; find out who changed them first (CloudTrail).",
      ">",
      ...s.drift.map(
        (d) =>
          `> - ${code(d.address)}: ${d.kind === "delete" ? "deleted outside Terraform" : `${d.kind}d outside Terraform`}${d.attributes.length > 0 ? ` (${d.attributes.map(code).join(", ")})` : ""}`,
      ),
      "",
    );
  }
  if (s.changes.length === 0 && s.outputs.length === 0) {
    lines.push("No changes.");
    return lines;
  }
  const replacements = s.changes.filter((c) => c.kind === "replace");
  if (replacements.length > 0) {
    lines.push("**Replacements** (destroyed and created again), and what forces each:", "");
    for (const r of replacements) {
      const reason = r.actionReason === "replace_by_request" ? " (requested with -replace)" : "";
      const paths =
        r.replacePaths.length === 0
          ? reason || " (no attribute named by Terraform)"
          : `: ${r.replacePaths.map((p) => `${code(p.path)} ${code(p.before)} -> ${code(p.after)}`).join("; ")}${reason}`;
      lines.push(`- ${code(r.address)}${paths}`);
    }
    lines.push("");
  }
  const iam = s.changes.filter((c) => c.policies.length > 0);
  if (iam.length > 0) {
    lines.push("**IAM policies** (statements removed `-` and added `+`):", "");
    for (const c of iam)
      for (const p of c.policies)
        lines.push(`${code(c.address)} ${p.attribute}:`, "```diff", ...diffLines(p.before, p.after), "```");
    lines.push("");
  }
  const sg = s.changes.filter((c) => c.securityGroupRules);
  if (sg.length > 0) {
    lines.push("**Security-group rules** (removed `-`, added `+`):", "");
    for (const c of sg)
      lines.push(
        `${code(c.address)}:`,
        "```diff",
        ...diffLines(c.securityGroupRules?.before ?? [], c.securityGroupRules?.after ?? []),
        "```",
      );
    lines.push("");
  }
  if (s.outputs.length > 0) {
    lines.push("**Outputs**:", "", "| output | before | after |", "|---|---|---|");
    for (const o of s.outputs)
      lines.push(
        `| ${code(o.name)} | ${o.before ? code(o.before) : "-"} | ${o.after ? code(o.after) : "-"} |`,
      );
    lines.push("");
  }
  if (s.changes.length > 0)
    lines.push(
      `<details><summary>${s.changes.length} resource(s) change</summary>`,
      "",
      "```diff",
      ...s.changes.map((c) => `${KIND_LABEL[c.kind]} ${c.address}${c.stateful ? "  (stateful)" : ""}`),
      "```",
      logUrl
        ? `Full plan: [the job log](${logUrl}) (step "terraform plan per stack", group "plan ${s.stack}").`
        : "",
      "</details>",
    );
  return lines;
}

export function renderComment(summaries: readonly StackPlanSummary[], options: RenderOptions = {}): string {
  const lines = [COMMENT_MARKER, "## Terraform plan", ""];
  const found = cautions(summaries);
  if (found.length > 0) {
    const approved = (options.labels ?? []).includes(APPROVAL_LABEL);
    lines.push(
      "> [!CAUTION]",
      `> **${found.length} resource(s) would be REPLACED or DESTROYED in a way that loses data or breaks callers.**`,
      approved
        ? `> Accepted by the label \`${APPROVAL_LABEL}\`.`
        : `> The plan check fails until a reviewer other than the author who accepts them adds the label \`${APPROVAL_LABEL}\` (after the latest push; a push removes it).`,
      ">",
      ...found.map(
        (c) =>
          `> - \`${c.stack}\`: \`${c.address}\` (**${c.kind === "delete" ? "destroy" : "replace"}**): ${c.why}`,
      ),
      "",
    );
  }
  const drifted = summaries.filter((s) => s.drift.length > 0).length;
  if (drifted > 0)
    lines.push(`Drift (changes made outside Terraform) in ${drifted} stack(s): see below.`, "");
  lines.push("| stack | add | change | destroy | of which replaced | drifted |", "|---|---|---|---|---|---|");
  for (const s of summaries)
    lines.push(
      `| \`${s.stack}\` | ${s.add} | ${s.change} | ${s.destroy} | ${s.replace} | ${s.drift.length} |`,
    );
  if (options.logUrl) lines.push("", `The full plans are in [the job log](${options.logUrl}).`);
  for (const s of summaries) lines.push("", ...renderStack(s, options.logUrl));
  return `${lines.join("\n")}\n`;
}

/**
 * `body` when it fits in `limit` characters, else its longest prefix of whole lines that fits together with a
 * notice linking the full comment (`fullUrl`). A code block open at the cut is closed first, so the rest renders.
 * The length is counted in UTF-16 code units, which is never less than GitHub's count of characters.
 */
export function capComment(body: string, fullUrl: string, limit = COMMENT_MAX_CHARACTERS): string {
  if (body.length <= limit) return body;
  const notice = (shown: number) =>
    `\n---\n**This comment is cut at ${shown.toLocaleString("en-US")} of ${body.length.toLocaleString("en-US")} characters** (GitHub's limit is ${limit.toLocaleString("en-US")}): the full plan summary is the artifact [plan-comment](${fullUrl}).\n`;
  const fence = "```\n";
  // Room for the longest notice and a closing fence.
  const budget = limit - notice(limit).length - fence.length;
  if (budget <= 0) throw new RangeError(`limit ${limit} leaves no room for the notice`);
  let cut = body.lastIndexOf("\n", budget);
  if (cut <= 0) cut = budget;
  let head = body.slice(0, cut + 1);
  const fences = head.split("\n").filter((line) => line.trimStart().startsWith("```")).length;
  if (fences % 2 === 1) head += fence;
  return `${head}${notice(head.length)}`;
}

interface Arguments {
  readonly plans: readonly [string, string][];
  readonly logUrl?: string;
  readonly labels: readonly string[];
  readonly gateFile?: string;
}

export function parseArguments(args: readonly string[]): Arguments {
  const plans: [string, string][] = [];
  let logUrl: string | undefined;
  let labels: string[] = [];
  let gateFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--log-url") logUrl = value();
    else if (arg === "--labels")
      labels = value()
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean);
    else if (arg === "--gate-file") gateFile = value();
    else {
      const separator = arg.indexOf("=");
      if (separator <= 0) throw new Error(`argument "${arg}" is not <stack>=<plan.json>`);
      plans.push([arg.slice(0, separator), arg.slice(separator + 1)]);
    }
  }
  if (plans.length === 0)
    throw new Error(
      "usage: plan-summary [--log-url URL] [--labels a,b] [--gate-file FILE] <stack>=<plan.json> [...]  (plans from `terraform show -json tfplan`)",
    );
  return { plans, labels, ...(logUrl ? { logUrl } : {}), ...(gateFile ? { gateFile } : {}) };
}

function main(argv: readonly string[]): void {
  const args = parseArguments(argv);
  const summaries = args.plans.map(([stack, file]) =>
    summarisePlan(stack, JSON.parse(readFileSync(file, "utf8"))),
  );
  process.stdout.write(
    renderComment(summaries, { labels: args.labels, ...(args.logUrl ? { logUrl: args.logUrl } : {}) }),
  );
  if (args.gateFile) writeFileSync(args.gateFile, planGate(summaries, args.labels) ?? "");
}

function cap(argv: readonly string[]): void {
  const [file, fullUrl] = argv;
  if (!file || !fullUrl) throw new Error("usage: plan-summary cap <comment.md> <full-comment-url>");
  process.stdout.write(capComment(readFileSync(file, "utf8"), fullUrl));
}

if (require.main === module) {
  try {
    const argv = process.argv.slice(2);
    if (argv[0] === "cap") cap(argv.slice(1));
    else main(argv);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
