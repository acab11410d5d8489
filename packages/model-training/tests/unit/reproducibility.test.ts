/**
 * Byte-identical retraining: the same knobs give the same weights, feature tables and version. Trains twice on a
 * sample of the real training days (every 200th row, so the test stays short) into two scratch registries and
 * compares the files that define the model. The committed champion was trained twice on all rows with the
 * default knobs and gave identical files; the hashes are in model-container/README.md ("Training").
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { type FlightTable, loadAirports, loadFlights } from "../../src/data";
import { HELP, parseTrainingArgs, TRAINING_OPTIONS, trainModel } from "../../src/train";

let table: FlightTable;
const dirs: string[] = [];
let firstVersion: string | undefined;

beforeAll(async () => {
  table = await loadFlights();
}, 120_000);
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function trainOnce(...knobs: string[]) {
  const out = mkdtempSync(join(tmpdir(), "sml-retrain-"));
  dirs.push(out);
  // Every 200th training row in batches of 256 at a higher learning rate: ~50 steps, enough to learn something.
  const args = parseTrainingArgs([
    ...["--train-sample", "200", "--batch-size", "256", "--learning-rate", "0.01"],
    ...knobs,
    ...["--out", out],
  ]);
  if (!args) throw new Error("parseTrainingArgs returned the help");
  return trainModel(args, () => {}, { table, airports: loadAirports() });
}

describe("training", () => {
  it("writes the same bytes, and so the same version, when run twice with the same knobs", async () => {
    const first = await trainOnce();
    const second = await trainOnce();
    expect(second.version).toBe(first.version);
    firstVersion = first.version;
    for (const file of [
      MODEL_FILES.weights,
      MODEL_FILES.topology,
      MODEL_FILES.features,
      MODEL_FILES.golden,
    ]) {
      expect(readFileSync(join(second.dir, file)).equals(readFileSync(join(first.dir, file)))).toBe(true);
    }
    // The run learned something (a constant model would also be reproducible).
    expect(first.metrics.results.model.rocAuc).toBeGreaterThan(0.6);
  }, 600_000);

  it("takes another version when a knob changes (the seed)", async () => {
    const other = await trainOnce("--seed", "7");
    expect(firstVersion).toBeDefined();
    expect(other.version).not.toBe(firstVersion);
  }, 600_000);

  it("prints every knob for --help instead of training", () => {
    expect(parseTrainingArgs(["--help"])).toBeUndefined();
    for (const name of Object.keys(TRAINING_OPTIONS)) expect(HELP).toContain(`--${name}`);
  });

  it("refuses a knob that is not a positive number, naming it", () => {
    expect(() => parseTrainingArgs(["--epochs", "0"])).toThrow(/--epochs/);
  });
});
