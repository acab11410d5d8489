/**
 * `npm run baseline -w @sml/model-training`: the gradient-boosted-trees baseline of the model card, rerunnable.
 * Exports the training, threshold and test rows (the same split as training; origin and destination as the index
 * of the airport code among all codes sorted, so every airport is its own category, as issue 17 specifies) to a
 * CSV with exactly the inputs the model reads from a request: the departure placed on its route's established
 * half-hour as the model places it (established-slots.ts, the same bar as training's slotMinCount; never the
 * minute, whose residue reads the label), weekday, month, holiday proximity and log distance, runs
 * baselines/gbdt.py (scikit-learn's HistGradientBoostingClassifier, settings in that file) with Debian's
 * python3, scores its probabilities with the model's own metric code and writes baselines/gbdt.json, which the
 * card renders. Needs `apt-get install -y python3-sklearn`; npm test only reads the committed JSON.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type FlightInput,
  holidayProximity,
  logDistance,
  slotOf,
  weekdayOf,
} from "@sml/flight-model/features";
import { flightInSlot, orderMatchedSlots } from "./caller-like";
import { FLIGHTS_FILE, isDelayed, loadFlights } from "./data";
import { establishedFlightAt, establishedKeys } from "./established-slots";
import { atThreshold, bestF1Threshold, logLoss, rocAuc } from "./metrics";
import type { Scores } from "./model-card";
import { SPLIT, splitRows } from "./split";
import { TRAINING } from "./train";

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
  /** The trees' hour is the route's established half-hour (hour + 0.5), as the model reads it. */
  readonly establishedSlots?: { readonly minFlights: number };
  readonly seconds: number;
  readonly results: Scores;
  /**
   * On the order-matched test flights (src/caller-like.ts): placed from reconstructed times, as `results`, and
   * given the slot of their departure order, as a caller would.
   */
  readonly callerLike?: {
    readonly flights: number;
    readonly reconstructed: { readonly rocAuc: number; readonly logLoss: number };
    readonly orderMatched: { readonly rocAuc: number; readonly logLoss: number };
  };
}

/** Debian's interpreter has python3-sklearn; a pyenv shim first on the PATH may not. Override with PYTHON. */
function python(): string {
  if (process.env.PYTHON) return process.env.PYTHON;
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * The trees' time column: the start of the half-hour the model reads (the route's established slot), in hours,
 * so 17:00-17:29 is 17 and 17:30-17:59 is 17.5; the minute never reaches the trees.
 */
export const baselineHour = (flight: FlightInput): number => slotOf(flight.departure) / 2;

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
    const established = establishedKeys(table, rows.train, TRAINING.slotMinCount);
    const lines = ["split,origin,destination,hour,weekday,month,holiday_proximity,log_distance,delayed"];
    // gbdt.py's SPLITS: the split as a number, so numpy reads the file without pandas.
    const splits = ["train", "validation", "evaluation"] as const;
    const line = (code: number, f: FlightInput, row: number) =>
      `${code},${category.get(f.origin)},${category.get(f.destination)},${baselineHour(f)},${weekdayOf(f.departure)},${f.departure.month},${holidayProximity(f.departure).toFixed(4)},${logDistance(f.distance).toFixed(6)},${isDelayed(table, row)}`;
    for (const [code, split] of splits.entries()) {
      // The scheduled departure on its route's established slot, exactly as the model reads it.
      for (const row of rows[split])
        lines.push(line(code, establishedFlightAt(table, row, established), row));
    }
    // gbdt.py's callerLike split (3): the order-matched test flights with their label-blind slot.
    const matched = orderMatchedSlots(table, rows.evaluation, established);
    for (const row of matched.rows) {
      lines.push(line(3, flightInSlot(table, row, matched.slots.get(row) as number), row));
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
        `baselines/gbdt.py failed (exit ${run.status ?? run.error?.message}); it needs python3 with scikit-learn: apt-get install -y python3-sklearn`,
      );
    }
    const read = (split: string): Float32Array => {
      const bytes = readFileSync(join(dir, `${split}.f32`));
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    };
    const labels = (split: "validation" | "evaluation") =>
      Uint8Array.from(rows[split], (r) => isDelayed(table, r));
    const threshold = bestF1Threshold(labels("validation"), read("validation"));
    const test = read("evaluation");
    // The same flights' test probabilities (placed from reconstructed times) and caller-like ones.
    const position = new Map(Array.from(rows.evaluation, (row, i) => [row, i]));
    const matchedLabels = Uint8Array.from(matched.rows, (r) => isDelayed(table, r));
    const onReconstructed = Float32Array.from(matched.rows, (r) => test[position.get(r) as number] as number);
    const onOrderMatched = read("callerLike");
    const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8"));
    const result: BaselineResult = {
      name: "gradient-boosted trees",
      library: info.library,
      settings: info.settings,
      features: info.features,
      categorical: info.categorical,
      data: `vega-datasets@3.2.1 data/${FLIGHTS_FILE}`,
      timeBasis: "scheduled",
      establishedSlots: { minFlights: TRAINING.slotMinCount },
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
      callerLike: {
        flights: matched.rows.length,
        reconstructed: {
          rocAuc: rocAuc(matchedLabels, onReconstructed),
          logLoss: logLoss(matchedLabels, onReconstructed),
        },
        orderMatched: {
          rocAuc: rocAuc(matchedLabels, onOrderMatched),
          logLoss: logLoss(matchedLabels, onOrderMatched),
        },
      },
    };
    writeFileSync(BASELINE_FILE, `${JSON.stringify(result, null, 2)}\n`);
    log(
      `gbdt: test AUC ${result.results.rocAuc.toFixed(4)}, log loss ${result.results.logLoss.toFixed(4)}; order-matched flights AUC ${result.callerLike?.reconstructed.rocAuc.toFixed(4)} placed from reconstructed times, ${result.callerLike?.orderMatched.rocAuc.toFixed(4)} caller-like; wrote ${BASELINE_FILE}`,
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
