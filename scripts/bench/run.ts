/**
 * `npm run bench [-- name-filter]`: runs every scripts/bench/*.bench.ts in its own process (so one suite's
 * warm caches or memory never flatter another), prints one table and writes bench/results.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BenchRow } from "./report";

const repoRoot = resolve(__dirname, "../..");
const filter = process.argv[2];
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith(".bench.ts") && (!filter || f.includes(filter)))
  .sort();

const results: { suite: string; file: string; rows: BenchRow[]; error?: string }[] = [];
for (const file of files) {
  const out = join(tmpdir(), `bench-${process.pid}-${file}.json`);
  console.error(`\n== ${file}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, file)], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_OUT: out },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    const parsed = JSON.parse(readFileSync(out, "utf8")) as { suite: string; rows: BenchRow[] };
    results.push({ ...parsed, file, ...(run.status === 0 ? {} : { error: `exit ${run.status}` }) });
  } catch {
    results.push({ suite: file, file, rows: [], error: `exit ${run.status}, no results` });
  }
  rmSync(out, { force: true });
}

const table = results.flatMap((r) =>
  r.error && r.rows.length === 0
    ? [{ suite: r.suite, name: "FAILED", value: r.error }]
    : r.rows.map((row) => ({
        suite: r.suite,
        name: row.name,
        value: `${row.value} ${row.unit}`,
        baseline: row.baseline ? `${row.baseline.name} = ${row.baseline.value} ${row.unit}` : "",
        ratio: row.ratio === undefined ? "" : `${row.ratio}x`,
        target: row.target ?? "",
        met: row.met === undefined ? "" : row.met ? "yes" : "NO",
      })),
);
console.table(table);
mkdirSync(join(repoRoot, "bench"), { recursive: true });
writeFileSync(
  join(repoRoot, "bench/results.json"),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
);
console.log("wrote bench/results.json");
// A missed target fails the run like a crashed suite does (issue 29): the table says which rows.
const missed = results.flatMap((r) =>
  r.rows.filter((row) => row.met === false).map((row) => `${r.suite}: ${row.name}`),
);
if (missed.length > 0) console.error(`missed ${missed.length} target(s):\n  ${missed.join("\n  ")}`);
if (results.some((r) => r.error) || missed.length > 0) process.exitCode = 1;
