import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FUNCTIONS } from "@sml/contracts/functions";
import { DOCS_PAGE_PATH, OPENAPI_PATH } from "@sml/contracts/routes";
import { createHandler } from "../../src/adapters/http-handler";
import { httpEvent } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

const packageDir = dirname(require.resolve("swagger-ui-dist/package.json"));
const handlerWith = (docsPage: boolean | undefined) =>
  createHandler({
    repository: new InMemoryUserReader(),
    publisher: new RecordingPublisher(),
    ...(docsPage === undefined ? {} : { docsPage }),
  });
const get = (handler: ReturnType<typeof handlerWith>, path: string, method = "GET") =>
  handler(httpEvent({ method, path }));
const bytes = (res: { body: string; isBase64Encoded?: boolean }) =>
  Buffer.from(res.body, res.isBase64Encoded ? "base64" : "utf8");

describe("the docs page (API_DOCS_PAGE=on)", () => {
  const handler = handlerWith(true);

  it("serves a page that loads only files it serves itself, under a same-origin CSP", async () => {
    const res = await get(handler, DOCS_PAGE_PATH);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.["content-type"]).toMatch(/^text\/html/);
    expect(res.headers?.["content-security-policy"]).toContain("default-src 'self'");
    const urls = [
      ...bytes(res)
        .toString()
        .matchAll(/(?:src|href)="([^"]+)"/g),
    ].map((m) => m[1] ?? "");
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect([url, (await get(handler, url)).statusCode]).toEqual([url, 200]);
  });

  it("points Swagger UI at the API's document and turns off its online validator", async () => {
    const init = bytes(await get(handler, `${DOCS_PAGE_PATH}/init.js`)).toString();
    expect(init).toContain(JSON.stringify(OPENAPI_PATH));
    expect(init).toContain("validatorUrl: null");
  });

  it("serves the files the bundle carries, byte for byte as installed", async () => {
    const { only } = FUNCTIONS.api.files;
    for (const name of only) {
      expect(
        bytes(await get(handler, `${DOCS_PAGE_PATH}/${name}`)).equals(readFileSync(join(packageDir, name))),
      ).toBe(true);
    }
  });

  it("answers other files, other methods and the table's routes as before (404, 405, the route)", async () => {
    expect((await get(handler, `${DOCS_PAGE_PATH}/package.json`)).statusCode).toBe(404);
    expect((await get(handler, `${DOCS_PAGE_PATH}/../package.json`)).statusCode).toBe(404);
    expect((await get(handler, `${DOCS_PAGE_PATH}x`)).statusCode).toBe(404);
    expect((await get(handler, DOCS_PAGE_PATH, "POST")).statusCode).toBe(404);
    expect((await get(handler, "/health")).statusCode).toBe(200);
  });
});

describe("the docs page switched off (the default, as in dev and prd)", () => {
  it.each([undefined, false])(
    "answers /docs 404 NOT_FOUND like any unknown path (docsPage: %s)",
    async (docsPage) => {
      const res = await get(handlerWith(docsPage), DOCS_PAGE_PATH);
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body).error.code).toBe("NOT_FOUND");
    },
  );
});
