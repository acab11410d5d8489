/**
 * `npm run compare -w model-container`: scores every model in model/ (the image's registry) on the same test rows
 * through the serving code, writes model/comparison.json and re-renders docs/model-card.md. A challenger is judged
 * against the champion here before anyone edits model/models.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "@sml/flight-model/backend";
import { FlightDelayModel } from "@sml/flight-model/model";
import { modelFolders, readChampion } from "@sml/flight-model/model-registry";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { isDelayed, loadFlights, predictTable } from "./data";
import { atThreshold, logLoss, rocAuc } from "./metrics";
import type { Comparison, ComparisonRow, ModelMetrics } from "./model-card";
import { COMPARISON_FILE, REGISTRY_DIR, writeModelCard } from "./render-card";
import { splitRows } from "./split";

async function main(): Promise<void> {
  await initBackend(["wasm", "cpu"]);
  const table = await loadFlights();
  const rows = splitRows(table).evaluation;
  const labels = Uint8Array.from(rows, (row) => isDelayed(table, row));
  const champion = readChampion(REGISTRY_DIR);
  const models: ComparisonRow[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    first = Math.min(first, table.departureMs[row] as number);
    last = Math.max(last, table.departureMs[row] as number);
  }
  for (const id of modelFolders(REGISTRY_DIR)) {
    const model = FlightDelayModel.load(join(REGISTRY_DIR, id));
    const probabilities = predictTable(model, table, rows);
    const metadata = model.encoder.metadata;
    const metrics: ModelMetrics = JSON.parse(
      readFileSync(join(REGISTRY_DIR, id, MODEL_FILES.metrics), "utf8"),
    );
    models.push({
      id,
      champion: id === champion,
      trainedOn: `${metrics.split.train.firstDeparture.slice(0, 10)}..${metrics.split.train.lastDeparture.slice(0, 10)}`,
      features: metadata.numericFeatures.length,
      scores: {
        rocAuc: rocAuc(labels, probabilities),
        logLoss: logLoss(labels, probabilities),
        ...atThreshold(labels, probabilities, model.threshold),
        accuracyAtHalf: atThreshold(labels, probabilities, 0.5).accuracy,
      },
    });
    console.log(
      `${id}: AUC ${models.at(-1)?.scores.rocAuc.toFixed(4)}, log loss ${models.at(-1)?.scores.logLoss.toFixed(4)}`,
    );
  }
  // Champion first, then the others by AUC: the table reads as "what serves, and what could".
  models.sort((a, b) => Number(b.champion) - Number(a.champion) || b.scores.rocAuc - a.scores.rocAuc);
  const comparison: Comparison = {
    evaluation: {
      from: new Date(first).toISOString().slice(0, 16),
      to: new Date(last).toISOString().slice(0, 16),
      flights: rows.length,
    },
    models,
  };
  writeFileSync(COMPARISON_FILE, `${JSON.stringify(comparison, null, 2)}\n`);
  writeModelCard();
  console.log(`wrote ${COMPARISON_FILE} and docs/model-card.md`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
