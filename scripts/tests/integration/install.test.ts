import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const CHECK = join(REPO_ROOT, "scripts", "check-lock.mjs");

function checkLock(dir?: string) {
  return spawnSync(process.execPath, dir ? [CHECK, dir] : [CHECK], { encoding: "utf8" });
}

/** A copy of the repository's package.json and lock, with `edit` applied to the lock's packages. */
function doctoredLock(edit: (packages: Record<string, Record<string, unknown>>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "sml-lock-"));
  copyFileSync(join(REPO_ROOT, "package.json"), join(dir, "package.json"));
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8"));
  edit(lock.packages);
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(lock));
  return dir;
}

describe("the lock installs on a new machine", () => {
  it("passes the lock check: every entry has a version and constructs has one copy", () => {
    const result = checkLock();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  // npm ci on an empty cache dies with "Invalid Version:" on such an entry (it passed only with a warm cache).
  it("fails on an entry without a version, naming it", () => {
    const result = checkLock(
      doctoredLock((packages) => {
        packages["node_modules/@biomejs/biome/node_modules/@biomejs/cli-darwin-arm64"] = { optional: true };
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "node_modules/@biomejs/biome/node_modules/@biomejs/cli-darwin-arm64 has no version",
    );
  });

  // Two copies make cdktf synth fail with "scope.node._scopes is not iterable".
  it("fails on a second copy of constructs", () => {
    const result = checkLock(
      doctoredLock((packages) => {
        packages["node_modules/cdktf-cli/node_modules/constructs"] = { version: "10.4.2" };
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("constructs must have exactly one copy, found 2");
  });

  it("resolves one constructs from cdktf, the provider bindings and infra", () => {
    const from = (pkg: string) => require.resolve("constructs", { paths: [dirname(require.resolve(pkg))] });
    const infra = require.resolve("constructs", { paths: [join(REPO_ROOT, "infra")] });
    expect(from("cdktf")).toBe(infra);
    expect(from("@cdktf/provider-aws/lib/provider")).toBe(infra);
  });
});
