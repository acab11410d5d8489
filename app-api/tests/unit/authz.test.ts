/**
 * The users directory is the admins group's (issue 28 review, finding 2): every route of the table the api
 * function serves with a `group` refuses a signed-in analyst 403 and a caller-less event 401, before its handler
 * reads or publishes anything; an admin is served. Derived from the route table, so a new admin route is covered.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import { createHandler } from "../../src/adapters/http-handler";
import { ADMIN_CLAIMS, ANALYST_CLAIMS, httpEvent, json } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

/** A reader that records every call: a refused request must not read the directory at all. */
class CountingReader extends InMemoryUserReader {
  calls = 0;
  override async list(params: { limit: number; cursor?: string }) {
    this.calls++;
    return super.list(params);
  }
  override async get(id: string) {
    this.calls++;
    return super.get(id);
  }
}

const groupRoutes = ROUTES.filter((r) => r.target === "api" && "group" in r);

function requestOf(route: (typeof ROUTES)[number], claims: Record<string, string> | null) {
  const example = route.example as {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
  };
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => example.params?.[name] ?? "x");
  const query = example.query ? `?${new URLSearchParams(example.query)}` : "";
  return httpEvent({
    method: route.method,
    path: `${path}${query}`,
    claims,
    ...(example.body === undefined ? {} : { headers: json, body: JSON.stringify(example.body) }),
  });
}

function setup() {
  const repository = new CountingReader();
  repository.seed(3);
  const publisher = new RecordingPublisher();
  const handler = createHandler({ repository, publisher, logger: new Logger({ serviceName: "authz-test" }) });
  return { repository, publisher, handler };
}

describe("routes reserved for a group", () => {
  it("are the four users routes", () => {
    expect(groupRoutes.map(routeKey).sort()).toEqual([
      "DELETE /users/{id}",
      "GET /users",
      "GET /users/{id}",
      "POST /users",
    ]);
  });

  it.each(groupRoutes.map((r) => [routeKey(r), r] as const))(
    "%s answers a signed-in analyst 403 FORBIDDEN, reading and publishing nothing",
    async (_, route) => {
      const { handler, repository, publisher } = setup();
      const res = await handler(requestOf(route, ANALYST_CLAIMS));
      expect(res.statusCode).toBe(403);
      const body = JSON.parse(res.body);
      expect(body.error.code).toBe("FORBIDDEN");
      expect(body.error.message).toMatch(/admins group only/);
      expect([repository.calls, publisher.published.length]).toEqual([0, 0]);
    },
  );

  it.each(groupRoutes.map((r) => [routeKey(r), r] as const))(
    "%s answers a group name that only contains `admins` 403 (`x,admins`)",
    async (_, route) => {
      const { handler } = setup();
      const res = await handler(requestOf(route, { sub: "s", "cognito:groups": "[x,admins analysts]" }));
      expect(res.statusCode).toBe(403);
    },
  );

  it.each(groupRoutes.map((r) => [routeKey(r), r] as const))(
    "%s answers an event without a caller 401",
    async (_, route) => {
      const { handler, repository, publisher } = setup();
      const res = await handler(requestOf(route, null));
      expect(res.statusCode).toBe(401);
      expect([repository.calls, publisher.published.length]).toEqual([0, 0]);
    },
  );

  it.each(groupRoutes.map((r) => [routeKey(r), r] as const))("%s serves an admin", async (_, route) => {
    const { handler } = setup();
    const res = await handler(requestOf(route, ADMIN_CLAIMS));
    // The examples name ids no seeded user has: 404 is the handler's own answer, past the group check.
    expect([200, 202, 404]).toContain(res.statusCode);
  });

  it("leaves the open routes open to an event without a caller", async () => {
    const { handler } = setup();
    expect((await handler(httpEvent({ method: "GET", path: "/health", claims: null }))).statusCode).toBe(200);
  });
});
