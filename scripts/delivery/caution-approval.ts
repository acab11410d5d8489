/**
 * Whether the caution gate of the plan workflow is approved (scripts/delivery/plan-summary.ts, APPROVAL_LABEL):
 * only by a person other than the pull request's author, after the pull request's latest push. A label alone
 * proves neither (anyone with triage rights adds it, the author too, and it stays through later pushes), so the
 * decision reads who added it and when from the issue's events (REST API "List issue events": `labeled` /
 * `unlabeled` with `actor` and `created_at`), and compares that with when the head commit arrived.
 *
 * Usage: tsx scripts/delivery/caution-approval.ts <pull.json> <events.json> <head-pushed-at ISO 8601>
 *   pull.json:   GET /repos/{owner}/{repo}/pulls/{number}
 *   events.json: GET /repos/{owner}/{repo}/issues/{number}/events, every page in one array
 * prints {"approved": true|false, "reason": "...", "by"?, "at"?}. scripts/delivery/caution-approval.sh fetches
 * the three with gh.
 */
import { readFileSync } from "node:fs";
import { APPROVAL_LABEL } from "./plan-summary";

export interface IssueEvent {
  readonly event: string;
  readonly created_at: string;
  readonly actor?: { readonly login?: string } | null;
  readonly label?: { readonly name?: string } | null;
}

export interface Approval {
  readonly approved: boolean;
  readonly reason: string;
  readonly by?: string;
  readonly at?: string;
}

export class ApprovalInputError extends Error {
  override readonly name = "ApprovalInputError";
}

export function approvalOf(events: readonly IssueEvent[], author: string, headPushedAt: string): Approval {
  const pushed = Date.parse(headPushedAt);
  if (Number.isNaN(pushed))
    throw new ApprovalInputError(`head pushed at ${headPushedAt} is not an ISO 8601 time`);
  if (!author) throw new ApprovalInputError("the pull request has no author login");
  const changes = events
    .filter((e) => (e.event === "labeled" || e.event === "unlabeled") && e.label?.name === APPROVAL_LABEL)
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const last = changes.at(-1);
  if (last?.event !== "labeled")
    return { approved: false, reason: `the pull request does not carry the label ${APPROVAL_LABEL}` };
  const by = last.actor?.login ?? "";
  const at = last.created_at;
  if (by.toLowerCase() === author.toLowerCase())
    return {
      approved: false,
      by,
      at,
      reason: `${APPROVAL_LABEL} was added by the pull request's author (${by}); someone else must approve the cautions`,
    };
  if (Date.parse(at) <= pushed)
    return {
      approved: false,
      by,
      at,
      reason: `${APPROVAL_LABEL} was added by ${by} at ${at}, before the latest push (${headPushedAt}); approve the current plan again`,
    };
  return {
    approved: true,
    by,
    at,
    reason: `approved by ${by} at ${at}, after the latest push (${headPushedAt})`,
  };
}

if (require.main === module) {
  try {
    const [pullFile, eventsFile, pushedAt] = process.argv.slice(2);
    if (!pullFile || !eventsFile || !pushedAt)
      throw new ApprovalInputError("usage: caution-approval.ts <pull.json> <events.json> <head-pushed-at>");
    const pull = JSON.parse(readFileSync(pullFile, "utf8")) as { user?: { login?: string } };
    const events = JSON.parse(readFileSync(eventsFile, "utf8")) as unknown;
    if (!Array.isArray(events))
      throw new ApprovalInputError(`${eventsFile} is not a JSON array of issue events`);
    process.stdout.write(
      `${JSON.stringify(approvalOf(events as IssueEvent[], pull.user?.login ?? "", pushedAt))}\n`,
    );
  } catch (err) {
    process.stderr.write(`caution-approval: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
