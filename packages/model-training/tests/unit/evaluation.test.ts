/**
 * Reads the real training data (vega-datasets' 3M flights) once: training/serving parity on the same rows, and
 * the committed model's ROC AUC on the evaluation split against the model card's metrics.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWith } from "@sml/contracts/errors";
import { initBackend } from "@sml/flight-model/backend";
import { greatCircleMiles } from "@sml/flight-model/features";
import { FlightDelayModel } from "@sml/flight-model/model";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { PredictRequestSchema, resolveFlights } from "@sml/flight-model/predict-flights";
import * as tf from "@tensorflow/tfjs-core";
import { type FlightTable, flightAt, isDelayed, loadFlights } from "../../src/data";
import { logLoss, rocAuc } from "../../src/metrics";
import type { ModelMetrics } from "../../src/model-card";
import { splitRows } from "../../src/split";
import { workspaceModelDir } from "../support/registry";

const metrics: ModelMetrics = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.metrics), "utf8"));

let table: FlightTable;
let rows: ReturnType<typeof splitRows>;
let model: FlightDelayModel;

beforeAll(async () => {
  await initBackend(["wasm", "cpu"]);
  model = FlightDelayModel.load(workspaceModelDir);
  table = await loadFlights();
  rows = splitRows(table);
}, 120_000);

/** Every 250th row of the whole file: all months, hours and most airports. */
const sampleRows = (): number[] => Array.from({ length: Math.floor(table.size / 250) }, (_, i) => i * 250);

const pad = (n: number) => String(n).padStart(2, "0");

describe("training/serving parity", () => {
  it("encodes data rows and the same flights sent as requests into identical model inputs", () => {
    const sample = sampleRows();
    const trainingSide = model.encoder.encode(sample.map((row) => flightAt(table, row)));
    const instances = sample.map((row) => {
      const f = flightAt(table, row);
      const t = f.departure;
      return {
        origin: f.origin,
        destination: f.destination,
        departure: `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:00`,
        distance: f.distance,
      };
    });
    const request = parseWith(PredictRequestSchema, { instances });
    const servingSide = model.encoder.encode(resolveFlights(request.instances, model.airports));
    expect(servingSide.size).toBe(sample.length);
    expect(servingSide.originIndex).toEqual(trainingSide.originIndex);
    expect(servingSide.destinationIndex).toEqual(trainingSide.destinationIndex);
    expect(servingSide.numeric).toEqual(trainingSide.numeric);
    expect(servingSide.month).toEqual(trainingSide.month);
  });

  it("fills in distances within 2% of the recorded ones for the routes in the data", () => {
    const ratios = sampleRows().map((row) => {
      const f = flightAt(table, row);
      const from = model.airports.get(f.origin);
      const to = model.airports.get(f.destination);
      if (!from || !to) throw new Error(`airport ${f.origin} or ${f.destination} missing from airports.json`);
      return greatCircleMiles(from, to) / f.distance;
    });
    const sorted = ratios.sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(0.98);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(1.02);
  });
});

describe("the committed model on the evaluation split", () => {
  it("reproduces the model card's ROC AUC within 0.005 and its log loss", () => {
    const evaluation = rows.evaluation;
    expect(evaluation.length).toBe(metrics.split.evaluation.rows);
    const labels = Uint8Array.from(evaluation, (row) => isDelayed(table, row));
    const probabilities = new Float32Array(evaluation.length);
    const chunk = 20_000;
    for (let from = 0; from < evaluation.length; from += chunk) {
      const to = Math.min(evaluation.length, from + chunk);
      const flights = Array.from(evaluation.subarray(from, to), (row) => flightAt(table, row));
      probabilities.set(model.predict(model.encoder.encode(flights)), from);
    }
    expect(Math.abs(rocAuc(labels, probabilities) - metrics.results.model.rocAuc)).toBeLessThan(0.005);
    expect(Math.abs(logLoss(labels, probabilities) - metrics.results.model.logLoss)).toBeLessThan(0.005);
    expect(tf.memory().numTensors).toBeLessThan(20);
  });
});
