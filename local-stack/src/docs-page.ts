/**
 * The API's docs page on the local stack: Swagger UI (the installed swagger-ui-dist package, nothing fetched at
 * run time) over GET /openapi.json, with "Try it out" calling this same stack. It is the local stack's own page
 * at /docs, beside the API Gateway emulation: the deployed API serves the document (GET /openapi.json, a route
 * of the table) but not this page (README, "Try it with curl").
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { OPENAPI_PATH } from "@sml/contracts/routes";

export const DOCS_PATH = "/docs";

const SWAGGER_UI_DIR = dirname(require.resolve("swagger-ui-dist/package.json"));

/** The only files of the package the page loads. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>serverless-ml-api: API docs</title>
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayOperationId: true,
});
`;

/**
 * Only this origin: a page that tried to load anything from elsewhere would be blocked by the browser. Swagger UI
 * sets inline styles, and shows images as data: URLs.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface StaticResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const cache = new Map<string, Buffer>();
const asset = (name: string): Buffer => {
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(join(SWAGGER_UI_DIR, name));
    cache.set(name, body);
  }
  return body;
};

/** The page's answer for a GET of `path`, or undefined when the path is not the page's. */
export function docsPage(method: string, path: string): StaticResponse | undefined {
  if (method !== "GET" && method !== "HEAD") return undefined;
  if (path !== DOCS_PATH && !path.startsWith(`${DOCS_PATH}/`)) return undefined;
  const name = path.slice(DOCS_PATH.length + 1);
  const ok = (contentType: string, body: Buffer): StaticResponse => ({
    statusCode: 200,
    headers: {
      "content-type": contentType,
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "cache-control": "no-cache",
    },
    body,
  });
  if (name === "" || name === "index.html") return ok("text/html; charset=utf-8", Buffer.from(INDEX_HTML));
  if (name === "init.js") return ok("text/javascript; charset=utf-8", Buffer.from(INIT_JS));
  const type = ASSETS[name];
  if (type) return ok(type, asset(name));
  return {
    statusCode: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: Buffer.from("Not found\n"),
  };
}
