/**
 * The laptop's whole deploy (issue 24, item 11): scripts/delivery/laptop-deploy.sh with the AWS CLI and docker
 * mocked and the step scripts (each tested on its own elsewhere) replaced by stand-ins that log their name and the
 * access key they run with. Checks what only the orchestration decides: the operator role is assumed first, every
 * step runs with its credentials (never the person's), and the steps run in deploy.yml's order, the CodeDeploy
 * shift included.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
