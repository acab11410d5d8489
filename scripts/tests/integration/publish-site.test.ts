/**
 * scripts/delivery/publish-site.sh against a fake `aws` first on PATH (tests/support/fake-aws/aws: S3 and
 * CloudFront cannot run here, AWS CLI mocked), over a real site build: every hashed asset is uploaded with the
 * immutable cache header and its content type before the pages that name them, index.html last; config.json
 * carries the stack's sign-in settings; the one invalidation names only the entry page; the cache headers are
 * exactly @sml/contracts/site's; bad input says what is wrong and uploads nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SITE_CONFIG_PATH, type SiteConfig, siteCacheControl } from "@sml/contracts/site";
import { buildSite, type SiteBuild } from "@sml/site/build";
import { recordedAws } from "../support/fake-commands";

jest.setTimeout(60_000);

let dir: string;
let site: string;
let built: SiteBuild;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sml-publish-"));
  site = join(dir, "site");
  built = await buildSite(site);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTPUTS = {
  site_bucket: "sml-dev-site-111111111111",
  site_distribution_id: "E2EXAMPLE",
  site_client_id: "client123",
  sign_in_authority: "https://sml-dev-111111111111.auth.eu-west-1.amazoncognito.com",
};

async function publish(outputs: object, siteDir = site) {
  const aws = recordedAws("sml-publish-aws-");
  try {
    aws.record("s3 cp", {});
    aws.record("cloudfront create-invalidation", { stdout: "I2EXAMPLE\n" });
    const file = join(aws.dir, "outputs.json");
    writeFileSync(file, JSON.stringify(outputs));
    const result = await aws.run("scripts/delivery/publish-site.sh", [file, "dev", siteDir]);
    // The script reports on stdout when it succeeds and on stderr when it refuses.
    return { code: result.code, out: result.code === 0 ? result.stdout : result.stderr, calls: aws.calls() };
  } finally {
    aws.cleanup();
  }
}

/** The key, cache header and content type of each `s3 cp` call, in order. */
const uploads = (calls: string[]) =>
  calls
    .filter((c) => c.startsWith("s3 cp "))
    .map((c) => {
      const m = /s3:\/\/[^/]+\/(\S+) --cache-control (.+) --content-type (.+) --only-show-errors$/.exec(c);
      if (!m) throw new Error(`unexpected call: ${c}`);
      return { key: m[1] as string, cache: m[2] as string, type: m[3] as string };
    });

it("uploads every asset immutable before the pages, index.html last, and invalidates only the entry page", async () => {
  const result = await publish(OUTPUTS);
  expect(result.code).toBe(0);
  const done = uploads(result.calls);
  const assets = Object.keys(built.files).filter((f) => f.startsWith("assets/"));
  expect(done.map((u) => u.key)).toEqual([...assets.sort(), "docs.html", "config.json", "index.html"]);
  for (const u of done) expect([u.key, u.cache]).toEqual([u.key, siteCacheControl(`/${u.key}`)]);
  expect(done.find((u) => u.key.endsWith(".js"))?.type).toBe("text/javascript; charset=utf-8");
  expect(done.find((u) => u.key === "index.html")?.type).toBe("text/html; charset=utf-8");
  expect(
    result.calls
      .filter((c) => c.startsWith("s3 cp "))
      .every((c) => c.includes(`s3://${OUTPUTS.site_bucket}/`)),
  ).toBe(true);
  const invalidations = result.calls.filter((c) => c.startsWith("cloudfront create-invalidation"));
  expect(invalidations).toEqual([
    `cloudfront create-invalidation --distribution-id ${OUTPUTS.site_distribution_id} --paths /index.html / --query Invalidation.Id --output text`,
  ]);
  expect(result.calls.at(-1)).toBe(invalidations[0]);
});

it("writes config.json with the stack's sign-in settings, as the page reads it", async () => {
  await publish(OUTPUTS);
  const config = JSON.parse(readFileSync(join(site, SITE_CONFIG_PATH), "utf8")) as SiteConfig;
  expect(config).toEqual({
    clientId: OUTPUTS.site_client_id,
    authority: OUTPUTS.sign_in_authority,
    environment: "dev",
  });
});

it("refuses outputs without the site's values, or a site that was not built, and uploads nothing", async () => {
  const { site_bucket: _bucket, ...noBucket } = OUTPUTS;
  const missing = await publish(noBucket);
  expect(missing.code).toBe(2);
  expect(missing.out).toMatch(/has no site_bucket/);
  expect(missing.calls).toEqual([]);
  const unbuilt = await publish(OUTPUTS, join(dir, "nothing-here"));
  expect(unbuilt.code).toBe(2);
  expect(unbuilt.out).toMatch(/run npm run build/);
  expect(unbuilt.calls).toEqual([]);
});
