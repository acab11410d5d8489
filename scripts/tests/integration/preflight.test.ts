/**
 * scripts/delivery/preflight.sh against recorded AWS CLI responses: a fake `aws` first on PATH
 * (tests/support/fake-aws/aws) replays a response per command, so the script's parsing and its verdicts run for
 * real while no AWS account is reachable here. The responses follow the AWS CLI's documented output of each
 * command (fixtures/aws-cli); the numbers the script checks against come from the config.
 */

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { accountConcurrency } from "@sml/infra/config";
import { REPO_ROOT, type RecordedAws, recordedAws } from "../support/fake-commands";

jest.setTimeout(120_000);

const run = promisify(execFile);
const FIXTURES = join(__dirname, "..", "support", "fixtures", "aws-cli");

/** A recorded response: a fixture file for stdout, or an error (stderr fixture, exit code 254 as the CLI uses). */
type Recorded = { readonly stdout: string } | { readonly stderr: string; readonly exitCode: number };

let aws: RecordedAws;
beforeEach(() => {
  aws = recordedAws("sml-preflight-");
});
afterEach(() => aws.cleanup());

const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

function record(responses: Record<string, Recorded>): void {
  for (const [command, response] of Object.entries(responses))
    aws.record(
      command,
      "stdout" in response
        ? { stdout: fixture(response.stdout) }
        : { stderr: fixture(response.stderr), exitCode: response.exitCode },
    );
}

async function preflight(environment: string) {
  const result = await aws.run("scripts/delivery/preflight.sh", [environment]);
  // One string: the checks look for a request's arguments anywhere in the log.
  return { ...result, calls: aws.calls().join("\n") };
}

const READY: Record<string, Recorded> = {
  "lambda get-account-settings": { stdout: "lambda.get-account-settings.quota-1000.json" },
  "rds describe-db-engine-versions": {
    stdout: "rds.describe-db-engine-versions.aurora-postgresql-16.10.json",
  },
  "s3api head-bucket": { stdout: "s3api.head-bucket.found.json" },
  "sts get-caller-identity": { stdout: "sts.get-caller-identity.deploy-role-prd.json" },
};

/** What the stacks reserve, computed here from the config as an independent check of the script's number. */
async function facts(environment: string) {
  const { stdout } = await run("npx", ["--no-install", "tsx", "infra/src/preflight-facts.ts", environment], {
    cwd: REPO_ROOT,
  });
  return JSON.parse(stdout) as {
    requiredConcurrencyQuota: number;
    region: string;
    engineVersion: string;
    stateBucket: string;
  };
}

describe("scripts/delivery/preflight.sh (recorded AWS CLI responses)", () => {
  it("passes a ready account, with recorded AWS CLI responses for each check, and asks about the config's values", async () => {
    record(READY);
    const result = await preflight("prd");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("preflight: prd is ready to deploy");
    const expected = await facts("prd");
    expect(result.stdout).toContain(`>= ${expected.requiredConcurrencyQuota}`);
    expect(result.calls).toContain(`--engine aurora-postgresql --engine-version ${expected.engineVersion}`);
    expect(result.calls).toContain(`head-bucket --bucket ${expected.stateBucket}`);
  });

  it("refuses a new account's concurrency quota (recorded AWS CLI responses: 10) and says how to raise it", async () => {
    record({
      ...READY,
      "lambda get-account-settings": { stdout: "lambda.get-account-settings.new-account-quota-10.json" },
    });
    const result = await preflight("prd");
    const { requiredConcurrencyQuota, region } = await facts("prd");
    // Lambda keeps 100 unreserved: the quota must cover the reservations of both environments and of the planned
    // previews (previews share dev's account) plus that; infra/tests/concurrency.test.ts counts the same figure
    // from the synthesized stacks' reserved_concurrent_executions.
    expect(requiredConcurrencyQuota).toBe(accountConcurrency().reserved + 100);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`quota in ${region} is 10`);
    expect(result.stderr).toContain(
      `request-service-quota-increase --region ${region} --service-code lambda --quota-code L-B99A9384 --desired-value ${requiredConcurrencyQuota}`,
    );
    expect(result.stderr).toContain("prd is not ready to deploy (1 problem(s))");
  });

  it("reports every missing piece at once (recorded AWS CLI responses: no engine version, no bucket, no role)", async () => {
    record({
      "lambda get-account-settings": { stdout: "lambda.get-account-settings.quota-1000.json" },
      "rds describe-db-engine-versions": { stdout: "rds.describe-db-engine-versions.none.json" },
      "s3api head-bucket": { stderr: "s3api.head-bucket.not-found.stderr", exitCode: 254 },
      "sts get-caller-identity": { stdout: "sts.get-caller-identity.admin-user.json" },
      "iam get-role": { stderr: "iam.get-role.no-such-entity.stderr", exitCode: 254 },
    });
    const result = await preflight("dev");
    const { region, stateBucket } = await facts("dev");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("preflight: ok   Lambda concurrency quota 1000");
    expect(result.stderr).toContain(`aurora-postgresql 16.10 is not offered in ${region}`);
    expect(result.stderr).toContain("set database.engineVersion in infra/src/config/environments.ts");
    expect(result.stderr).toContain(`state bucket ${stateBucket} does not exist`);
    expect(result.stderr).toContain("bootstrap the account first");
    expect(result.stderr).toContain("deploy role github-sml-deploy-dev does not exist");
    expect(result.stderr).toContain("dev is not ready to deploy (3 problem(s))");
  });

  it("accepts the deploy role by IAM when run by hand as another principal (recorded AWS CLI responses)", async () => {
    record({
      ...READY,
      "sts get-caller-identity": { stdout: "sts.get-caller-identity.admin-user.json" },
      "iam get-role": { stdout: "sts.get-caller-identity.admin-user.json" },
    });
    const result = await preflight("dev");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("deploy role github-sml-deploy-dev exists");
  });

  // AWS CLI v2 return codes: 253, "missing configuration or credentials prevented the command from running"
  // (https://docs.aws.amazon.com/cli/latest/topic/return-codes.html); the message is the CLI's NoCredentialsError.
  it("says once that there are no credentials and checks nothing else (fake aws: sts get-caller-identity fails)", async () => {
    record({
      ...READY,
      "sts get-caller-identity": { stderr: "sts.get-caller-identity.no-credentials.stderr", exitCode: 253 },
    });
    const result = await preflight("dev");
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("no usable AWS credentials");
    expect(result.stderr).toContain("Unable to locate credentials");
    expect(result.stderr).toContain('docs/deploy.md, "Fork it", step 5');
    expect(result.stderr).toContain("accounts.dev");
    expect(result.stderr).not.toMatch(/state bucket .* does not exist|does not exist|not ready to deploy/);
    expect(aws.calls()).toEqual(["sts get-caller-identity --output json"]);
  });

  it("names the doc step and the site setting a fork edits in each bootstrap message", async () => {
    record({
      ...READY,
      "s3api head-bucket": { stderr: "s3api.head-bucket.not-found.stderr", exitCode: 254 },
      "sts get-caller-identity": { stdout: "sts.get-caller-identity.admin-user.json" },
      "iam get-role": { stderr: "iam.get-role.no-such-entity.stderr", exitCode: 254 },
    });
    const result = await preflight("dev");
    const deployDoc = readFileSync(join(REPO_ROOT, "docs", "deploy.md"), "utf8");
    expect(result.stderr).toContain("set state.bucket in infra/src/config/site.ts");
    expect(result.stderr).not.toContain("SHARED_CONFIG");
    // The steps named are the doc's: 3 bootstraps with the script, 4 sets the GitHub variables.
    expect(result.stderr).toContain(
      'scripts/delivery/bootstrap.sh; docs/deploy.md, "Fork it", step 3'.replace(/\\/g, ""),
    );
    expect(deployDoc).toMatch(/^3\. \*\*Bootstrap the account\*\*[\s\S]*?scripts\/delivery\/bootstrap\.sh/m);
    expect(deployDoc).toMatch(/^4\. \*\*GitHub variables[\s\S]*?github-variables\.sh/m);
    expect(deployDoc).toMatch(/^5\. \*\*Preflight/m);
  });

  it("fails on an unknown environment with the config's message", async () => {
    record(READY);
    const result = await preflight("staging");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown environment "staging"');
  });
});
