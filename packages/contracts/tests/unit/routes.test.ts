import { DEFAULT_ROUTE, matchRoute, ROUTES, routeKey } from "../../src/routes";

describe("matchRoute", () => {
  it("finds a static route", () => {
    const match = matchRoute("GET", "/users");
    expect(match).toMatchObject({ kind: "found", route: { method: "GET", path: "/users" } });
  });

  it("extracts and decodes path parameters", () => {
    const match = matchRoute("GET", "/users/a%20b");
    expect(match).toEqual({ kind: "found", route: ROUTES[2], pathParameters: { id: "a b" } });
  });

  it("ignores one trailing slash", () => {
    expect(matchRoute("POST", "/users/").kind).toBe("found");
  });

  it("answers method-not-allowed with the allowed methods for a known path", () => {
    expect(matchRoute("DELETE", "/users")).toEqual({
      kind: "method-not-allowed",
      allowedMethods: ["GET", "POST"],
    });
  });

  it("answers not-found for an unknown path or an empty parameter", () => {
    expect(matchRoute("GET", "/nope")).toEqual({ kind: "not-found" });
    expect(matchRoute("GET", "/users//")).toEqual({ kind: "not-found" });
  });

  it("answers not-found for malformed percent-encoding instead of throwing", () => {
    expect(matchRoute("GET", "/users/%E0%A4%A")).toEqual({ kind: "not-found" });
  });

  it("gives each route a unique API Gateway route key", () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("GET /users/{id}");
  });
});

describe("DEFAULT_ROUTE", () => {
  it("is API Gateway's $default key, on a function that serves table routes, and no table route's key", () => {
    expect(DEFAULT_ROUTE.routeKey).toBe("$default");
    expect(ROUTES.some((r) => r.target === DEFAULT_ROUTE.target)).toBe(true);
    expect(ROUTES.map(routeKey)).not.toContain(DEFAULT_ROUTE.routeKey);
  });
});
