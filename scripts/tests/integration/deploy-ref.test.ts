/**
 * scripts/delivery/check-deploy-ref.sh, the prd gate of deploy.yml, against a real git repository with a main
 * branch, a feature branch, a release tag on main and one off main (origin/main is what actions/checkout with
 * fetch-depth 0 gives).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(__dirname, "..", "..", "delivery", "check-deploy-ref.sh");
let repo: string;
let commits: { main: string; feature: string; hotfix: string };
let scratch: string;

const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: repo,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  }).trim();

function check(environment: string, ref: string, env: Record<string, string> = {}, clone?: string) {
  try {
    // With a clone argument the script runs from elsewhere (deploy.yml: the workflow's own checkout).
    const stdout = execFileSync(SCRIPT, clone ? [environment, ref, clone] : [environment, ref], {
      cwd: clone ? scratch : repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, GITHUB_OUTPUT: "", ...env },
    });
    return { code: 0, stdout: stdout.trim(), stderr: "" };
  } catch (err) {
    const failed = err as { status?: number; stdout?: string; stderr?: string };
    return { code: failed.status ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "sml-deploy-ref-"));
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "on main");
  const main = git("rev-parse", "HEAD");
  git("update-ref", "refs/remotes/origin/main", main);
  git("checkout", "-q", "-b", "feature");
  git("commit", "-q", "--allow-empty", "-m", "not reviewed");
  const feature = git("rev-parse", "HEAD");
  git("checkout", "-q", "-b", "release-1.0.1", main);
  git("commit", "-q", "--allow-empty", "-m", "hotfix");
  const hotfix = git("rev-parse", "HEAD");
  git("tag", "v1.0.1");
  git("tag", "v1.0.0", main);
  git("checkout", "-q", "main");
  commits = { main, feature, hotfix };
  scratch = mkdtempSync(join(tmpdir(), "sml-deploy-ref-cwd-"));
});
afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe("scripts/delivery/check-deploy-ref.sh (the prd gate)", () => {
  it("lets prd deploy main and a commit on main, and prints the commit it checked", () => {
    expect(check("prd", "main")).toMatchObject({ code: 0, stdout: commits.main });
    expect(check("prd", commits.main)).toMatchObject({ code: 0, stdout: commits.main });
  });

  it("lets prd deploy a release tag that points at a commit on main", () => {
    expect(check("prd", "v1.0.0")).toMatchObject({ code: 0, stdout: commits.main });
  });

  // Anyone who may push a tag could otherwise send an unreviewed commit to prd (review of issue 24, finding 3).
  it("refuses a prd deploy of a release tag off main, like any ref off main", () => {
    const result = check("prd", "v1.0.1");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("a release tag v* too must point at a commit on main");
  });

  it("refuses a prd deploy of a branch or a commit that is not on main, and says what to do", () => {
    for (const ref of ["feature", commits.feature, "release-1.0.1"]) {
      const result = check("prd", ref);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("prd deploys only commits on main");
      expect(result.stderr).toContain("deploy it to dev");
    }
  });

  it("inspects the ref in the clone it is given, running from another folder (the workflow's own checkout)", () => {
    expect(check("prd", "main", {}, repo)).toMatchObject({ code: 0, stdout: commits.main });
    expect(check("dev", "feature", {}, repo)).toMatchObject({ code: 0, stdout: commits.feature });
    expect(check("prd", "feature", {}, repo).code).toBe(1);
    expect(check("prd", "main", {}, join(scratch, "missing")).stderr).toContain("no clone at");
  });

  it("lets dev deploy any commit", () => {
    expect(check("dev", "feature")).toMatchObject({ code: 0, stdout: commits.feature });
  });

  it("refuses a ref that does not exist", () => {
    expect(check("prd", "no-such-branch").stderr).toContain("is not a branch, tag or commit");
  });

  /** What the gate writes to GITHUB_OUTPUT for one deploy. */
  function outputsOf(environment: string, ref: string): Record<string, string> {
    const output = join(repo, "..", `${join(repo).split("/").pop()}-output`);
    writeFileSync(output, "");
    check(environment, ref, { GITHUB_OUTPUT: output });
    const lines = readFileSync(output, "utf8").trim().split("\n");
    rmSync(output);
    return Object.fromEntries(lines.map((l) => l.split("=") as [string, string]));
  }

  it("hands the checked commit to the deploy job through GITHUB_OUTPUT", () => {
    expect(outputsOf("prd", "main")).toMatchObject({ sha: commits.main });
  });

  it("makes only a dev deploy of main's head the registry stack's owner (never prd, a branch or an old commit)", () => {
    expect(outputsOf("dev", "main")).toEqual({ sha: commits.main, "registry-owner": "true" });
    expect(outputsOf("dev", commits.main)["registry-owner"]).toBe("true");
    // prd deploys main's head too, from the same commit line; still not the owner (it may lag behind on a rollback).
    expect(outputsOf("prd", "main")["registry-owner"]).toBe("false");
    expect(outputsOf("prd", "v1.0.0")["registry-owner"]).toBe("false");
    expect(outputsOf("dev", "feature")["registry-owner"]).toBe("false");
    // A commit that was main's head once: main moved on, so its registry would be a step back.
    git("commit", "-q", "--allow-empty", "-m", "main moves on");
    git("update-ref", "refs/remotes/origin/main", git("rev-parse", "HEAD"));
    try {
      expect(outputsOf("dev", commits.main)["registry-owner"]).toBe("false");
    } finally {
      git("reset", "-q", "--hard", commits.main);
      git("update-ref", "refs/remotes/origin/main", commits.main);
    }
  });
});
