/**
 * docs/architecture.md's "Add a write route" walk (issue 30 item 5) names the files a write route touches, from
 * the route table to the row, with DELETE /users/{id} as the worked example. This holds the walk to the code:
 * every file it names exists, it goes the way a request goes, and every file that mentions the example's route,
 * message type or column is on it, so a write route that needs a file the walk does not name fails here.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES, routeKey } from "@sml/contracts/routes";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const DOC = "docs/architecture.md";
const SELF = "scripts/tests/unit/write-route-walk.test.ts";

/** The walk: from its bold title to the paragraph after the list (the note on what does not change). */
export function walkOf(doc: string): string {
  const start = doc.indexOf("**Add a write route**");
  if (start < 0) throw new Error(`${DOC} has no **Add a write route** walk`);
  const end = doc.indexOf("\n\n", doc.indexOf("\n\n", start) + 2);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Repository paths the walk names in backticks, in order (files and folders). */
export function namedPaths(walk: string): string[] {
  return [...walk.matchAll(/`((?:[\w.-]+\/)+[\w.-]*|[\w-]+\.md)`/g)].map((m) =>
    (m[1] as string).replace(/\/$/, ""),
  );
}

const walk = walkOf(readFileSync(join(REPO_ROOT, DOC), "utf8"));
const named = namedPaths(walk);

/** What the worked example added, by which its files are found: its route key, message type and column. */
const deleteRoute = ROUTES.find((r) => r.method === "DELETE" && r.path === "/users/{id}");
const FOOTPRINT = [deleteRoute ? routeKey(deleteRoute) : "DELETE /users/{id}", "UserDeletion", "deleted_at"];

/** Files of `files` that no named file or folder covers. */
const uncovered = (names: readonly string[], files: readonly string[]): string[] =>
  files.filter((f) => !names.some((p) => f === p || f.startsWith(`${p}/`))).sort();

const mentioning = (needle: string): string[] =>
  execFileSync("git", ["grep", "-l", "-F", needle], { cwd: REPO_ROOT, encoding: "utf8" })
    .split("\n")
    .filter(Boolean);

describe(`${DOC}'s write-route walk`, () => {
  it("is the walk of a route the table still has", () => {
    expect(deleteRoute).toBeDefined();
    expect(walk).toContain(FOOTPRINT[0]);
  });

  it("names only files and folders that exist", () => {
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((p) => !existsSync(join(REPO_ROOT, p)))).toEqual([]);
  });

  it("goes the way a write goes: route table, API, subscriber, database", () => {
    const firstOf = (prefix: string) => named.findIndex((p) => p.startsWith(prefix));
    const order = [
      "packages/contracts/",
      "app-api/src/",
      "app-subscriber/src/",
      "packages/database/src/",
    ].map(firstOf);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("names every file that mentions the example's route, message type or column", () => {
    const files = [...new Set(FOOTPRINT.flatMap(mentioning))].filter((f) => f !== DOC && f !== SELF);
    expect(files.length).toBeGreaterThan(15);
    expect(uncovered(named, files)).toEqual([]);
  });

  it("finds a missing file: a walk without the migration leaves it out", () => {
    const shortened = namedPaths(
      walk.replace("`packages/database/src/migrations/0005_user_deletions.sql`", "a migration"),
    );
    const files = mentioning("deleted_at").filter((f) => f !== DOC && f !== SELF);
    expect(uncovered(shortened, files)).toEqual(["packages/database/src/migrations/0005_user_deletions.sql"]);
  });
});
