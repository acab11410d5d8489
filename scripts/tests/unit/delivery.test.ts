/**
 * The delivery scripts behind safe deploys: the AppSpec that shifts a `live` alias, the release manifest that
 * lets prd deploy what dev ran (checked by hash), the preview sweep and the drift issue decision. Pure logic and
 * the CLIs as the workflows call them; AWS, CodeDeploy and GitHub are not involved.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FUNCTIONS, HTTP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import {
  AppSpecInputError,
  buildAppSpec,
  parseRolloutTarget,
  planShift,
  type RolloutTarget,
  revisionFor,
} from "../../delivery/appspec";
import {
  decideDrift,
  driftIssueTitle,
  type OpenIssue,
  parseIssues,
  planDigest,
} from "../../delivery/drift-report";
import { summarisePlan } from "../../delivery/plan-summary";
import { preTrafficEvent, preTrafficRoute } from "../../delivery/pre-traffic-event";
import { parseListing, SweepInputError, stalePreviews } from "../../delivery/preview-sweep";
import {
  chooseDigest,
  parseManifest,
  ReleaseError,
  releaseFiles,
  verifyRelease,
  writeManifest,
} from "../../delivery/release-manifest";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });

const target: RolloutTarget = {
  application: "sml-prd-functions",
  deploymentGroup: "sml-prd-api",
  functionName: "sml-prd-api",
  alias: "live",
  version: "8",
};

describe("AppSpec (CodeDeploy user guide, AppSpec 'resources' and 'hooks' sections for AWS Lambda)", () => {
  it("shifts the alias from the version it serves to the one Terraform published", () => {
    const spec = buildAppSpec(target, "7");
    expect(spec.version).toBe(0.0);
    const [resource] = spec.Resources;
    const [only] = Object.values(resource ?? {});
    expect(only).toEqual({
      Type: "AWS::Lambda::Function",
      Properties: {
        Name: target.functionName,
        Alias: target.alias,
        CurrentVersion: "7",
        TargetVersion: target.version,
      },
    });
    expect(spec).not.toHaveProperty("Hooks");
  });

  it("lists the hooks in the order CodeDeploy runs them, only those configured", () => {
    const spec = buildAppSpec(
      { ...target, hooks: { afterAllowTraffic: "sml-prd-smoke", beforeAllowTraffic: "sml-prd-pre" } },
      "7",
    );
    expect(spec.Hooks).toEqual([
      { BeforeAllowTraffic: "sml-prd-pre" },
      { AfterAllowTraffic: "sml-prd-smoke" },
    ]);
    expect(buildAppSpec({ ...target, hooks: { afterAllowTraffic: "sml-prd-smoke" } }, "7").Hooks).toEqual([
      { AfterAllowTraffic: "sml-prd-smoke" },
    ]);
  });

  it("passes the AppSpec as AppSpecContent whose sha256 is the hash of exactly that content", () => {
    const revision = revisionFor(buildAppSpec(target, "7"));
    expect(revision.revisionType).toBe("AppSpecContent");
    expect(revision.appSpecContent.sha256).toBe(
      createHash("sha256").update(revision.appSpecContent.content).digest("hex"),
    );
    expect(JSON.parse(revision.appSpecContent.content)).toEqual(buildAppSpec(target, "7"));
  });

  it("creates no deployment when the alias already serves the published version", () => {
    expect(planShift(target, "8")).toEqual({
      skip: true,
      reason: expect.stringContaining("already serves version 8"),
    });
    expect(planShift(target, "7")).toMatchObject({ skip: false });
  });

  it.each([
    ["$LATEST", /served version "\$LATEST"/],
    ["", /is not a published version number/],
    ["07", /is not a published version number/],
  ])("refuses the served version %j", (served, message) => {
    expect(() => buildAppSpec(target, served)).toThrow(message);
  });

  it.each([
    [{ ...target, version: "$LATEST" }, /version \$LATEST is not a published version number/],
    [{ ...target, functionName: "sml prd api" }, /functionName sml prd api is not a Lambda function name/],
    [{ ...target, deploymentGroup: "" }, /deploymentGroup must be a non-empty string/],
    [{ ...target, hooks: { duringTraffic: "x" } }, /hooks.duringTraffic is not a hook/],
    [[target], /must be a JSON object/],
  ])("refuses a rollout target, naming the field (%#)", (value, message) => {
    expect(() => parseRolloutTarget(value)).toThrow(AppSpecInputError);
    expect(() => parseRolloutTarget(value)).toThrow(message);
  });

  it("prints the decision for shift-traffic.sh, and a clear error for bad input", () => {
    const dir = mkdtempSync(join(tmpdir(), "appspec-"));
    const file = join(dir, "api.json");
    writeFileSync(file, JSON.stringify(target));
    const ok = tsx("scripts/delivery/appspec.ts", [file, "7"]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(planShift(target, "7"));
    const bad = tsx("scripts/delivery/appspec.ts", [file, "$LATEST"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^appspec: served version "\$LATEST"/);
  });
});

describe("release manifest (build once, promote)", () => {
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const digest = `sha256:${"ab".repeat(32)}`;
  function build(): string {
    const root = mkdtempSync(join(tmpdir(), "release-"));
    for (const file of releaseFiles()) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), `zip bytes of ${file}`);
    }
    return root;
  }

  it("records the SHA-256 of every zip function's artifact, and verifies an identical download", () => {
    const root = build();
    const manifest = writeManifest(commit, digest, root);
    expect(Object.keys(manifest.artifacts).sort()).toEqual(releaseFiles().sort());
    for (const file of releaseFiles())
      expect(manifest.artifacts[file]).toBe(
        createHash("sha256")
          .update(readFileSync(join(root, file)))
          .digest("hex"),
      );
    expect(verifyRelease(parseManifest(JSON.parse(JSON.stringify(manifest))), commit, root)).toEqual([]);
  });

  it("refuses a zip that differs by one byte from what dev ran, naming it", () => {
    const root = build();
    const manifest = writeManifest(commit, digest, root);
    const [first] = releaseFiles();
    writeFileSync(join(root, first as string), `zip bytes of ${first}!`);
    expect(verifyRelease(manifest, commit, root)).toEqual([
      expect.stringMatching(new RegExp(`^${first}: SHA-256 [0-9a-f]{64} is not the`)),
    ]);
  });

  it("refuses another commit's release, a missing zip and a zip the release does not list", () => {
    const root = build();
    const manifest = writeManifest(commit, digest, root);
    const other = "f".repeat(40);
    expect(verifyRelease(manifest, other, root)).toEqual([
      expect.stringContaining(`deploy ${other} to dev first`),
    ]);
    const [first] = releaseFiles();
    const { [first as string]: _dropped, ...rest } = manifest.artifacts;
    expect(verifyRelease({ ...manifest, artifacts: rest }, commit, root)).toEqual(
      expect.arrayContaining([`${first}: not in the release (dev never deployed it)`]),
    );
    writeFileSync(join(dirname(join(root, first as string)), "extra.zip"), "x");
    expect(verifyRelease(manifest, commit, root)).toEqual([
      expect.stringContaining("extra.zip: a zip the release does not list"),
    ]);
  });

  it("deploys the digest dev runs unless another one is requested, and refuses one that is no digest", () => {
    const manifest = writeManifest(commit, digest, build());
    expect(chooseDigest(manifest)).toEqual({ digest, source: "dev" });
    expect(chooseDigest(manifest, "  ")).toEqual({ digest, source: "dev" });
    const older = `sha256:${"cd".repeat(32)}`;
    expect(chooseDigest(manifest, older)).toEqual({ digest: older, source: "requested" });
    expect(() => chooseDigest(manifest, "latest")).toThrow(/image-digest input "latest" is not sha256/);
  });

  it.each([
    [{ commit: "main", imageDigest: digest, artifacts: {} }, /commit must be a full 40-hex commit SHA/],
    [{ commit, imageDigest: "sha256:abc", artifacts: {} }, /imageDigest must be sha256/],
    [
      { commit, imageDigest: digest, artifacts: { "dist/functions/api.zip": "nope" } },
      /artifacts\[dist\/functions\/api.zip\]/,
    ],
  ])("refuses a malformed manifest, naming the field (%#)", (value, message) => {
    expect(() => parseManifest(value)).toThrow(ReleaseError);
    expect(() => parseManifest(value)).toThrow(message);
  });

  it("writes, verifies and chooses through the CLI the workflow calls, failing on a mismatch", () => {
    const root = build();
    const write = tsx("scripts/delivery/release-manifest.ts", ["write", commit, digest, root]);
    expect(write.status).toBe(0);
    const file = join(root, "release.json");
    writeFileSync(file, write.stdout);
    expect(tsx("scripts/delivery/release-manifest.ts", ["verify", file, commit, root]).status).toBe(0);
    expect(JSON.parse(tsx("scripts/delivery/release-manifest.ts", ["digest", file]).stdout)).toEqual({
      digest,
      source: "dev",
    });
    const [first] = releaseFiles();
    writeFileSync(join(root, first as string), "rebuilt");
    const verify = tsx("scripts/delivery/release-manifest.ts", ["verify", file, commit, root]);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`${first}: SHA-256`);
  });
});

describe("preview sweep", () => {
  const prefix = "serverless-ml-api/sml-pr-";
  const now = new Date("2026-11-27T06:00:00Z");
  const listing = {
    Contents: [
      { Key: `${prefix}7/terraform.tfstate`, LastModified: "2026-11-20T10:00:00Z" },
      { Key: `${prefix}8/terraform.tfstate`, LastModified: "2026-11-26T10:00:00Z" },
      { Key: `${prefix}9/terraform.tfstate.tflock`, LastModified: "2026-11-01T10:00:00Z" },
      { Key: `${prefix}12/terraform.tfstate`, LastModified: "2026-11-23T05:59:00Z" },
      { Key: "serverless-ml-api/sml-prd/terraform.tfstate", LastModified: "2026-01-01T00:00:00Z" },
      { Key: "serverless-ml-api/sml-dev/terraform.tfstate", LastModified: "2026-01-01T00:00:00Z" },
      { Key: `${prefix}07/terraform.tfstate`, LastModified: "2026-01-01T00:00:00Z" },
    ],
  };

  it("picks the previews last deployed more than the given days ago, never dev's or prd's state or a lock file", () => {
    expect(stalePreviews(parseListing(listing), prefix, 4, now)).toEqual([7, 12]);
    expect(stalePreviews(parseListing(listing), prefix, 30, now)).toEqual([]);
  });

  it("reads an empty listing (no Contents) as no previews", () => {
    expect(parseListing({})).toEqual([]);
  });

  it.each([
    [() => stalePreviews([], prefix, 0, now), /max-age-days must be a number >= 1/],
    [() => stalePreviews([], "serverless-ml-api/sml-pr", 3, now), /must end with "-"/],
    [
      () => parseListing({ Contents: [{ Key: "x" }] }),
      /Contents\[0\] has no Key or no ISO 8601 LastModified/,
    ],
  ])("refuses bad input with a message naming it (%#)", (call, message) => {
    expect(call).toThrow(SweepInputError);
    expect(call).toThrow(message);
  });

  it("prints one pull request number a line through the CLI the workflow calls", () => {
    const file = join(mkdtempSync(join(tmpdir(), "sweep-")), "listing.json");
    writeFileSync(file, JSON.stringify(listing));
    const result = tsx("scripts/delivery/preview-sweep.ts", [file, prefix, "4", now.toISOString()]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("7\n12\n");
  });
});

describe("drift issue per stack", () => {
  const plan = (actions: [string, string[]][]) => ({
    format_version: "1.2",
    resource_changes: actions.map(([address, a]) => ({
      address,
      type: address.split(".")[0],
      mode: "managed",
      change: { actions: a },
    })),
  });
  const drifted = plan([
    ["aws_lambda_function.functions_api_function_99F72983", ["update"]],
    ["aws_sqs_queue.messaging_queue_010E0F03", ["update"]],
  ]);
  const stack = "sml-prd";
  const issue = (body: string): OpenIssue => ({ number: 17, title: driftIssueTitle(stack), body });

  it("opens an issue with the plan's digest when drift appears", () => {
    const decision = decideDrift(stack, 2, drifted, []);
    expect(decision).toMatchObject({ action: "open", title: driftIssueTitle(stack) });
    if (decision.action !== "open") throw new Error("expected open");
    expect(decision.body).toContain(decision.digest);
    expect(decision.body).toContain("aws_sqs_queue.messaging_queue_010E0F03");
  });

  it("leaves an issue that already shows the same drift, and updates one that shows another", () => {
    const opened = decideDrift(stack, 2, drifted, []);
    if (opened.action !== "open") throw new Error("expected open");
    expect(decideDrift(stack, 2, drifted, [issue(opened.body)])).toEqual({
      action: "none",
      number: 17,
      title: driftIssueTitle(stack),
    });
    const more = plan([["aws_sns_topic.messaging_topic_1", ["delete"]]]);
    expect(decideDrift(stack, 2, more, [issue(opened.body)])).toMatchObject({ action: "update", number: 17 });
  });

  it("closes the stack's issue when the plan is clean again, and ignores other stacks' issues", () => {
    const other: OpenIssue = { number: 3, title: driftIssueTitle("sml-dev"), body: "" };
    expect(decideDrift(stack, 0, {}, [other, issue("x")])).toMatchObject({ action: "close", number: 17 });
    expect(decideDrift(stack, 0, {}, [other])).toEqual({ action: "none", title: driftIssueTitle(stack) });
  });

  it("treats a failed plan (exit 1) as no result, never as clean", () => {
    expect(() => decideDrift(stack, 1, {}, [issue("x")])).toThrow(/exit code 1 .* is a failed plan/);
  });

  it("gives the same digest to the same changes in any order", () => {
    const reversed = { ...drifted, resource_changes: [...drifted.resource_changes].reverse() };
    expect(planDigest(summarisePlan(stack, reversed))).toBe(planDigest(summarisePlan(stack, drifted)));
  });

  it("refuses an issue list that is not gh's JSON", () => {
    expect(() => parseIssues({ number: 1 })).toThrow(/must be a JSON list/);
  });

  it("decides through the CLI the workflow calls", () => {
    const dir = mkdtempSync(join(tmpdir(), "drift-"));
    writeFileSync(join(dir, "plan.json"), JSON.stringify(drifted));
    writeFileSync(join(dir, "issues.json"), "[]");
    const result = tsx("scripts/delivery/drift-report.ts", [
      stack,
      "2",
      join(dir, "plan.json"),
      join(dir, "issues.json"),
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ action: "open" });
    const clean = tsx("scripts/delivery/drift-report.ts", [
      stack,
      "0",
      join(dir, "absent.json"),
      join(dir, "issues.json"),
    ]);
    expect(JSON.parse(clean.stdout)).toEqual({ action: "none", title: driftIssueTitle(stack) });
  });
});

describe("pre-traffic event", () => {
  // A function whose GET routes all take a path parameter (batches: GET /batches/{id}) has no call that answers
  // 200 before traffic; scripts/smoke.sh covers it after the shift (it scores a batch file).
  const withParameterlessGet = HTTP_FUNCTION_NAMES.filter((name) =>
    ROUTES.some((r) => r.target === name && r.method === "GET" && !r.path.includes("{")),
  );

  it("skips only HTTP functions without a parameterless GET route, which the smoke test calls after the shift", () => {
    const smoke = readFileSync(join(REPO_ROOT, "scripts/smoke.sh"), "utf8");
    for (const name of HTTP_FUNCTION_NAMES.filter((n) => !withParameterlessGet.includes(n))) {
      expect(preTrafficEvent(`sml-prd-${name}`)).toBeUndefined();
      for (const route of ROUTES.filter((r) => r.target === name))
        expect(smoke).toContain(route.path.replace(/\{[^}]+\}.*$/, ""));
    }
  });

  it.each(withParameterlessGet)("calls %s on one of its own GET routes without path parameters", (name) => {
    const route = preTrafficRoute(`sml-pr-42-${name}`);
    expect(ROUTES).toContain(route);
    expect(route).toMatchObject({ target: name, method: "GET" });
    expect(route?.path).not.toContain("{");
    const event = preTrafficEvent(`sml-pr-42-${name}`);
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: routeKey(route as (typeof ROUTES)[number]),
      rawPath: route?.path,
      requestContext: { http: { method: "GET", path: route?.path } },
    });
  });

  it("calls nothing for a function that serves no route, or a name outside the registry", () => {
    expect(preTrafficEvent(`sml-prd-${FUNCTIONS.subscriber.name}`)).toBeUndefined();
    expect(preTrafficEvent("sml-prd-unknown")).toBeUndefined();
  });
});
