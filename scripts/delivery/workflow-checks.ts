/**
 * Rules the GitHub workflows must keep, beyond what actionlint checks: actions pinned to commit SHAs, explicit
 * least-privilege permissions, the README's commands instead of copies, and scripts that exist. Used by
 * scripts/tests/unit/workflows.test.ts; each function returns human-readable findings (empty when the rule holds).
 */

import { githubEnvValues } from "@sml/infra/site-facts";
import { parse } from "yaml";

export interface WorkflowStep {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly "working-directory"?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}

export interface WorkflowJob {
  readonly name?: string;
  readonly permissions?: Record<string, string> | string;
  readonly environment?: string | { readonly name: string };
  readonly steps?: readonly WorkflowStep[];
  readonly services?: Record<string, { image: string; env?: Record<string, string>; ports?: string[] }>;
  readonly needs?: string | readonly string[];
  readonly if?: string;
  readonly env?: Record<string, unknown>;
  readonly outputs?: Record<string, string>;
}

export interface Workflow {
  readonly name?: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string> | string;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress"?: boolean | string };
  readonly jobs: Record<string, WorkflowJob>;
  readonly env?: Record<string, unknown>;
}

export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow;
}

/** `owner/repo@<40 hex> # v1.2.3`, as written on the `uses:` line (the comment is only visible in the text). */
const PINNED_USES = /^\s*(?:-\s+)?uses:\s+([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+){0,2}\s*$/;

/** Third-party actions not pinned to a full commit SHA with its version in a trailing comment. */
export function unpinnedActions(text: string): string[] {
  const findings: string[] = [];
  text.split("\n").forEach((line, index) => {
    const uses = line.match(/^\s*(?:-\s+)?uses:\s+(\S+)/);
    if (!uses) return;
    const ref = uses[1] as string;
    if (ref.startsWith("./") || ref.startsWith("docker://")) return;
    if (!PINNED_USES.test(line)) {
      findings.push(`line ${index + 1}: ${ref} is not pinned as <action>@<40-hex commit sha> # vX.Y.Z`);
    }
  });
  return findings;
}

function jobUsesAwsCredentials(job: WorkflowJob): boolean {
  return (job.steps ?? []).some((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
}

/** GitHub artifact attestations sign with a Sigstore certificate issued for the job's OIDC token. */
function jobAttests(job: WorkflowJob): boolean {
  return (job.steps ?? []).some((step) => step.uses?.startsWith("actions/attest-build-provenance@"));
}

/**
 * Workflow-level permissions must be empty or read-only, every job must declare its own, nothing may be
 * `write-all`, and only jobs that assume an AWS role may mint OIDC tokens.
 */
export function permissionFindings(workflow: Workflow): string[] {
  const findings: string[] = [];
  const top = workflow.permissions;
  if (top === undefined) findings.push("workflow: no top-level `permissions:` (the default token may write)");
  else if (typeof top === "string") findings.push(`workflow: permissions: ${top} (list scopes instead)`);
  else
    for (const [scope, level] of Object.entries(top))
      if (level !== "read") findings.push(`workflow: top-level ${scope}: ${level} (grant writes per job)`);

  for (const [id, job] of Object.entries(workflow.jobs)) {
    const permissions = job.permissions;
    if (permissions === undefined) {
      findings.push(`job ${id}: no \`permissions:\``);
      continue;
    }
    if (typeof permissions === "string") {
      findings.push(`job ${id}: permissions: ${permissions} (list scopes instead)`);
      continue;
    }
    if (permissions["id-token"] === "write" && !jobUsesAwsCredentials(job) && !jobAttests(job))
      findings.push(`job ${id}: id-token: write without assuming an AWS role or attesting`);
    if (permissions.attestations === "write" && !jobAttests(job))
      findings.push(`job ${id}: attestations: write without attesting`);
    if (permissions.attestations === "write" && jobUsesAwsCredentials(job))
      findings.push(`job ${id}: attests and holds AWS credentials (sign in a job of its own)`);
    if (jobUsesAwsCredentials(job) && permissions["id-token"] !== "write")
      findings.push(`job ${id}: assumes an AWS role but lacks id-token: write`);
  }
  return findings;
}

/** Every `run:` script of the workflow, with where it is. */
export function runScripts(workflow: Workflow): { readonly where: string; readonly script: string }[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) =>
    (job.steps ?? []).flatMap((step, index) =>
      step.run === undefined
        ? []
        : [
            {
              where: `job ${id}, step ${index + 1} (${step.name ?? step.run.trim().split("\n")[0]})`,
              script: step.run,
            },
          ],
    ),
  );
}

/**
 * Repository scripts (`scripts/...`, `.ci/...`) a piece of shell calls. Paths are read from the repository root; a
 * `../` path is a step that runs in a subfolder (drift.yml's), a `workflow/` one the workflow's own checkout beside
 * the deployed commit (deploy.yml's).
 */
export function referencedScripts(script: string): string[] {
  const found = new Set<string>();
  for (const match of script.matchAll(
    /(?:^|[\s"'(=])(?:\.\.?\/|workflow\/)?((?:scripts|\.ci)\/[\w./-]*[\w-])/g,
  )) {
    found.add(match[1] as string);
  }
  return [...found];
}

/**
 * Tools that the README's npm scripts wrap. Calling them directly from a workflow would test something other
 * than what a developer runs; `cdktf deploy` and `cdktf diff` have no README command and stay allowed.
 */
export const WRAPPED_TOOLS: readonly { readonly pattern: RegExp; readonly use: string }[] = [
  { pattern: /\bjest\b/, use: "npm test" },
  { pattern: /--experimental-vm-modules/, use: "npm test" },
  { pattern: /\bbiome\b/, use: "npm run lint" },
  { pattern: /\btsc\b/, use: "npm run typecheck" },
  { pattern: /\bcdktf\s+synth\b/, use: "npm run synth" },
  { pattern: /scripts\/src\/build\/bundle\.ts/, use: "npm run build" },
  { pattern: /\bnpm\s+install\b|\bnpm\s+i\b/, use: "npm ci" },
];

/** Run steps that copy a README command's internals instead of calling the command. */
export function copiedCommands(workflow: Workflow): string[] {
  return runScripts(workflow).flatMap(({ where, script }) =>
    WRAPPED_TOOLS.filter((tool) => tool.pattern.test(script)).map(
      (tool) => `${where}: runs ${tool.pattern} directly; call \`${tool.use}\` instead`,
    ),
  );
}

/** The commands of the README's "Scripts" table and its quickstart block (`npm test`, `npm run synth`, ...). */
export function readmeCommands(readme: string): string[] {
  const commands = new Set<string>();
  for (const match of readme.matchAll(/`((?:npm (?:ci|start|test|run [\w:-]+))|scripts\/[\w./-]+\.sh)`/g)) {
    commands.add(match[1] as string);
  }
  for (const match of readme.matchAll(/^(npm (?:ci|start|test|run [\w:-]+))(?:\s|$)/gm))
    commands.add(match[1] as string);
  for (const match of readme.matchAll(/&&\s+(npm (?:ci|start|test|run [\w:-]+))/g))
    commands.add(match[1] as string);
  return [...commands].sort();
}

/** Whether any run step invokes exactly this command (as a whole word sequence). */
export function callsCommand(workflow: Workflow, command: string): boolean {
  const escaped = command.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const pattern = new RegExp(`(^|[\\s;&|(])${escaped}(?=$|[\\s;&|)])`, "m");
  return runScripts(workflow).some(({ script }) => pattern.test(script));
}

/**
 * A run script as shellcheck can read it: GitHub runs it with `bash -e {0}` (with -o pipefail), and
 * `${{ ... }}` expressions are replaced before the shell sees them, so they become a placeholder word.
 */
export function runScriptForShellcheck(script: string): string {
  const body = script.replace(/\$\{\{[^}]*\}\}/g, "GITHUB_EXPRESSION");
  return `#!/usr/bin/env bash\nset -eo pipefail\n${body}`;
}

const CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials";

const mintsOidcTokens = (job: WorkflowJob): boolean =>
  typeof job.permissions === "object" && job.permissions["id-token"] === "write";

const requestsCredentials = (job: WorkflowJob): boolean =>
  mintsOidcTokens(job) || (job.steps ?? []).some((s) => s.uses?.startsWith(`${CREDENTIALS_ACTION}@`));

const runsScript = (step: WorkflowStep, script: string): boolean => step.run?.includes(script) ?? false;

/** Every job a job waits for, directly or through other jobs. */
function upstreamJobs(workflow: Workflow, id: string, seen = new Set<string>()): Set<string> {
  const needs = workflow.jobs[id]?.needs;
  for (const need of typeof needs === "string" ? [needs] : (needs ?? [])) {
    if (seen.has(need)) continue;
    seen.add(need);
    upstreamJobs(workflow, need, seen);
  }
  return seen;
}

/**
 * Jobs that can obtain AWS credentials before `gateScript` has passed: a job is gated when it waits for a job
 * that runs the gate and can obtain no credentials itself, or when the gate is a step of its own before the
 * credentials step and the job mints no OIDC token earlier. Returns one finding per ungated job.
 */
export function credentialGateFindings(workflow: Workflow, gateScript: string): string[] {
  const findings: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    if (!requestsCredentials(job)) continue;
    const gatedByJob = [...upstreamJobs(workflow, id)].some((need) => {
      const gate = workflow.jobs[need];
      return (
        gate !== undefined &&
        !requestsCredentials(gate) &&
        gate.environment === undefined &&
        (gate.steps ?? []).some((s) => runsScript(s, gateScript))
      );
    });
    const steps = job.steps ?? [];
    const gateStep = steps.findIndex((s) => runsScript(s, gateScript));
    const credentialStep = steps.findIndex((s) => s.uses?.startsWith(`${CREDENTIALS_ACTION}@`));
    // Within one job the OIDC token is requested by the credentials step, so the order of the steps decides.
    const gatedByStep = gateStep >= 0 && credentialStep >= 0 && gateStep < credentialStep;
    if (!gatedByJob && !gatedByStep)
      findings.push(`job ${id} can request AWS credentials before ${gateScript} has passed`);
  }
  return findings;
}

/**
 * Every step of the given workflows that can apply (or destroy) a stack: `cdktf deploy|destroy` naming it or a
 * wildcard, `terraform apply|destroy` in its synthesized folder, or scripts/delivery/plan-apply.sh naming it. Each
 * finding is `<file> jobs.<job> "<step name>"`. A shared stack must have exactly one (issue 23: the registry was
 * applied by dev's and prd's deploys from different commits, so each rolled back the other's changes).
 */
/**
 * The variables the workflows' "Stack names from the site" step writes to $GITHUB_ENV (infra/src/site-facts.ts
 * `--github-env [environment]`): `STACK` is given an environment's name there, so it names an environment stack.
 */
function siteStackVariables(): Record<string, string> {
  const values = githubEnvValues();
  return { ...values, STACK: `${values.SML_PROJECT}-<environment>` };
}

export function stackAppliers(workflows: Readonly<Record<string, Workflow>>, stack: string): string[] {
  const site = siteStackVariables();
  const words = (line: string) => [...line.matchAll(/(?:^|\s)(['"]?)([^\s'"]+)\1/g)].map((m) => m[2] ?? "");
  const applies = (run: string, env: Record<string, unknown>): boolean =>
    run.split("\n").some((line) => {
      const cdktf = /\bcdktf\s+(deploy|destroy)\b/.test(line);
      const terraform = /\bterraform\b.*\b(apply|destroy)\b/.test(line);
      const planApply = /plan-apply\.sh/.test(line);
      if (!cdktf && !terraform && !planApply) return false;
      return words(line).some((word) => {
        if (word === stack || word.endsWith(`/${stack}`) || word === "*") return true;
        const variable = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(word)?.[1];
        if (!variable) return false;
        // A variable set in the workflow names what its value names; one set elsewhere may name any stack.
        const value = env[variable];
        return value === undefined || String(value).includes(stack) || String(value).includes("*");
      });
    });
  return Object.entries(workflows).flatMap(([file, workflow]) =>
    Object.entries(workflow.jobs ?? {}).flatMap(([jobId, job]) =>
      (job.steps ?? [])
        .filter((step) =>
          applies(step.run ?? "", {
            ...site,
            ...(workflow.env ?? {}),
            ...(job.env ?? {}),
            ...(step.env ?? {}),
          }),
        )
        .map((step) => `${file} jobs.${jobId} "${step.name ?? step.run}"`),
    ),
  );
}

const CHECKOUT_ACTION = "actions/checkout";

/**
 * Refs a workflow's trigger lets someone else choose: a pull request's head, the commit of the run that triggered a
 * workflow_run (any branch's workflow file can carry the watched name), and dispatch inputs (free text).
 */
const UNTRUSTED_REF =
  /\b(github\.event\.workflow_run\.head_\w+|github\.event\.pull_request\.head\b[\w.]*|(?:github\.event\.)?inputs\.[\w-]+)/;

/** The conditions under which a job may run code from an untrusted ref with credentials (GitHub payload fields). */
const TRUST_CONDITIONS: readonly { readonly ref: RegExp; readonly conditions: readonly RegExp[] }[] = [
  {
    ref: /pull_request\.head/,
    conditions: [/github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/],
  },
  {
    ref: /workflow_run\.head_/,
    conditions: [
      /github\.event\.workflow_run\.event\s*==\s*'workflow_dispatch'/,
      /github\.event\.workflow_run\.head_repository\.full_name\s*==\s*github\.repository/,
      /github\.event\.workflow_run\.path\s*==\s*'\.github\/workflows\/[\w.-]+\.ya?ml'/,
    ],
  },
  // Dispatch inputs have no condition that makes them trusted: inspect such a ref, never run it.
];

/** Jobs whose outputs or success decide what a job with credentials does: every job they wait for. */
function credentialBearingJobs(workflow: Workflow): Set<string> {
  const bearing = new Set<string>();
  for (const [id, job] of Object.entries(workflow.jobs))
    if (requestsCredentials(job)) {
      bearing.add(id);
      for (const need of upstreamJobs(workflow, id)) bearing.add(need);
    }
  return bearing;
}

const isRoot = (path: unknown) => path === undefined || /^(\.|\.\/)?$/.test(String(path));

/** Whether a step runs something from `path` (a checkout folder): its working directory, a `cd`, or a file in it. */
function runsFrom(step: WorkflowStep, path: string): boolean {
  const folder = path.replace(/^\.\//, "").replace(/\/$/, "");
  const escaped = folder.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const workingDirectory = step["working-directory"]?.replace(/^\.\//, "");
  if (workingDirectory === folder || workingDirectory?.startsWith(`${folder}/`)) return true;
  const run = step.run ?? "";
  return (
    new RegExp(`(^|[\\s;&|(])cd\\s+["']?(\\./)?${escaped}\\b`).test(run) ||
    new RegExp(`(^|[\\s;&|(="'])(\\./)?${escaped}/[\\w./-]*\\.(sh|ts|js|mjs|cjs)\\b`).test(run) ||
    new RegExp(`(^|[\\s;&|(="'])(\\./)?${escaped}/node_modules\\b`).test(run)
  );
}

/**
 * Jobs that hold credentials (an OIDC token), or decide what such a job does, and run code from a ref someone else
 * chose: a checkout whose `ref:` is a pull request's head, a workflow_run's head or a dispatch input, either at the
 * workspace root (every later step runs its code: npm ci's install scripts, scripts/...) or in a folder a later step
 * runs something from. Allowed only under the trigger's trust condition (`TRUST_CONDITIONS`) in the job's `if:` or
 * in the `if:` of a job it waits for; a dispatch input never is. Inspecting such a ref in its own folder (git) is fine.
 */
export function untrustedCheckoutFindings(workflow: Workflow): string[] {
  const findings: string[] = [];
  const bearing = credentialBearingJobs(workflow);
  for (const [id, job] of Object.entries(workflow.jobs)) {
    if (!bearing.has(id)) continue;
    const conditions = [job, ...[...upstreamJobs(workflow, id)].map((need) => workflow.jobs[need])]
      .map((j) => j?.if ?? "")
      .join("\n");
    const steps = job.steps ?? [];
    steps.forEach((step, index) => {
      if (!step.uses?.startsWith(`${CHECKOUT_ACTION}@`)) return;
      const ref = String(step.with?.ref ?? "");
      const untrusted = UNTRUSTED_REF.exec(ref)?.[1];
      if (!untrusted) return;
      const trust = TRUST_CONDITIONS.find((t) => t.ref.test(untrusted));
      if (trust?.conditions.every((condition) => condition.test(conditions))) return;
      const path = step.with?.path;
      const later = steps.slice(index + 1);
      if (isRoot(path)) {
        if (later.some((s) => s.run !== undefined))
          findings.push(`job ${id}: checks out ${untrusted} at the workspace root and runs steps after it`);
      } else {
        const runner = later.find((s) => runsFrom(s, String(path)));
        if (runner)
          findings.push(
            `job ${id}: runs code from ${untrusted} (checked out in ${String(path)}): "${runner.name ?? runner.run}"`,
          );
      }
    });
  }
  return findings;
}

/**
 * Jobs that install dependencies after obtaining AWS credentials: npm ci runs every dependency's install scripts,
 * which must never see the role's keys (the credentials action exports them to every later step).
 */
export function installAfterCredentialsFindings(workflow: Workflow): string[] {
  const findings: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps ?? [];
    const credentials = steps.findIndex((s) => s.uses?.startsWith(`${CREDENTIALS_ACTION}@`));
    if (credentials < 0) continue;
    steps.forEach((step, index) => {
      if (index > credentials && /(^|[\s;&|(])npm\s+(ci|install|i)\b/m.test(step.run ?? ""))
        findings.push(
          `job ${id}: step ${index + 1} (${step.name ?? "npm ci"}) installs after the AWS credentials`,
        );
    });
  }
  return findings;
}

/**
 * Lines that write a command substitution straight into $GITHUB_OUTPUT or $GITHUB_ENV: `echo "x=$(cmd)"` exits 0
 * whatever cmd did (the echo's status is the line's), so a failure becomes an empty output. Assign first.
 */
export function maskedOutputFindings(workflow: Workflow): string[] {
  return runScripts(workflow).flatMap(({ where, script }) =>
    script
      .split("\n")
      .filter((line) => /\$\(/.test(line) && />>\s*"?\$\{?GITHUB_(OUTPUT|ENV)\b/.test(line))
      .map((line) => `${where}: ${line.trim()}`),
  );
}

/**
 * AWS credentials steps whose `vars.X` inputs nothing checked first: an unset variable is an empty string, and the
 * credentials action then fails without naming it. Checked by an earlier step running require-variables.sh with X,
 * or by the job's `if: vars.X != ''` (a job that only runs when the feature is configured).
 */
export function uncheckedVariableFindings(workflow: Workflow): string[] {
  const findings: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps ?? [];
    const credentials = steps.findIndex((s) => s.uses?.startsWith(`${CREDENTIALS_ACTION}@`));
    if (credentials < 0) continue;
    const used = [
      ...JSON.stringify(steps[credentials]?.with ?? {}).matchAll(/\bvars\.([A-Z][A-Z0-9_]*)/g),
    ].map((m) => m[1] as string);
    for (const name of new Set(used)) {
      const byJob = new RegExp(`vars\\.${name}\\s*!=\\s*''`).test(job.if ?? "");
      const byStep = steps
        .slice(0, credentials)
        .some(
          (s) => /require-variables\.sh/.test(s.run ?? "") && new RegExp(`\\b${name}\\b`).test(s.run ?? ""),
        );
      if (!byJob && !byStep) findings.push(`job ${id}: vars.${name} reaches the credentials step unchecked`);
    }
  }
  return findings;
}
