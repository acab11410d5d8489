/**
 * Drift detection (.github/workflows/drift.yml): from one stack's `terraform plan -detailed-exitcode` (0 clean,
 * 2 changes, 1 error; Terraform CLI docs, "plan") and the repository's open drift issues, decide what to do with
 * the one issue kept per stack: open it, update it when the drift changed, close it when the plan is clean again,
 * or leave it. The plan's digest (SHA-256 over the changed addresses and their actions) tells a new drift from
 * the same drift seen again, so a daily run does not rewrite an unchanged issue.
 *
 * Usage: tsx scripts/delivery/drift-report.ts <stack> <exit-code> <plan.json> <open-issues.json> [<run-url>]
 * (`open-issues.json` from `gh issue list --label drift --state open --json number,title,body`) prints
 * `{"action": "open"|"update"|"close"|"none", "number"?, "title", "body"?}`.
 *
 * A drift check that cannot run (the plan fails, the synth fails) watches nothing, and a red scheduled run is easy
 * to miss: `tsx scripts/delivery/drift-report.ts --check <stack> success|failure <open-issues.json> [<run-url>]`
 * decides the same way about a second issue per stack, "Drift check of <stack> fails": opened or updated while the
 * check fails, closed once it runs again.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { type StackPlanSummary, summarisePlan } from "./plan-summary";

/** Label of the drift issues; the workflow creates it when missing. */
export const DRIFT_LABEL = "drift";

export interface OpenIssue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
}

export type DriftDecision =
  | { readonly action: "open"; readonly title: string; readonly body: string; readonly digest: string }
  | {
      readonly action: "update";
      readonly number: number;
      readonly title: string;
      readonly body: string;
      readonly digest: string;
    }
  | { readonly action: "close"; readonly number: number; readonly title: string; readonly body: string }
  | { readonly action: "none"; readonly number?: number; readonly title: string };

/** Bad input: names the argument and what it must be. */
export class DriftInputError extends Error {
  override readonly name = "DriftInputError";
}

/** One issue per stack, found again by its title. */
export const driftIssueTitle = (stack: string): string => `Drift in ${stack}`;

const marker = (stack: string, digest: string) => `<!-- drift ${stack} ${digest} -->`;
const MARKER = /<!-- drift (\S+) ([0-9a-f]{64}) -->/;

/** SHA-256 of the plan's changes (address and kind, sorted): equal for the same drift seen twice. */
export function planDigest(summary: StackPlanSummary): string {
  const lines = summary.changes.map((c) => `${c.address} ${c.kind}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

function issueBody(summary: StackPlanSummary, digest: string, runUrl: string | undefined): string {
  const rows = summary.changes.map(
    (c) => `| \`${c.address}\` | ${c.kind}${c.stateful ? " (holds data)" : ""} |`,
  );
  return [
    marker(summary.stack, digest),
    `\`terraform plan\` of \`${summary.stack}\` differs from what is deployed: someone or something changed a resource outside Terraform, or a merged change was never applied.`,
    "",
    `Plan digest: \`${digest}\` (${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy).`,
    "",
    "| resource | plan |",
    "| --- | --- |",
    ...rows,
    "",
    'Either apply the code again (deploy.yml) to undo the change, or put the change into the code. docs/operations.md, "Drift".',
    ...(runUrl ? ["", `Found by ${runUrl}`] : []),
  ].join("\n");
}

/**
 * What to do with the stack's drift issue. Exit code 1 (the plan failed) decides nothing: a broken plan is not
 * a clean one, so an open issue stays open and the workflow fails instead.
 */
export function decideDrift(
  stack: string,
  exitCode: number,
  plan: unknown,
  openIssues: readonly OpenIssue[],
  runUrl?: string,
): DriftDecision {
  const title = driftIssueTitle(stack);
  const existing = openIssues.find((i) => i.title === title);
  if (exitCode === 0)
    return existing
      ? {
          action: "close",
          number: existing.number,
          title,
          body: `\`terraform plan\` of \`${stack}\` is clean again${runUrl ? ` (${runUrl})` : ""}.`,
        }
      : { action: "none", title };
  if (exitCode !== 2)
    throw new DriftInputError(
      `exit code ${exitCode} of terraform plan -detailed-exitcode for ${stack}: 0 (clean) and 2 (changes) are results, anything else is a failed plan`,
    );
  const summary = summarisePlan(stack, plan);
  const digest = planDigest(summary);
  const body = issueBody(summary, digest, runUrl);
  if (!existing) return { action: "open", title, body, digest };
  const seen = MARKER.exec(existing.body);
  if (seen?.[1] === stack && seen[2] === digest) return { action: "none", number: existing.number, title };
  return { action: "update", number: existing.number, title, body, digest };
}

/** The issue kept open while a stack's drift check itself fails. */
export const driftCheckIssueTitle = (stack: string): string => `Drift check of ${stack} fails`;

/** What to do with the stack's "check fails" issue after a run whose job ended in `outcome`. */
export function decideCheck(
  stack: string,
  outcome: "success" | "failure",
  openIssues: readonly OpenIssue[],
  runUrl?: string,
): DriftDecision {
  const title = driftCheckIssueTitle(stack);
  const existing = openIssues.find((i) => i.title === title);
  if (outcome === "success")
    return existing
      ? {
          action: "close",
          number: existing.number,
          title,
          body: `The drift check of \`${stack}\` runs again${runUrl ? ` (${runUrl})` : ""}.`,
        }
      : { action: "none", title };
  const body = [
    `The drift check of \`${stack}\` failed${runUrl ? ` in ${runUrl}` : ""}: its \`terraform plan\` (or the synth before it) did not finish, so drift in \`${stack}\` goes unseen until it runs again.`,
    "",
    'Read the run\'s log: expired or missing credentials (the plan role), a state lock held by a stuck deploy, a provider or synth error. docs/operations.md, "Drift".',
  ].join("\n");
  return existing
    ? { action: "update", number: existing.number, title, body, digest: "" }
    : { action: "open", title, body, digest: "" };
}

/** Reads `gh issue list --json number,title,body` output. */
export function parseIssues(value: unknown): OpenIssue[] {
  if (!Array.isArray(value))
    throw new DriftInputError("open issues must be a JSON list (gh issue list --json number,title,body)");
  return value.map((i, index) => {
    const { number, title, body } = (i ?? {}) as Partial<OpenIssue>;
    if (typeof number !== "number" || typeof title !== "string")
      throw new DriftInputError(`open issues[${index}] has no number or title`);
    return { number, title, body: typeof body === "string" ? body : "" };
  });
}

function checkMain(args: readonly string[]): void {
  const [stack, outcome, issuesFile, runUrl] = args;
  if (!stack || !issuesFile || (outcome !== "success" && outcome !== "failure"))
    throw new DriftInputError(
      "usage: drift-report.ts --check <stack> success|failure <open-issues.json> [<run-url>]",
    );
  const issues = parseIssues(JSON.parse(readFileSync(issuesFile, "utf8")));
  process.stdout.write(`${JSON.stringify(decideCheck(stack, outcome, issues, runUrl))}\n`);
}

if (require.main === module) {
  const [stack, code, planFile, issuesFile, runUrl] = process.argv.slice(2);
  try {
    if (stack === "--check") checkMain(process.argv.slice(3));
    else {
      if (!stack || !code || !planFile || !issuesFile)
        throw new DriftInputError(
          "usage: drift-report.ts <stack> <exit-code> <plan.json> <open-issues.json> [<run-url>]",
        );
      const exitCode = Number(code);
      // A clean plan needs no plan file; a drifted one does.
      const plan = exitCode === 2 || existsSync(planFile) ? JSON.parse(readFileSync(planFile, "utf8")) : {};
      const issues = parseIssues(JSON.parse(readFileSync(issuesFile, "utf8")));
      process.stdout.write(`${JSON.stringify(decideDrift(stack, exitCode, plan, issues, runUrl))}\n`);
    }
  } catch (err) {
    process.stderr.write(`drift-report: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
