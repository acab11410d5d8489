import { DomainError } from "@sml/contracts/errors";
import { ROUTES, type Route, routeKey } from "@sml/contracts/routes";
import {
  ERROR_STATUSES,
  httpStatusOfClass,
  INTERNAL_ERROR,
  openApiDocument,
  operationId,
  toHttpResponse,
  unmatchedResponses,
} from "../../src";
import { createContractChecker } from "../../src/testing";

type Json = Record<string, unknown>;
const doc = openApiDocument();
const op = (route: Route) =>
  (doc.paths[route.path] as Record<string, Json>)[route.method.toLowerCase()] as Json;
const responses = (route: Route) => op(route).responses as Record<string, Json>;

/** The `code` values a documented error response admits (through the allOf narrowing of #/components/schemas/Error). */
function codesOf(response: Json): string[] {
  const schema = (response.content as Record<string, { schema: Json }>)["application/json"]?.schema ?? {};
  const api = (schema.anyOf as Json[] | undefined)?.[0] ?? schema;
  const narrowing = (api.allOf as Json[] | undefined)?.[1] as
    | { properties: { error: { properties: { code: { enum: string[] } } } } }
    | undefined;
  return narrowing?.properties.error.properties.code.enum ?? [];
}

describe("openApiDocument", () => {
  it("is deterministic: the same table gives the same document", () => {
    expect(JSON.stringify(openApiDocument())).toBe(JSON.stringify(doc));
  });

  it("gives each operation a unique operationId", () => {
    const ids = ROUTES.map(operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operationId({ method: "GET", path: "/users/{id}" })).toBe("getUsersById");
  });

  it("documents every error code at the status ERROR_TABLE gives it, and 500 on every operation", () => {
    const statusOf = new Map([...ERROR_STATUSES, INTERNAL_ERROR].map((s) => [s.code, s.statusCode]));
    for (const route of ROUTES) {
      expect([routeKey(route), responses(route)["500"]]).toEqual([routeKey(route), expect.any(Object)]);
      for (const [status, response] of Object.entries(responses(route))) {
        for (const code of codesOf(response))
          expect([routeKey(route), code, statusOf.get(code)]).toEqual([
            routeKey(route),
            code,
            Number(status),
          ]);
      }
    }
  });

  it("documents each route's own errors through the table", () => {
    for (const route of ROUTES) {
      for (const error of ("errors" in route ? route.errors : []) as readonly (typeof DomainError)[]) {
        const status = httpStatusOfClass(error);
        expect(codesOf(responses(route)[String(status?.statusCode)] ?? {})).toContain(status?.code);
      }
    }
  });

  it("documents a body route's size limit, and its 400, 413 and 415, from the route's own limit", () => {
    const bodyRoutes = ROUTES.filter((r) => "body" in r);
    expect(bodyRoutes.length).toBeGreaterThan(0);
    for (const route of bodyRoutes) {
      const body = op(route).requestBody as Json;
      expect(body["x-max-body-bytes"]).toBe(route.body.maxBytes);
      expect(body.description).toContain(String(route.body.maxBytes));
      expect(codesOf(responses(route)["400"] ?? {}).sort()).toEqual(["INVALID_JSON", "VALIDATION_FAILED"]);
      expect(codesOf(responses(route)["413"] ?? {})).toEqual(["PAYLOAD_TOO_LARGE"]);
      expect(codesOf(responses(route)["415"] ?? {})).toEqual(["UNSUPPORTED_MEDIA_TYPE"]);
    }
  });

  it("asks for a JWT (and documents 401) exactly on the routes the authorizer protects", () => {
    for (const route of ROUTES) {
      expect([routeKey(route), "401" in responses(route)]).toEqual([routeKey(route), route.authorized]);
      expect([routeKey(route), op(route).security]).toEqual([
        routeKey(route),
        route.authorized ? [{ cognitoJwt: [] }] : [],
      ]);
    }
  });

  it("documents every {param} of a route's path as a required path parameter, and no other", () => {
    for (const route of ROUTES) {
      const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const parameters = (op(route).parameters ?? []) as { name: string; in: string; required: boolean }[];
      const documented = parameters.filter((p) => p.in === "path");
      expect([routeKey(route), documented.map((p) => p.name).sort()]).toEqual([routeKey(route), inPath]);
      for (const p of documented) expect(p.required).toBe(true);
    }
  });

  it("puts each route's example where the route validates it: the example passes the route's own schemas", () => {
    for (const route of ROUTES) {
      const example = route.example as { params?: Json; query?: Json; body?: unknown };
      if ("params" in route) expect(route.params.safeParse(example.params).success).toBe(true);
      if ("query" in route) expect(route.query.safeParse(example.query ?? {}).success).toBe(true);
      if ("body" in route) expect(route.body.schema.safeParse(example.body).success).toBe(true);
    }
  });

  it("refuses a route whose error ERROR_TABLE does not know (it would answer 500, not what the route says)", () => {
    class StrangeError extends DomainError {}
    const route = { ...ROUTES[0], errors: [StrangeError] } as unknown as Route;
    expect(() => openApiDocument([route])).toThrow(/StrangeError is not in ERROR_TABLE/);
  });
});

describe("createContractChecker", () => {
  const checker = createContractChecker(doc);
  const ok = { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"status":"ok"}' };

  it("accepts a documented status with a body the schema accepts", () => {
    expect(() => checker.check("GET /health", ok)).not.toThrow();
    expect(() => checker.check("GET /health", toHttpResponse(new Error("boom")))).not.toThrow();
  });

  it("rejects an undocumented status, a body the schema rejects, another media type, and an unknown operation", () => {
    expect(() => checker.check("GET /health", { ...ok, statusCode: 404 })).toThrow(/does not list/);
    expect(() => checker.check("GET /health", { ...ok, body: '{"status":"fine"}' })).toThrow(/rejects/);
    expect(() => checker.check("GET /health", { ...ok, headers: { "content-type": "text/html" } })).toThrow(
      /text\/html/,
    );
    expect(() => checker.check("DELETE /health", ok)).toThrow(/not in the OpenAPI document/);
  });

  it("holds unmatched requests to the documented 404 and 405", () => {
    expect(Object.keys(unmatchedResponses(doc)).sort()).toEqual(["404", "405"]);
    const notFound = { statusCode: 404, headers: { "content-type": "application/json" } };
    expect(() =>
      checker.check(undefined, { ...notFound, body: '{"error":{"code":"NOT_FOUND","message":"No route"}}' }),
    ).not.toThrow();
    expect(() =>
      checker.check(undefined, { ...notFound, body: '{"error":{"code":"VALIDATION_FAILED","message":"x"}}' }),
    ).toThrow(/rejects/);
  });

  it("validates formats (ajv-formats), not just types", () => {
    const route = ROUTES.find((r) => r.path === "/users/{id}" && r.method === "GET") as Route;
    const user = {
      id: "1",
      name: "A",
      email: "a@example.com",
      createdAt: "yesterday",
      updatedAt: "2026-01-01T00:00:00Z",
    };
    expect(() => checker.check(routeKey(route), { ...ok, body: JSON.stringify(user) })).toThrow(/createdAt/);
  });
});
