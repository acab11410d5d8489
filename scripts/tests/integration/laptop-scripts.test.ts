/**
 * The scripts a person runs from a laptop, with the real bash, jq and tsx and stand-ins only for what talks to
 * AWS or GitHub: `terraform` (its `output -json` of the bootstrap stack) and `gh` (it records its arguments).
 * What they print and refuse is checked against the site config (infra/src/site-facts.ts), not restated.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { siteFacts } from "@sml/infra/site-facts";
import { PLACEHOLDER_SITE_FILE } from "@sml/infra/testing/use-test-site";

jest.setTimeout(120_000);

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, "..", "..", "..");
const FACTS = siteFacts();

let dir: string;
let ghLog: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sml-laptop-"));
  ghLog = join(dir, "gh.log");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const outputs = {
    plan_role_arn: { value: `arn:aws:iam::${FACTS.accounts.dev}:role/github-sml-plan` },
    ...Object.fromEntries(
      FACTS.githubEnvironments.map((env) => [`deploy_role_arn_${env}`, { value: FACTS.roles.deploy[env] }]),
    ),
  };
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake("terraform", `case "$*" in *"output -json"*) cat <<'JSON'\n${JSON.stringify(outputs)}\nJSON\n;; esac`);
  // gh logs its arguments and answers the two reads github-variables.sh makes as the REST API does ("Get an
  // environment": protection_rules; "List deployment branch policies": branch_policies), from files a test may set.
  writeFileSync(
    join(dir, "prd.json"),
    JSON.stringify({
      name: "prd",
      protection_rules: [
        { id: 1, type: "required_reviewers", reviewers: [{ type: "User", reviewer: { login: "ada" } }] },
      ],
    }),
  );
  writeFileSync(join(dir, "policies.json"), JSON.stringify({ total_count: 0, branch_policies: [] }));
  fake(
    "gh",
    `echo "$*" >> "${ghLog}"
case "$*" in
  "api repos/"*"/environments/prd") cat "${dir}/prd.json" ;;
  "api repos/"*"/deployment-branch-policies") cat "${dir}/policies.json" ;;
esac`,
  );
  fake("aws", `echo "aws must not be called: $*" >&2; exit 99`);
  const stack = join(dir, "out", "stacks", FACTS.stacks[0] as string);
  mkdirSync(join(stack, ".terraform"), { recursive: true });
  writeFileSync(join(stack, "cdk.tf.json"), "{}");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function script(path: string, args: string[], env: Record<string, string | undefined> = {}) {
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) environment[k] = v;
  environment.PATH = `${join(dir, "bin")}${delimiter}${process.env.PATH}`;
  environment.CDKTF_OUTDIR = join(dir, "out");
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, path), args, { cwd: REPO_ROOT, env: environment });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The template's shipped site (placeholders) instead of the filled-in test site every test runs on. */
const PLACEHOLDERS = { SML_SITE_FILE: PLACEHOLDER_SITE_FILE };

describe("scripts/delivery/github-variables.sh (terraform and gh stand-ins)", () => {
  it("sets the repository and environment variables from the bootstrap outputs and the site", async () => {
    const result = await script("scripts/delivery/github-variables.sh", [], {
      SML_ALARM_EMAIL_DEV: "oncall@ops.acme.io",
      SML_ALARM_EMAIL_PRD: undefined,
    });
    expect(result.stderr).toContain("SML_ALARM_EMAIL_PRD is not set in this shell");
    expect(result.code).toBe(0);
    const calls = readFileSync(ghLog, "utf8").trim().split("\n");
    const repo = FACTS.githubRepository;
    expect(calls).toContain(`variable set AWS_REGION --repo ${repo} --body ${FACTS.region}`);
    expect(calls).toContain(
      `variable set AWS_PLAN_ROLE_ARN --repo ${repo} --body arn:aws:iam::${FACTS.accounts.dev}:role/github-sml-plan`,
    );
    expect(calls).toContain(`variable set SML_ALARM_EMAIL_DEV --repo ${repo} --body oncall@ops.acme.io`);
    for (const env of FACTS.githubEnvironments) {
      const create = calls.findIndex((c) =>
        c.startsWith(`api --method PUT repos/${repo}/environments/${env} --silent`),
      );
      const set = calls.indexOf(
        `variable set AWS_DEPLOY_ROLE_ARN --repo ${repo} --env ${env} --body ${FACTS.roles.deploy[env]}`,
      );
      expect([env, create >= 0, set > create]).toEqual([env, true, true]);
    }
  });

  // A workflow started from another branch must get no job in dev or prd, and so no deploy role (review of issue
  // 24, finding 5). GitHub REST: "Create or update an environment" (deployment_branch_policy), "Create a deployment
  // branch policy" (name, type).
  it("lets dev and prd deploy only from main: custom branch policies naming main, created once", async () => {
    const result = await script("scripts/delivery/github-variables.sh", []);
    expect(result.code).toBe(0);
    const calls = readFileSync(ghLog, "utf8").trim().split("\n");
    const repo = FACTS.githubRepository;
    for (const env of FACTS.environments) {
      expect(calls).toContain(
        `api --method PUT repos/${repo}/environments/${env} --silent -F deployment_branch_policy[protected_branches]=false -F deployment_branch_policy[custom_branch_policies]=true`,
      );
      expect(calls).toContain(
        `api --method POST repos/${repo}/environments/${env}/deployment-branch-policies --silent -f name=main -f type=branch`,
      );
    }
    // The previews' environment runs pull requests' branches: no policy there.
    expect(calls.filter((c) => c.includes("environments/preview/deployment-branch-policies"))).toEqual([]);
    // Run again once main is listed: nothing is added twice.
    writeFileSync(
      join(dir, "policies.json"),
      JSON.stringify({ total_count: 1, branch_policies: [{ id: 7, name: "main", type: "branch" }] }),
    );
    rmSync(ghLog);
    expect((await script("scripts/delivery/github-variables.sh", [])).code).toBe(0);
    expect(readFileSync(ghLog, "utf8")).not.toContain("--method POST");
  });

  it("fails, naming the setting, while prd has no required reviewers (after setting the variables)", async () => {
    writeFileSync(join(dir, "prd.json"), JSON.stringify({ name: "prd", protection_rules: [] }));
    const result = await script("scripts/delivery/github-variables.sh", []);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the GitHub environment prd has no required reviewers");
    expect(result.stderr).toContain("Settings > Environments > prd > Required reviewers");
    expect(readFileSync(ghLog, "utf8")).toContain("variable set AWS_REGION");
    // A wait timer alone is a protection rule but approves nothing.
    writeFileSync(
      join(dir, "prd.json"),
      JSON.stringify({ name: "prd", protection_rules: [{ id: 2, type: "wait_timer", wait_timer: 5 }] }),
    );
    expect((await script("scripts/delivery/github-variables.sh", [])).code).toBe(1);
  });

  it("only prints the gh commands with --dry-run", async () => {
    const result = await script("scripts/delivery/github-variables.sh", ["--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `gh variable set AWS_REGION --repo ${FACTS.githubRepository} --body ${FACTS.region}`,
    );
    expect(existsSync(ghLog)).toBe(false);
  });

  it("refuses a site that still holds placeholders, naming them, before calling gh", async () => {
    const result = await script("scripts/delivery/github-variables.sh", [], PLACEHOLDERS);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/accounts\.dev ".*" is a placeholder/);
    expect(existsSync(ghLog)).toBe(false);
  });
});

describe("scripts/delivery/plan-apply.sh (npm run plan / apply) refusals, before any AWS call", () => {
  it.each([
    ["an unknown mode", ["destroy", "sml-dev"], 2, /unknown mode 'destroy'/],
    [
      "an unknown stack",
      ["plan", "sml-qa"],
      2,
      new RegExp(`unknown stack 'sml-qa'; the app's stacks: ${FACTS.stacks.join(", ")}`),
    ],
    [
      "an unknown environment for the registry",
      ["plan", FACTS.stacks[1] as string, "--as", "qa"],
      2,
      /unknown environment 'qa'/,
    ],
    ["a digest that is not sha256", ["apply", "sml-dev", "--image-digest", "latest"], 2, /must be sha256/],
    ["an unknown flag", ["plan", "sml-dev", "--force"], 2, /unknown argument '--force'/],
  ])("refuses %s", async (_what, args, code, message) => {
    const result = await script("scripts/delivery/plan-apply.sh", args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain("aws must not be called");
  });

  it("refuses a site with placeholders, naming the settings", async () => {
    const result = await script("scripts/delivery/plan-apply.sh", ["plan", "sml-dev"], PLACEHOLDERS);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("githubRepository");
    expect(result.stderr).not.toContain("aws must not be called");
  });

  it.each(["plan", "apply"])(
    "refuses to %s an environment stack without its alarm e-mail, naming the variable and the doc step",
    async (mode) => {
      const env = FACTS.environments[1] as string;
      const variable = `SML_ALARM_EMAIL_${env.toUpperCase()}`;
      const result = await script("scripts/delivery/plan-apply.sh", [mode, FACTS.stacks[3] as string], {
        [variable]: "",
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${variable} is not set`);
      expect(result.stderr).toContain('docs/deploy.md, "Fork it", step 2');
      expect(result.stderr).not.toContain("aws must not be called");
    },
  );
});
