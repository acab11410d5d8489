/**
 * The API's docs page: Swagger UI (the installed swagger-ui-dist package; nothing is fetched from elsewhere at run
 * time) over GET /openapi.json, with "Try it out" calling the same API. It is not a route of the table: API
 * Gateway's `$default` route brings GET /docs to the api function, which serves the page only when API_DOCS_PAGE
 * is on (the local stack turns it on; the infrastructure leaves it off in dev and prd). The bundle carries the
 * three files it needs in `docs/` beside index.js (the function registry's `files`).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FUNCTIONS } from "@sml/contracts/functions";
import { DOCS_PAGE_PATH, OPENAPI_PATH } from "@sml/contracts/routes";
import type { HttpResponse } from "@sml/lambda-http";

export { DOCS_PAGE_PATH };

const bundled = FUNCTIONS.api.files;

/** The files of swagger-ui-dist the page loads (as the bundle carries them), with their media types. */
const ASSETS: Readonly<Record<string, string>> = Object.fromEntries(
  bundled.only.map((name) => [
    name,
    name.endsWith(".css")
      ? "text/css; charset=utf-8"
      : name.endsWith(".js")
        ? "text/javascript; charset=utf-8"
        : "image/png",
  ]),
);

/** `docs/` beside the bundle in Lambda; from source, the installed package the bundler copies them from. */
let assetDir: string | undefined;
const assetsFrom = (): string => {
  assetDir ??= existsSync(join(__dirname, bundled.to))
    ? join(__dirname, bundled.to)
    : resolve(__dirname, "../../..", bundled.from);
  return assetDir;
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>serverless-ml-api: API docs</title>
  <link rel="icon" type="image/png" href="${DOCS_PAGE_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="${DOCS_PAGE_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PAGE_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PAGE_PATH}/init.js"></script>
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

const cache = new Map<string, string>();
const asset = (name: string): string => {
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(join(assetsFrom(), name)).toString("base64");
    cache.set(name, body);
  }
  return body;
};

const page = (contentType: string, base64Body: string): HttpResponse => ({
  statusCode: 200,
  headers: {
    "content-type": contentType,
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
  },
  body: base64Body,
  isBase64Encoded: true,
});

/**
 * The page's answer for a GET of `path` (the page, its script, or one of the package's files), or undefined when
 * the request is not the page's (another method or path, or a file the page does not use: the API's 404).
 */
export function docsPage(method: string, path: string): HttpResponse | undefined {
  if (method !== "GET") return undefined;
  if (path === DOCS_PAGE_PATH || path === `${DOCS_PAGE_PATH}/` || path === `${DOCS_PAGE_PATH}/index.html`) {
    return page("text/html; charset=utf-8", Buffer.from(INDEX_HTML).toString("base64"));
  }
  if (!path.startsWith(`${DOCS_PAGE_PATH}/`)) return undefined;
  const name = path.slice(DOCS_PAGE_PATH.length + 1);
  if (name === "init.js")
    return page("text/javascript; charset=utf-8", Buffer.from(INIT_JS).toString("base64"));
  const type = ASSETS[name];
  return type ? page(type, asset(name)) : undefined;
}
