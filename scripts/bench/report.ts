import { writeFileSync } from "node:fs";

/** One measured figure; `baseline` is the comparison measured in the same run. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value relative to baseline, in the direction the target is stated (e.g. 0.31x import time). */
  readonly ratio?: number;
  /** The target in words, e.g. "<= 0.4x unbundled". */
  readonly target?: string;
  /** Whether the target is met; omitted for figures without a target. */
  readonly met?: boolean;
}

/**
 * Called once by every `*.bench.ts`: hands its rows to the harness (scripts/bench/run.ts), which prints the
 * table and writes bench/results.json. Run a bench file on its own and the rows are printed instead.
 */
export function reportBench(suite: string, rows: readonly BenchRow[]): void {
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify({ suite, rows }));
  else
    console.table(
      rows.map((r) => ({
        suite,
        ...r,
        baseline: r.baseline ? `${r.baseline.name}=${r.baseline.value}` : "",
      })),
    );
}

/** Median and a percentile of a list of samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
