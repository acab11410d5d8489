import { Logger } from "@aws-lambda-powertools/logger";
import { ValidationError } from "@sml/contracts/errors";
import { UUID_PATTERN } from "@sml/contracts/formats";
import { ACCEPTED_AT_PATTERN, NEW_USER_MAX_BODY_BYTES } from "@sml/contracts/users";
import { createHandler } from "../../src/adapters/http-handler";
import { bodyOfBytes } from "../support/bad-requests";
import { httpEvent, json, postUser } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

function setup(options: { healthTimeoutMs?: number } = {}) {
  const repository = new InMemoryUserReader();
  const publisher = new RecordingPublisher();
  const logger = new Logger({ serviceName: "users-api-test" });
  const handler = createHandler({ repository, publisher, logger, ...options });
  return { repository, publisher, logger, handler };
}

const bodyOf = (res: { body: string }) => JSON.parse(res.body);

describe("DELETE /users/{id} (fake ports; issue 24, item 2)", () => {
  const id = "5c3f1e2a-7b4d-4e6f-8a9b-0c1d2e3f4a5b";

  it("answers 202 and publishes one deletion with its ordering key, writing nothing itself", async () => {
    const { handler, publisher } = setup();
    const res = await handler(httpEvent({ method: "DELETE", path: `/users/${id.toUpperCase()}` }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toEqual({
      messageId: "msg-1",
      acceptedAt: expect.stringMatching(ACCEPTED_AT_PATTERN),
    });
    expect(publisher.published).toEqual([{ delete: true, id, acceptedAt: bodyOf(res).acceptedAt }]);
  });

  it("answers 404 for an id that cannot name a user, publishing nothing", async () => {
    const { handler, publisher } = setup();
    const res = await handler(httpEvent({ method: "DELETE", path: "/users/not-a-uuid" }));
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res).error.code).toBe("NOT_FOUND");
    expect(publisher.published).toEqual([]);
  });

  it("answers 503 when the deletion cannot be published", async () => {
    const { handler, publisher } = setup();
    publisher.failWith = new Error("SNS is down");
    const res = await handler(httpEvent({ method: "DELETE", path: `/users/${id}` }));
    expect(res.statusCode).toBe(503);
  });
});

describe("POST /users (fake ports)", () => {
  it("answers 202 with the message id and publishes exactly one {name,email} message", async () => {
    const { handler, publisher } = setup();
    const res = await handler(postUser({ name: "Ada Lovelace", email: "ada@example.com" }));
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toEqual({
      id: expect.stringMatching(UUID_PATTERN),
      messageId: "msg-1",
      acceptedAt: expect.stringMatching(ACCEPTED_AT_PATTERN),
    });
    expect(publisher.published).toEqual([
      {
        name: "Ada Lovelace",
        email: "ada@example.com",
        acceptedAt: bodyOf(res).acceptedAt,
        id: bodyOf(res).id,
      },
    ]);
  });

  it("publishes the trimmed, NFC-normalised name and trimmed email, keeping the email's case", async () => {
    const { handler, publisher } = setup();
    const res = await handler(postUser({ name: "  Zoe\u0308 ", email: " Ada@Example.COM\t" }));
    expect(res.statusCode).toBe(202);
    expect(publisher.published).toEqual([
      { name: "Zoë", email: "Ada@Example.COM", acceptedAt: expect.any(String), id: expect.any(String) },
    ]);
  });

  it.each([
    ["right-to-left script", "مريم"],
    ["emoji with zero-width joiners", "👩‍💻 Grace"],
    ["200 code points of astral characters", "𝒜".repeat(200)],
    ["SQL metacharacters in a name", "Robert'); DROP TABLE users;--"],
  ])("accepts a name with %s", async (_title, name) => {
    const { handler, publisher } = setup();
    const res = await handler(postUser({ name, email: "x@example.com" }));
    expect(res.statusCode).toBe(202);
    expect(publisher.published).toEqual([
      { name, email: "x@example.com", acceptedAt: expect.any(String), id: expect.any(String) },
    ]);
  });

  it("accepts a body of exactly the byte limit and a charset parameter on the content type", async () => {
    const { handler } = setup();
    const res = await handler(
      postUser(bodyOfBytes(NEW_USER_MAX_BODY_BYTES), { "Content-Type": "application/json; charset=utf-8" }),
    );
    // The size check passes; the name is then too long, which is the field rule's 400, not a 413.
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe("VALIDATION_FAILED");
  });

  it("reads a base64-encoded body", async () => {
    const { handler, publisher } = setup();
    const body = Buffer.from(JSON.stringify({ name: "Ada", email: "ada@example.com" })).toString("base64");
    const res = await handler(
      httpEvent({ method: "POST", path: "/users", headers: json, body, isBase64Encoded: true }),
    );
    expect(res.statusCode).toBe(202);
    expect(publisher.published).toHaveLength(1);
  });

  it("names every failing field in the message and the details", async () => {
    const { handler } = setup();
    const res = await handler(postUser({ name: "", email: "nope", extra: 1 }));
    expect(res.statusCode).toBe(400);
    const { error } = bodyOf(res);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toMatch(/name/);
    expect(error.message).toMatch(/email/);
    expect(error.message).toMatch(/extra/);
    expect(error.details.map((d: { field: string }) => d.field).sort()).toEqual(["(root)", "email", "name"]);
  });

  it("answers 503 and logs the cause when SNS rejects the publish", async () => {
    const { handler, publisher, logger } = setup();
    const warn = jest.spyOn(logger, "warn");
    publisher.failWith = new Error("throttled");
    const res = await handler(postUser({ name: "Ada", email: "ada@example.com" }));
    expect(res.statusCode).toBe(503);
    expect(bodyOf(res).error.code).toBe("SERVICE_UNAVAILABLE");
    expect(bodyOf(res).error.message).not.toMatch(/throttled/);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe("GET /users (fake ports)", () => {
  it("answers the first 20 users and a cursor by default", async () => {
    const { handler, repository } = setup();
    repository.seed(25);
    const res = await handler(httpEvent({ method: "GET", path: "/users" }));
    expect(res.statusCode).toBe(200);
    const page = bodyOf(res);
    expect(page.items).toHaveLength(20);
    expect(page.items[0]).toEqual(repository.users[0]);
    expect(typeof page.nextCursor).toBe("string");
  });

  it("walks every page with limit and cursor and ends with a null cursor", async () => {
    const { handler, repository } = setup();
    repository.seed(7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=3&cursor=${encodeURIComponent(cursor)}` : "limit=3";
      const res = await handler(httpEvent({ method: "GET", path: `/users?${query}` }));
      expect(res.statusCode).toBe(200);
      const page = bodyOf(res);
      seen.push(...page.items.map((u: { id: string }) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(repository.users.map((u) => u.id));
  });

  it("reads the query from rawQueryString when API Gateway's parsed parameters are absent", async () => {
    const { handler, repository } = setup();
    repository.seed(5);
    const event = httpEvent({ method: "GET", path: "/users?limit=2" });
    delete event.queryStringParameters;
    const res = await handler(event);
    expect(bodyOf(res).items).toHaveLength(2);
  });

  it("answers 400 naming cursor for a cursor the repository did not issue", async () => {
    const { handler, repository } = setup();
    repository.seed(2);
    const res = await handler(httpEvent({ method: "GET", path: "/users?cursor=bm9wZQ" }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.message).toMatch(/cursor/);
  });

  it("answers 503 without internals and logs the cause when the repository fails", async () => {
    const { handler, repository, logger } = setup();
    const warn = jest.spyOn(logger, "warn");
    const cause = new Error("connection reset by peer at 10.0.3.7");
    repository.list = () => Promise.reject(cause);
    const res = await handler(httpEvent({ method: "GET", path: "/users" }));
    expect(res.statusCode).toBe(503);
    expect(bodyOf(res)).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "The database is not answering" },
    });
    expect(res.body).not.toContain("10.0.3.7");
    expect(warn).toHaveBeenCalledWith("The database is not answering", expect.objectContaining({ cause }));
  });

  it("passes a repository's client error (a bad cursor) through as 400", async () => {
    const { handler, repository } = setup();
    repository.list = () =>
      Promise.reject(
        new ValidationError("Invalid cursor", { details: [{ field: "cursor", message: "bad" }] }),
      );
    const res = await handler(httpEvent({ method: "GET", path: "/users" }));
    expect(res.statusCode).toBe(400);
  });
});

describe("GET /users/{id} (fake ports)", () => {
  it("answers the user", async () => {
    const { handler, repository } = setup();
    const [user] = repository.seed(1);
    const res = await handler(httpEvent({ method: "GET", path: `/users/${user?.id}` }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual(user);
  });

  it("answers 404 NOT_FOUND for an unknown id", async () => {
    const { handler } = setup();
    const res = await handler(
      httpEvent({ method: "GET", path: "/users/0b5d1c52-8d6c-4b36-a2a1-52b8a1f0f7c1" }),
    );
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res).error.code).toBe("NOT_FOUND");
  });

  it("answers 404 without asking the repository for an id no user can have", async () => {
    const { handler, repository } = setup();
    const get = jest.spyOn(repository, "get");
    const res = await handler(httpEvent({ method: "GET", path: "/users/%F0%9F%98%80" }));
    expect(res.statusCode).toBe(404);
    expect(get).not.toHaveBeenCalled();
  });
});

describe("GET /health (fake ports)", () => {
  it("answers 200 {status: ok} when the database answers", async () => {
    const { handler } = setup();
    const res = await handler(httpEvent({ method: "GET", path: "/health" }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ status: "ok" });
  });

  it("answers 503 when the ping fails", async () => {
    const { handler, repository } = setup();
    repository.pingError = new Error("ECONNREFUSED");
    const res = await handler(httpEvent({ method: "GET", path: "/health" }));
    expect(res.statusCode).toBe(503);
    expect(bodyOf(res).error.code).toBe("SERVICE_UNAVAILABLE");
  });

  it("answers 503 when the ping does not return within the timeout", async () => {
    const { handler, repository } = setup({ healthTimeoutMs: 50 });
    repository.pingHangs = true;
    const res = await handler(httpEvent({ method: "GET", path: "/health" }));
    expect(res.statusCode).toBe(503);
  });
});

describe("routing (fake ports)", () => {
  it("answers 405 with an Allow header listing the path's methods", async () => {
    const { handler } = setup();
    const res = await handler(httpEvent({ method: "DELETE", path: "/users" }));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe("GET, POST");
    expect(bodyOf(res).error.code).toBe("METHOD_NOT_ALLOWED");
  });

  it.each([
    ["GET /predict", "GET", "/predict", "POST"],
    ["DELETE /predict", "DELETE", "/predict", "POST"],
    ["DELETE /users", "DELETE", "/users", "GET, POST"],
    ["PUT /users/{id}", "PUT", "/users/u1", "GET, DELETE"],
    ["POST /health", "POST", "/health", "GET"],
  ])(
    "answers %s through $default with 405 and the whole route table's methods in Allow",
    async (_t, method, path, allow) => {
      const { handler, publisher } = setup();
      const event = httpEvent({ method, path, headers: json, body: "{}" });
      expect(event.routeKey).toBe("$default");
      const res = await handler(event);
      expect(res.statusCode).toBe(405);
      expect(res.headers?.allow).toBe(allow);
      expect(bodyOf(res)).toEqual({
        error: {
          code: "METHOD_NOT_ALLOWED",
          message: `${method} is not allowed on "${path}"; allowed: ${allow}`,
        },
      });
      expect(publisher.published).toEqual([]);
    },
  );

  it("answers an unknown path through $default with 404 in the API's error format", async () => {
    const { handler } = setup();
    const event = httpEvent({ method: "GET", path: "/accounts" });
    expect(event.routeKey).toBe("$default");
    const res = await handler(event);
    expect(res.statusCode).toBe(404);
    expect(res.headers?.["content-type"]).toBe("application/json");
    expect(bodyOf(res)).toEqual({ error: { code: "NOT_FOUND", message: 'No route for GET "/accounts"' } });
  });

  it.each([
    ["routed to it as POST /predict", "POST /predict"],
    ["sent through $default", "$default"],
  ])("answers 404 to the prediction route's request %s, without publishing", async (_t, routeKey) => {
    const { handler, publisher } = setup();
    const res = await handler(
      httpEvent({ method: "POST", path: "/predict", headers: json, body: "{}", routeKey }),
    );
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res).error.code).toBe("NOT_FOUND");
    expect(publisher.published).toEqual([]);
  });

  it("never runs a route for a $default event, even one the table would match (no authorizer guards $default)", async () => {
    const { handler, publisher, repository } = setup();
    const list = jest.spyOn(repository, "list");
    const body = JSON.stringify({ name: "Ada", email: "ada@example.com" });
    const post = (routeKey?: string) =>
      handler(
        httpEvent({ method: "POST", path: "/users", headers: json, body, ...(routeKey ? { routeKey } : {}) }),
      );
    expect(
      (await handler(httpEvent({ method: "GET", path: "/users", routeKey: "$default" }))).statusCode,
    ).toBe(404);
    expect((await post("$default")).statusCode).toBe(404);
    expect(list).not.toHaveBeenCalled();
    expect(publisher.published).toEqual([]);
    // The same request routed as POST /users is served: only the route key differs.
    expect((await post()).statusCode).toBe(202);
    expect(publisher.published).toHaveLength(1);
  });

  it("serves a path with a trailing slash and a lower-case method like the canonical one", async () => {
    const { handler } = setup();
    expect((await handler(httpEvent({ method: "get", path: "/health/" }))).statusCode).toBe(200);
  });

  it("strips a named stage from the path", async () => {
    const { handler } = setup();
    const event = httpEvent({ method: "GET", path: "/dev/health", routeKey: "GET /health" });
    event.requestContext.stage = "dev";
    expect((await handler(event)).statusCode).toBe(200);
  });

  it("answers 404 for an event without a request context instead of failing", async () => {
    const { handler } = setup();
    const res = await handler({ rawPath: "/nowhere" } as Parameters<typeof handler>[0]);
    expect(res.statusCode).toBe(404);
  });

  it("returns JSON with a content-type header on every answer", async () => {
    const { handler } = setup();
    for (const event of [
      httpEvent({ method: "GET", path: "/health" }),
      httpEvent({ method: "GET", path: "/x" }),
    ]) {
      const res = await handler(event);
      expect(res.headers?.["content-type"]).toBe("application/json");
      expect(() => JSON.parse(res.body)).not.toThrow();
    }
  });
});
