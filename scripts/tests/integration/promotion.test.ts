/**
 * prd promotes only what dev's deploy run on main built (issue 24, item 1), with a `gh` stand-in on PATH where
 * GitHub would answer: the artifacts list and workflow runs shaped as the REST API documents them ("List artifacts
 * for a repository", "Get a workflow run": path, event, head_branch, head_repository, conclusion, display_title),
 * and `gh attestation verify` passing or failing per file (Sigstore verification cannot run here).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { releaseFiles, sha256File } from "../../delivery/release-manifest";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(120_000);

const REPO = "acme/sml";
const COMMIT = "ab".repeat(20);
let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-promotion-");
});
afterEach(() => fakes.cleanup());

const devRun = (id: number, overrides: Record<string, unknown> = {}) => ({
  id,
  path: ".github/workflows/deploy.yml",
  event: "workflow_dispatch",
  head_branch: "main",
  head_sha: COMMIT,
  head_repository: { full_name: REPO },
  conclusion: "success",
  display_title: "deploy dev @ main",
  html_url: `https://github.com/${REPO}/actions/runs/${id}`,
  ...overrides,
});

/** gh answering the artifacts list and each run from files. */
function github(runs: Record<string, unknown>[]) {
  const artifacts = {
    artifacts: runs.map((r, i) => ({
      name: `release-${COMMIT}`,
      expired: false,
      created_at: `2026-12-0${i + 1}T10:00:00Z`,
      workflow_run: { id: r.id },
    })),
  };
  writeFileSync(join(fakes.dir, "artifacts.json"), JSON.stringify(artifacts));
  for (const r of runs) writeFileSync(join(fakes.dir, `run-${r.id}.json`), JSON.stringify(r));
  fakes.fake(
    "gh",
    `dir="${fakes.dir}"
jqf=""; args=("$@"); for ((i = 0; i < \${#args[@]}; i++)); do [[ "\${args[$i]}" == --jq ]] && jqf="\${args[$((i + 1))]}"; done
case "$2" in
  *"/actions/artifacts?name=release-${COMMIT}"*) body="$dir/artifacts.json" ;;
  *"/actions/runs/"*) body="$dir/run-\${2##*/}.json" ;;
  *) echo "gh: unexpected $*" >&2; exit 1 ;;
esac
if [[ -n "$jqf" ]]; then jq -r "$jqf" "$body"; else cat "$body"; fi`,
  );
}

describe("scripts/delivery/find-release.sh", () => {
  const find = () => fakes.run("scripts/delivery/find-release.sh", [COMMIT], { GITHUB_REPOSITORY: REPO });

  it("skips a newer artifact of the same name uploaded by a pull request's run, and takes dev's deploy run on main", async () => {
    github([
      devRun(100),
      devRun(200, {
        path: ".github/workflows/ci.yml",
        event: "pull_request",
        head_branch: "feature",
        display_title: "ci",
      }),
    ]);
    const result = await find();
    expect([result.code, result.stdout.trim()]).toEqual([0, "100"]);
  });

  it.each([
    [
      "a pull request's run",
      { path: ".github/workflows/ci.yml", event: "pull_request" },
      "event pull_request",
    ],
    ["deploy.yml started from another branch", { head_branch: "evil" }, "started from evil, not main"],
    ["a prd deploy run", { display_title: "deploy prd @ main" }, "is not a dev deploy"],
    ["a failed dev run", { conclusion: "failure" }, "concluded failure"],
    ["a fork's run", { head_repository: { full_name: "mallory/sml" } }, "repository mallory/sml"],
    // deploy.yml on main asked to deploy another ref (a branch, a tag off main) to dev: it ran that code in dev
    // but is no release of it (review of issue 24, finding 4).
    [
      "a dev run from main that deployed another commit",
      { head_sha: "cd".repeat(20), display_title: "deploy dev @ v9.9.9" },
      `ran main at ${"cd".repeat(20)}, not ${COMMIT}`,
    ],
  ])("refuses %s, naming why", async (_what, overrides, why) => {
    github([devRun(300, overrides)]);
    const result = await find();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`run 300: `);
    expect(result.stderr).toContain(why);
  });
});

describe("scripts/delivery/verify-release.sh", () => {
  /** A downloaded release: the manifest and one zip per function, in its own folder. */
  function release(): { dir: string; root: string } {
    const dir = join(fakes.dir, "release");
    const root = join(fakes.dir, "checkout");
    mkdirSync(root);
    const artifacts: Record<string, string> = {};
    for (const file of releaseFiles()) {
      mkdirSync(join(dir, file, ".."), { recursive: true });
      writeFileSync(join(dir, file), `zip of ${file}`);
      artifacts[file] = sha256File(join(dir, file));
    }
    writeFileSync(
      join(dir, "release.json"),
      JSON.stringify({ commit: COMMIT, imageDigest: `sha256:${"c".repeat(64)}`, artifacts }),
    );
    return { dir, root };
  }

  it("verifies each file's attestation with deploy.yml on main as signer, then the hashes, then puts the zips in place", async () => {
    const { dir, root } = release();
    fakes.fake("gh", "exit 0");
    const result = await fakes.run("scripts/delivery/verify-release.sh", [dir, COMMIT, root], {
      GITHUB_REPOSITORY: REPO,
    });
    expect(result.code).toBe(0);
    const verifies = fakes.calls("gh");
    expect(verifies).toHaveLength(releaseFiles().length + 1);
    for (const call of verifies) {
      expect(call).toMatch(/^gh attestation verify /);
      expect(call).toContain(`--repo ${REPO}`);
      expect(call).toContain(`--signer-workflow ${REPO}/.github/workflows/deploy.yml`);
      expect(call).toContain("--source-ref refs/heads/main");
      // The signing run's own commit is the promoted one (gh attestation verify --source-digest).
      expect(call).toContain(`--source-digest ${COMMIT}`);
    }
    for (const file of releaseFiles())
      expect(readFileSync(join(root, file), "utf8")).toBe(readFileSync(join(dir, file), "utf8"));
  });

  it("refuses a release whose files no attestation of deploy.yml on main covers, and puts nothing in place", async () => {
    const { dir, root } = release();
    // What gh prints when no attestation matches the signer workflow and source ref.
    fakes.fake(
      "gh",
      `[[ "$3" == *release.json ]] && exit 0; echo "✗ Verification failed: expected SourceRepositoryRef to be refs/heads/main" >&2; exit 1`,
    );
    const result = await fakes.run("scripts/delivery/verify-release.sh", [dir, COMMIT, root], {
      GITHUB_REPOSITORY: REPO,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `no attestation from deploy.yml on main at ${COMMIT} for: dist/functions/`,
    );
    for (const file of releaseFiles()) expect(existsSync(join(root, file))).toBe(false);
  });

  it("refuses a changed zip even when its attestation passed (the manifest's hash is the check)", async () => {
    const { dir, root } = release();
    const [first] = releaseFiles();
    writeFileSync(join(dir, first as string), "swapped");
    fakes.fake("gh", "exit 0");
    const result = await fakes.run("scripts/delivery/verify-release.sh", [dir, COMMIT, root], {
      GITHUB_REPOSITORY: REPO,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${first}: SHA-256`);
    expect(existsSync(join(root, first as string))).toBe(false);
  });
});
