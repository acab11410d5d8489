// `npm start`: runs local-stack/src/main.ts from one esbuild bundle instead of transpiling ~880 modules with tsx
// at every start (issue 29: that was 1-3 s of every start). The bundle lives in node_modules/.cache/sml-local-stack
// with the list of files it was built from (path, size, mtime); a start that finds any of them changed, or no
// bundle (a fresh clone), builds it again first (a few seconds), so an edit to any source shows at the next start.
// Plain JavaScript on purpose: it runs before anything could transpile TypeScript.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, enableCompileCache } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..");
/**
 * Inside node_modules, so that the bundle's external packages resolve from it as they do from the sources. The
 * PGlite template goes here too unless LOCAL_CACHE_DIR says otherwise (config.ts, DEFAULT_CACHE_DIR).
 */
const BUNDLE_CACHE_DIR = join(repoRoot, "node_modules", ".cache", "sml-local-stack");
const CURRENT = join(BUNDLE_CACHE_DIR, "current.json");
const ENTRY = join(here, "src", "main.ts");
/** The embedded database's thread (database.ts finds it beside the main bundle through BUNDLE_DIR_VARIABLE). */
const WORKER = join(here, "src", "pglite-worker.ts");

/**
 * Loaded from node_modules at run time, as from the sources: ESM-only packages with their own wasm, data or
 * worker files (PGlite, fauxqs, TensorFlow.js), esbuild itself (the site build) and optional native parts.
 */
const EXTERNAL = [
  "@electric-sql/pglite",
  "@electric-sql/pglite/*",
  "fauxqs",
  "esbuild",
  "@tensorflow/*",
  "pg-native",
];

/**
 * The sources' `__dirname`/`__filename` name their own folder (the migrations beside migrations.ts, the model
 * beside the model code, the site's sources): each workspace module keeps its own values in the bundle.
 */
const keepModulePaths = {
  name: "keep-module-paths",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      if (args.path.includes(`${"/"}node_modules${"/"}`)) return undefined;
      const source = readFileSync(args.path, "utf8");
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const prelude = `const __dirname = ${JSON.stringify(dirname(args.path))}; const __filename = ${JSON.stringify(args.path)};\n`;
      return { contents: prelude + source, loader: "ts" };
    });
  },
};

/** What the current bundle was built from: `{ bundle, inputs: { path: [size, mtimeMs] } }`, or undefined. */
function readCurrent() {
  try {
    return JSON.parse(readFileSync(CURRENT, "utf8"));
  } catch {
    return undefined;
  }
}

/** True when every file the bundle was built from (and this launcher) is as it was then. */
function upToDate(current) {
  if (!current || current.launcher !== launcherHash()) return false;
  try {
    statSync(join(BUNDLE_CACHE_DIR, current.bundle, "main.cjs"));
    statSync(join(BUNDLE_CACHE_DIR, current.bundle, "pglite-worker.cjs"));
    for (const [path, [size, mtimeMs]] of Object.entries(current.inputs)) {
      const s = statSync(join(repoRoot, path));
      if (s.size !== size || s.mtimeMs !== mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function launcherHash() {
  return createHash("sha256")
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest("hex")
    .slice(0, 16);
}

/** Builds the bundle into a folder of its own and then points current.json at it (both renames are atomic). */
async function rebuild() {
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { main: ENTRY, "pglite-worker": WORKER },
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    // `module` first, as for the Lambda bundles: ES builds resolve and evaluate faster than the CJS ones.
    mainFields: ["module", "main"],
    external: EXTERNAL,
    plugins: [keepModulePaths],
    // Not applied by default (reading the map costs 50-130 ms of every start); NODE_OPTIONS=--enable-source-maps
    // makes stack traces name the source files and lines.
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    write: false,
    outdir: BUNDLE_CACHE_DIR,
    outExtension: { ".js": ".cjs" },
    logLevel: "warning",
  });
  // Named by their content: a changed source gives a new folder, never a half-written file in a used one.
  const hash = createHash("sha256");
  for (const file of result.outputFiles) hash.update(file.contents);
  const id = hash.digest("hex").slice(0, 16);
  const dir = join(BUNDLE_CACHE_DIR, id);
  const tmp = `${dir}.${process.pid}.tmp`;
  mkdirSync(tmp, { recursive: true });
  for (const file of result.outputFiles)
    writeFileSync(join(tmp, relative(BUNDLE_CACHE_DIR, file.path)), file.contents);
  try {
    renameSync(tmp, dir);
  } catch {
    // Another start built the same bundle at the same time: use theirs.
    rmSync(tmp, { recursive: true, force: true });
  }
  const inputs = {};
  for (const path of [...Object.keys(result.metafile.inputs), relative(repoRoot, ENTRY)].sort()) {
    const s = statSync(resolve(repoRoot, path));
    inputs[path] = [s.size, s.mtimeMs];
  }
  const current = { bundle: id, launcher: launcherHash(), inputs };
  const tmpCurrent = `${CURRENT}.${process.pid}.tmp`;
  writeFileSync(tmpCurrent, `${JSON.stringify(current)}\n`);
  renameSync(tmpCurrent, CURRENT);
  removeOldBundles(id);
  return current;
}

/** Bundles of earlier sources, once nobody can be starting from them any more. */
function removeOldBundles(keep) {
  const hourAgo = Date.now() - 60 * 60 * 1000;
  for (const entry of readdirSync(BUNDLE_CACHE_DIR, { withFileTypes: true })) {
    // Bundle folders are named by 16 hex digits; the compile cache (v8) and the PGlite templates stay.
    if (!entry.isDirectory() || entry.name === keep || !/^[0-9a-f]{16}$/.test(entry.name)) continue;
    const path = join(BUNDLE_CACHE_DIR, entry.name);
    try {
      if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another start removed it first.
    }
  }
}

async function main() {
  mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
  let current = readCurrent();
  if (process.env.LOCAL_STACK_REBUILD === "1" || !upToDate(current)) {
    const started = Date.now();
    current = await rebuild();
    // One JSON line like every other log line of the stack (log.ts).
    const line = {
      level: "INFO",
      message: "bundled the local stack's sources (they changed, or this is the first start)",
      timestamp: new Date().toISOString(),
      service: "local-stack",
      seconds: (Date.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  // V8's compiled code for the bundle, kept beside it: later starts skip most of the parse and compile.
  enableCompileCache(join(BUNDLE_CACHE_DIR, "v8"));
  const bundleDir = join(BUNDLE_CACHE_DIR, current.bundle);
  // database.ts's BUNDLE_DIR_VARIABLE: where the embedded database's thread finds its bundle.
  process.env.SML_LOCAL_STACK_BUNDLE_DIR = bundleDir;
  createRequire(import.meta.url)(join(bundleDir, "main.cjs"));
}

await main();
