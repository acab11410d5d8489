/**
 * scripts/delivery/bootstrap.sh: the bootstrap stack's first apply and its state migration in one command. The
 * real bash, jq, tsx and cdktf app run; `terraform` and `aws` are stand-ins (no provider, no account here) that
 * log each call with the backend the working directory's cdk.tf.json declares at that moment, so the test sees
 * what Terraform would be asked to do, in order. Terraform's documented behaviour it relies on: `init
 * -migrate-state` copies the state of the backend recorded in .terraform/ to the newly configured one, and
 * `-force-copy` answers its question with yes (developer.hashicorp.com/terraform/cli/commands/init#backend-initialization).
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { siteFacts } from "@sml/infra/site-facts";
import { PLACEHOLDER_SITE_FILE } from "@sml/infra/testing/use-test-site";

jest.setTimeout(180_000);

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, "..", "..", "..");
const FACTS = siteFacts();
const STACK = FACTS.stacks[0] as string;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sml-bootstrap-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // terraform: logs "<args> | backend=<type of cdk.tf.json's backend>"; apply writes the local state file the
  // local backend names; init -migrate-state needs the earlier init and that file, and "copies" it to s3.
  fake(
    "terraform",
    `chdir="\${1#-chdir=}"; shift
backend="$(jq -r '.terraform.backend | keys[0]' "$chdir/cdk.tf.json")"
echo "$* | backend=\${backend}" >> "${dir}/terraform.log"
case "$1" in
  init)
    if [[ " $* " == *" -migrate-state "* ]]; then
      [[ -d "$chdir/.terraform" && -f "$chdir/$(jq -r '.terraform.backend.local.path // "terraform.bootstrap.tfstate"' "${dir}/local.json")" ]] || { echo "nothing to migrate" >&2; exit 1; }
      jq -c '.terraform.backend.s3' "$chdir/cdk.tf.json" > "${dir}/migrated-to.json"
    else
      cp "$chdir/cdk.tf.json" "${dir}/local.json"; mkdir -p "$chdir/.terraform"
    fi ;;
  apply) echo '{"version":4}' > "$chdir/$(jq -r '.terraform.backend.local.path' "$chdir/cdk.tf.json")" ;;
  plan) exit "\${FAKE_PLAN_EXIT:-0}" ;;
esac`,
  );
  fake(
    "aws",
    `echo "$*" >> "${dir}/aws.log"
case "$1 $2" in
  "sts get-caller-identity")
    if [[ -n "\${FAKE_NO_CREDENTIALS:-}" ]]; then echo 'Unable to locate credentials. You can configure credentials by running "aws configure".' >&2; exit 253; fi
    echo "{\\"Account\\": \\"\${FAKE_ACCOUNT}\\", \\"Arn\\": \\"arn:aws:iam::\${FAKE_ACCOUNT}:user/admin\\"}" ;;
  "s3api head-bucket") if [[ -n "\${FAKE_BUCKET_EXISTS:-}" ]]; then echo '{}'; else echo 'An error occurred (404) when calling the HeadBucket operation: Not Found' >&2; exit 254; fi ;;
  *) echo "fake aws: unexpected $*" >&2; exit 252 ;;
esac`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function bootstrap(env: Record<string, string> = {}, args: string[] = ["--auto-approve"]) {
  const environment = {
    ...process.env,
    PATH: `${join(dir, "bin")}${delimiter}${process.env.PATH}`,
    CDKTF_OUTDIR: join(dir, "out"),
    FAKE_ACCOUNT: FACTS.accounts.dev as string,
    ...env,
  };
  try {
    const { stderr } = await run(join(REPO_ROOT, "scripts/delivery/bootstrap.sh"), args, {
      cwd: REPO_ROOT,
      env: environment,
    });
    return { code: 0, stderr };
  } catch (err) {
    const failed = err as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? "" };
  }
}
const log = (name: string) =>
  existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").trim().split("\n") : [];

describe("scripts/delivery/bootstrap.sh (terraform and aws stand-ins)", () => {
  it("applies with local state, migrates it into the site's bucket, and checks that nothing is left to change", async () => {
    const result = await bootstrap();
    expect(result.stderr).toContain(`${STACK} applied; its state is in s3://${FACTS.stateBucket}`);
    expect(result.code).toBe(0);
    expect(log("terraform.log")).toEqual([
      "init -input=false | backend=local",
      "apply -auto-approve | backend=local",
      "init -input=false -migrate-state -force-copy | backend=s3",
      "plan -input=false -detailed-exitcode | backend=s3",
    ]);
    const target = JSON.parse(readFileSync(join(dir, "migrated-to.json"), "utf8"));
    expect(target).toMatchObject({
      bucket: FACTS.stateBucket,
      key: `${FACTS.stateKeyPrefix}/${STACK}/terraform.tfstate`,
    });
    // The local copy goes only after the plan agreed.
    expect(existsSync(join(dir, "out", "stacks", STACK, "terraform.bootstrap.tfstate"))).toBe(false);
  });

  it("keeps the local state and fails when the plan after the migration shows changes", async () => {
    const result = await bootstrap({ FAKE_PLAN_EXIT: "2" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the local state stays in");
    expect(existsSync(join(dir, "out", "stacks", STACK, "terraform.bootstrap.tfstate"))).toBe(true);
  });

  // A first apply that failed halfway (or a plan that disagreed after the migration) leaves the bucket and the
  // local state: running it again resumes from that state instead of refusing a "bootstrapped" account (review of
  // issue 24, finding 7).
  it("resumes from the local state an interrupted run left, although the bucket exists by then", async () => {
    const first = await bootstrap({ FAKE_PLAN_EXIT: "2" });
    expect(first.code).toBe(1);
    const state = join(dir, "out", "stacks", STACK, "terraform.bootstrap.tfstate");
    expect(existsSync(state)).toBe(true);
    for (const file of ["terraform.log", "aws.log"]) rmSync(join(dir, file));
    const second = await bootstrap({ FAKE_BUCKET_EXISTS: "1" });
    expect(second.stderr).toContain("resuming from the local state an earlier run left");
    expect(second.code).toBe(0);
    expect(log("terraform.log")).toEqual([
      "init -input=false -reconfigure | backend=local",
      "apply -auto-approve | backend=local",
      "init -input=false -migrate-state -force-copy | backend=s3",
      "plan -input=false -detailed-exitcode | backend=s3",
    ]);
    expect(existsSync(state)).toBe(false);
    // Resuming never asks whether the bucket exists: the local state says what the earlier run created.
    expect(log("aws.log").some((line) => line.startsWith("s3api head-bucket"))).toBe(false);
  });

  it.each([
    [
      "no credentials",
      { FAKE_NO_CREDENTIALS: "1" },
      /no usable AWS credentials.*Unable to locate credentials/,
    ],
    [
      "credentials for another account",
      { FAKE_ACCOUNT: "271828182845" },
      /for account 271828182845, the site's is/,
    ],
    [
      "an account already bootstrapped",
      { FAKE_BUCKET_EXISTS: "1" },
      /exists already: this account is bootstrapped/,
    ],
    [
      "a site with placeholders",
      { SML_SITE_FILE: PLACEHOLDER_SITE_FILE },
      /accounts\.dev ".*" is a placeholder/,
    ],
  ])("refuses %s before applying anything", async (_what, env, message) => {
    const result = await bootstrap(env as Record<string, string>);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(log("terraform.log")).toEqual([]);
  });

  it("refuses an unknown argument", async () => {
    const result = await bootstrap({}, ["--yes"]);
    expect([result.code, result.stderr]).toEqual([2, expect.stringContaining("unknown argument '--yes'")]);
  });
});
