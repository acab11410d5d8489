/**
 * `npm run measure -w @sml/model-training -- <base-url> [--model <name>@<version>] [--probe]`: sends every test
 * flight (2001-06-17..30) to a running API's POST /predict as a caller would (origin, destination, the
 * reconstructed scheduled departure as `YYYY-MM-DDTHH:MM`, distance), 1000 per request, and scores the answers
 * with the card's metric code: ROC AUC, log loss (and the base rate's), expected calibration error. `--probe`
 * sends the flights of sparse route x half-hour cells at their route's established slot instead
 * (established-slots.ts). The bearer token comes from TOKEN (local stack: `TOKEN=$(npm run -s token -- me)`).
 */
import { parseArgs } from "node:util";
import { MAX_INSTANCES } from "@sml/contracts/predict";
import type { FlightInput } from "@sml/flight-model/features";
import { type FlightTable, flightAt, isDelayed, loadFlights } from "./data";
import { establishedFlightAt, establishedKeys, PROBE_ESTABLISHED_FLIGHTS } from "./established-slots";
import { logLoss, reliability, rocAuc } from "./metrics";
import { splitRows } from "./split";

const pad = (n: number) => String(n).padStart(2, "0");
const departure = (f: FlightInput) => {
  const t = f.departure;
  return `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}`;
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { model: { type: "string" }, probe: { type: "boolean", default: false } },
  });
  const base = positionals[0];
  const token = process.env.TOKEN;
  if (!base || !token) {
    throw new Error(
      "Usage: TOKEN=<bearer token> npm run measure -w @sml/model-training -- <base-url> [--model <id>] [--probe]",
    );
  }
  const started = performance.now();
  const table = await loadFlights();
  const rows = splitRows(table);
  const established = establishedKeys(table, rows.train, PROBE_ESTABLISHED_FLIGHTS);
  const flightOf = values.probe
    ? (t: FlightTable, row: number) => establishedFlightAt(t, row, established)
    : flightAt;
  const test = rows.evaluation;
  const labels = Uint8Array.from(test, (row) => isDelayed(table, row));
  const probabilities = new Float64Array(test.length);
  let models = new Set<string>();
  for (let from = 0; from < test.length; from += MAX_INSTANCES) {
    const chunk = test.subarray(from, Math.min(test.length, from + MAX_INSTANCES));
    const instances = Array.from(chunk, (row) => {
      const f = flightOf(table, row);
      return { origin: f.origin, destination: f.destination, departure: departure(f), distance: f.distance };
    });
    const response = await fetch(new URL("/predict", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ instances, ...(values.model ? { model: values.model } : {}) }),
    });
    if (!response.ok) throw new Error(`POST /predict answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as {
      predictions: { delayProbability: number }[];
      model: { name: string; version: string };
    };
    models = models.add(`${body.model.name}@${body.model.version}`);
    body.predictions.forEach((p, i) => {
      probabilities[from + i] = p.delayProbability;
    });
  }
  const trainRate = rows.train.reduce((n, row) => n + isDelayed(table, row), 0) / rows.train.length;
  const result = {
    models: [...models],
    flights: test.length,
    probe: values.probe,
    rocAuc: rocAuc(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    baseRateLogLoss: logLoss(labels, new Float64Array(test.length).fill(trainRate)),
    expectedCalibrationError: reliability(labels, probabilities).expectedCalibrationError,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
