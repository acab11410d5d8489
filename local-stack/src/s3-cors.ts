/**
 * The batch bucket's CORS rule on the local S3 (fauxqs has none): answers preflights and adds the response
 * headers as S3 does for a bucket with BATCH_BUCKET_CORS (S3 user guide, "Using cross-origin resource sharing":
 * a preflight whose origin, method and headers a rule allows gets 200 with Access-Control-Allow-*, any other 403;
 * an actual request from an allowed origin gets Access-Control-Allow-Origin, the exposed headers and
 * `Vary: Origin`). Only the local site's origin is allowed, as only the distribution's is in AWS.
 */
import { BATCH_BUCKET_CORS } from "@sml/contracts/batches";

interface Request {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(body?: string): Reply;
}
export interface HookableApp {
  addHook(name: "onRequest", hook: (request: Request, reply: Reply) => Promise<unknown>): unknown;
  addHook(
    name: "onSend",
    hook: (request: Request, reply: Reply, payload: unknown) => Promise<unknown>,
  ): unknown;
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function addS3Cors(app: HookableApp, bucket: string, allowedOrigins: () => readonly string[]): void {
  const inBucket = (url: string) =>
    url === `/${bucket}` || url.startsWith(`/${bucket}/`) || url.startsWith(`/${bucket}?`);
  const allowed = (origin: string | undefined) => origin !== undefined && allowedOrigins().includes(origin);
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "OPTIONS" || !inBucket(request.url)) return;
    const origin = one(request.headers.origin);
    const method = one(request.headers["access-control-request-method"]) ?? "";
    const headers = (one(request.headers["access-control-request-headers"]) ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const ok =
      allowed(origin) &&
      (BATCH_BUCKET_CORS.allowedMethods as readonly string[]).includes(method) &&
      headers.every((h) => (BATCH_BUCKET_CORS.allowedHeaders as readonly string[]).includes(h));
    if (!ok) {
      reply
        .code(403)
        .header("content-type", "application/xml")
        .send(
          "<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>",
        );
      return reply;
    }
    reply
      .code(200)
      .header("access-control-allow-origin", origin as string)
      .header("access-control-allow-methods", BATCH_BUCKET_CORS.allowedMethods.join(", "))
      .header("access-control-allow-headers", headers.join(", "))
      .header("access-control-expose-headers", BATCH_BUCKET_CORS.exposeHeaders.join(", "))
      .header("access-control-max-age", String(BATCH_BUCKET_CORS.maxAgeSeconds))
      .header("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
      .send();
    return reply;
  });
  app.addHook("onSend", async (request, reply, payload) => {
    const origin = one(request.headers.origin);
    if (request.method !== "OPTIONS" && inBucket(request.url) && allowed(origin)) {
      reply
        .header("access-control-allow-origin", origin as string)
        .header("access-control-expose-headers", BATCH_BUCKET_CORS.exposeHeaders.join(", "))
        .header("vary", "Origin");
    }
    return payload;
  });
}
