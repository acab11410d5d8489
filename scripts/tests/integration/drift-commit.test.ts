/**
 * Drift judged at the commit each environment runs, and a failing drift check made visible (issue 24, item 8).
 * scripts/delivery/deployed-commit.sh runs against a `gh` stand-in on PATH that answers the REST calls with bodies
 * shaped as GitHub documents them ("Create a deployment", "List deployments" newest first with `creator`, "List
 * deployment statuses" newest first); the `--jq` filters run with the real jq.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decideCheck, driftCheckIssueTitle } from "../../delivery/drift-report";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(60_000);

const REPO = "acme/sml";
const RUNS = "1".repeat(40);
const NEWER = "2".repeat(40);
let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-drift-");
});
afterEach(() => fakes.cleanup());

/** gh answering from files named after the path; POST bodies (--input -) are kept in posted.json. */
function github(files: Record<string, unknown>) {
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(fakes.dir, name), JSON.stringify(body));
  fakes.fake(
    "gh",
    `dir="${fakes.dir}"
jqf=""; path=""; args=("$@"); for ((i = 0; i < \${#args[@]}; i++)); do
  [[ "\${args[$i]}" == --jq ]] && jqf="\${args[$((i + 1))]}"
  [[ "\${args[$i]}" == repos/* ]] && path="\${args[$i]}"
done
[[ " $* " == *" --input - "* ]] && cat > "$dir/posted.json"
key="\${path#repos/${REPO}/}"; key="\${key%%\\?*}"; key="\${key//\\//-}.json"
[[ -f "$dir/$key" ]] || { echo "gh: no answer for $path" >&2; exit 1; }
if [[ -n "$jqf" ]]; then jq -r "$jqf" "$dir/$key"; else cat "$dir/$key"; fi`,
  );
}

const bot = { login: "github-actions[bot]" };

describe("scripts/delivery/deployed-commit.sh", () => {
  it("records the deployed commit as a deployment with the sml-release task and a success status", async () => {
    github({ "deployments.json": { id: 77 }, "deployments-77-statuses.json": { id: 1 } });
    const result = await fakes.run("scripts/delivery/deployed-commit.sh", ["record", "prd", RUNS], {
      GITHUB_REPOSITORY: REPO,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(join(fakes.dir, "posted.json"), "utf8"))).toEqual(
      expect.objectContaining({ ref: RUNS, environment: "prd", task: "sml-release", required_contexts: [] }),
    );
    expect(fakes.calls("gh")).toContain(
      `gh api --method POST repos/${REPO}/deployments/77/statuses -f state=success -f description=${RUNS} --silent`,
    );
  });

  it("reads the newest record GitHub Actions created with a success status, skipping others", async () => {
    github({
      // Newest first: one by a person, one whose deploy is still in progress, then the one prd runs.
      "deployments.json": [
        { id: 3, sha: NEWER, creator: { login: "mallory" } },
        { id: 2, sha: NEWER, creator: bot },
        { id: 1, sha: RUNS, creator: bot },
      ],
      "deployments-2-statuses.json": [{ state: "in_progress" }],
      "deployments-1-statuses.json": [{ state: "success" }],
      "deployments-1.json": { id: 1, sha: RUNS },
    });
    const result = await fakes.run("scripts/delivery/deployed-commit.sh", ["read", "prd"], {
      GITHUB_REPOSITORY: REPO,
    });
    expect([result.code, result.stdout.trim()]).toEqual([0, RUNS]);
    expect(fakes.calls("gh").some((c) => c.includes("deployments?environment=prd&task=sml-release"))).toBe(
      true,
    );
  });

  it("fails, saying what to do, when the environment has no record", async () => {
    github({ "deployments.json": [] });
    const result = await fakes.run("scripts/delivery/deployed-commit.sh", ["read", "prd"], {
      GITHUB_REPOSITORY: REPO,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no successful sml-release record for prd");
  });
});

describe("the 'drift check fails' issue", () => {
  const title = driftCheckIssueTitle("sml-prd");
  const run = "https://github.com/acme/sml/actions/runs/9";

  it("opens an issue when the check fails, updates it on the next failure, and closes it when it runs again", () => {
    const opened = decideCheck("sml-prd", "failure", [], run);
    expect(opened).toEqual(expect.objectContaining({ action: "open", title }));
    expect("body" in opened && opened.body).toContain(run);
    const open = [{ number: 12, title, body: "" }];
    expect(decideCheck("sml-prd", "failure", open, run)).toEqual(
      expect.objectContaining({ action: "update", number: 12 }),
    );
    expect(decideCheck("sml-prd", "success", open, run)).toEqual(
      expect.objectContaining({ action: "close", number: 12 }),
    );
    expect(decideCheck("sml-prd", "success", [], run).action).toBe("none");
    // The drift issue itself ("Drift in sml-prd") is another issue, left alone.
    expect(
      decideCheck("sml-prd", "success", [{ number: 5, title: "Drift in sml-prd", body: "" }]).action,
    ).toBe("none");
  });
});
