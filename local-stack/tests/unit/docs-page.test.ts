import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { OPENAPI_PATH } from "@sml/contracts/routes";
import { DOCS_PATH, docsPage } from "../../src/docs-page";

const packageDir = dirname(require.resolve("swagger-ui-dist/package.json"));

describe("docsPage", () => {
  it("serves a page that loads only its own scripts and styles, under a same-origin CSP", () => {
    const page = docsPage("GET", DOCS_PATH);
    expect(page?.statusCode).toBe(200);
    expect(page?.headers["content-type"]).toMatch(/^text\/html/);
    const html = page?.body.toString() ?? "";
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(urls.length).toBeGreaterThan(0);
    // Every URL the page names is one docsPage itself answers 200 (nothing from another origin).
    for (const url of urls) expect(docsPage("GET", url)?.statusCode).toBe(200);
    expect(page?.headers["content-security-policy"]).toContain("default-src 'self'");
  });

  it("points Swagger UI at the API's document and turns off its online validator", () => {
    const init = docsPage("GET", `${DOCS_PATH}/init.js`)?.body.toString() ?? "";
    expect(init).toContain(JSON.stringify(OPENAPI_PATH));
    expect(init).toContain("validatorUrl: null");
  });

  it("serves the installed swagger-ui-dist files byte for byte", () => {
    for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
      expect(docsPage("GET", `${DOCS_PATH}/${name}`)?.body.equals(readFileSync(join(packageDir, name)))).toBe(
        true,
      );
    }
  });

  it("answers 404 for other files under /docs, and leaves other paths and methods to the API", () => {
    expect(docsPage("GET", `${DOCS_PATH}/package.json`)?.statusCode).toBe(404);
    expect(docsPage("GET", `${DOCS_PATH}/../package.json`)?.statusCode).toBe(404);
    expect(docsPage("GET", "/docsx")).toBeUndefined();
    expect(docsPage("GET", "/users")).toBeUndefined();
    expect(docsPage("POST", DOCS_PATH)).toBeUndefined();
  });
});
