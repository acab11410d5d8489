/**
 * Renders docs/model-card.md from the metrics the training run writes to model/metrics.json, so the card's
 * numbers are never typed by hand (a test checks the committed card matches the committed metrics).
 */
import { WEEKDAY_NAMES } from "@sml/flight-model/features";
import type { ThresholdMetrics } from "./metrics";

export interface SplitSummary {
  readonly rows: number;
  readonly firstDeparture: string;
  readonly lastDeparture: string;
  readonly delayedShare: number;
}

export interface Scores extends ThresholdMetrics {
  readonly rocAuc: number;
  readonly logLoss: number;
  readonly accuracyAtHalf: number;
}

export interface ModelMetrics {
  readonly model: { readonly name: string; readonly version: string };
  readonly data: {
    readonly source: string;
    readonly airports: string;
    readonly rows: number;
    readonly target: string;
  };
  readonly split: {
    readonly trainUntil: string;
    readonly validationUntil: string;
    readonly train: SplitSummary;
    readonly validation: SplitSummary;
    readonly evaluation: SplitSummary;
  };
  readonly features: {
    readonly numeric: readonly string[];
    readonly originVocabulary: number;
    readonly destinationVocabulary: number;
    readonly vocabularyMinCount: number;
    readonly evaluationRowsWithOov: number;
    readonly logDistance: { readonly mean: number; readonly std: number };
  };
  readonly training: {
    readonly seed: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly vocabularyMinCount: number;
    /** Rate-table settings (absent for models trained before the tables existed). */
    readonly rateSmoothing?: number;
    readonly rateMinCount?: number;
    readonly slotSmoothing?: number;
    readonly slotMinCount?: number;
    readonly rateFolds?: number;
    readonly backend: string;
    readonly seconds: number;
    readonly architecture: string;
    readonly parameters: number;
    readonly history: readonly {
      readonly epoch: number;
      readonly trainLoss: number;
      readonly validationLoss: number;
      readonly validationRocAuc: number;
      readonly seconds: number;
    }[];
  };
  readonly results: {
    readonly model: Scores;
    readonly logisticRegression: Scores;
    readonly baseRate: Scores;
  };
}

/** One row of `npm run compare`: a model of the image scored on the test rows. */
export interface ComparisonRow {
  readonly id: string;
  readonly champion: boolean;
  readonly trainedOn: string;
  readonly features: number;
  readonly scores: Scores;
}

export interface Comparison {
  /** The rows every model was scored on. */
  readonly evaluation: { readonly from: string; readonly to: string; readonly flights: number };
  readonly models: readonly ComparisonRow[];
}

/** The trees baseline as baselines/gbdt.json records it (written by `npm run baseline`). */
export interface Baseline {
  readonly name: string;
  readonly library: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly features: readonly string[];
  readonly categorical: readonly string[];
  readonly seconds: number;
  readonly results: Scores;
}

export interface CardInputs {
  /** The champion's metrics.json. */
  readonly metrics: ModelMetrics;
  readonly comparison: Comparison;
  readonly baseline: Baseline;
}

const f4 = (x: number): string => x.toFixed(4);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const int = (x: number): string => x.toLocaleString("en-US");

/** The rate-table bullet, for the feature set the champion lists. */
function rates(m: ModelMetrics): string {
  const listed = m.features.numeric.filter((n) => n.endsWith("_rate"));
  if (listed.length === 0) return "- no delay-rate columns (feature set 1).";
  const t = m.training;
  const slot = listed.includes("route_slot_rate")
    ? ` and origin x destination x half-hour of departure (\`route_slot\`: the scheduled flight's own slot, smoothing ${t.slotSmoothing}, at least ${t.slotMinCount} flights)`
    : "";
  const folds = t.rateFolds
    ? ` The training rows read out-of-fold tables (days split into ${t.rateFolds} folds by day number; each fold's rows see tables fitted on the other folds), so no training row sees its own label through a rate column; serving reads the tables of all training days.`
    : "";
  return `- delay rates: smoothed log-odds of a delay, centred on the overall rate, per origin x hour, destination x hour,
  origin x destination (smoothing ${t.rateSmoothing ?? 100}, at least ${t.rateMinCount ?? 30} flights)${slot}; fitted on the training days only and stored
  in ${m.features.numeric.includes("route_slot_rate") ? "rates.bin" : "features.json"} (unseen keys read 0).${folds}`;
}

/** The holiday bullet, when the champion has the column. */
function holidays(m: ModelMetrics): string {
  return m.features.numeric.includes("holiday_proximity")
    ? `
- calendar: \`holiday_proximity\`, 1 on a US federal holiday falling to 0 at 7 days away (actual dates by today's
  rules; src/core/features.ts federalHolidays).`
    : "";
}

export function renderModelCard({ metrics: m, comparison, baseline }: CardInputs): string {
  const row = (name: string, s: Scores) =>
    `| ${name} | ${f4(s.rocAuc)} | ${f4(s.logLoss)} | ${s.threshold.toFixed(2)} | ${pct(s.accuracy)} | ${pct(s.precision)} | ${pct(s.recall)} | ${f4(s.f1)} | ${pct(s.accuracyAtHalf)} |`;
  const split = (name: string, s: SplitSummary) =>
    `| ${name} | ${s.firstDeparture} | ${s.lastDeparture} | ${int(s.rows)} | ${pct(s.delayedShare)} |`;
  const { results: r, training: t } = m;
  return `# Model card: ${m.model.name} (version ${m.model.version})

Generated by \`npm run compare -w model-container\` from the champion's \`metrics.json\`,
\`model-container/model/comparison.json\` and \`model-container/baselines/gbdt.json\`; do not edit by hand.

## What it does
Estimates the probability that a US domestic flight departs more than 15 minutes late, from its origin,
destination, scheduled local departure time and distance. Served by the prediction Lambda (\`POST /predict\`);
\`delayed\` is \`delayProbability >= ${r.model.threshold.toFixed(2)}\`.

## Data
- Flights: ${m.data.source}, ${int(m.data.rows)} rows.
- Airports: ${m.data.airports}; used for the great-circle distance when a request has none.
- Target: ${m.data.target} (\`delay\` column; early departures count as on time).
- Limits: half a year (2001, January to June), US carriers only, no weather, carrier or tail number. The model
  never saw July to December: for those months the month feature extrapolates.

## Features (model-container/src/core/features.ts, shared by training and serving)
- origin and destination airport: vocabulary of airports with at least ${m.features.vocabularyMinCount} training flights
  (${m.features.originVocabulary - 1} origins, ${m.features.destinationVocabulary - 1} destinations); all others share an
  out-of-vocabulary bucket (index 0), which the rare airports train. ${pct(m.features.evaluationRowsWithOov)} of evaluation
  flights touch it.
- departure hour: one-hot (24); weekday: one-hot (7, ${WEEKDAY_NAMES.join(", ")}); month: sin and cos of the month angle,
  fed to the output layer only, so it shifts the logit without interacting with airports or hours.${holidays(m)}
${rates(m)}
- numeric columns: ${m.features.numeric.filter((n) => !/^(hour|weekday)=/.test(n)).join(", ")} (plus the one-hot columns).
- distance: natural log of miles, standardized with the training mean ${f4(m.features.logDistance.mean)} and standard
  deviation ${f4(m.features.logDistance.std)}.

## Split (by date: train on earlier days, evaluate on later ones)
| split | first departure | last departure | flights | delayed |
|---|---|---|---|---|
${split("train", m.split.train)}
${split("validation (threshold choice)", m.split.validation)}
${split("evaluation", m.split.evaluation)}

## Model and training
- ${t.architecture}; ${int(t.parameters)} parameters (TensorFlow.js layers, saved as model.json + weights.bin).
- Adam, learning rate ${t.learningRate}, batch ${t.batchSize}, ${t.epochs} epochs, binary cross-entropy, seed ${t.seed},
  ${t.backend} backend; the whole run took ${t.seconds.toFixed(0)} s.
- Threshold: the one with the best F1 on the validation days (accuracy-optimal thresholds flag almost no flight
  when a fifth are delayed).

| epoch | train loss | validation loss | validation ROC AUC | seconds |
|---|---|---|---|---|
${t.history.map((h) => `| ${h.epoch} | ${f4(h.trainLoss)} | ${f4(h.validationLoss)} | ${f4(h.validationRocAuc)} | ${h.seconds.toFixed(0)} |`).join("\n")}

## Results on the evaluation split (${int(m.split.evaluation.rows)} flights)
Each model's threshold is chosen on the validation days.

| model | ROC AUC | log loss | threshold | accuracy | precision | recall | F1 | accuracy at 0.5 |
|---|---|---|---|---|---|---|---|---|
${row("this model", r.model)}
${row("logistic regression (same features)", r.logisticRegression)}
${row(`${baseline.name} (baseline below)`, baseline.results)}
${row(`base rate (${pct(m.split.train.delayedShare)} for every flight)`, r.baseRate)}

Trees baseline: ${baseline.library} with ${Object.entries(baseline.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(
      ", ",
    )}, other settings scikit-learn's defaults; features ${baseline.features.join(", ")} (${baseline.categorical.join(" and ")}
categorical, every airport code its own category); same training days, threshold days and test rows; fit in
${baseline.seconds.toFixed(0)} s.
Rerun with \`npm run baseline -w model-container\` (needs Debian's python3-sklearn and python3-pandas). Issue 17
quoted ROC AUC 0.7077 and log loss 0.4569 for these settings; rerun here they give the row above (with the model's
vocabulary indices instead of every airport code, 0.6703), so the issue's figure could not be reproduced.

## Models in the image (\`GET /models\`; \`POST /predict\` takes \`"model": "<name>@<version>"\`)
All scored by \`npm run compare -w model-container\` on the same ${int(comparison.evaluation.flights)} test flights
(${comparison.evaluation.from} to ${comparison.evaluation.to}); the champion (model/models.json) serves requests that
name no model.

| model | role | trained on | numeric features | ROC AUC | log loss | threshold | precision | recall | F1 |
|---|---|---|---|---|---|---|---|---|---|
${comparison.models
  .map(
    (c) =>
      `| ${c.id} | ${c.champion ? "champion" : "listed (by name)"} | ${c.trainedOn} | ${c.features} | ${f4(c.scores.rocAuc)} | ${f4(c.scores.logLoss)} | ${c.scores.threshold.toFixed(2)} | ${pct(c.scores.precision)} | ${pct(c.scores.recall)} | ${f4(c.scores.f1)} |`,
  )
  .join("\n")}

## Use and caveats
- A risk score for 2001-era US schedules, not a forecast for today's operations.
- Unknown airports are served through the out-of-vocabulary bucket when the request gives a distance.
- Probabilities come from a sigmoid trained with cross-entropy; their calibration is only as good as the log loss
  above suggests, and drifts with the season the model never saw.
`;
}
