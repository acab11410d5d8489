/**
 * `npm run train -w @sml/model-training [-- --help]`: trains the flight-delay model on vega-datasets' 3M BTS flights
 * (2001) and writes model/<name>@<version>/ (model.json, weights.bin, features.json, airports.json, metrics.json,
 * golden.json); with --promote it also makes the new version the champion (model/models.json). The model card is
 * rendered by `npm run compare`. Deterministic: fixed seeds, single-threaded wasm backend, so a rerun with the same knobs
 * writes the same bytes and the same version.
 *
 * Inputs are scheduled departures (reconstructed, see data.ts), as callers send them. Everything that is chosen
 * (the epoch kept by early stopping, the Platt calibration, the threshold) is chosen on the validation days; the
 * test days are scored once, at the end.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@sml/flight-model/backend";
import {
  allocateBatch,
  buildVocabulary,
  DEEP_NUMERIC_FEATURES,
  type EncodedBatch,
  FeatureEncoder,
  type FeatureMetadata,
  type FlightInput,
  fitLogDistance,
  fitRateTable,
  greatCircleMiles,
  MONTH_FEATURES,
  NUMERIC_FEATURE_NAMES,
  packRateTables,
  parseLocalDateTime,
  RATE_TABLES,
  rateKey,
} from "@sml/flight-model/features";
import { FlightDelayModel, modelVersion } from "@sml/flight-model/model";
import { writeChampion } from "@sml/flight-model/model-registry";
import { EMBEDDING_DIM, LAYERS, MODEL_FILES, MODEL_NAME, modelId } from "@sml/flight-model/model-spec";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  type Airport,
  dataDir,
  FLIGHTS_FILE,
  type FlightTable,
  flightAt,
  isDelayed,
  loadAirports,
  loadFlights,
  predictTable,
} from "./data";
import { establishedFlightAt, establishedKeys, PROBE_ESTABLISHED_FLIGHTS } from "./established-slots";
import { oneHotInputs } from "./layers-model";
import { applyPlatt, atThreshold, bestF1Threshold, fitPlatt, logLoss, reliability, rocAuc } from "./metrics";
import type { ModelMetrics, Scores, SplitSummary } from "./model-card";
import { SPLIT, splitRows } from "./split";

/** How the scheduled departure is reconstructed, for metrics.json and the card (see data.ts). */
export const SCHEDULED_RECONSTRUCTION =
  "actual departure - max(0, arrival delay) minutes, rounded to 5 minutes, on the record's scheduled date (a 2400 departure, stored as 00:00 of the next day, on its own date); features read the route's nearest established half-hour";

const workspaceRoot = resolve(__dirname, "../../../model-container");

export const TRAINING = {
  seed: 20010101,
  /** The most passes; early stopping keeps the epoch with the lowest validation log loss. */
  epochs: 2,
  batchSize: 2048,
  learningRate: 0.002,
  /** Airports with fewer training flights than this share the OOV bucket (which trains that bucket). */
  vocabularyMinCount: 200,
  /** Rate tables: pseudo-flights at the overall rate added to every key, and the fewest flights a key needs. */
  rateSmoothing: 100,
  rateMinCount: 30,
  /** The same for the route x half-hour table, whose keys (one schedule each) have far fewer flights. */
  slotSmoothing: 10,
  /**
   * Established slots: a route's half-hour with at least this many training flights is a schedule; every flight
   * is placed on its route's nearest one before any rate is looked up (established-slots.ts). Chosen by validation
   * AUC with the snapping probe applied (`npm run sweep-slots`: a route x slot rate alone, bars 5, 20, 30, 40, 50,
   * 60, 80: 0.6316, 0.6335, 0.6359, 0.6383, 0.6398, 0.6421, 0.6371); 5, before the review, let phantom cells in
   * (0.6854 without the probe).
   */
  slotMinCount: 60,
  /**
   * Out-of-fold rates: training rows read rate tables fitted without their own day's fold (days split into this
   * many folds by day number), so no training row sees its own label through a rate column; serving reads the
   * tables fitted on all training days.
   */
  rateFolds: 5,
  /** Train on every n-th training row only (1 = all); for quick checks such as the reproducibility test. */
  trainSample: 1,
};
export type TrainingSettings = typeof TRAINING;

export const HELP = `Usage: npm run train -- [options]   (repository root; in model-container: npm run train -- [options])

Trains the flight-delay model on vega-datasets' flights-3m.parquet with reconstructed scheduled departures
(train ${"<"} ${SPLIT.trainUntil}; early stopping, calibration and threshold on the days to ${SPLIT.validationUntil};
test 2001-06-17..30, scored once) and writes model-container/model/<name>@<version>/.

Options (defaults in brackets):
  --epochs <n>           most passes over the training days (the best on validation is kept) [${TRAINING.epochs}]
  --batch-size <n>       rows per Adam step [${TRAINING.batchSize}]
  --learning-rate <x>    Adam learning rate [${TRAINING.learningRate}]
  --seed <n>             initializer and shuffle seed [${TRAINING.seed}]
  --vocabulary-min <n>   fewest training flights an airport needs for its own embedding [${TRAINING.vocabularyMinCount}]
  --rate-smoothing <m>   pseudo-flights at the overall rate in each rate-table key [${TRAINING.rateSmoothing}]
  --rate-min <n>         fewest training flights a rate-table key needs [${TRAINING.rateMinCount}]
  --slot-smoothing <m>   the same for the route x half-hour table [${TRAINING.slotSmoothing}]
  --slot-min <n>         fewest training flights that make a route's half-hour an established slot [${TRAINING.slotMinCount}]
  --rate-folds <k>       day folds for the out-of-fold rates of the training rows [${TRAINING.rateFolds}]
  --train-sample <n>     train on every n-th training row only (quick checks) [${TRAINING.trainSample}]
  --out <dir>            registry folder to write into [model-container/model]
  --promote              make the new version the champion (model/models.json)
  --help                 print this and exit

Then: npm run compare -w @sml/model-training (scores every model in model/ on the same test rows for the card).`;

/** The command line's knobs; HELP describes each (a test checks none is missing). */
export const TRAINING_OPTIONS = {
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  "learning-rate": { type: "string" },
  seed: { type: "string" },
  "vocabulary-min": { type: "string" },
  "rate-smoothing": { type: "string" },
  "rate-min": { type: "string" },
  "slot-smoothing": { type: "string" },
  "slot-min": { type: "string" },
  "rate-folds": { type: "string" },
  "train-sample": { type: "string" },
  out: { type: "string" },
  promote: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

export interface TrainingArgs {
  readonly settings: TrainingSettings;
  readonly promote: boolean;
  readonly outDir: string;
}

export function parseTrainingArgs(argv: string[]): TrainingArgs | undefined {
  const { values } = parseArgs({
    args: argv,
    options: TRAINING_OPTIONS,
  });
  if (values.help) return undefined;
  const num = (name: keyof typeof values, fallback: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  return {
    promote: values.promote === true,
    outDir: resolve(values.out ?? join(workspaceRoot, "model")),
    settings: {
      seed: num("seed", TRAINING.seed),
      epochs: num("epochs", TRAINING.epochs),
      batchSize: num("batch-size", TRAINING.batchSize),
      learningRate: num("learning-rate", TRAINING.learningRate),
      vocabularyMinCount: num("vocabulary-min", TRAINING.vocabularyMinCount),
      rateSmoothing: num("rate-smoothing", TRAINING.rateSmoothing),
      rateMinCount: num("rate-min", TRAINING.rateMinCount),
      slotSmoothing: num("slot-smoothing", TRAINING.slotSmoothing),
      slotMinCount: num("slot-min", TRAINING.slotMinCount),
      rateFolds: num("rate-folds", TRAINING.rateFolds),
      trainSample: num("train-sample", TRAINING.trainSample),
    },
  };
}

/** mulberry32: a small seeded PRNG, so the shuffle order is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(rows: Uint32Array, next: () => number): Uint32Array {
  const out = rows.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

function buildNetwork(originVocab: number, destinationVocab: number, seed: number): tfl.LayersModel {
  let nextSeed = seed;
  const glorot = () => tfl.initializers.glorotUniform({ seed: nextSeed++ });
  const origin = tfl.input({ shape: [originVocab], name: "origin_one_hot" });
  const destination = tfl.input({ shape: [destinationVocab], name: "destination_one_hot" });
  const numeric = tfl.input({ shape: [DEEP_NUMERIC_FEATURES], name: "numeric" });
  const month = tfl.input({ shape: [MONTH_FEATURES], name: "month" });
  const embed = (input: tfl.SymbolicTensor, name: string) =>
    tfl.layers
      .dense({
        units: EMBEDDING_DIM,
        useBias: false,
        name,
        kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.05, seed: nextSeed++ }),
      })
      .apply(input) as tfl.SymbolicTensor;
  let x = tfl.layers
    .concatenate({ name: "features" })
    .apply([
      embed(origin, LAYERS.originEmbedding),
      embed(destination, LAYERS.destinationEmbedding),
      numeric,
    ]) as tfl.SymbolicTensor;
  for (const { name, units } of LAYERS.hidden) {
    x = tfl.layers
      .dense({ units, activation: "relu", name, kernelInitializer: glorot() })
      .apply(x) as tfl.SymbolicTensor;
  }
  const withMonth = tfl.layers
    .concatenate({ name: "hidden_and_month" })
    .apply([x, month]) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({ units: 1, activation: "sigmoid", name: LAYERS.output, kernelInitializer: glorot() })
    .apply(withMonth) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [origin, destination, numeric, month], outputs: output, name: MODEL_NAME });
}

/** Logistic regression on the same features: one sigmoid unit over all inputs, concatenated in order. */
function buildLogisticRegression(originVocab: number, destinationVocab: number): tfl.LayersModel {
  const inputs = [
    tfl.input({ shape: [originVocab] }),
    tfl.input({ shape: [destinationVocab] }),
    tfl.input({ shape: [DEEP_NUMERIC_FEATURES] }),
    tfl.input({ shape: [MONTH_FEATURES] }),
  ];
  const x = tfl.layers.concatenate().apply(inputs) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({
      units: 1,
      activation: "sigmoid",
      kernelInitializer: tfl.initializers.zeros(),
      biasInitializer: tfl.initializers.zeros(),
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs: output });
}

const DAY_MS = 86_400_000;

/** Out-of-fold rate fold of a row: its scheduled day modulo the fold count (all of a day's flights together). */
const foldOf = (table: FlightTable, row: number, folds: number): number =>
  Math.floor((table.scheduledMs[row] as number) / DAY_MS) % folds;

/** Training rows through the encoder of their fold (see TRAINING.rateFolds). */
function encodeRows(
  encoders: readonly FeatureEncoder[],
  table: FlightTable,
  rows: Uint32Array,
  from: number,
  to: number,
): EncodedBatch {
  const batch = allocateBatch(to - from);
  for (let i = from; i < to; i++) {
    const row = rows[i] as number;
    const encoder = encoders[foldOf(table, row, encoders.length)] as FeatureEncoder;
    encoder.encodeInto(flightAt(table, row), batch, i - from);
  }
  return batch;
}

/** The layers model's variables by their saved names (`hidden_1/kernel`, ...). */
function weightsOf(model: tfl.LayersModel): tf.NamedTensorMap {
  return Object.fromEntries(model.weights.map((w) => [w.originalName, w.read()]));
}

/**
 * Logistic regression scores in plain JS: its one kernel row per one-hot column makes it a sum of three lookups
 * and a dot product, so evaluating it needs no tensors.
 */
function logisticProbabilities(
  logistic: tfl.LayersModel,
  encoder: FeatureEncoder,
  table: FlightTable,
  rows: Uint32Array,
): Float32Array {
  const [kernelTensor, biasTensor] = logistic.getWeights();
  if (!kernelTensor || !biasTensor) throw new Error("logistic regression has no weights");
  const kernel = kernelTensor.dataSync() as Float32Array;
  const bias = biasTensor.dataSync()[0] as number;
  const originOffset = 0;
  const destinationOffset = encoder.metadata.originVocabulary.length;
  const numericOffset = destinationOffset + encoder.metadata.destinationVocabulary.length;
  const out = new Float32Array(rows.length);
  const batch = allocateBatch(1);
  rows.forEach((row, i) => {
    batch.numeric.fill(0);
    encoder.encodeInto(flightAt(table, row), batch, 0);
    let z =
      bias +
      (kernel[originOffset + (batch.originIndex[0] as number)] as number) +
      (kernel[destinationOffset + (batch.destinationIndex[0] as number)] as number);
    // Kernel rows follow the inputs' order: origin, destination, deep numeric columns, month columns.
    for (let j = 0; j < DEEP_NUMERIC_FEATURES; j++)
      z += (kernel[numericOffset + j] as number) * (batch.numeric[j] as number);
    for (let j = 0; j < MONTH_FEATURES; j++)
      z += (kernel[numericOffset + DEEP_NUMERIC_FEATURES + j] as number) * (batch.month[j] as number);
    out[i] = 1 / (1 + Math.exp(-z));
  });
  return out;
}

function labelsOf(table: FlightTable, rows: Uint32Array): Uint8Array {
  return Uint8Array.from(rows, (row) => isDelayed(table, row));
}

function summarize(table: FlightTable, rows: Uint32Array, labels: Uint8Array): SplitSummary {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const t = table.scheduledMs[row] as number;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const delayed = labels.reduce((n, y) => n + y, 0);
  return {
    rows: rows.length,
    firstDeparture: new Date(first).toISOString().slice(0, 16),
    lastDeparture: new Date(last).toISOString().slice(0, 16),
    delayedShare: delayed / rows.length,
  };
}

function scores(labels: Uint8Array, probabilities: ArrayLike<number>, threshold: number): Scores {
  return {
    rocAuc: rocAuc(labels, probabilities),
    logLoss: logLoss(labels, probabilities),
    ...atThreshold(labels, probabilities, threshold),
    accuracyAtHalf: atThreshold(labels, probabilities, 0.5).accuracy,
  };
}

/** Fixed requests whose training-time probabilities (from tfjs-layers) the serving path must reproduce. */
export const GOLDEN_INSTANCES = [
  { origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00", distance: 679 },
  { origin: "ORD", destination: "LGA", departure: "2001-06-15T18:30:00" },
  { origin: "ATL", destination: "DFW", departure: "2001-03-05T07:05:00", distance: 731 },
  { origin: "LAX", destination: "JFK", departure: "2001-06-29T21:45:00" },
  { origin: "DEN", destination: "PHX", departure: "2001-02-11T11:20:00" },
  { origin: "ZZZ", destination: "SFO", departure: "2001-06-20T16:00:00", distance: 450 },
  { origin: "BOS", destination: "YYY", departure: "2001-04-01T06:10:00", distance: 900 },
  { origin: "HNL", destination: "OGG", departure: "2001-05-25T23:59:00" },
] as const;

/**
 * One training run: reads the data, trains, evaluates and writes `<outDir>/<name>@<version>/`. The same settings
 * write the same bytes (the reproducibility test trains twice on a sample and compares them).
 */
export async function trainModel(
  args: TrainingArgs,
  log: (message: string) => void,
  data?: { table: FlightTable; airports: Airport[] },
): Promise<{ version: string; dir: string; metrics: ModelMetrics }> {
  const TRAINING = args.settings;
  const started = performance.now();
  const backend = await initBackend(["wasm", "cpu"]);
  log(`backend ${backend}`);

  const table = data?.table ?? (await loadFlights());
  const airports = data?.airports ?? loadAirports();
  const split = splitRows(table);
  const rows =
    TRAINING.trainSample > 1
      ? { ...split, train: split.train.filter((_, i) => i % TRAINING.trainSample === 0) }
      : split;
  const window = (r: Uint32Array) => {
    const s = summarize(table, r, labelsOf(table, r));
    return `${s.firstDeparture}..${s.lastDeparture} (${s.rows} flights, ${(100 * s.delayedShare).toFixed(1)}% delayed)`;
  };
  log(`read ${table.size} flights from ${FLIGHTS_FILE}`);
  log(`  train      ${window(rows.train)}`);
  log(`  threshold  ${window(rows.validation)}`);
  log(`  test       ${window(rows.evaluation)}`);

  const trainFlights = (pick: (f: FlightInput) => string | number) =>
    Array.from(rows.train, (row) => pick(flightAt(table, row)));
  const metadata: FeatureMetadata = {
    originVocabulary: buildVocabulary(trainFlights((f) => f.origin) as string[], TRAINING.vocabularyMinCount),
    destinationVocabulary: buildVocabulary(
      trainFlights((f) => f.destination) as string[],
      TRAINING.vocabularyMinCount,
    ),
    logDistance: fitLogDistance(trainFlights((f) => f.distance) as number[]),
    numericFeatures: [...NUMERIC_FEATURE_NAMES],
    threshold: 0.5,
    timeBasis: "scheduled",
    schedule: { minFlights: TRAINING.slotMinCount },
  };
  // Every table is fitted on flights placed on their route's established slot, as serving places requests.
  const established = establishedKeys(table, rows.train, TRAINING.slotMinCount);
  const placed = (row: number) => establishedFlightAt(table, row, established);
  const trainLabels = labelsOf(table, rows.train);
  // Serving's tables (all training days) and, per fold, the tables of the other folds' days.
  const folds = TRAINING.rateFolds;
  const rates: NonNullable<FeatureMetadata["rates"]> = {};
  const foldRates: NonNullable<FeatureMetadata["rates"]>[] = Array.from({ length: folds }, () => ({}));
  const rowFold = Uint8Array.from(rows.train, (row) => foldOf(table, row, folds));
  for (const name of RATE_TABLES) {
    const [smoothing, minCount] =
      name === "route_slot"
        ? [TRAINING.slotSmoothing, TRAINING.slotMinCount]
        : [TRAINING.rateSmoothing, TRAINING.rateMinCount];
    const keys = Array.from(rows.train, (row) => rateKey(name, placed(row)));
    const full = fitRateTable(keys, trainLabels, smoothing, minCount);
    rates[name] = full;
    for (let k = 0; k < folds; k++) {
      const others = keys.filter((_, i) => rowFold[i] !== k);
      const otherLabels = trainLabels.filter((_, i) => rowFold[i] !== k);
      // route_slot out of fold: every established slot (a fold may hold fewer than the bar), no other cell.
      const fold =
        name === "route_slot"
          ? Object.fromEntries(
              Object.entries(fitRateTable(others, otherLabels, smoothing, 1)).filter(([key]) => key in full),
            )
          : fitRateTable(others, otherLabels, smoothing, minCount);
      foldRates[k] = { ...foldRates[k], [name]: fold };
    }
    log(
      `rate table ${name}: ${Object.keys(rates[name]).length} keys (smoothing ${smoothing}, at least ${minCount} flights; ${folds} out-of-fold tables for the training rows)`,
    );
  }
  // Serving finds the established slots as the route_slot keys: they must be exactly the training days' ones.
  const slotKeys = Object.keys(rates.route_slot ?? {});
  if (slotKeys.length !== established.length) {
    throw new Error(
      `route_slot has ${slotKeys.length} keys but the training days have ${established.length} established slots`,
    );
  }
  // Packed as serving reads them (rates.bin); the fold tables number the airports like the full ones.
  const packed = packRateTables(rates);
  const schedule = packed.tables.route_slot?.keys;
  metadata.packedRates = packed.metadata;
  const trainWindow = summarize(table, rows.train, trainLabels);
  metadata.rateWindow = {
    from: trainWindow.firstDeparture.slice(0, 10),
    to: trainWindow.lastDeparture.slice(0, 10),
  };
  const encoder = new FeatureEncoder(metadata, packed.tables);
  const foldEncoders = foldRates.map(
    (r) => new FeatureEncoder(metadata, packRateTables(r, packed.metadata.codes).tables, schedule),
  );
  const V = { origin: metadata.originVocabulary.length, destination: metadata.destinationVocabulary.length };
  log(`vocabularies: ${V.origin} origins, ${V.destination} destinations (index 0 = OOV)`);

  const labels = {
    train: trainLabels,
    validation: labelsOf(table, rows.validation),
    evaluation: labelsOf(table, rows.evaluation),
  };
  const network = buildNetwork(V.origin, V.destination, TRAINING.seed);
  network.compile({ optimizer: tf.train.adam(TRAINING.learningRate), loss: "binaryCrossentropy" });
  const logistic = buildLogisticRegression(V.origin, V.destination);
  logistic.compile({ optimizer: tf.train.adam(TRAINING.learningRate * 5), loss: "binaryCrossentropy" });

  // Evaluate through the serving code (gather + fused matMul) on the layers model's live weights.
  const airportMap = new Map(airports.map((a) => [a.code, a]));
  const servingModel = () =>
    FlightDelayModel.fromWeights(
      weightsOf(network),
      { ...metadata, version: "training" },
      airportMap,
      packed.tables,
    );

  const next = random(TRAINING.seed);
  const history: ModelMetrics["training"]["history"][number][] = [];
  // Early stopping: the weights of the epoch with the lowest validation log loss are the ones kept.
  let best = { epoch: 0, validationLoss: Number.POSITIVE_INFINITY, weights: [] as tf.Tensor[] };
  for (let epoch = 1; epoch <= TRAINING.epochs; epoch++) {
    const epochStart = performance.now();
    const order = shuffle(rows.train, next);
    let lossSum = 0;
    let batches = 0;
    const totalBatches = Math.ceil(order.length / TRAINING.batchSize);
    const reportEvery = Math.ceil(totalBatches / 10);
    for (let from = 0; from < order.length; from += TRAINING.batchSize) {
      const to = Math.min(order.length, from + TRAINING.batchSize);
      const encoded = encodeRows(foldEncoders, table, order, from, to);
      const inputs = oneHotInputs(encoded, V.origin, V.destination);
      const y = tf.tensor2d(
        Uint8Array.from(order.subarray(from, to), (row) => isDelayed(table, row)),
        [to - from, 1],
        "float32",
      );
      lossSum += (await network.trainOnBatch(inputs, y)) as number;
      // One pass is plenty for the convex baseline and saves a third of the training time.
      if (epoch === 1) await logistic.trainOnBatch(inputs, y);
      batches++;
      tf.dispose([y, ...inputs]);
      if (batches % reportEvery === 0 || batches === totalBatches) {
        log(
          `epoch ${epoch}/${TRAINING.epochs}: ${Math.round((100 * batches) / totalBatches)}% (${batches}/${totalBatches} batches), running loss ${(lossSum / batches).toFixed(4)}`,
        );
      }
    }
    const validation = predictTable(servingModel(), table, rows.validation);
    const entry = {
      epoch,
      trainLoss: lossSum / batches,
      validationLoss: logLoss(labels.validation, validation),
      validationRocAuc: rocAuc(labels.validation, validation),
      seconds: (performance.now() - epochStart) / 1000,
    };
    history.push(entry);
    log(
      `epoch ${epoch}/${TRAINING.epochs}: loss ${entry.trainLoss.toFixed(4)}, validation loss ${entry.validationLoss.toFixed(4)}, validation AUC ${entry.validationRocAuc.toFixed(4)} (${entry.seconds.toFixed(0)} s)`,
    );
    if (entry.validationLoss < best.validationLoss) {
      tf.dispose(best.weights);
      best = {
        epoch,
        validationLoss: entry.validationLoss,
        weights: network.getWeights().map((w) => w.clone()),
      };
    }
  }
  network.setWeights(best.weights);
  tf.dispose(best.weights);
  log(`early stopping: kept epoch ${best.epoch} (validation loss ${best.validationLoss.toFixed(4)})`);

  // Calibration and thresholds are chosen on the validation days, never on the evaluation days.
  const baseRate = summarize(table, rows.train, labels.train).delayedShare;
  const uncalibratedValidation = predictTable(servingModel(), table, rows.validation);
  const validationWindow = summarize(table, rows.validation, labels.validation);
  metadata.calibration = {
    method: "platt",
    ...fitPlatt(labels.validation, uncalibratedValidation),
    fittedOn: {
      from: validationWindow.firstDeparture.slice(0, 10),
      to: validationWindow.lastDeparture.slice(0, 10),
      flights: validationWindow.rows,
    },
  };
  const platt = metadata.calibration;
  log(
    `Platt calibration on the validation days: slope ${platt.slope.toFixed(4)}, intercept ${platt.intercept.toFixed(4)}`,
  );
  const finalModel = servingModel();
  const validationProbabilities = {
    model: predictTable(finalModel, table, rows.validation),
    logistic: logisticProbabilities(logistic, encoder, table, rows.validation),
  };
  metadata.threshold = bestF1Threshold(labels.validation, validationProbabilities.model);
  const logisticThreshold = bestF1Threshold(labels.validation, validationProbabilities.logistic);
  const baseRateThreshold = bestF1Threshold(
    labels.validation,
    new Float32Array(rows.validation.length).fill(baseRate),
  );

  // The snapping probe (established-slots.ts): held-back flights moved out of sparse cells.
  const probeKeys = establishedKeys(table, rows.train, PROBE_ESTABLISHED_FLIGHTS);
  const probed = (t: FlightTable, row: number) => establishedFlightAt(t, row, probeKeys);
  const probe = {
    validation: predictTable(finalModel, table, rows.validation, probed),
    evaluation: predictTable(finalModel, table, rows.evaluation, probed),
  };
  const evaluation = {
    model: predictTable(finalModel, table, rows.evaluation),
    logistic: logisticProbabilities(logistic, encoder, table, rows.evaluation),
    baseRate: new Float32Array(rows.evaluation.length).fill(baseRate),
  };
  log("evaluated on the held-out month");

  // Save: layers-format model.json + weights.bin, then the metadata keyed to the weights' hash.
  let weightBytes = new Uint8Array();
  let modelJson: unknown;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffer = data === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(data);
      weightBytes = new Uint8Array(buffer);
      modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  const metadataJson = JSON.stringify(metadata);
  const version = modelVersion(weightBytes, metadataJson, packed.bytes);
  const registryDir = args.outDir;
  const outDir = join(registryDir, modelId(MODEL_NAME, version));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, MODEL_FILES.topology), `${JSON.stringify(modelJson)}\n`);
  writeFileSync(join(outDir, MODEL_FILES.weights), weightBytes);
  writeFileSync(join(outDir, MODEL_FILES.rates), packed.bytes);
  writeFileSync(join(outDir, MODEL_FILES.features), `${JSON.stringify({ version, ...metadata }, null, 1)}\n`);
  const airportTable = Object.fromEntries(airports.map((a) => [a.code, [a.latitude, a.longitude]]));
  writeFileSync(join(outDir, MODEL_FILES.airports), `${JSON.stringify(airportTable)}\n`);

  const goldenFlights: FlightInput[] = GOLDEN_INSTANCES.map((instance) => {
    const departure = parseLocalDateTime(instance.departure);
    if (!departure) throw new Error(`bad golden departure ${instance.departure}`);
    const from = airports.find((a) => a.code === instance.origin);
    const to = airports.find((a) => a.code === instance.destination);
    const distance =
      "distance" in instance ? instance.distance : from && to ? greatCircleMiles(from, to) : Number.NaN;
    return { origin: instance.origin, destination: instance.destination, departure, distance };
  });
  const goldenInputs = oneHotInputs(encoder.encode(goldenFlights), V.origin, V.destination);
  const goldenOutput = network.predict(goldenInputs) as tf.Tensor;
  // tfjs-layers' uncalibrated output through the calibration serving folds into its output layer.
  const golden = {
    version,
    instances: GOLDEN_INSTANCES,
    probabilities: Array.from(goldenOutput.dataSync(), (p) => applyPlatt(p, platt)),
  };
  writeFileSync(join(outDir, MODEL_FILES.golden), `${JSON.stringify(golden, null, 1)}\n`);

  const evaluationSummary = summarize(table, rows.evaluation, labels.evaluation);
  let oovRows = 0;
  for (const row of rows.evaluation) {
    const f = flightAt(table, row);
    if (encoder.originIndex(f.origin) === 0 || encoder.destinationIndex(f.destination) === 0) oovRows++;
  }
  const metrics: ModelMetrics = {
    model: { name: MODEL_NAME, version },
    data: {
      source: `vega-datasets@3.2.1 data/${FLIGHTS_FILE} (US DOT/BTS on-time records, 2001)`,
      airports: `vega-datasets@3.2.1 data/airports.csv (${airports.length} airports)`,
      rows: table.size,
      target: "arrival delay > 15 minutes",
    },
    inputs: {
      timeBasis: "scheduled",
      reconstruction: SCHEDULED_RECONSTRUCTION,
      rateWindow: metadata.rateWindow,
      establishedSlots: { minFlights: TRAINING.slotMinCount, slots: established.length },
    },
    probe: {
      establishedFlights: PROBE_ESTABLISHED_FLIGHTS,
      validation: {
        rocAuc: rocAuc(labels.validation, probe.validation),
        logLoss: logLoss(labels.validation, probe.validation),
      },
      test: {
        rocAuc: rocAuc(labels.evaluation, probe.evaluation),
        logLoss: logLoss(labels.evaluation, probe.evaluation),
      },
    },
    split: {
      trainUntil: SPLIT.trainUntil,
      validationUntil: SPLIT.validationUntil,
      train: summarize(table, rows.train, labels.train),
      validation: summarize(table, rows.validation, labels.validation),
      evaluation: evaluationSummary,
    },
    features: {
      numeric: [...NUMERIC_FEATURE_NAMES],
      originVocabulary: V.origin,
      destinationVocabulary: V.destination,
      vocabularyMinCount: TRAINING.vocabularyMinCount,
      evaluationRowsWithOov: oovRows / rows.evaluation.length,
      logDistance: metadata.logDistance,
    },
    training: {
      ...TRAINING,
      backend,
      seconds: (performance.now() - started) / 1000,
      architecture: `origin/destination embeddings ${EMBEDDING_DIM}d + ${DEEP_NUMERIC_FEATURES} numeric -> ${LAYERS.hidden.map((l) => `dense ${l.units} relu`).join(" -> ")} -> dense 1 sigmoid over the last hidden layer and the ${MONTH_FEATURES} month columns (month is additive on the logit)`,
      parameters: network.countParams(),
      history,
      keptEpoch: best.epoch,
    },
    calibration: {
      ...platt,
      validation: reliability(labels.validation, validationProbabilities.model).expectedCalibrationError,
      test: reliability(labels.evaluation, evaluation.model),
    },
    results: {
      validation: scores(labels.validation, validationProbabilities.model, metadata.threshold),
      model: scores(labels.evaluation, evaluation.model, metadata.threshold),
      logisticRegression: scores(labels.evaluation, evaluation.logistic, logisticThreshold),
      baseRate: scores(labels.evaluation, evaluation.baseRate, baseRateThreshold),
    },
  };
  writeFileSync(join(outDir, MODEL_FILES.metrics), `${JSON.stringify(metrics, null, 2)}\n`);
  log(
    `test: model AUC ${metrics.results.model.rocAuc.toFixed(4)} log loss ${metrics.results.model.logLoss.toFixed(4)}, logistic regression AUC ${metrics.results.logisticRegression.rocAuc.toFixed(4)}; wrote ${outDir} (data: ${dataDir()})`,
  );
  if (args.promote) {
    writeChampion(registryDir, modelId(MODEL_NAME, version));
    log(
      `champion is now ${modelId(MODEL_NAME, version)}; run npm run compare -w @sml/model-training to update docs/model-card.md`,
    );
  }
  return { version, dir: outDir, metrics };
}

async function main(): Promise<void> {
  const args = parseTrainingArgs(process.argv.slice(2));
  if (!args) {
    console.log(HELP);
    return;
  }
  const started = performance.now();
  const log = (message: string) =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
  await trainModel(args, log);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
