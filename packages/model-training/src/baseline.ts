/**
 * `npm run baseline -w @sml/model-training`: the gradient-boosted-trees baseline of the model card, rerunnable.
 * Exports the training, threshold and test rows (the same split as training; origin and destination as the index
 * of the airport code among all codes sorted, so every airport is its own category, as issue 17 specifies) to a
 * CSV with exactly the inputs the model reads from a request: the reconstructed scheduled departure (flightAt,
 * the model's own reconstruction; hour with minutes), weekday, month, holiday proximity and log distance, runs baselines/gbdt.py (scikit-learn's HistGradientBoostingClassifier, settings in that file) with Debian's
 * python3, scores its probabilities with the model's own metric code and writes baselines/gbdt.json, which the
 * card renders. Needs `apt-get install -y python3-sklearn python3-pandas`; npm test only reads the committed JSON.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { holidayProximity, logDistance, weekdayOf } from "@sml/flight-model/features";
import { FLIGHTS_FILE, flightAt, isDelayed, loadFlights } from "./data";
import { atThreshold, bestF1Threshold, logLoss, rocAuc } from "./metrics";
import type { Scores } from "./model-card";
import { SPLIT, splitRows } from "./split";

const workspaceRoot = resolve(__dirname, "..");

import { BASELINE_FILE } from "./render-card";

export interface BaselineResult {
  readonly name: string;
  readonly library: string;
  readonly settings: Record<string, unknown>;
  readonly features: readonly string[];
  readonly categorical: readonly string[];
  readonly data: string;
  readonly split: {
    readonly trainUntil: string;
    readonly validationUntil: string;
    readonly evaluationRows: number;
  };
  /** The departure time the trees read: the model's reconstruction of the scheduled departure. */
  readonly timeBasis: "scheduled";
  readonly seconds: number;
  readonly results: Scores;
}

/** Debian's interpreter has python3-sklearn; a pyenv shim first on the PATH may not. Override with PYTHON. */
function python(): string {
  if (process.env.PYTHON) return process.env.PYTHON;
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (m: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);
  const table = await loadFlights();
  const rows = splitRows(table);
  // Every airport its own category (the file has 229 codes, below the 255 categories HistGradientBoosting
  // takes); codes the training days never saw are categories the trees never split on.
  const category = new Map([...table.codes].sort().map((code, i) => [code, i]));
  if (category.size > 255) throw new Error(`${category.size} airport codes: more than 255 categories`);

  const dir = mkdtempSync(join(tmpdir(), "sml-gbdt-"));
  try {
    const lines = ["split,origin,destination,hour,weekday,month,holiday_proximity,log_distance,delayed"];
    for (const split of ["train", "validation", "evaluation"] as const) {
      for (const row of rows[split]) {
        // The scheduled departure, reconstructed exactly as for the model (flightAt); hour with minutes.
        const f = flightAt(table, row);
        const hour = f.departure.hour + f.departure.minute / 60;
        lines.push(
          `${split},${category.get(f.origin)},${category.get(f.destination)},${hour.toFixed(4)},${weekdayOf(f.departure)},${f.departure.month},${holidayProximity(f.departure).toFixed(4)},${logDistance(f.distance).toFixed(6)},${isDelayed(table, row)}`,
        );
      }
    }
    writeFileSync(join(dir, "features.csv"), `${lines.join("\n")}\n`);
    log(`exported ${lines.length - 1} rows to ${dir}; running baselines/gbdt.py with ${python()}`);
    const run = spawnSync(
      python(),
      [join(workspaceRoot, "baselines/gbdt.py"), join(dir, "features.csv"), dir],
      {
        stdio: "inherit",
      },
    );
    if (run.status !== 0) {
      throw new Error(
        `baselines/gbdt.py failed (exit ${run.status ?? run.error?.message}); it needs python3 with scikit-learn and pandas: apt-get install -y python3-sklearn python3-pandas`,
      );
    }
    const read = (split: string) => {
      const bytes = readFileSync(join(dir, `${split}.f32`));
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    };
    const labels = (split: "validation" | "evaluation") =>
      Uint8Array.from(rows[split], (r) => isDelayed(table, r));
    const threshold = bestF1Threshold(labels("validation"), read("validation"));
    const test = read("evaluation");
    const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8"));
    const result: BaselineResult = {
      name: "gradient-boosted trees",
      library: info.library,
      settings: info.settings,
      features: info.features,
      categorical: info.categorical,
      data: `vega-datasets@3.2.1 data/${FLIGHTS_FILE}`,
      timeBasis: "scheduled",
      split: {
        trainUntil: SPLIT.trainUntil,
        validationUntil: SPLIT.validationUntil,
        evaluationRows: test.length,
      },
      seconds: info.seconds,
      results: {
        rocAuc: rocAuc(labels("evaluation"), test),
        logLoss: logLoss(labels("evaluation"), test),
        ...atThreshold(labels("evaluation"), test, threshold),
        accuracyAtHalf: atThreshold(labels("evaluation"), test, 0.5).accuracy,
      },
    };
    writeFileSync(BASELINE_FILE, `${JSON.stringify(result, null, 2)}\n`);
    log(
      `gbdt: test AUC ${result.results.rocAuc.toFixed(4)}, log loss ${result.results.logLoss.toFixed(4)}; wrote ${BASELINE_FILE}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
