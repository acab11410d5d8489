/**
 * Committed provider lock files (issue 24, item 10): every stack the app synthesizes gets infra/locks/<stack>'s
 * .terraform.lock.hcl beside its cdk.tf.json, and that lock records exactly the provider version the stack
 * requires (the bindings target hashicorp/aws 6.25.0: @cdktf/provider-aws 21.22.1). The package hashes are
 * recorded by CI's `terraform providers lock` (scripts/delivery/provider-locks.sh refresh): no provider can be
 * downloaded here.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  installProviderLocks,
  LOCK_FILE,
  LOCKS_DIR,
  lockedVersions,
  lockFileOf,
  ProviderLockError,
  providerAddress,
} from "../src/provider-locks";
import { synthAllStacks } from "./support/synth";

const { synthesized } = synthAllStacks();

function outdirWith(stacks: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), "sml-locks-"));
  for (const [stack, config] of Object.entries(stacks)) {
    mkdirSync(join(outdir, "stacks", stack), { recursive: true });
    writeFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), JSON.stringify(config));
  }
  return outdir;
}

it("has a lock for every synthesized stack and for previews, recording the version each stack requires", () => {
  const outdir = outdirWith(
    Object.fromEntries([
      ...synthesized.map((s) => [s.id, s.json]),
      ["sml-pr-42", synthesized.find((s) => s.id === "sml-dev")?.json],
    ]),
  );
  expect(installProviderLocks(outdir).sort()).toEqual([...synthesized.map((s) => s.id), "sml-pr-42"].sort());
  for (const s of [...synthesized.map((x) => x.id), "sml-pr-42"])
    expect(readFileSync(join(outdir, "stacks", s, LOCK_FILE), "utf8")).toBe(
      readFileSync(lockFileOf(s), "utf8"),
    );
  for (const stack of synthesized) {
    const json = stack.json as { terraform: { required_providers: Record<string, unknown> } };
    expect([stack.id, json.terraform.required_providers]).toEqual([
      stack.id,
      { aws: { source: "aws", version: "6.25.0" } },
    ]);
  }
  expect(lockedVersions(readFileSync(lockFileOf("sml-prd"), "utf8"))).toEqual({
    [providerAddress("aws")]: "6.25.0",
  });
  // No lock file for a stack the app does not define.
  expect(readdirSync(LOCKS_DIR).sort()).toEqual(
    ["bootstrap", "dev", "pr", "prd", "registry"].map((s) => `${s}${LOCK_FILE}`).sort(),
  );
});

it("fails the synth naming a stack whose lock records another version, or that has none", () => {
  const locks = mkdtempSync(join(tmpdir(), "sml-locks-src-"));
  writeFileSync(
    join(locks, `dev${LOCK_FILE}`),
    'provider "registry.terraform.io/hashicorp/aws" {\n  version = "6.24.0"\n}\n',
  );
  const outdir = outdirWith({
    "sml-dev": { terraform: { required_providers: { aws: { source: "aws", version: "6.25.0" } } } },
    "sml-prd": { terraform: { required_providers: { aws: { source: "aws", version: "6.25.0" } } } },
  });
  expect(() => installProviderLocks(outdir, locks)).toThrow(ProviderLockError);
  expect(() => installProviderLocks(outdir, locks)).toThrow(
    /sml-dev: requires registry.terraform.io\/hashicorp\/aws 6.25.0, its lock records 6.24.0/,
  );
  expect(() => installProviderLocks(outdir, locks)).toThrow(/sml-prd: no lock file/);
  expect(existsSync(join(outdir, "stacks", "sml-prd", LOCK_FILE))).toBe(false);
});

it("reads provider addresses the way Terraform writes them", () => {
  expect(providerAddress("aws")).toBe("registry.terraform.io/hashicorp/aws");
  expect(providerAddress("hashicorp/random")).toBe("registry.terraform.io/hashicorp/random");
  expect(lockFileOf("sml-pr-7")).toBe(join(LOCKS_DIR, `pr${LOCK_FILE}`));
  expect(lockFileOf("acme-corp-prd")).toBe(join(LOCKS_DIR, `prd${LOCK_FILE}`));
});
