/**
 * `npm run build`: bundles every zip-packaged Lambda with esbuild (minified, AWS SDK v3 inside, Node 24) into
 * dist/functions/<name>/index.js and packs each folder into a reproducible dist/functions/<name>.zip, the file
 * the infrastructure uploads; and the site into dist/site (scripts/delivery/publish-site.sh uploads it).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import {
  FUNCTIONS,
  type FunctionDefinition,
  LAMBDA_BUNDLE_OPTIONS,
  ZIP_FUNCTION_NAMES,
  type ZipFunctionName,
  zipBundleDir,
  zipBundleFile,
} from "@sml/contracts/functions";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { type ZipOptions, type Zippable, zipSync } from "fflate";

const repoRoot = resolve(__dirname, "../..");
/** Where `npm run build` writes the site (the deploy publishes this folder). */
export const SITE_BUILD_DIR = "dist/site";

/**
 * Credential providers the SDK's default chain loads with a dynamic import only when no credentials are in
 * the environment. Lambda always sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, so the chain
 * stops at fromEnv and these (with the STS/SSO clients they pull in) never load there; left
 * external, they still resolve from node_modules (local stack) or the runtime's bundled SDK if ever needed.
 * The last two are the chain's container and instance-metadata providers (credential-provider-node's
 * remoteProvider imports them, and nothing else does).
 *
 * The rest of the SDK stays bundled although the nodejs24.x runtime ships one (issue 29 asked): the runtime's copy
 * is the version AWS last installed there, which changes under a deployed function without a deploy and is not the
 * version the tests ran (AWS Lambda Operator Guide, "Managing AWS SDKs in Lambda functions": pin it by packaging
 * it), and the handlers then load it as separate CommonJS packages: measured here, the migrate bundle imports in
 * 59 ms with the SDK inside and 77 ms with `@aws-sdk/*` and `@smithy/*` external.
 */
const LAZY_CREDENTIAL_PROVIDERS = [
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-login",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
];

/**
 * zod's error-message locales (40+) are reachable from the `z` namespace object, so a single
 * `import { z } from "zod"` anywhere in a bundle (Powertools parser has many) keeps all of them. The functions
 * only ever use the default English messages, which this keeps.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * The same cause, in Powertools parser: its modules write `import { z } from 'zod'`, and esbuild (unlike Rollup
 * or webpack) then keeps every schema class and check of zod's `z` namespace (the bundles bench's "bundle size" rows show what is
 * left).
 * `import * as z from 'zod'` binds the same namespace object but lets esbuild keep only what is used, so the
 * parser's modules are loaded with that import rewritten; the other names they import stay as they were.
 */
const NAMED_ZOD_IMPORT = /import\s*\{([^}]*)\}\s*from\s*(['"])zod\2;?/g;
const zodNamespaceImports: Plugin = {
  name: "zod-namespace-imports",
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-lambda-powertools[\\/]parser[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8").replace(NAMED_ZOD_IMPORT, (statement, names: string) => {
        const specifiers = names
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
        if (!specifiers.includes("z")) return statement;
        const others = specifiers.filter((n) => n !== "z");
        return `import * as z from "zod";${others.length > 0 ? ` import { ${others.join(", ")} } from "zod";` : ""}`;
      });
      return { contents: source, loader: "js" };
    });
  },
};

/** Handler source per zip function (from the registry); each module exports `handler`. */
export const FUNCTION_ENTRIES = Object.fromEntries(
  ZIP_FUNCTION_NAMES.map((name) => [name, FUNCTIONS[name].entry]),
) as Record<ZipFunctionName, string>;

/**
 * What every zip entry records instead of the file's own metadata: a fixed time (1980-01-01, the zip format's
 * epoch, as local time so the time zone does not matter) and a regular file readable by all (Lambda runs the code
 * as another user than the one that unpacks it). With sorted entries this makes the zip a function of the files'
 * contents only, so identical builds give identical bytes, the same asset hash and source_code_hash, and an
 * empty plan.
 */
const ZIP_ENTRY: ZipOptions = {
  level: 9,
  mtime: new Date(1980, 0, 1),
  os: 3,
  attrs: (0o100644 << 16) >>> 0,
};

/** Files under `dir`, as sorted posix paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/**
 * Packs the files of `dir` into `zipFile` reproducibly (see {@link ZIP_ENTRY}), in this process and once per
 * build, where cdktf's ARCHIVE assets spawned a Node process per asset and stack at
 * every synth.
 */
export function zipFolder(dir: string, zipFile: string): void {
  const entries: Zippable = {};
  for (const path of filesUnder(dir)) entries[path] = [readFileSync(join(dir, path)), ZIP_ENTRY];
  writeFileSync(zipFile, zipSync(entries, ZIP_ENTRY));
}

/**
 * A one-line bundle in the function's place (folder and zip), for synthesizing stacks without building: the
 * stacks read a bundle's bytes only for its hash, which the snapshots and the cost estimate ignore.
 */
export function standInBundle(name: ZipFunctionName, outRoot: string): void {
  const dir = join(outRoot, zipBundleDir(name));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "index.js"),
    `exports.handler = async () => ({ standIn: ${JSON.stringify(name)} });\n`,
  );
  zipFolder(dir, join(outRoot, zipBundleFile(name)));
}

/** The esbuild options of a zip function's bundle (without `outfile`): `npm run build` and the analysis use them. */
export function functionBuildOptions(name: ZipFunctionName): BuildOptions {
  return {
    ...LAMBDA_BUNDLE_OPTIONS,
    mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
    entryPoints: [join(repoRoot, FUNCTION_ENTRIES[name])],
    // pg's optional native binding is never installed in Lambda.
    external: ["pg-native", ...LAZY_CREDENTIAL_PROVIDERS],
    plugins: [zodEnglishOnly, zodNamespaceImports],
  };
}

export async function bundleFunction(name: ZipFunctionName, outRoot = repoRoot): Promise<string> {
  const outDir = join(outRoot, zipBundleDir(name));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "index.js");
  await build({ ...functionBuildOptions(name), outfile });
  // Files a function reads at run time beside its index.js (the migrate function's SQL files).
  const files = (FUNCTIONS[name] as FunctionDefinition).files;
  if (files) {
    const from = join(repoRoot, files.from);
    cpSync(from, join(outDir, files.to), {
      recursive: true,
      filter: (src) => !files.only || src === from || files.only.includes(relative(from, src)),
    });
  }
  zipFolder(outDir, join(outRoot, zipBundleFile(name)));
  return outfile;
}

/** KB of a function's bundle by npm package (or workspace folder), largest first: what `--analyze` prints. */
export async function bundleComposition(
  name: ZipFunctionName,
): Promise<{ total: number; parts: [string, number][] }> {
  const result = await build({
    ...functionBuildOptions(name),
    write: false,
    outfile: "index.js",
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs)[0];
  if (!output) throw new Error(`esbuild wrote no output for ${name}`);
  const parts = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
    parts.set(pkg, (parts.get(pkg) ?? 0) + input.bytesInOutput / 1024);
  }
  return { total: output.bytes / 1024, parts: [...parts].sort((a, b) => b[1] - a[1]) };
}

async function analyze(): Promise<void> {
  for (const name of ZIP_FUNCTION_NAMES) {
    const { total, parts } = await bundleComposition(name);
    console.log(`${name}  ${total.toFixed(0)} KB`);
    for (const [pkg, kb] of parts.filter(([, kb]) => kb >= 1))
      console.log(`  ${kb.toFixed(1).padStart(7)} KB  ${pkg}`);
  }
}

async function main(): Promise<void> {
  // `npm run build -- --analyze`: what each zip bundle is made of, by package, instead of building.
  if (process.argv.includes("--analyze")) return analyze();
  for (const name of ZIP_FUNCTION_NAMES) {
    const file = await bundleFunction(name);
    const zip = join(repoRoot, zipBundleFile(name));
    console.log(
      `${zipBundleDir(name)}/index.js  ${(statSync(file).size / 1024).toFixed(0)} KB  ->  ${zipBundleFile(name)}  ${(statSync(zip).size / 1024).toFixed(0)} KB`,
    );
  }
  // The site (the workbench page and the API docs), as the deploy publishes it to the site bucket.
  const site = await (await import("@sml/site/build")).buildSite(join(repoRoot, SITE_BUILD_DIR));
  console.log(
    `${SITE_BUILD_DIR}/  ${Object.keys(site.files).length} files, first load ${(site.firstLoadBytes / 1024).toFixed(0)} KB`,
  );
  // The prediction function ships as a container image: its Docker build context (bundle, wasm, model, Dockerfile).
  await (await import("@sml/model-container/image-context")).buildAndReport({ repoRoot });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
