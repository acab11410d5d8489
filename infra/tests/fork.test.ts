/**
 * A fork's first day (issue 27): a copy of this repository whose site.ts holds another account, bucket,
 * repository, region and project (support/fork-copy.ts) synthesizes every stack as a deploy would
 * (SML_SITE_CHECK=deploy), names them after its project, and carries none of the template's or the test site's
 * values; the suites' site-independence is checked in the copy by running a site-independent test file there.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SITE as REPOSITORY_SITE } from "../src/config/site";
import { FORK_SITE, forkCopy } from "./support/fork-copy";
import { testBundleRoot } from "./support/paths";
import { SITE as PLACEHOLDER_SITE } from "./support/placeholder-site";
import { SITE as TEST_SITE } from "./support/test-site";

jest.setTimeout(240_000);

let root: string;
let fork: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sml-fork-"));
  fork = forkCopy(join(root, "repo"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A process in the fork with none of the tests' site settings: what the fork's own shell or CI has. */
function inFork(command: string, args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SML_") && name !== "JEST_WORKER_ID"),
  );
  return spawnSync(command, args, {
    cwd: fork,
    env: { ...clean, CHECKPOINT_DISABLE: "1", ...env },
    encoding: "utf8",
  });
}

/** Site values of the template and of the test site that a fork's synthesized stacks must not contain. */
const foreignValues = [
  ...new Set(
    [PLACEHOLDER_SITE, TEST_SITE, REPOSITORY_SITE].flatMap((site) => [
      ...Object.values(site.accounts),
      site.state.bucket,
      site.githubRepository,
      site.githubRepository.split("/")[0] as string,
      site.region,
    ]),
  ),
].filter((value) => !JSON.stringify(FORK_SITE).includes(value));

describe("a fork that edited only site.ts", () => {
  it("synthesizes every stack for a deploy, named after its project, with no template or test-site value", () => {
    const out = join(root, "out");
    const synth = inFork(process.execPath, ["--import", "tsx", "infra/src/main.ts"], {
      SML_SITE_CHECK: "deploy",
      SML_ENVIRONMENTS: "dev,prd",
      SML_PREVIEW_PR: "7",
      SML_ALARM_EMAIL_DEV: "dev-alarms@acme-corp.io",
      SML_ALARM_EMAIL_PRD: "prd-alarms@acme-corp.io",
      SML_ALARM_EMAIL_PREVIEW: "pr-alarms@acme-corp.io",
      SML_BUNDLE_ROOT: testBundleRoot(),
      CDKTF_OUTDIR: out,
    });
    expect([synth.status, synth.stderr]).toEqual([
      0,
      expect.not.stringContaining("Warning: synthesized for exploring"),
    ]);
    const stacks = readdirSync(join(out, "stacks")).sort();
    expect(stacks).toEqual(["acme-bootstrap", "acme-dev", "acme-pr-7", "acme-prd", "acme-registry"]);
    for (const stack of stacks) {
      const json = readFileSync(join(out, "stacks", stack, "cdk.tf.json"), "utf8");
      expect([stack, foreignValues.filter((value) => json.includes(value))]).toEqual([stack, []]);
      // No name, ARN pattern or boundary keeps the template's project prefix.
      expect([stack, json.match(/[^A-Za-z0-9_]sml-[a-z]+/g) ?? []]).toEqual([stack, []]);
      expect(json).toContain(FORK_SITE.region);
    }
    const backend = JSON.parse(readFileSync(join(out, "stacks", "acme-prd", "cdk.tf.json"), "utf8")).terraform
      .backend.s3;
    expect(backend).toMatchObject({
      bucket: FORK_SITE.state.bucket,
      key: "platform/acme-prd/terraform.tfstate",
    });
  });

  it("gives the workflows and scripts the fork's names (site-facts.ts, as the workflows call it)", () => {
    const facts = inFork(
      process.execPath,
      ["--import", "tsx", "infra/src/site-facts.ts", "--github-env", "prd"],
      {},
    );
    expect([facts.status, facts.stdout]).toEqual([
      0,
      "SML_PROJECT=acme\nBOOTSTRAP_STACK=acme-bootstrap\nREGISTRY_STACK=acme-registry\nPREVIEW_STACK_PREFIX=acme-pr\nSTACK=acme-prd\n",
    ]);
  });

  it("type-checks and lints with the fork's site.ts (CI's typecheck and biome, on infra)", () => {
    const tsc = inFork(join(fork, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "infra"], {});
    expect([tsc.status, tsc.stdout]).toEqual([0, ""]);
    const biome = inFork(
      join(fork, "node_modules", ".bin", "biome"),
      ["check", "--error-on-warnings", "infra"],
      {},
    );
    expect([biome.status, biome.stderr]).toEqual([0, expect.not.stringContaining("error")]);
  });

  it("passes a site-independent suite in the copy (the workflow tests: no line hard-codes sml- or acme-)", () => {
    const jest = inFork(
      process.execPath,
      [
        "--experimental-vm-modules",
        "node_modules/jest/bin/jest.js",
        "scripts/tests/unit/workflows.test.ts",
        "--ci",
      ],
      {},
    );
    expect([jest.status, jest.stderr]).toEqual([0, expect.stringMatching(/Tests:\s+\d+ passed, \d+ total/)]);
  });
});
