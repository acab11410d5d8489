/**
 * `npm run compare -w @sml/model-training`: scores every model in model/ (the image's registry) through the serving
 * code on the same rows, with scheduled departures as callers send them (data.ts flightAt), writes
 * model/comparison.json and re-renders docs/model-card.md. A challenger is judged against the champion on the
 * validation days (where choices are made); the test days are reported, not chosen on.
 *
 * Models trained before issue 26 read the ACTUAL departure time (a label leak). For those, compare records their
 * honest figures on scheduled departures as `results.model` of their metrics.json (what GET /models serves) and
 * keeps the figures first measured, on actual times, under `leak`, marked as leaked.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "@sml/flight-model/backend";
import type { FlightInput } from "@sml/flight-model/features";
import { FlightDelayModel } from "@sml/flight-model/model";
import { modelFolders, readChampion } from "@sml/flight-model/model-registry";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { callerLikeScores, orderMatchedSlots, placementShares } from "./caller-like";
import { type FlightTable, isDelayed, loadFlights, predictTable } from "./data";
import { establishedFlightAt, establishedKeys, PROBE_ESTABLISHED_FLIGHTS } from "./established-slots";
import { atThreshold, logLoss, rocAuc } from "./metrics";
import type { Comparison, ComparisonRow, ModelMetrics, Scores, SplitSummary } from "./model-card";
import { COMPARISON_FILE, REGISTRY_DIR, writeModelCard } from "./render-card";
import { SPLIT, splitRows } from "./split";

function score(
  model: FlightDelayModel,
  table: FlightTable,
  rows: Uint32Array,
  flightOf?: (table: FlightTable, row: number) => FlightInput,
): Scores {
  const labels = Uint8Array.from(rows, (row) => isDelayed(table, row));
  const probabilities = predictTable(model, table, rows, flightOf);
  return {
    rocAuc: rocAuc(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    ...atThreshold(labels, probabilities, model.threshold),
    accuracyAtHalf: atThreshold(labels, probabilities, 0.5).accuracy,
  };
}

/**
 * The test figures a legacy (actual-time) model's metrics.json serves from now on, the old ones kept as leaked;
 * its evaluation split becomes the rows they were measured on.
 */
function markLeaked(file: string, metrics: ModelMetrics, honest: Scores, evaluation: SplitSummary): void {
  const marked: ModelMetrics = {
    ...metrics,
    split: { ...metrics.split, evaluation },
    data: { ...metrics.data, target: "arrival delay > 15 minutes" },
    leak: metrics.leak ?? {
      timeBasis: "actual",
      note: "trained and first measured on the ACTUAL departure time, which reads how late the flight left (issue 26); results.model holds its figures on scheduled departures, as callers send them",
      asMeasuredOnActualTimes: metrics.results.model,
      asMeasuredSplit: {
        trainUntil: metrics.split.trainUntil,
        validationUntil: metrics.split.validationUntil,
      },
    },
    results: { ...metrics.results, model: honest },
  };
  writeFileSync(file, `${JSON.stringify(marked, null, 2)}\n`);
}

async function main(): Promise<void> {
  await initBackend(["wasm", "cpu"]);
  const table = await loadFlights();
  const split = splitRows(table);
  const rows = split.evaluation;
  const champion = readChampion(REGISTRY_DIR);
  const models: ComparisonRow[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let delayed = 0;
  for (const row of rows) {
    first = Math.min(first, table.scheduledMs[row] as number);
    last = Math.max(last, table.scheduledMs[row] as number);
    delayed += isDelayed(table, row);
  }
  const evaluationSummary: SplitSummary = {
    rows: rows.length,
    firstDeparture: new Date(first).toISOString().slice(0, 16),
    lastDeparture: new Date(last).toISOString().slice(0, 16),
    delayedShare: delayed / rows.length,
  };
  // The snapping probe (established-slots.ts), the same for every model.
  const probeKeys = establishedKeys(table, split.train, PROBE_ESTABLISHED_FLIGHTS);
  const probed = (t: FlightTable, row: number) => establishedFlightAt(t, row, probeKeys);
  // Caller-like inputs (caller-like.ts): the same order-matched flights for every model, slots of the probe's bar.
  const matched = orderMatchedSlots(table, rows, probeKeys);
  const placement = placementShares(table, split.train, probeKeys, PROBE_ESTABLISHED_FLIGHTS);
  for (const id of modelFolders(REGISTRY_DIR)) {
    const model = FlightDelayModel.load(join(REGISTRY_DIR, id));
    const metadata = model.encoder.metadata;
    const metricsFile = join(REGISTRY_DIR, id, MODEL_FILES.metrics);
    const metrics: ModelMetrics = JSON.parse(readFileSync(metricsFile, "utf8"));
    const scheduled = metadata.timeBasis === "scheduled";
    const scores = score(model, table, rows);
    const probe = score(model, table, rows, probed);
    const callerLike = callerLikeScores(model, table, matched, probeKeys);
    // Validation figures only for models that never trained on the validation days (the legacy ones did).
    const cleanValidation = metrics.split.train.lastDeparture.slice(0, 10) < SPLIT.trainUntil;
    const validation = cleanValidation ? score(model, table, split.validation) : undefined;
    const leaked = scheduled ? undefined : (metrics.leak?.asMeasuredOnActualTimes ?? metrics.results.model);
    if (!scheduled) markLeaked(metricsFile, metrics, scores, evaluationSummary);
    models.push({
      id,
      champion: id === champion,
      trainedOn: `${metrics.split.train.firstDeparture.slice(0, 10)}..${metrics.split.train.lastDeparture.slice(0, 10)}`,
      timeBasis: scheduled ? "scheduled" : "actual (leaked)",
      calibrated: metadata.calibration !== undefined,
      features: metadata.numericFeatures.length,
      ...(validation ? { validation } : {}),
      scores,
      probe: { rocAuc: probe.rocAuc, logLoss: probe.logLoss },
      callerLike,
      ...(leaked ? { leaked: { rocAuc: leaked.rocAuc, logLoss: leaked.logLoss } } : {}),
    });
    console.log(
      `${id}${scheduled ? "" : " (trained on actual departure times)"}: validation ${validation ? `AUC ${validation.rocAuc.toFixed(4)} log loss ${validation.logLoss.toFixed(4)}` : "n/a (trained on those days)"}; test AUC ${scores.rocAuc.toFixed(4)}, log loss ${scores.logLoss.toFixed(4)}; with the probe AUC ${probe.rocAuc.toFixed(4)}, log loss ${probe.logLoss.toFixed(4)}; on ${callerLike.flights} order-matched flights AUC ${callerLike.reconstructed.rocAuc.toFixed(4)} placed from reconstructed times, ${callerLike.orderMatched.rocAuc.toFixed(4)} caller-like`,
    );
  }
  const bestOnValidation = models
    .filter((m) => m.validation)
    .sort((a, b) => (a.validation?.logLoss ?? 0) - (b.validation?.logLoss ?? 0))[0];
  if (bestOnValidation && !bestOnValidation.champion) {
    console.log(
      `note: ${bestOnValidation.id} has the lowest validation log loss; the champion is ${champion}`,
    );
  }
  // Champion first, then the others by validation log loss (where they have one): chosen on validation.
  models.sort(
    (a, b) =>
      Number(b.champion) - Number(a.champion) ||
      (a.validation?.logLoss ?? Number.POSITIVE_INFINITY) -
        (b.validation?.logLoss ?? Number.POSITIVE_INFINITY),
  );
  const comparison: Comparison = {
    timeBasis: "scheduled",
    evaluation: {
      from: evaluationSummary.firstDeparture,
      to: evaluationSummary.lastDeparture,
      flights: rows.length,
    },
    validation: { from: SPLIT.trainUntil, until: SPLIT.validationUntil, flights: split.validation.length },
    placement,
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
