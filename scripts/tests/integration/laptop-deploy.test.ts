/**
 * The laptop's whole deploy (issue 24, item 11): scripts/delivery/laptop-deploy.sh with the AWS CLI and docker
 * mocked and the step scripts (each tested on its own elsewhere) replaced by stand-ins that log their name and the
 * access key they run with. Checks what only the orchestration decides: the operator role is assumed first, every
 * step runs with its credentials (never the person's), and the steps run in deploy.yml's order, the CodeDeploy
 * shift included.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { siteFacts } from "@sml/infra/site-facts";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(120_000);

const FACTS = siteFacts();
let fakes: FakeCommands;
let steps: string;
beforeEach(() => {
  fakes = fakeCommands("sml-laptop-deploy-");
  steps = join(fakes.dir, "steps");
  mkdirSync(steps);
  const log = join(fakes.dir, "steps.log");
  for (const name of [
    "preflight.sh",
    "plan-apply.sh",
    "stack-outputs.sh",
    "push-image.sh",
    "pre-traffic-check.sh",
    "shift-traffic.sh",
    "smoke-user.sh",
    "smoke.sh",
  ]) {
    const out =
      name === "stack-outputs.sh"
        ? `echo '{"ecr_repository_url":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/sml-prediction","api_url":"https://api.example.invalid"}'`
        : name === "push-image.sh"
          ? `echo sha256:${"d".repeat(64)}`
          : name === "smoke-user.sh"
            ? `[[ "$1" == sign-in ]] && echo token-123`
            : ":";
    writeFileSync(
      join(steps, name),
      `#!/usr/bin/env bash\necho "${name} $* key=$AWS_ACCESS_KEY_ID assume=\${SML_ASSUME_ROLE:-} token=\${SMOKE_TOKEN:-}" >> "${log}"\n${out}\n`,
    );
    chmodSync(join(steps, name), 0o755);
  }
  // STS as the CLI answers: assume-role's Credentials, then who the caller is with them.
  fakes.fake(
    "aws",
    `case "$1 $2" in
  "sts assume-role") echo '{"AccessKeyId":"ASIAOPERATOR","SecretAccessKey":"s","SessionToken":"t"}' ;;
  "sts get-caller-identity") if [[ "$AWS_ACCESS_KEY_ID" == ASIAOPERATOR ]]; then echo "arn:aws:sts::123456789012:assumed-role/${FACTS.roles.operator.dev?.split("/").pop()}/me-deploy-dev"; else echo "arn:aws:iam::123456789012:user/me"; fi ;;
  "ecr get-login-password") echo password ;;
  # The image of this tag is in the registry already (push-image.sh then reuses it instead of building).
  "ecr describe-images") echo sha256:${"e".repeat(64)} ;;
  *) echo "unexpected aws $*" >&2; exit 252 ;;
esac`,
  );
  fakes.fake("docker", "cat > /dev/null");
});
afterEach(() => fakes.cleanup());

const deploy = (env: string, extra: Record<string, string> = {}) =>
  fakes.run(
    "scripts/delivery/laptop-deploy.sh",
    [env],
    {
      SML_SITE_PLACEHOLDERS: "allow",
      SML_DELIVERY_SCRIPTS: steps,
      SML_SMOKE_SCRIPT: join(steps, "smoke.sh"),
      AWS_ACCESS_KEY_ID: "AKIAPERSON",
      AWS_PROFILE: "me",
      // This checkout's HEAD stands for main's head unless a test says otherwise.
      SML_MAIN_REF: "HEAD",
      ...extra,
    },
    fakes.dir,
  );

it("assumes the operator role first and runs every step with it, in deploy.yml's order, shifting traffic", async () => {
  const result = await deploy("dev");
  expect(result.stderr).toContain("smoke test passed");
  expect(result.code).toBe(0);
  expect(fakes.calls("aws")[0]).toBe(
    `aws sts assume-role --role-arn ${FACTS.roles.operator.dev} --role-session-name ${process.env.USER ?? "laptop"}-deploy-dev --query Credentials --output json`,
  );
  const log = readFileSync(join(fakes.dir, "steps.log"), "utf8").trim().split("\n");
  expect(log.map((l) => l.split(" ")[0])).toEqual([
    "preflight.sh",
    "plan-apply.sh",
    "stack-outputs.sh",
    "push-image.sh",
    "plan-apply.sh",
    "stack-outputs.sh",
    "pre-traffic-check.sh",
    "shift-traffic.sh",
    "smoke-user.sh",
    "smoke.sh",
    "smoke-user.sh",
  ]);
  for (const line of log) expect(line).toContain("key=ASIAOPERATOR assume=0");
  expect(log[4]).toContain(`apply sml-dev --image-digest sha256:${"d".repeat(64)}`);
  expect(log[9]).toContain("token=token-123");
  expect(log[10]).toMatch(/^smoke-user\.sh delete \S+\/outputs\.json/);
});

it("stops before any step when the credentials it ends up with are not the operator role's", async () => {
  const result = await deploy("dev", { SML_ASSUME_ROLE: "0" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("running as arn:aws:iam::123456789012:user/me, not as");
  expect(() => readFileSync(join(fakes.dir, "steps.log"), "utf8")).toThrow();
});

it("refuses prd: prd promotes dev's attested release through deploy.yml", async () => {
  const result = await deploy("prd");
  expect(result.code).toBe(2);
  expect(fakes.calls("aws")).toEqual([]);
});

// docs/deploy.md, "The registry stack": only main's head applies it, or two commit lines roll it back and forth.
it("leaves the registry stack alone when HEAD is not main's head, and still deploys the environment", async () => {
  const result = await deploy("dev", { SML_MAIN_REF: "HEAD~1" });
  expect(result.code).toBe(0);
  expect(result.stderr).toContain("left as it is");
  const log = readFileSync(join(fakes.dir, "steps.log"), "utf8").trim().split("\n");
  const applies = log.filter((l) => l.startsWith("plan-apply.sh "));
  expect(applies).toHaveLength(1);
  expect(applies[0]).toContain(`apply ${FACTS.stacks[2]} --image-digest`);
  // The registry's outputs are still read: the image goes into its repository.
  expect(log.filter((l) => l.startsWith(`stack-outputs.sh ${FACTS.stacks[1]}`))).toHaveLength(1);
});

// The real push-image.sh refuses a tag without an environment prefix (the registry expires images by prefix);
// laptop-deploy.sh once passed the bare commit (review of issue 24, finding 6).
it("passes push-image.sh a tag it accepts: the real script, with docker and the AWS CLI faked", async () => {
  copyFileSync(join(__dirname, "..", "..", "delivery", "push-image.sh"), join(steps, "push-image.sh"));
  const result = await deploy("dev");
  expect(result.stderr).not.toContain("has no environment prefix");
  expect(result.code).toBe(0);
  const describe = fakes.calls("aws").find((c) => c.startsWith("aws ecr describe-images"));
  expect(describe).toMatch(new RegExp(`imageTag=${FACTS.imageTagPrefixes.dev}[0-9a-f]{40}\\b`));
});
