/**
 * The local S3's front door: fauxqs's S3 accepts any request (no signature, no expiry, anonymous listing), so
 * every S3 call of the local stack goes through this proxy, which checks it as S3 does (s3-sigv4.ts) and only then
 * forwards it to fauxqs with a per-start token. fauxqs refuses S3 requests without that token (messaging.ts), so
 * the front cannot be bypassed by calling fauxqs's port directly. The functions reach it through
 * AWS_ENDPOINT_URL_S3 (the SDK's service-specific endpoint), so presigned URLs point here too.
 *
 * Presigned POST uploads (a form with a signed policy and content-length-range) are refused like any unsigned
 * request: when the batch API moves to them, their check belongs in `authorize` next to SigV4's.
 */
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { type S3Refusal, verifySigV4 } from "./s3-sigv4";

/** The header the front adds and fauxqs requires on S3 requests (messaging.ts). */
export const S3_FRONT_TOKEN_HEADER = "x-sml-local-s3-front";

export interface S3Front {
  /** http://127.0.0.1:<port>: the S3 endpoint for SDK clients and presigned URLs. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export function newS3FrontToken(): string {
  return randomBytes(24).toString("hex");
}

/** S3's XML error body. */
export function s3ErrorXml(refusal: S3Refusal, resource: string): string {
  const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${xml(refusal.message)}</Message><Resource>${xml(resource)}</Resource><RequestId>local</RequestId></Error>`;
}

/**
 * The response headers a signed GET asks S3 to set (`response-content-disposition` and its kin: S3 API reference,
 * GetObject, "Overriding response header values"), which fauxqs ignores. Only on a successful GET, as S3 does; the
 * signature already covered the query string.
 */
const RESPONSE_OVERRIDES = [
  "content-type",
  "content-language",
  "expires",
  "cache-control",
  "content-disposition",
  "content-encoding",
] as const;
export function responseOverrides(
  req: Pick<IncomingMessage, "method" | "url">,
  answer: Pick<IncomingMessage, "statusCode">,
): Record<string, string> {
  if (req.method !== "GET" || answer.statusCode !== 200) return {};
  const query = new URL(req.url ?? "/", "http://local").searchParams;
  const out: Record<string, string> = {};
  for (const header of RESPONSE_OVERRIDES) {
    const value = query.get(`response-${header}`);
    if (value !== null) out[header] = value;
  }
  return out;
}

export async function startS3Front(options: {
  /** fauxqs's address, http://127.0.0.1:<port>. */
  readonly upstream: string;
  readonly token: string;
  readonly region: string;
  /** Access key id -> secret the front accepts (the local stack's credentials). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly now?: () => number;
}): Promise<S3Front> {
  const upstream = new URL(options.upstream);
  const authorize = (req: IncomingMessage) =>
    verifySigV4(
      { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers },
      { secrets: options.secrets, region: options.region, ...(options.now ? { now: options.now } : {}) },
    );
  const server: Server = createServer((req, res) => {
    // A CORS preflight carries no credentials, in S3 too: the bucket's CORS rule answers it (s3-cors.ts, upstream).
    const preflight = req.method === "OPTIONS" && req.headers.origin !== undefined;
    const verdict = preflight ? ({ ok: true } as const) : authorize(req);
    if (!verdict.ok) {
      // Like S3: the body is not read; the connection closes so the client stops sending it.
      res.writeHead(verdict.status, { "content-type": "application/xml", connection: "close" });
      res.end(s3ErrorXml(verdict, (req.url ?? "/").split("?")[0] ?? "/"));
      req.resume();
      return;
    }
    // This server already answered any `Expect: 100-continue`; the upstream must not wait for a second one.
    const { expect: _expect, ...headers } = req.headers;
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, [S3_FRONT_TOKEN_HEADER]: options.token },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...responseOverrides(req, answer) });
        answer.pipe(res);
      },
    );
    forward.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/xml" });
      res.end(s3ErrorXml({ status: 502, code: "InternalError", message: err.message }, req.url ?? "/"));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("the S3 front has no address");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
