/**
 * `npm run build`: bundles every zip-packaged Lambda with esbuild (minified, AWS SDK v3 inside, Node 22) into
 * dist/functions/<name>/index.js, the folders the infrastructure turns into zip assets.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ZIP_FUNCTION_NAMES, type ZipFunctionName, zipBundleDir } from "@sml/common/functions";
import { build } from "esbuild";

const repoRoot = resolve(__dirname, "../../..");

/** Handler source per function; each module exports `handler`. */
export const FUNCTION_ENTRIES: Record<ZipFunctionName, string> = {
  api: "app-api/src/handlers/http.ts",
  subscriber: "app-subscriber/src/handlers/sqs.ts",
  migrate: "app-subscriber/src/handlers/migrate.ts",
};

export async function bundleFunction(name: ZipFunctionName, outRoot = repoRoot): Promise<string> {
  const outDir = join(outRoot, zipBundleDir(name));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "index.js");
  await build({
    entryPoints: [join(repoRoot, FUNCTION_ENTRIES[name])],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    // pg's optional native binding is never installed in Lambda.
    external: ["pg-native"],
    logLevel: "warning",
  });
  return outfile;
}

async function main(): Promise<void> {
  for (const name of ZIP_FUNCTION_NAMES) {
    const file = await bundleFunction(name);
    console.log(`${zipBundleDir(name)}/index.js  ${(statSync(file).size / 1024).toFixed(0)} KB`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
