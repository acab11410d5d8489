/**
 * What CloudFront puts in front of the API in AWS, on the local stack's one origin: the API's paths go to the
 * API (the same path patterns the distribution forwards, from @sml/contracts/site), the local sign-in answers
 * under /auth (Cognito's own domain in AWS), and everything else is the site, served from its built folder with
 * the headers the distribution adds (security headers; the entry page never cached, hashed assets immutable).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { ROUTES } from "@sml/contracts/routes";
import {
  isApiPath,
  SITE_CONFIG_PATH,
  SITE_ENTRY,
  type SiteConfig,
  siteCacheControl,
  siteSecurityHeaders,
} from "@sml/contracts/site";
import { LOCAL_AUTH_PATH, type LocalIssuer } from "./local-auth";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

export interface FrontDoorOptions {
  /** The built site (`npm run build -w @sml/site` writes it); without it, the site's paths answer 404 naming the build. */
  readonly siteDir: string;
  readonly issuer: () => LocalIssuer;
  /** Origins the page calls besides its own: the local S3 the presigned URLs point at. */
  readonly connectOrigins: readonly string[];
}

export function createFrontDoor(options: FrontDoorOptions) {
  const securityHeaders = siteSecurityHeaders(options.connectOrigins);
  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string, cache: string) => {
    res.writeHead(status, {
      ...securityHeaders,
      "content-type": type,
      "cache-control": cache,
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  };
  return (req: IncomingMessage, res: ServerResponse, body: Buffer): boolean => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === LOCAL_AUTH_PATH || path.startsWith(`${LOCAL_AUTH_PATH}/`)) {
      if (!options.issuer().handle(req, res, body))
        send(res, 404, TYPES[".json"] as string, '{"message":"Not Found"}', "no-store");
      return true;
    }
    if (isApiPath(path, ROUTES)) return false;
    const method = (req.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      // CloudFront's site behaviour allows GET and HEAD only.
      send(res, 403, "text/plain; charset=utf-8", "Forbidden\n", "no-store");
      return true;
    }
    if (path === SITE_CONFIG_PATH) {
      const issuer = options.issuer();
      const config: SiteConfig = {
        clientId: issuer.clientId,
        authority: issuer.issuer,
        environment: "local",
      };
      send(res, 200, TYPES[".json"] as string, JSON.stringify(config), siteCacheControl(SITE_CONFIG_PATH));
      return true;
    }
    const key = path === "/" ? SITE_ENTRY : decodeURIComponent(path.slice(1));
    const file = normalize(join(options.siteDir, key));
    if (!file.startsWith(options.siteDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      const hint = existsSync(join(options.siteDir, SITE_ENTRY))
        ? "Not Found\n"
        : `Not Found: the site is not built (${options.siteDir}); npm start builds it, or run npm run build\n`;
      send(res, 404, "text/plain; charset=utf-8", hint, "no-store");
      return true;
    }
    const content = readFileSync(file);
    send(
      res,
      200,
      TYPES[extname(file)] ?? "application/octet-stream",
      method === "HEAD" ? "" : content,
      siteCacheControl(`/${key}`),
    );
    return true;
  };
}
