/**
 * docs/architecture.md's "Add a write route" walk (issue 30 item 5) names the files a write route touches, from
 * the route table to the row, with DELETE /users/{id} as the worked example. This holds the walk to the code:
 * every file it names exists, it goes the way a request goes, and every file that mentions what a write route
 * changes is on it, so a write route that needs a file the walk does not name fails here. "What a write route
 * changes" was first the example's route, message type and column; a contributor adding PATCH /users/{id} by the
 * walk still needed four files it did not name (the core's schema re-exports, two tests that read the message
 * union or the subscriber's counts, this doc's own route list), so the footprint also holds the seams those
 * files share with every write route.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import { slug } from "@sml/infra/config/slo";

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

const doc = readFileSync(join(REPO_ROOT, DOC), "utf8");
const walk = walkOf(doc);
const named = namedPaths(walk);

/** What the worked example added, by which its files are found, and the seams every write route goes through. */
const deleteRoute = ROUTES.find((r) => r.method === "DELETE" && r.path === "/users/{id}");
const DELETE_KEY = deleteRoute ? routeKey(deleteRoute) : "DELETE /users/{id}";
const FOOTPRINT = [
  DELETE_KEY,
  // its alarms' names (api-5xx-rate-delete-users-id): docs/cost.md prices them, the snapshots hold them
  slug(DELETE_KEY),
  "UserDeletion",
  "deleted_at",
  // the writer port the subscriber applies changes through
  "UserWriter",
  // the subscriber's apply use case: its counts gain a field per kind of change
  "saveUsers",
  // what the fake publisher captured: every test reading it sees the message union
  "publisher.published",
  // a request body's schema and where the core re-exports such schemas (app-api/src/core/schemas.ts)
  "NewUserSchema",
];

/** Files of `files` that no named file or folder covers. */
const uncovered = (names: readonly string[], files: readonly string[]): string[] =>
  files.filter((f) => !names.some((p) => f === p || f.startsWith(`${p}/`))).sort();

const mentioning = (needle: string): string[] =>
  execFileSync("git", ["grep", "-l", "-F", needle], { cwd: REPO_ROOT, encoding: "utf8" })
    .split("\n")
    .filter(Boolean);

/** Files (besides this doc and this test) that mention any footprint term. */
const footprintFiles = (): string[] =>
  [...new Set(FOOTPRINT.flatMap(mentioning))].filter((f) => f !== DOC && f !== SELF);

/**
 * Whether the doc names the example's route outside its two route walks (which use it as their example): that is
 * the route list at its top, which a new write route joins.
 */
function routeListNames(text: string): boolean {
  const from = text.indexOf("**Add a route**");
  const own = walkOf(text);
  const to = text.indexOf(own) + own.length;
  if (from < 0 || from > to) throw new Error(`${DOC}: no read-route walk before the write-route walk`);
  return (text.slice(0, from) + text.slice(to)).includes(DELETE_KEY);
}

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

  it("names every file that mentions what a write route changes", () => {
    expect(uncovered(named, footprintFiles())).toEqual([]);
  });

  it(`names ${DOC} itself when its route list, outside the walks, names the example`, () => {
    expect(routeListNames(doc)).toBe(true);
    expect(named).toContain(DOC);
  });

  // The four files the PATCH /users/{id} experiment needed and the walk did not name, and docs/cost.md, which
  // `npm run generate` rewrote without the walk saying so: dropping any of them from the walk must fail the test.
  it.each([
    "app-api/src/core/schemas.ts",
    "app-subscriber/tests/unit/save-users.test.ts",
    "app-api/tests/unit/properties.test.ts",
    "docs/cost.md",
  ])("finds %s missing from a walk that does not name it", (file) => {
    expect(walk).toContain(`\`${file}\``);
    const shortened = named.filter((p) => p !== file);
    expect(uncovered(shortened, footprintFiles())).toEqual([file]);
  });

  it("finds a missing file: a walk without the migration leaves it out", () => {
    const shortened = namedPaths(
      walk.replace("`packages/database/src/migrations/0005_user_deletions.sql`", "a migration"),
    );
    const files = mentioning("deleted_at").filter((f) => f !== DOC && f !== SELF);
    expect(uncovered(shortened, files)).toEqual(["packages/database/src/migrations/0005_user_deletions.sql"]);
  });
});
