// Root `postinstall` (runs at the end of `npm ci` and `npm install`): makes every native addon load on the Node
// that runs the project's npm scripts, the root `node` devDependency (the Lambda's major), and fails the install
// if one does not. Each addon is loaded in a fresh process, so a broken one cannot hide behind a cached module.
// - N-API addons (@swc/core, @parcel/watcher, unrs-resolver) are ABI-stable and esbuild is a Go binary: their
//   prebuilt binaries load on any Node major as they are.
// - @cdktf/node-pty-prebuilt-multiarch (cdktf-cli's terminal; NAN, so tied to one Node ABI) ships prebuilds up
//   to ABI 127 (Node 22) and prebuild-install cannot reach GitHub from these machines. It is rebuilt with node-gyp
//   against the headers that the `node` package's platform package (node-<platform>-<arch>) ships in
//   include/node; the machine's npm config points `nodedir` at its own Node's headers, so npm_config_nodedir
//   overrides it for this rebuild.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** [package, code that loads its native part]. */
const ADDONS = [
  ["@swc/core", 'require("@swc/core").transformSync("let a = 1", {})'],
  ["@parcel/watcher", 'require("@parcel/watcher")'],
  ["unrs-resolver", 'require("unrs-resolver")'],
  ["esbuild", 'require("esbuild").transformSync("let a = 1")'],
  ["@cdktf/node-pty-prebuilt-multiarch", 'require("@cdktf/node-pty-prebuilt-multiarch")'],
];
/** Addons built from source for this Node when their binary does not load. */
const REBUILD = new Set(["@cdktf/node-pty-prebuilt-multiarch"]);
/**
 * Addons only the cdktf CLI needs (`npm run synth`): `npm start` and `npm test` work without them, so on a machine
 * without a C++ toolchain their failed rebuild is a warning with the fix, except under CI=true.
 */
const CLI_ONLY = new Set(["@cdktf/node-pty-prebuilt-multiarch"]);

const loads = (code) =>
  spawnSync(process.execPath, ["-e", code], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
const installed = (name) => loads(`require.resolve(${JSON.stringify(`${name}/package.json`)})`).status === 0;

/** The Node headers of the running Node: the `node` package's platform package, else the Node's own prefix. */
function nodeHeadersDir() {
  const require = createRequire(join(repoRoot, "package.json"));
  try {
    const fromNodePackage = createRequire(require.resolve("node/package.json"));
    return dirname(fromNodePackage.resolve(`node-${process.platform}-${process.arch}/package.json`));
  } catch {
    return dirname(dirname(process.execPath));
  }
}
const nodedir = nodeHeadersDir();
if (!existsSync(join(nodedir, "include/node/common.gypi")))
  console.warn(
    `native-addons: no Node headers in ${nodedir}/include/node; a rebuild would use npm's nodedir`,
  );
const failed = [];
const cliOnly = [];
for (const [name, code] of ADDONS) {
  if (!installed(name)) continue;
  let run = loads(code);
  if (run.status !== 0 && REBUILD.has(name)) {
    console.log(
      `native-addons: ${name} does not load on Node ${process.version}; rebuilding it (nodedir ${nodedir})`,
    );
    const rebuild = spawnSync("npm", ["rebuild", name, "--foreground-scripts"], {
      cwd: repoRoot,
      env: { ...process.env, npm_config_nodedir: nodedir },
      encoding: "utf8",
      stdio: ["ignore", "inherit", "inherit"],
    });
    run = rebuild.status === 0 ? loads(code) : rebuild;
  }
  if (run.status === 0) continue;
  const why = `${name}: ${(run.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`;
  if (CLI_ONLY.has(name) && process.env.CI !== "true") cliOnly.push(why);
  else failed.push(why);
}
if (cliOnly.length > 0) {
  console.warn(
    `native-addons: WARNING: ${cliOnly.map((w) => w.split(":")[0]).join(", ")} did not build for Node ${process.version}; ` +
      "npm start and npm test work, `npm run synth` (cdktf CLI) does not. Install a C++ compiler, make and " +
      "python3 (Debian/Ubuntu: apt-get install g++ make python3; macOS: xcode-select --install), then run " +
      "`npm rebuild @cdktf/node-pty-prebuilt-multiarch` or `npm ci` again.",
  );
}
if (failed.length > 0) {
  // Under CI=true a CLI-only addon that does not build fails the install too: CI must be able to synthesize.
  console.error(`native-addons: these do not load on Node ${process.version}:\n  ${failed.join("\n  ")}`);
  process.exit(1);
}
if (cliOnly.length === 0)
  console.log(
    `native-addons: every native addon loads on Node ${process.version} (ABI ${process.versions.modules})`,
  );
