/**
 * The built site: entry pages that name their assets by content hash (a changed file gets a new name, so assets
 * can be cached for a year), a first load under 200 KB, and no zod or other server code in the page's script.
 */

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SITE_ASSETS_PREFIX, SITE_DOCS_PAGE, SITE_ENTRY } from "@sml/contracts/site";
import { buildSite, type SiteBuild } from "../build";

let out: string;
let built: SiteBuild;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "sml-site-"));
  built = await buildSite(out);
}, 60_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

it("names every asset by the sha256 of its bytes, and the entry pages load only those", () => {
  for (const [path] of Object.entries(built.files)) {
    if (path === SITE_ENTRY || path === SITE_DOCS_PAGE) continue;
    expect(path.startsWith(SITE_ASSETS_PREFIX)).toBe(true);
    const hash = /-([0-9a-f]{12})\.[a-z]+$/.exec(path)?.[1];
    expect(
      createHash("sha256")
        .update(readFileSync(join(out, path)))
        .digest("hex")
        .slice(0, 12),
    ).toBe(hash);
  }
  for (const page of [SITE_ENTRY, SITE_DOCS_PAGE]) {
    const html = readFileSync(join(out, page), "utf8");
    const refs = [...html.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(Object.keys(built.files)).toContain(ref);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  }
});

it("keeps the first load under 200 KB and server code out of the page", () => {
  expect(built.firstLoadBytes).toBeLessThan(200 * 1024);
  const main = Object.keys(built.files).find((f) => /^assets\/main-.*\.js$/.test(f)) as string;
  const js = readFileSync(join(out, main), "utf8");
  expect(js).not.toMatch(/ZodError|zod/i);
});
