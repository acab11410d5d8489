/**
 * API Gateway (HTTP API, payload format 2.0) on 127.0.0.1: resolves each request against the shared route
 * table, turns it into the event API Gateway would send, invokes the route's function and writes its result
 * back the way API Gateway does. Requests that match no route (unknown path or wrong method) go to the
 * `$default` route's function, as in AWS, which answers them 404 or 405 in the API's error format.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_ROUTE, matchRoute, type RouteTarget, routeKey } from "@sml/contracts/routes";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { type FunctionIdentity, LambdaTimeoutError, lambdaContext, withTimeout } from "./lambda-context";
import { type AuthorizerSettings, verifyBearer } from "./local-auth";
import { log } from "./log";

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface HttpFunction {
  readonly identity: FunctionIdentity;
  readonly handler: HttpHandler;
}

/** API Gateway's payload limit; larger requests get 413 before any function runs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP APIs give up on an integration after 30 s and answer 503. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 30;

/** Content types API Gateway passes as text; every other body reaches the function base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const media = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    media.startsWith("text/") ||
    media === "application/json" ||
    media.endsWith("+json") ||
    media === "application/xml" ||
    media.endsWith("+xml") ||
    media === "application/javascript" ||
    media === "application/x-www-form-urlencoded"
  );
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as text, or undefined when its bytes are not UTF-8. */
function strictUtf8(body: Buffer): string | undefined {
  try {
    return UTF8.decode(body);
  } catch {
    return undefined;
  }
}

/** API Gateway's own error shape (`{"message": ...}`), used where it answers without a function. */
function gatewayError(statusCode: number, message: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify({ message }) };
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time format. */
function gatewayTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface EventInput {
  readonly method: string;
  /** Path plus query string, as on the request line. */
  readonly url: string;
  /** `req.headersDistinct`: every value of a repeated header (`req.headers` keeps only the first of some). */
  readonly headers: IncomingMessage["headers"] | IncomingMessage["headersDistinct"];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
  /** Verified JWT claims (routes behind the authorizer), as API Gateway passes them: every value a string. */
  readonly claims?: Record<string, string>;
  readonly now?: Date;
}

/** Builds the payload-2.0 event API Gateway sends for a request. */
export function toApiGatewayEvent(input: EventInput): APIGatewayProxyEventV2 {
  const now = input.now ?? new Date();
  const queryStart = input.url.indexOf("?");
  const rawPath = queryStart === -1 ? input.url : input.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? "" : input.url.slice(queryStart + 1);

  // Repeated headers and query parameters are joined with commas; cookies move to their own array. The maps
  // are built with Object.fromEntries, which makes `__proto__` an own key as JSON.parse of API Gateway's event
  // does; assigning it to a plain object would set the prototype instead and the parameter would vanish.
  const headerEntries = new Map<string, string>();
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(lower === "cookie" ? "; " : ",") : value;
    if (lower === "cookie")
      cookies = joined
        .split(";")
        .map((c) => c.trim())
        .filter(Boolean);
    else headerEntries.set(lower, joined);
  }
  const headers: Record<string, string> = Object.fromEntries(headerEntries);
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    const params = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      const previous = params.get(key);
      params.set(key, previous === undefined ? value : `${previous},${value}`);
    }
    queryStringParameters = Object.fromEntries(params);
  }
  const hasBody = input.body.length > 0;
  // Bytes that are not UTF-8 go base64-encoded, so the function judges the bytes the client sent; decoding them
  // as text here would turn them into U+FFFD, a valid character the API would store.
  const text = hasBody && isTextual(headers["content-type"]) ? strictUtf8(input.body) : undefined;
  const host = headers.host ?? "127.0.0.1";
  return {
    version: "2.0",
    routeKey: input.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(input.pathParameters && Object.keys(input.pathParameters).length > 0
      ? { pathParameters: input.pathParameters }
      : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0] ?? host,
      http: {
        method: input.method.toUpperCase(),
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: input.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      ...(input.claims
        ? {
            authorizer: {
              jwt: { claims: input.claims, scopes: (input.claims.scope ?? "").split(" ").filter(Boolean) },
            },
          }
        : {}),
      stage: "$default",
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: text ?? input.body.toString("base64") } : {}),
    isBase64Encoded: hasBody && text === undefined,
  };
}

/**
 * What API Gateway makes of a function's result: a structured result is used as is, anything else is
 * taken as a 200 JSON body.
 */
export function fromLambdaResult(result: APIGatewayProxyResultV2): {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
} {
  const structured =
    typeof result === "object" && result !== null && "statusCode" in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : undefined;
  if (!structured) {
    const body = typeof result === "string" ? result : JSON.stringify(result);
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from(body, "utf8"),
    };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (structured.cookies?.length) headers["set-cookie"] = structured.cookies;
  const raw = structured.body ?? "";
  const body = structured.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  return { statusCode: structured.statusCode ?? 200, headers, body };
}

class BodyTooLargeError extends Error {}
class ClientAbortedError extends Error {}

/**
 * Reads the body up to `limit` bytes. A larger body is drained (not stored) before the 413 goes out, because
 * a client still sending when the socket closes sees a broken pipe instead of the answer; past
 * `DRAIN_LIMIT_BYTES` the connection is cut.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on("end", () => (size > limit ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    // A client that goes away mid-body makes the request emit `error` ("aborted") before `close`: that is the
    // client's doing, not a failure of the gateway.
    req.on("error", (err) =>
      reject(req.complete ? err : new ClientAbortedError("client aborted", { cause: err })),
    );
    req.on("close", () => {
      if (!req.complete) reject(new ClientAbortedError());
    });
  });
}

const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

export interface ApiGatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly functions: Partial<Record<RouteTarget, HttpFunction>>;
  /**
   * The JWT authorizer on every route marked `authorized` (as infra attaches it): a request without a valid
   * token gets API Gateway's 401 `{"message":"Unauthorized"}` and no function runs. Omitted: no authorizer.
   */
  readonly authorizer?: () => AuthorizerSettings;
  /**
   * What sits in front of the API on the same origin (CloudFront's other behaviours: the site, and locally the
   * sign-in): answers the request and returns true, or returns false to let the API take it.
   */
  readonly frontDoor?: (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ) => boolean | Promise<boolean>;
}

export interface LocalApiGateway {
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections and waits for requests in progress (at most `graceMs`). */
  stop(graceMs: number): Promise<void>;
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  // Responses not yet written, so that a stop can tell each one to close its connection.
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const server = createServer((req, res) => {
    if (stopping) {
      // A request on a connection that was open when the stop began: not taken, and the client is told so
      // (it never reached a function, so a retry elsewhere is safe).
      res.setHeader("connection", "close");
      send(res, gatewayError(503, "Service Unavailable"), randomUUID());
      return;
    }
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    handle(req, res, options).catch((err: unknown) => {
      log.error("local API gateway failed to answer", { error: err as Error });
      if (!res.headersSent) send(res, gatewayError(500, "Internal Server Error"), randomUUID());
      else res.destroy();
    });
  });
  // Ten seconds of keep-alive is enough for curl and load generators and lets shutdown close idle sockets.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    server,
    // Keep-alive clients keep sending on their open connections after server.close(), so without this the
    // grace would end by cutting requests whose work (a publish) was done and the client would not know. Every
    // response still to be written says `Connection: close`, new requests are refused, in-flight ones finish.
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        stopping = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ApiGatewayOptions): Promise<void> {
  const { functions } = options;
  const requestId = randomUUID();
  const method = (req.method ?? "GET").toUpperCase();
  const url = req.url ?? "/";
  const path = url.split("?")[0] ?? "/";
  const match = matchRoute(method, path);
  // The deployed HTTP API has one route per table entry plus `$default`, which catches everything else (an
  // unknown path or a known path with another method); its event has that route key and no path parameters.
  const route =
    match.kind === "found"
      ? { key: routeKey(match.route), target: match.route.target, pathParameters: match.pathParameters }
      : { key: DEFAULT_ROUTE.routeKey, target: DEFAULT_ROUTE.target, pathParameters: undefined };
  let body: Buffer;
  try {
    body = await readBody(req, API_GATEWAY_MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      send(res, gatewayError(413, "Request Entity Too Large"), requestId);
      return;
    }
    // Nobody is left to answer.
    if (err instanceof ClientAbortedError) {
      log.info("client closed the connection before sending the whole body", { requestId, method, path });
      return;
    }
    throw err;
  }
  if (options.frontDoor && (await options.frontDoor(req, res, body))) return;
  let claims: Record<string, string> | undefined;
  if (options.authorizer && match.kind === "found" && match.route.authorized) {
    const authorization = req.headersDistinct.authorization;
    // API Gateway takes the identity source as one value; a repeated header is no token it accepts.
    claims = authorization?.length === 1 ? verifyBearer(authorization[0], options.authorizer()) : undefined;
    if (!claims) {
      send(res, gatewayError(401, "Unauthorized"), requestId);
      return;
    }
  }
  const fn = functions[route.target];
  if (!fn) {
    send(res, gatewayError(503, "Service Unavailable"), requestId);
    return;
  }
  const event = toApiGatewayEvent({
    method,
    url,
    headers: req.headersDistinct,
    body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
    requestId,
    routeKey: route.key,
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
    ...(claims ? { claims } : {}),
  });
  const timeoutSeconds = Math.min(fn.identity.timeoutSeconds, API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS);
  let result: APIGatewayProxyResultV2;
  try {
    result = await withTimeout(
      Promise.resolve().then(() => fn.handler(event, lambdaContext(fn.identity))),
      timeoutSeconds,
      fn.identity.functionName,
    );
  } catch (err) {
    // A function error or timeout is API Gateway's 500/503, never the function's message.
    const timedOut = err instanceof LambdaTimeoutError;
    log.error(`${fn.identity.functionName} ${timedOut ? "timed out" : "failed"}`, {
      requestId,
      error: err as Error,
    });
    send(
      res,
      timedOut ? gatewayError(503, "Service Unavailable") : gatewayError(500, "Internal Server Error"),
      requestId,
    );
    return;
  }
  send(res, result, requestId);
}

function send(res: ServerResponse, result: APIGatewayProxyResultV2, requestId: string): void {
  const { statusCode, headers, body } = fromLambdaResult(result);
  res.statusCode = statusCode;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("apigw-requestid", requestId);
  res.setHeader("content-length", body.length);
  res.end(body);
}
