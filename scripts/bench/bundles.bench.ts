/**
 * Bundle size and cold import time of every zip Lambda: the esbuild bundle against the same handler loaded
 * unbundled from source and node_modules (tsx's require hook), each import in a fresh Node process.
 * Targets (./targets.ts): bundled import <= 0.4x unbundled, bundle <= 250 KB.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ZIP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { bundleFunction, FUNCTION_ENTRIES } from "../bundling/bundle";
import { type BenchRow, percentile, reportBench, round } from "./report";
import { BENCH_TARGETS } from "./targets";

const repoRoot = resolve(__dirname, "../..");
const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 7);
const MAX_BUNDLE_KB = BENCH_TARGETS.zipBundleKb;
const MAX_IMPORT_RATIO = BENCH_TARGETS.bundledImportRatio;

/** What the handlers read at module load; none of it is contacted by an import. */
const FUNCTION_ENV = {
  TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:users-bench",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/none",
  AWS_REGION: "us-east-1",
  BATCH_BUCKET: "sml-bench-batches",
  POWERTOOLS_METRICS_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "SILENT",
};

// Timed inside the child, around the require alone: node's own start-up is the same for both variants.
const timedRequire = (file: string) =>
  `const t=performance.now();const m=require(${JSON.stringify(file)});` +
  `const ms=performance.now()-t;if(typeof m.handler!=="function")throw new Error("no handler export");` +
  `process.stdout.write(String(ms));`;

function importMs(file: string, unbundled: boolean): number {
  const args = [...(unbundled ? ["--require", "tsx/cjs"] : []), "-e", timedRequire(file)];
  const run = spawnSync(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...FUNCTION_ENV },
    encoding: "utf8",
  });
  // The last lines name the error; the first ones can be a minified source line.
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr.slice(-2000)}`);
  return Number(run.stdout);
}

async function main(): Promise<void> {
  const outRoot = mkdtempSync(join(tmpdir(), "bench-bundles-"));
  const rows: BenchRow[] = [];
  let failed = false;
  try {
    for (const name of ZIP_FUNCTION_NAMES) {
      const source = join(repoRoot, FUNCTION_ENTRIES[name]);
      if (!existsSync(source)) {
        console.error(`${name}: ${FUNCTION_ENTRIES[name]} does not exist yet; skipped`);
        failed = true;
        continue;
      }
      const bundle = await bundleFunction(name, outRoot);
      const kb = round(statSync(bundle).size / 1024, 1);
      rows.push({
        name: `${name} bundle size`,
        value: kb,
        unit: "KB",
        target: `<= ${MAX_BUNDLE_KB} KB`,
        met: kb <= MAX_BUNDLE_KB,
      });
      // One discarded run each warms the OS file cache and tsx's transform cache.
      importMs(bundle, false);
      importMs(source, true);
      const bundled: number[] = [];
      const unbundled: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        bundled.push(importMs(bundle, false));
        unbundled.push(importMs(source, true));
      }
      const b = round(percentile(bundled, 50), 1);
      const u = round(percentile(unbundled, 50), 1);
      const ratio = round(b / u, 2);
      rows.push({
        name: `${name} import, bundled (median of ${RUNS} fresh processes)`,
        value: b,
        unit: "ms",
        baseline: { name: "unbundled (tsx, node_modules)", value: u },
        ratio,
        target: `<= ${MAX_IMPORT_RATIO}x unbundled`,
        met: ratio <= MAX_IMPORT_RATIO,
      });
    }
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
  reportBench("bundles", rows);
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
