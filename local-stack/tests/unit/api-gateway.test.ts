/**
 * The API Gateway (HTTP API, payload 2.0) emulation of the local stack: the event translation without a network,
 * and the routing on 127.0.0.1 with recording functions in place of the handlers (they capture the events).
 */
import { Agent, request } from "node:http";
import { connect } from "node:net";
import type { RouteTarget } from "@sml/contracts/routes";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import {
  fromLambdaResult,
  type HttpFunction,
  type LocalApiGateway,
  startApiGateway,
  toApiGatewayEvent,
} from "../../src/api-gateway";
import { log } from "../../src/log";

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

  test("passes a text body whose bytes are not UTF-8 base64-encoded, byte for byte (issue 16, finding 1)", () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const event = toApiGatewayEvent({
      ...base,
      url: "/users",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64")).toEqual(bytes);
  });

  test("keeps __proto__ as an own query parameter and header, as JSON.parse of AWS's event does (finding 3)", () => {
    const event = toApiGatewayEvent({
      ...base,
      url: "/users?__proto__=1&limit=2",
      headers: { __proto__: ["x"] } as unknown as Record<string, string[]>,
      body: Buffer.alloc(0),
    });
    expect(Object.keys(event.queryStringParameters ?? {})).toEqual(["__proto__", "limit"]);
    expect(Object.getPrototypeOf(event.queryStringParameters)).toBe(Object.prototype);
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
  const events: Record<RouteTarget, APIGatewayProxyEventV2[]> = { api: [], prediction: [], batches: [] };
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
      functions: {
        api: recording("api"),
        prediction: recording("prediction"),
        batches: recording("batches"),
      },
    });
  });
  afterAll(() => gateway.stop(1_000));
  beforeEach(() => {
    events.api.length = 0;
    events.prediction.length = 0;
    events.batches.length = 0;
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

/** Sends raw bytes on a new connection and resolves with everything the server wrote back. */
function rawRequest(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.end(request));
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("hardening (issue 16)", () => {
  const events: APIGatewayProxyEventV2[] = [];
  let gateway: LocalApiGateway;
  beforeAll(async () => {
    gateway = await startApiGateway({
      host: "127.0.0.1",
      port: 0,
      functions: {
        api: {
          identity: { functionName: "sml-local-api", region: "us-east-1", timeoutSeconds: 5, memoryMB: 128 },
          handler: async (event) => {
            events.push(event);
            return { statusCode: 200, body: "" };
          },
        },
      },
    });
  });
  afterAll(() => gateway.stop(1_000));
  afterEach(() => jest.restoreAllMocks());

  test("joins two Content-Type headers with a comma, as API Gateway does, whatever their order (finding 3)", async () => {
    for (const [first, second] of [
      ["application/json", "text/plain"],
      ["text/plain", "application/json"],
    ]) {
      events.length = 0;
      const answer = await rawRequest(
        gateway.url,
        `POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: ${first}\r\nContent-Type: ${second}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(events.map((e) => e.headers["content-type"])).toEqual([`${first},${second}`]);
    }
  });

  test("logs a client that disconnects mid-body at info, not as an error (finding 6)", async () => {
    const info = jest.spyOn(log, "info");
    const error = jest.spyOn(log, "error");
    const { port } = new URL(gateway.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write('POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"name"');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on("close", () => resolve());
    });
    const deadline = Date.now() + 2_000;
    while (!info.mock.calls.some(([m]) => String(m).includes("client closed")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(info.mock.calls.map(([m]) => m)).toContain(
      "client closed the connection before sending the whole body",
    );
    expect(error).not.toHaveBeenCalled();
  });
});

describe("stopping under keep-alive load (issue 16, finding 4)", () => {
  test("finishes every request a function ran, tells keep-alive clients to close, and takes no new ones", async () => {
    let ran = 0;
    const gateway = await startApiGateway({
      host: "127.0.0.1",
      port: 0,
      functions: {
        api: {
          identity: { functionName: "sml-local-api", region: "us-east-1", timeoutSeconds: 5, memoryMB: 128 },
          // A publish that takes a while: once it ran, the client must get its answer.
          handler: async () => {
            await new Promise((r) => setTimeout(r, 30));
            ran += 1;
            return { statusCode: 202, body: "{}" };
          },
        },
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    let answered202 = 0;
    let stopped = false;
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${gateway.url}/users`,
          { method: "POST", agent, headers: { "content-type": "application/json" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end("{}");
      });
    // Eight clients that keep their connections busy, as a load generator does.
    const clients = Array.from({ length: 8 }, async () => {
      while (!stopped) {
        try {
          if ((await post()) === 202) answered202 += 1;
        } catch {
          // Refused or reset: only acceptable for a request no function ran, which the count below checks.
          if (stopped) return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const stopping = gateway.stop(500);
    await stopping;
    stopped = true;
    await Promise.all(clients);
    agent.destroy();
    expect(ran).toBeGreaterThan(0);
    expect(answered202).toBe(ran);
  });
});
