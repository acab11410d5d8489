/**
 * Batch worker: rows per second of the streamed range scorer (CSV parse, /predict's validation, one model call
 * per 1,000 rows, result rows written) against raw `model.predict` on the same rows pre-encoded (issue 14 target:
 * >= 0.5x), and the worker's peak RSS at 10k / 100k / 1M rows, each in its own process (peak RSS never goes
 * down). Files are generated on disk from the real flights and streamed; the result is counted, not kept.
 *   npm run bench -- batch
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { encodeInstances } from "@sml/flight-model/predict-flights";
import { scoreRange } from "@sml/model-container/batch-score";
import { createPredictionHandler, defaultModelDir } from "@sml/model-container/prediction-function";
import { dataDir } from "@sml/model-training/data";
import { type BenchRow, reportBench, round } from "./report";

interface Flight {
  origin: string;
  destination: string;
  departure: string;
  distance: number;
}

function flights(): Flight[] {
  const raw = JSON.parse(readFileSync(join(dataDir(), "flights-20k.json"), "utf8")) as {
    date: string;
    distance: number;
    origin: string;
    destination: string;
  }[];
  return raw.map((f) => ({
    origin: f.origin,
    destination: f.destination,
    departure: `${f.date.slice(0, 10).replaceAll("/", "-")}T${f.date.slice(11)}:00`,
    distance: f.distance,
  }));
}

async function writeCsv(file: string, rows: number, all: Flight[]): Promise<void> {
  const out = createWriteStream(file);
  out.write("id,origin,destination,departure,distance\n");
  for (let i = 0; i < rows; i++) {
    const f = all[i % all.length] as Flight;
    if (!out.write(`${i},${f.origin},${f.destination},${f.departure},${f.distance}\n`))
      await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

const logger = new Logger({ logLevel: "SILENT" });

/** Child: scores one file and prints its peak RSS. */
async function child(file: string): Promise<void> {
  const { model } = await createPredictionHandler({ modelDir: defaultModelDir(), logger });
  let bytes = 0;
  const outcome = await scoreRange(
    { model, format: "csv", source: createReadStream(file), start: 0, firstLine: 1 },
    {
      write: async (t) => {
        bytes += t.length;
      },
    },
  );
  console.log(
    JSON.stringify({ scored: outcome.scored, bytes, peakRssBytes: process.resourceUsage().maxRSS * 1024 }),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sml-batch-bench-"));
  try {
    const all = flights();
    const { model, backend } = await createPredictionHandler({ modelDir: defaultModelDir(), logger });
    const rows = 200_000;
    const file = join(dir, "throughput.csv");
    await writeCsv(file, rows, all);
    // Warm-up, then the measured run.
    await scoreRange(
      { model, format: "csv", source: createReadStream(file, { end: 1_000_000 }), start: 0, firstLine: 1 },
      { write: async () => undefined },
    );
    let started = performance.now();
    const outcome = await scoreRange(
      { model, format: "csv", source: createReadStream(file), start: 0, firstLine: 1 },
      { write: async () => undefined },
    );
    const workerMs = performance.now() - started;
    const batches = [];
    for (let i = 0; i < rows; i += 1000)
      batches.push(
        encodeInstances(
          model,
          Array.from({ length: 1000 }, (_, j) => all[(i + j) % all.length] as Flight),
        ),
      );
    started = performance.now();
    for (const b of batches) model.predict(b);
    const rawMs = performance.now() - started;
    const workerRate = round(outcome.scored / (workerMs / 1000), 0);
    const rawRate = round(rows / (rawMs / 1000), 0);
    const ratio = round(workerRate / rawRate, 2);
    const result: BenchRow[] = [
      {
        name: `worker rows/s (${backend}, ${rows.toLocaleString("en-US")} CSV rows)`,
        value: workerRate,
        unit: "rows/s",
        baseline: { name: "raw model.predict, 1,000 per call", value: rawRate },
        ratio,
        target: ">= 0.5x raw model.predict",
        met: ratio >= 0.5,
      },
    ];
    for (const n of [10_000, 100_000, 1_000_000]) {
      const sized = join(dir, `${n}.csv`);
      await writeCsv(sized, n, all);
      const run = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", sized], {
        encoding: "utf8",
      });
      const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as { peakRssBytes: number };
      result.push({
        name: `worker peak RSS, ${n.toLocaleString("en-US")} rows`,
        value: round(report.peakRssBytes / 2 ** 20, 0),
        unit: "MiB",
      });
    }
    reportBench("batch", result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") void child(process.argv[3] as string);
else void main();
