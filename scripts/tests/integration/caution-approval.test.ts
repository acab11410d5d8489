/**
 * The caution gate's approval (issue 24, item 5): scripts/delivery/caution-approval.sh with a `gh` stand-in on
 * PATH that answers the three REST calls with bodies shaped as GitHub documents them ("Get a pull request",
 * "List issue events" with `labeled`/`unlabeled`, `actor`, `label`, `created_at`; "List workflow runs for a
 * repository" filtered by head_sha). GitHub itself cannot answer here.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { approvalOf, type IssueEvent } from "../../delivery/caution-approval";
import { APPROVAL_LABEL } from "../../delivery/plan-summary";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(60_000);

const HEAD = "c0ffee".padEnd(40, "0");
const PUSHED = "2026-12-05T10:00:00Z";
const labeled = (login: string, at: string, event = "labeled"): IssueEvent => ({
  event,
  created_at: at,
  actor: { login },
  label: { name: APPROVAL_LABEL },
});

let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-approval-");
});
afterEach(() => fakes.cleanup());

async function gate(events: readonly IssueEvent[]) {
  writeFileSync(
    join(fakes.dir, "pull.json"),
    JSON.stringify({ number: 7, user: { login: "ada" }, head: { sha: HEAD } }),
  );
  writeFileSync(join(fakes.dir, "events.json"), JSON.stringify(events));
  // Two runs started for the head commit; the first one's creation is when the push arrived.
  writeFileSync(
    join(fakes.dir, "runs.json"),
    JSON.stringify({ workflow_runs: [{ created_at: "2026-12-05T10:00:04Z" }, { created_at: PUSHED }] }),
  );
  fakes.fake(
    "gh",
    `dir="${fakes.dir}"
jqf=""; args=("$@"); for ((i = 0; i < \${#args[@]}; i++)); do [[ "\${args[$i]}" == --jq ]] && jqf="\${args[$((i + 1))]}"; done
case "$*" in
  *"/pulls/7"*) body="$dir/pull.json" ;;
  *"/issues/7/events"*) body="$dir/events.json" ;;
  *"actions/runs?head_sha=${HEAD}"*) body="$dir/runs.json" ;;
  *) echo "gh: unexpected $*" >&2; exit 1 ;;
esac
if [[ -n "$jqf" ]]; then jq -r "$jqf" "$body"; else cat "$body"; fi`,
  );
  const result = await fakes.run("scripts/delivery/caution-approval.sh", ["7"], {
    GITHUB_REPOSITORY: "acme/sml",
  });
  return { ...result, decision: result.stdout ? JSON.parse(result.stdout) : undefined };
}

it("refuses the author's own approval", async () => {
  const result = await gate([labeled("ada", "2026-12-05T10:05:00Z")]);
  expect(result.code).toBe(1);
  expect(result.decision.reason).toContain("added by the pull request's author (ada)");
});

it("refuses an approval given before the latest push", async () => {
  const result = await gate([labeled("grace", "2026-12-05T09:59:59Z")]);
  expect(result.code).toBe(1);
  expect(result.decision.reason).toContain(`before the latest push (${PUSHED})`);
});

it("accepts another person's approval after the latest push", async () => {
  const result = await gate([
    labeled("ada", "2026-12-05T09:00:00Z"),
    labeled("grace", "2026-12-05T10:01:00Z"),
  ]);
  expect(result.code).toBe(0);
  expect(result.decision).toEqual(expect.objectContaining({ approved: true, by: "grace" }));
});

it("refuses when the label was removed after it was added", async () => {
  const result = await gate([
    labeled("grace", "2026-12-05T10:01:00Z"),
    labeled("github-actions[bot]", "2026-12-05T10:02:00Z", "unlabeled"),
  ]);
  expect(result.code).toBe(1);
  expect(result.decision.reason).toContain("does not carry the label");
});

it("ignores other labels and refuses a time that is not ISO 8601", () => {
  const other = { ...labeled("grace", "2026-12-05T10:01:00Z"), label: { name: "preview" } };
  expect(approvalOf([other], "ada", PUSHED).approved).toBe(false);
  expect(() => approvalOf([], "ada", "yesterday")).toThrow(/not an ISO 8601 time/);
});
