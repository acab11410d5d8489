/**
 * app-api/README.md lists the api function's routes and the metrics its handler emits (issue 30): a contributor
 * who added the users deletion route left it out of the intro line and its metric out of the metrics list. This
 * holds the README to the route table (every route whose `target` is "api") and to the metric names
 * http-handler.ts passes to `addMetric` (plus Powertools' `ColdStart` when it captures it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES, routeKey } from "@sml/contracts/routes";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const README = "app-api/README.md";
const HANDLER = "app-api/src/adapters/http-handler.ts";

const readme = readFileSync(join(REPO_ROOT, README), "utf8");
const handler = readFileSync(join(REPO_ROOT, HANDLER), "utf8");

/** The README names `key` in backticks, not as the start of a longer path (`GET /users` is not `GET /users/{id}`). */
export function namesRoute(text: string, key: string): boolean {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`\`${escaped}(?![\\w/{}-])`).test(text);
}

/** Metric names the handler emits: each `addMetric("Name", ...)`, and `ColdStart` from `captureColdStartMetric`. */
export function emittedMetrics(source: string): string[] {
  const added = [...source.matchAll(/addMetric\(\s*"(\w+)"/g)].map((m) => m[1] as string);
  return [...new Set([...added, ...(source.includes("captureColdStartMetric(") ? ["ColdStart"] : [])])];
}

const apiRoutes = ROUTES.filter((r) => r.target === "api").map(routeKey);

describe(`${README}`, () => {
  it("reads a route table and a handler that still have what it lists", () => {
    expect(apiRoutes).toEqual(expect.arrayContaining(["GET /users", "POST /users"]));
    expect(emittedMetrics(handler)).toEqual(expect.arrayContaining(["UsersAccepted", "ServerErrors"]));
  });

  it.each(apiRoutes)("names the api route %s", (key) => {
    expect(namesRoute(readme, key)).toBe(true);
  });

  it.each(emittedMetrics(handler))(`names the metric %s that ${HANDLER} emits`, (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it("tells a route from a longer path that starts with it", () => {
    expect(namesRoute("`GET /users/{id}` only", "GET /users")).toBe(false);
    expect(namesRoute("`GET /users?limit=` and", "GET /users")).toBe(true);
    expect(namesRoute("`GET /users`, `GET /users/{id}`", "GET /users/{id}")).toBe(true);
  });
});
