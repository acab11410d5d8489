/**
 * Errors that used to pass silently (issue 24, item 7), with stand-ins for `aws`, `gh` and `terraform` on PATH
 * (AWS and GitHub cannot answer here; the stand-ins replay what their CLIs print, quoted in each test).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { siteFacts } from "@sml/infra/site-facts";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(120_000);

const FACTS = siteFacts();
let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-silent-");
});
afterEach(() => fakes.cleanup());

const DIGEST = `sha256:${"a".repeat(64)}`;
const NEWEST = `sha256:${"b".repeat(64)}`;

describe("scripts/delivery/current-image-digest.sh (AWS CLI mocked)", () => {
  const script = "scripts/delivery/current-image-digest.sh";

  it("prints the digest the function runs", async () => {
    fakes.fake("aws", `echo "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sml-prediction@${DIGEST}"`);
    const result = await fakes.run(script, ["sml-prd-prediction", "sml-prediction"]);
    expect([result.code, result.stdout.trim()]).toEqual([0, DIGEST]);
  });

  it("fails naming the Lambda error when get-function is refused, and never proposes a registry image", async () => {
    // The AWS CLI's message for a denied call (exit 254, the service's error code and message).
    fakes.fake(
      "aws",
      `case "$1 $2" in
  "lambda get-function") echo "An error occurred (AccessDeniedException) when calling the GetFunction operation: User is not authorized to perform: lambda:GetFunction" >&2; exit 254 ;;
  "ecr describe-images") echo "${NEWEST}" ;;
esac`,
    );
    const result = await fakes.run(script, ["sml-prd-prediction", "sml-prediction"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("AccessDeniedException");
    expect(result.stderr).toContain("sml-prd-prediction");
    expect(fakes.calls("aws").some((c) => c.startsWith("aws ecr"))).toBe(false);
  });

  it("falls back to the registry only when the function does not exist yet, and says so", async () => {
    fakes.fake(
      "aws",
      `case "$1 $2" in
  "lambda get-function") echo "An error occurred (ResourceNotFoundException) when calling the GetFunction operation: Function not found: arn:aws:lambda:eu-west-1:123456789012:function:sml-prd-prediction" >&2; exit 254 ;;
  "ecr describe-images") echo "${NEWEST}" ;;
esac`,
    );
    const result = await fakes.run(script, ["sml-prd-prediction", "sml-prediction"]);
    expect([result.code, result.stdout.trim()]).toEqual([0, NEWEST]);
    expect(result.stderr).toContain("sml-prd-prediction does not exist yet");
  });
});

describe("scripts/delivery/github-variables.sh with a bootstrap output missing (gh, terraform mocked)", () => {
  it("fails naming every missing output and sets no variable", async () => {
    const stack = join(fakes.dir, "out", "stacks", FACTS.stacks[0] as string);
    mkdirSync(join(stack, ".terraform"), { recursive: true });
    writeFileSync(join(stack, "cdk.tf.json"), "{}");
    // A bootstrap applied before the prd deploy role existed: plan role and dev's deploy role only.
    const outputs = {
      plan_role_arn: { value: `arn:aws:iam::${FACTS.accounts.dev}:role/github-sml-plan` },
      deploy_role_arn_dev: { value: FACTS.roles.deploy.dev },
    };
    fakes.fake("terraform", `cat <<'JSON'\n${JSON.stringify(outputs)}\nJSON`);
    fakes.fake("gh", "exit 0");
    const result = await fakes.run("scripts/delivery/github-variables.sh", [], {
      SML_SITE_PLACEHOLDERS: "allow",
      CDKTF_OUTDIR: join(fakes.dir, "out"),
    });
    expect(result.code).toBe(1);
    const missing = FACTS.githubEnvironments.filter((e) => e !== "dev").map((e) => `deploy_role_arn_${e}`);
    expect(missing.length).toBeGreaterThan(0);
    for (const name of missing) expect(result.stderr).toContain(name);
    expect(fakes.calls("gh")).toEqual([]);
  });
});

describe("scripts/delivery/stack-outputs.sh --from-state (AWS CLI mocked; issue 24, item 10)", () => {
  it("prints the outputs of the stack's state object without a synth, and fails on something else", async () => {
    // A Terraform state (version 4) as the S3 backend stores it: outputs with value and type.
    const state = {
      version: 4,
      terraform_version: "1.11.4",
      serial: 12,
      outputs: { api_url: { value: "https://abc.execute-api.eu-west-1.amazonaws.com", type: "string" } },
      resources: [],
    };
    writeFileSync(join(fakes.dir, "state.json"), JSON.stringify(state));
    fakes.fake("aws", `[[ "$1 $2" == "s3 cp" && "$4" == - ]] && cat "${fakes.dir}/state.json"`);
    fakes.fake("terraform", "echo 'terraform must not run' >&2; exit 99");
    const result = await fakes.run("scripts/delivery/stack-outputs.sh", ["sml-dev", "--from-state"], {
      SML_SITE_PLACEHOLDERS: "allow",
      CDKTF_OUTDIR: join(fakes.dir, "nothing-synthesized"),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ api_url: state.outputs.api_url.value });
    expect(fakes.calls("aws")).toEqual([
      `aws s3 cp s3://${FACTS.stateBucket}/${FACTS.stateKeyPrefix}/sml-dev/terraform.tfstate - --only-show-errors`,
    ]);
    writeFileSync(join(fakes.dir, "state.json"), "<html>");
    const broken = await fakes.run("scripts/delivery/stack-outputs.sh", ["sml-dev", "--from-state"], {
      SML_SITE_PLACEHOLDERS: "allow",
    });
    expect(broken.code).toBe(1);
  });
});
