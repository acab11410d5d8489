/**
 * `npm run lint:shell`: shellcheck over every shell script of the repository and every `run:` block of the
 * workflows. shellcheck is a system tool (no npm package ships it without a download from GitHub), so it runs
 * under `npm run lint`, which .ci/run runs after installing it, and not under `npm test`: the README's test
 * command must pass on a machine with only Node.js and PostgreSQL. Without shellcheck this prints how to install it
 * and exits 0, except under CI=true, where a missing linter is a failure.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { parseWorkflow, runScriptForShellcheck, runScripts } from "./workflow-checks";

export const REPO_ROOT = join(__dirname, "..", "..");
const INSTALL_HINT = "apt-get install shellcheck (Debian/Ubuntu) or brew install shellcheck (macOS)";

function startsWithShellShebang(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(32);
    const read = readSync(fd, head, 0, head.length, 0);
    return /^#!\s*(\/usr\/bin\/env\s+(bash|sh)|\/bin\/(ba)?sh)\b/.test(
      head.subarray(0, read).toString("latin1"),
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Shell scripts of the repository: every `*.sh` plus extension-less files with a shell shebang (`.ci/run`),
 * tracked or new, not ignored (node_modules, dist, ...).
 */
export function repositoryShellScripts(root = REPO_ROOT): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  return [...new Set(out.split("\n").filter(Boolean))]
    .filter((file) => existsSync(join(root, file)))
    .filter(
      (file) => file.endsWith(".sh") || (!/\.[\w]+$/.test(file) && startsWithShellShebang(join(root, file))),
    )
    .sort();
}

/** Every `run:` block of every workflow, as shellcheck reads it. */
export function workflowRunBlocks(root = REPO_ROOT): { readonly where: string; readonly script: string }[] {
  const dir = join(root, ".github", "workflows");
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) =>
      runScripts(parseWorkflow(readFileSync(join(dir, file), "utf8"))).map(({ where, script }) => ({
        where: `${file}: ${where}`,
        script: runScriptForShellcheck(script),
      })),
    );
}

/** How workflow run blocks are checked: bash, plus the optional check for return values a substitution masks. */
export const WORKFLOW_BLOCK_ARGS = [
  "--shell=bash",
  "--format=gcc",
  "-o",
  "check-extra-masked-returns",
] as const;

function shellcheck(args: string[], input?: string) {
  return spawnSync("shellcheck", args, { cwd: REPO_ROOT, encoding: "utf8", input });
}

function main(): number {
  const probe = shellcheck(["--version"]);
  if (probe.error) {
    const message = `shellcheck is not installed: ${INSTALL_HINT}`;
    if (process.env.CI === "true") {
      console.error(`lint:shell failed: ${message} (CI=true: a missing linter fails the run)`);
      return 1;
    }
    console.warn(`lint:shell skipped: ${message}`);
    return 0;
  }
  // The check can fail: an unquoted expansion must be reported, or shellcheck is not doing its job.
  const canary = shellcheck(
    ["--shell=bash", "--format=gcc", "-"],
    runScriptForShellcheck("rm -rf $1/build\n"),
  );
  if (canary.status !== 1 || !canary.stdout.includes("SC2086")) {
    console.error("lint:shell failed: shellcheck did not report SC2086 in a known-bad script");
    return 1;
  }
  // Workflow run blocks also get SC2312 (optional check): `echo "x=$(cmd)" >> "$GITHUB_OUTPUT"` exits with the
  // echo's status, so a failing cmd becomes an empty output instead of a failed step (review of issue 24).
  const masked = shellcheck(
    [...WORKFLOW_BLOCK_ARGS, "-"],
    runScriptForShellcheck('echo "region=$(false | jq -er .region)" >> "$GITHUB_OUTPUT"\n'),
  );
  if (masked.status !== 1 || !masked.stdout.includes("SC2312")) {
    console.error(
      "lint:shell failed: shellcheck did not report SC2312 (check-extra-masked-returns) in a workflow block",
    );
    return 1;
  }
  const findings: string[] = [];
  const files = repositoryShellScripts();
  for (const file of files) {
    const result = shellcheck(["--external-sources", "--format=gcc", file]);
    if (result.status !== 0) findings.push(result.stdout || result.stderr);
  }
  const blocks = workflowRunBlocks();
  for (const { where, script } of blocks) {
    const result = shellcheck([...WORKFLOW_BLOCK_ARGS, "-"], script);
    if (result.status !== 0) findings.push(`${where}\n${result.stdout || result.stderr}`);
  }
  if (findings.length > 0) {
    console.error(findings.join("\n"));
    console.error(`lint:shell: ${findings.length} of ${files.length + blocks.length} scripts have findings`);
    return 1;
  }
  console.log(`lint:shell: ${files.length} scripts and ${blocks.length} workflow run blocks, no findings`);
  return 0;
}

if (require.main === module) process.exitCode = main();
