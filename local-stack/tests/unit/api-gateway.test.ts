/**
 * The API Gateway (HTTP API, payload 2.0) emulation of the local stack: the event translation without a network,
 * and the routing on 127.0.0.1 with recording functions in place of the handlers (they capture the events).
 */
import type { RouteTarget } from "@sml/contracts/routes";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import {
  fromLambdaResult,
  type HttpFunction,
  type LocalApiGateway,
  startApiGateway,
  toApiGatewayEvent,
} from "../../src/api-gateway";

const base = {
  method: "get",
  sourceIp: "127.0.0.1",
  requestId: "req-1",
  routeKey: "GET /users/{id}",
  now: new Date("2026-03-12T19:03:58.123Z"),
};

describe("toApiGatewayEvent", () => {
  test("splits path and query string and joins repeated parameters with commas", () => {
    const event = toApiGatewayEvent({
      ...base,
      url: "/users/abc?limit=5&tag=a&tag=b&q=caf%C3%A9",
      headers: { host: "127.0.0.1:3000" },
      body: Buffer.alloc(0),
      pathParameters: { id: "abc" },
    });
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "GET /users/{id}",
      rawPath: "/users/abc",
      rawQueryString: "limit=5&tag=a&tag=b&q=caf%C3%A9",
      queryStringParameters: { limit: "5", tag: "a,b", q: "café" },
      pathParameters: { id: "abc" },
      isBase64Encoded: false,
    });
    expect(event.body).toBeUndefined();
  });

  test("omits queryStringParameters and pathParameters when there are none", () => {
    const event = toApiGatewayEvent({
      ...base,
      url: "/health",
      headers: {},
      body: Buffer.alloc(0),
      pathParameters: {},
    });
    expect(event).not.toHaveProperty("queryStringParameters");
    expect(event).not.toHaveProperty("pathParameters");
    expect(event.rawQueryString).toBe("");
  });

  test("lowercases header names, joins repeated headers and moves cookies into their own array", () => {
    const event = toApiGatewayEvent({
      ...base,
      url: "/health",
      headers: { "X-Trace": "t1", "x-multi": ["a/b", "c/d"], cookie: "a=1; b=2", "user-agent": "curl/8" },
      body: Buffer.alloc(0),
    });
    expect(event.headers).toEqual({ "x-trace": "t1", "x-multi": "a/b,c/d", "user-agent": "curl/8" });
    expect(event.cookies).toEqual(["a=1", "b=2"]);
  });

  test("fills requestContext with the request id, method, path, source IP and time", () => {
    const event = toApiGatewayEvent({
      ...base,
      url: "/users/abc",
      headers: { "user-agent": "curl/8" },
      body: Buffer.alloc(0),
    });
    expect(event.requestContext).toMatchObject({
      requestId: "req-1",
      routeKey: "GET /users/{id}",
      stage: "$default",
      http: {
        method: "GET",
        path: "/users/abc",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "curl/8",
      },
      time: "12/Mar/2026:19:03:58 +0000",
      timeEpoch: Date.parse("2026-03-12T19:03:58.123Z"),
    });
  });

  test("passes JSON and text bodies as text and binary bodies base64-encoded", () => {
    const json = toApiGatewayEvent({
      ...base,
      url: "/users",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: Buffer.from('{"name":"Zoë"}'),
    });
    expect(json).toMatchObject({ body: '{"name":"Zoë"}', isBase64Encoded: false });

    const bytes = Buffer.from([0, 255, 1, 2]);
    const binary = toApiGatewayEvent({
      ...base,
      url: "/users",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(binary).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
  });
});

describe("fromLambdaResult", () => {
  test("uses a structured result's status, lowercased headers, cookies and body", () => {
    const out = fromLambdaResult({
      statusCode: 202,
      headers: { "Content-Type": "application/json", "X-Count": 3 },
      cookies: ["a=1; Path=/", "b=2"],
      body: '{"ok":true}',
    });
    expect(out.statusCode).toBe(202);
    expect(out.headers).toEqual({
      "content-type": "application/json",
      "x-count": "3",
      "set-cookie": ["a=1; Path=/", "b=2"],
    });
    expect(out.body.toString()).toBe('{"ok":true}');
  });

  test("decodes a base64-encoded body", () => {
    const out = fromLambdaResult({
      statusCode: 200,
      body: Buffer.from([1, 2, 3]).toString("base64"),
      isBase64Encoded: true,
    });
    expect([...out.body]).toEqual([1, 2, 3]);
  });

  test("turns a result without statusCode into a 200 JSON response, as API Gateway infers it", () => {
    const out = fromLambdaResult({ hello: "world" } as never);
    expect(out).toMatchObject({ statusCode: 200, headers: { "content-type": "application/json" } });
    expect(out.body.toString()).toBe('{"hello":"world"}');
  });
});

describe("routing (recording functions stand in for the handlers)", () => {
  const events: Record<RouteTarget, APIGatewayProxyEventV2[]> = { api: [], prediction: [] };
  const recording = (target: RouteTarget): HttpFunction => ({
    identity: { functionName: `sml-local-${target}`, region: "us-east-1", timeoutSeconds: 5, memoryMB: 128 },
    handler: async (event) => {
      events[target].push(event);
      return { statusCode: 299, headers: { "x-target": target }, body: "" };
    },
  });
  let gateway: LocalApiGateway;

  beforeAll(async () => {
    gateway = await startApiGateway({
      host: "127.0.0.1",
      port: 0,
      functions: { api: recording("api"), prediction: recording("prediction") },
    });
  });
  afterAll(() => gateway.stop(1_000));
  beforeEach(() => {
    events.api.length = 0;
    events.prediction.length = 0;
  });

  test("sends a table route to its function with its route key and path parameters", async () => {
    const res = await fetch(`${gateway.url}/users/abc?x=1`);
    expect(res.status).toBe(299);
    expect(events.api).toEqual([
      expect.objectContaining({ routeKey: "GET /users/{id}", pathParameters: { id: "abc" } }),
    ]);
    expect((await fetch(`${gateway.url}/predict`, { method: "POST", body: "{}" })).status).toBe(299);
    expect(events.prediction).toEqual([expect.objectContaining({ routeKey: "POST /predict" })]);
  });

  test.each([
    ["an unknown path", "GET", "/nope"],
    ["a known path with another method", "DELETE", "/users"],
    ["the prediction path with another method", "GET", "/predict"],
    ["a nested unknown path", "GET", "/users/abc/orders"],
  ])("sends %s to the api function as $default, without path parameters", async (_t, method, path) => {
    const res = await fetch(`${gateway.url}${path}`, { method });
    expect(res.headers.get("x-target")).toBe("api");
    expect(events.prediction).toEqual([]);
    expect(events.api).toHaveLength(1);
    const [event] = events.api;
    expect(event).toMatchObject({
      routeKey: "$default",
      rawPath: path,
      requestContext: { routeKey: "$default", http: { method, path } },
    });
    expect(event).not.toHaveProperty("pathParameters");
  });

  test("passes a $default request's body to the function", async () => {
    await fetch(`${gateway.url}/users`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(events.api).toEqual([expect.objectContaining({ routeKey: "$default", body: '{"a":1}' })]);
  });

  test("answers a body over 10 MB 413 itself, before any route, $default included", async () => {
    const res = await fetch(`${gateway.url}/nope`, {
      method: "POST",
      body: "x".repeat(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: "Request Entity Too Large" });
    expect(events.api).toEqual([]);
  });
});
