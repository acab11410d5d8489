/**
 * scripts/delivery/shift-traffic.sh against a fake `aws` first on PATH (tests/support/fake-aws/aws, AWS CLI
 * mocked): it replays one recorded response per command, so the script's decisions (which aliases need a
 * deployment, what it creates, what it does when CodeDeploy reports a failure) run for real with the real jq and
 * the AppSpec builder, while CodeDeploy itself cannot run here. The recorded outputs follow the AWS CLI's
 * `--query ... --output text` forms the script asks for.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseUnavailableError } from "@sml/app-api/src/core/errors";
import { httpStatusOfClass } from "@sml/lambda-http";
import {
  type AwsResponse,
  type FakeCommands,
  fakeCommands,
  REPO_ROOT,
  type RecordedAws,
  recordedAws,
} from "../support/fake-commands";

jest.setTimeout(120_000);

let aws: RecordedAws;
beforeEach(() => {
  aws = recordedAws("sml-shift-");
});
afterEach(() => aws.cleanup());

const record = (command: string, response: AwsResponse) => aws.record(command, response);

const target = (fn: string, version: string) => ({
  application: "sml-dev-functions",
  deploymentGroup: `sml-dev-${fn}`,
  functionName: `sml-dev-${fn}`,
  alias: "live",
  version,
});

/** The stack outputs as stack-outputs.sh prints them: the alias serves version 3 of every function (recorded). */
function outputs(versions: Record<string, string>): string {
  const file = join(aws.dir, "outputs.json");
  const rollout = Object.fromEntries(Object.entries(versions).map(([fn, v]) => [fn, target(fn, v)]));
  writeFileSync(file, JSON.stringify({ api_url: "https://example.invalid", rollout }));
  return file;
}

async function shift(file: string) {
  const result = await aws.run("scripts/delivery/shift-traffic.sh", [file]);
  return { ...result, calls: aws.calls() };
}

it("creates a deployment only for the functions whose alias is not on the published version, and waits for each", async () => {
  record("lambda get-alias", { stdout: "3\n" });
  record("deploy create-deployment", { stdout: "d-EXAMPLE11\n" });
  record("deploy wait", { exitCode: 0 });
  const result = await shift(outputs({ api: "4", subscriber: "3", prediction: "5" }));
  expect(result.code).toBe(0);
  const creates = result.calls.filter((c) => c.startsWith("deploy create-deployment"));
  expect(creates).toHaveLength(2);
  expect(creates[0]).toContain("--deployment-group-name sml-dev-api");
  expect(creates[0]).toContain("--description sml-dev-api:live 3 -> 4");
  expect(creates[1]).toContain("--deployment-group-name sml-dev-prediction");
  expect(result.calls.filter((c) => c.startsWith("deploy wait deployment-successful"))).toHaveLength(2);
  expect(result.stdout).toContain("sml-dev-subscriber:live already serves version 3");
});

it("creates nothing when every alias already serves its version", async () => {
  record("lambda get-alias", { stdout: "3\n" });
  const result = await shift(outputs({ api: "3", subscriber: "3" }));
  expect(result.code).toBe(0);
  expect(result.calls.some((c) => c.startsWith("deploy "))).toBe(false);
  expect(result.stdout).toContain("every alias already serves");
});

it("fails, prints CodeDeploy's reason and stops the deployments still running when one is rolled back", async () => {
  record("lambda get-alias", { stdout: "3\n" });
  record("deploy create-deployment", { stdout: "d-EXAMPLE22\n" });
  record("deploy wait", { exitCode: 255 });
  record("deploy get-deployment", {
    stdout: JSON.stringify({
      status: "Stopped",
      error: { code: "ALARM_ACTIVE", message: "One or more alarms have been activated" },
      rollback: { rollbackTriggeringDeploymentId: "d-EXAMPLE22" },
    }),
  });
  record("deploy stop-deployment", { stdout: "{}" });
  const result = await shift(outputs({ api: "4", prediction: "5" }));
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("ALARM_ACTIVE");
  expect(result.stderr).toContain("::error::CodeDeploy deployment d-EXAMPLE22 (sml-dev-api:live 3 -> 4)");
  // The first wait failed: the second deployment is stopped with rollback, and never waited for.
  expect(result.calls.filter((c) => c.startsWith("deploy wait"))).toHaveLength(1);
  expect(result.calls).toContain(
    "deploy stop-deployment --deployment-id d-EXAMPLE22 --auto-rollback-enabled",
  );
});

describe("one release is one consistent set (issue 24, item 4; AWS CLI mocked with per-deployment answers)", () => {
  let fakes: FakeCommands;
  beforeEach(() => {
    fakes = fakeCommands("sml-shift-set-");
    // Aliases start on version 3; update-alias moves one (kept in a file per function, as Lambda would).
    // Deployment ids name their function; api's succeeds, prediction's is rolled back by an alarm, and
    // subscriber's finishes before anyone stops it (StopDeployment then fails: "already completed").
    fakes.fake(
      "aws",
      `state="${"$"}{FAKE_STATE:?}"
arg() { local want="$1"; shift; while (($#)); do [[ "$1" == "$want" ]] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "lambda get-alias") f="$(arg --function-name "$@")"; cat "$state/$f" 2>/dev/null || echo 3 ;;
  "lambda update-alias") f="$(arg --function-name "$@")"; arg --function-version "$@" > "$state/$f"; echo '{}' ;;
  "deploy create-deployment") g="$(arg --deployment-group-name "$@")"; echo "d-${"$"}{g#sml-dev-}" ;;
  "deploy wait") [[ "$*" == *d-prediction* ]] && exit 255; exit 0 ;;
  "deploy stop-deployment") [[ "$*" == *d-subscriber* ]] && { echo "An error occurred (DeploymentAlreadyCompletedException)" >&2; exit 254; }; echo '{}' ;;
  "deploy get-deployment") if [[ "$*" == *deploymentInfo.status* ]]; then echo Succeeded; else echo '{"status":"Stopped"}'; fi ;;
  *) echo "unexpected aws $*" >&2; exit 252 ;;
esac`,
    );
    mkdirSync(join(fakes.dir, "state"));
  });
  afterEach(() => fakes.cleanup());

  it("puts back the aliases this release already shifted when one deployment fails", async () => {
    const file = join(fakes.dir, "outputs.json");
    const rollout = Object.fromEntries(
      ["api", "prediction", "subscriber"].map((fn) => [fn, target(fn, "4")]),
    );
    writeFileSync(file, JSON.stringify({ api_url: "https://example.invalid", rollout }));
    const result = await fakes.run("scripts/delivery/shift-traffic.sh", [file], {
      FAKE_STATE: join(fakes.dir, "state"),
    });
    expect(result.code).toBe(1);
    const calls = fakes.calls("aws");
    // api succeeded before prediction failed, subscriber succeeded after: both go back to 3.
    expect(calls).toContain(
      "aws lambda update-alias --function-name sml-dev-api --name live --function-version 3 --routing-config AdditionalVersionWeights={}",
    );
    expect(calls).toContain(
      "aws lambda update-alias --function-name sml-dev-subscriber --name live --function-version 3 --routing-config AdditionalVersionWeights={}",
    );
    expect(
      calls.filter((c) => c.startsWith("aws lambda update-alias --function-name sml-dev-prediction")),
    ).toEqual([]);
    expect(result.stderr).toContain("sml-dev-api:live put back on version 3");
    expect(result.stderr).not.toContain("not fully rolled back");
  });
});

it("refuses outputs without a rollout output, naming what to do", async () => {
  const file = join(aws.dir, "outputs.json");
  writeFileSync(file, JSON.stringify({ api_url: "https://example.invalid" }));
  const result = await shift(file);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("has no rollout output; deploy the environment stack first");
});

describe("pre-traffic-check.sh (AWS CLI mocked)", () => {
  async function check(file: string, extraEnv: Record<string, string> = {}) {
    const result = await aws.run("scripts/delivery/pre-traffic-check.sh", [file], extraEnv);
    return { ...result, calls: aws.calls() };
  }
  const outfile = (response: unknown, call?: number) =>
    aws.record(
      "lambda invoke",
      { outfile: JSON.stringify(response), ...(call ? { stdout: "None\n" } : {}) },
      call,
    );
  /** What the api answers GET /health with while Aurora resumes (DatabaseUnavailableError through @sml/lambda-http). */
  const resuming = {
    statusCode: 503,
    body: JSON.stringify({
      error: { code: "SERVICE_UNAVAILABLE", message: "The database is not answering" },
    }),
  };
  // Short waits: the backoff's length is the script's default, its behaviour is what is tested here.
  const fastRetries = { PRE_TRAFFIC_RESUME_DELAYS: "0.1 0.1 0.1 0.1 0.1" };

  it("invokes each new HTTP version directly with one of its GET routes, never the subscriber, and passes on 200", async () => {
    record("lambda get-alias", { stdout: "3\n" });
    record("lambda invoke", { stdout: "None\n" });
    outfile({ statusCode: 200, body: "{}" });
    const result = await check(outputs({ api: "4", subscriber: "4", prediction: "3" }));
    expect(result.code).toBe(0);
    const invokes = result.calls.filter((c) => c.startsWith("lambda invoke"));
    expect(invokes).toHaveLength(1);
    expect(invokes[0]).toContain("--function-name sml-dev-api --qualifier 4");
    expect(result.stdout).toContain("sml-dev-api version 4 answered GET /health with 200");
    expect(result.stdout).toContain("sml-dev-subscriber serves no HTTP route");
  });

  it("waits out a paused Aurora: 503 SERVICE_UNAVAILABLE twice, then 200, passes after two retries", async () => {
    record("lambda get-alias", { stdout: "3\n" });
    record("lambda invoke", { stdout: "None\n" });
    outfile(resuming, 1);
    outfile(resuming, 2);
    outfile({ statusCode: 200, body: "{}" });
    const result = await check(outputs({ api: "4" }), fastRetries);
    expect(result.code).toBe(0);
    expect(result.calls.filter((c) => c.startsWith("lambda invoke"))).toHaveLength(3);
    expect(result.stdout).toContain("retry 2 of 5");
    expect(result.stdout).toContain("sml-dev-api version 4 answered GET /health with 200");
  });

  it("gives up after the bounded retries when the database never comes back", async () => {
    record("lambda get-alias", { stdout: "3\n" });
    record("lambda invoke", { stdout: "None\n" });
    outfile(resuming);
    const result = await check(outputs({ api: "4" }), fastRetries);
    expect(result.code).toBe(1);
    // One call and five retries (the default delays 2+4+8+16+30 = 60 s), then judged.
    expect(result.calls.filter((c) => c.startsWith("lambda invoke"))).toHaveLength(6);
    expect(result.stderr).toContain("answered GET /health with status 503");
  });

  it("does not retry a 503 that is not the database (a 500 or another code is judged at once)", async () => {
    record("lambda get-alias", { stdout: "3\n" });
    record("lambda invoke", { stdout: "None\n" });
    outfile({ statusCode: 500, body: JSON.stringify({ error: { code: "INTERNAL_ERROR", message: "x" } }) });
    const result = await check(outputs({ api: "4" }), fastRetries);
    expect(result.code).toBe(1);
    expect(result.calls.filter((c) => c.startsWith("lambda invoke"))).toHaveLength(1);
  });

  it("waits only on the code the API's error table gives a database that does not answer", () => {
    const script = readFileSync(join(REPO_ROOT, "scripts/delivery/pre-traffic-check.sh"), "utf8");
    const code = /readonly UNAVAILABLE_CODE="([A-Z_]+)"/.exec(script)?.[1];
    expect(code).toBe(httpStatusOfClass(DatabaseUnavailableError)?.code);
    expect(httpStatusOfClass(DatabaseUnavailableError)?.statusCode).toBe(503);
  });

  it("refuses malformed PRE_TRAFFIC_RESUME_DELAYS before calling anything", async () => {
    const result = await check(outputs({ api: "4" }), { PRE_TRAFFIC_RESUME_DELAYS: "2 soon" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("PRE_TRAFFIC_RESUME_DELAYS must be seconds");
  });

  it("fails before the shift when the new version answers with an error", async () => {
    record("lambda get-alias", { stdout: "3\n" });
    record("lambda invoke", { stdout: "Unhandled\n" });
    outfile({ errorType: "Runtime.ImportModuleError", errorMessage: "Cannot find module" });
    const result = await check(outputs({ api: "4" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "sml-dev-api version 4 answered GET /health with status none (function error: Unhandled)",
    );
  });
});
