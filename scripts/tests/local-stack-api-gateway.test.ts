/** The API Gateway (HTTP API, payload 2.0) translation of the local stack, without a network. */
import { fromLambdaResult, toApiGatewayEvent } from "../src/local-stack/api-gateway";

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
