/**
 * Builds the site into a folder laid out as the bucket holds it: the entry pages (`index.html`, `docs.html`, never
 * cached) at the top, everything they load under `assets/` named by its content hash (cached for a year, never
 * changed in place: a new build adds new names). `npm run build` writes dist/site; the local stack builds its own
 * copy into its local folder at start.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { SITE_ASSETS_PREFIX, SITE_DOCS_PAGE, SITE_ENTRY } from "@sml/contracts/site";
import { build } from "esbuild";

const siteRoot = __dirname;
const repoRoot = resolve(siteRoot, "..");
const swaggerDir = join(repoRoot, "node_modules", "swagger-ui-dist");

/** `name-<first 12 hex of sha256>.ext`: the same bytes give the same name. */
function hashedName(name: string, content: Buffer | string): string {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 12);
  const ext = extname(name);
  return `${SITE_ASSETS_PREFIX}${basename(name, ext)}-${hash}${ext}`;
}

export interface SiteBuild {
  readonly outDir: string;
  /** Every file written, relative to outDir, with its size in bytes. */
  readonly files: Readonly<Record<string, number>>;
  /** Bytes the entry page loads before it can show anything (itself, its script and its style sheet). */
  readonly firstLoadBytes: number;
}

export async function buildSite(outDir: string): Promise<SiteBuild> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, SITE_ASSETS_PREFIX), { recursive: true });
  const files: Record<string, number> = {};
  const write = (path: string, content: Buffer | string) => {
    writeFileSync(join(outDir, path), content);
    files[path] = Buffer.byteLength(content);
    return path;
  };
  const bundle = async (entry: string): Promise<string> => {
    const out = await build({
      entryPoints: [join(siteRoot, "src", entry)],
      bundle: true,
      minify: true,
      format: "esm",
      target: ["es2022"],
      platform: "browser",
      write: false,
      legalComments: "none",
    });
    return out.outputFiles[0]?.text ?? "";
  };
  const asset = (name: string, content: Buffer | string) => write(hashedName(name, content), content);

  const js = asset("main.js", await bundle("main.ts"));
  const css = asset("main.css", readFileSync(join(siteRoot, "src", "styles.css")));
  const index = readFileSync(join(siteRoot, "src", "index.html"), "utf8")
    .replace("%JS%", js)
    .replace("%CSS%", css);
  write(SITE_ENTRY, index);

  const swaggerJs = asset("swagger-ui-bundle.js", readFileSync(join(swaggerDir, "swagger-ui-bundle.js")));
  const swaggerCss = asset("swagger-ui.css", readFileSync(join(swaggerDir, "swagger-ui.css")));
  const docsJs = asset("docs.js", await bundle("docs.ts"));
  const docs = readFileSync(join(siteRoot, "src", "docs.html"), "utf8")
    .replace("%SWAGGER_JS%", swaggerJs)
    .replace("%SWAGGER_CSS%", swaggerCss)
    .replace("%DOCS_JS%", docsJs);
  write(SITE_DOCS_PAGE, docs);
  return {
    outDir,
    files,
    firstLoadBytes: (files[SITE_ENTRY] ?? 0) + (files[js] ?? 0) + (files[css] ?? 0),
  };
}

if (require.main === module) {
  const out = resolve(repoRoot, process.argv[2] ?? "dist/site");
  buildSite(out).then(
    (b) =>
      console.log(
        `site -> ${out}: ${Object.keys(b.files).length} files, first load ${(b.firstLoadBytes / 1024).toFixed(1)} KB`,
      ),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
