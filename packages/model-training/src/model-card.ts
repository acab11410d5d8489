/**
 * Renders docs/model-card.md from the metrics the training run writes to model/<name>@<version>/metrics.json, so the card's
 * numbers are never typed by hand (a test checks the committed card matches the committed metrics).
 */
import { WEEKDAY_NAMES } from "@sml/flight-model/features";
import type { CallerLikeScores, PlacementShares } from "./caller-like";
import type { ReliabilityBin, ThresholdMetrics } from "./metrics";

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
  /**
   * What the departure time meant in training. Absent in models trained before issue 26: they read the ACTUAL
   * departure time (leaked); `leak` then records how they were measured then.
   */
  readonly inputs?: {
    readonly timeBasis: "scheduled";
    readonly reconstruction: string;
    readonly rateWindow?: { readonly from: string; readonly to: string };
    /** Route x half-hour cells with at least minFlights training flights, where every flight is placed. */
    readonly establishedSlots?: { readonly minFlights: number; readonly slots: number };
  };
  /**
   * The snapping probe (issue 26 review): the same flights, those in a route x half-hour cell with fewer than
   * establishedFlights training flights moved to the route's nearest established slot. A model that reads sparse
   * cells loses much of its AUC under it (dffeb46c0547: 0.6714 -> 0.65).
   */
  readonly probe?: {
    readonly establishedFlights: number;
    readonly validation: { readonly rocAuc: number; readonly logLoss: number };
    readonly test: { readonly rocAuc: number; readonly logLoss: number };
  };
  /**
   * Models trained on actual departure times: their figures as first measured (on actual times, leaked);
   * `results.model` then holds the honest figures on scheduled departures, written by npm run compare.
   */
  readonly leak?: {
    readonly timeBasis: "actual";
    readonly note: string;
    readonly asMeasuredOnActualTimes: Scores;
    readonly asMeasuredSplit: { readonly trainUntil: string; readonly validationUntil: string };
  };
  readonly calibration?: {
    readonly method: "platt";
    readonly slope: number;
    readonly intercept: number;
    readonly fittedOn: { readonly from: string; readonly to: string; readonly flights: number };
    /** Expected calibration error over deciles on the validation days (where it was fitted). */
    readonly validation: number;
    /** Reliability table and expected calibration error on the test days. */
    readonly test: { readonly bins: readonly ReliabilityBin[]; readonly expectedCalibrationError: number };
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
    /** The epoch early stopping kept (lowest validation log loss). */
    readonly keptEpoch?: number;
  };
  readonly results: {
    /** The model on the validation days (after calibration), where it was chosen. */
    readonly validation?: Scores;
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
  /** The departure time the model was trained on: `actual (leaked)` for the models before issue 26. */
  readonly timeBasis: "scheduled" | "actual (leaked)";
  readonly calibrated: boolean;
  readonly features: number;
  /** On the validation days, for models that did not train on them: what the champion is chosen by. */
  readonly validation?: Scores;
  /** On the test days. */
  readonly scores: Scores;
  /** Models trained on actual departure times: the test figures first measured on those (leaked). */
  readonly leaked?: { readonly rocAuc: number; readonly logLoss: number };
  /** On the test days with the snapping probe (ModelMetrics.probe). */
  readonly probe?: { readonly rocAuc: number; readonly logLoss: number };
  /** On the order-matched test flights, placed from reconstructed times and caller-like (caller-like.ts). */
  readonly callerLike?: CallerLikeScores;
}

export interface Comparison {
  /** Every model is sent scheduled departures, as callers send them. */
  readonly timeBasis: "scheduled";
  /** The rows every model was scored on. */
  readonly evaluation: { readonly from: string; readonly to: string; readonly flights: number };
  readonly validation: { readonly from: string; readonly until: string; readonly flights: number };
  /** Delayed shares by placement on the training days, at the probe's bar (caller-like.ts placementShares). */
  readonly placement?: PlacementShares;
  readonly models: readonly ComparisonRow[];
}

/** The trees baseline as baselines/gbdt.json records it (written by `npm run baseline`). */
export interface Baseline {
  readonly name: string;
  readonly timeBasis?: "scheduled";
  /** The trees read the half-hour the model reads: the route's established slot (at least minFlights). */
  readonly establishedSlots?: { readonly minFlights: number };
  readonly library: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly features: readonly string[];
  readonly categorical: readonly string[];
  readonly seconds: number;
  readonly results: Scores;
  /** On the order-matched test flights (caller-like.ts), written by `npm run baseline`. */
  readonly callerLike?: Omit<CallerLikeScores, "placedElsewhere">;
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

/**
 * Figures of retired models, measured on leaking inputs, as their training runs and the card of the time recorded
 * them; kept here because their folders left the image (issue 26 and its review).
 */
export const RETIRED_LEAKED = [
  {
    id: "flight-delay@dffeb46c0547",
    status: "retired (issue 26 review)",
    note: "reconstructed scheduled departures, but a route x half-hour rate of cells with 5 or more flights, which sparse phantom cells of delayed flights filled; 0.6271 / 0.4952 with the snapping probe",
    rocAuc: 0.6714,
    logLoss: 0.4765,
  },
  {
    id: "flight-delay@bd8dc13177ca",
    status: "retired (issue 26)",
    note: "champion until issue 26; route x half-hour rate of the actual departure",
    rocAuc: 0.7881,
    logLoss: 0.4193,
  },
  {
    id: "flight-delay@3727960e2634",
    status: "retired (issue 26)",
    note: "airport x hour and route rates of the actual hour",
    rocAuc: 0.6956,
    logLoss: 0.475,
  },
  {
    id: "trees (first rerun of issue 26)",
    status: "replaced by the trees row above (issue 26 review)",
    note: "HistGradientBoosting on the reconstructed scheduled hour with minutes: the minute residue and the sparse cells of delayed flights",
    rocAuc: 0.6492,
    logLoss: 0.4972,
  },
  {
    id: "trees (issue 17's figure)",
    status: "replaced by the trees row above",
    note: "HistGradientBoosting on the actual departure minute",
    rocAuc: 0.7077,
    logLoss: 0.4569,
  },
  {
    id: "trees (rerun before issue 26)",
    status: "replaced by the trees row above",
    note: "HistGradientBoosting on the actual hour",
    rocAuc: 0.6691,
    logLoss: 0.4839,
  },
] as const;

/** Issue 26's targets: AUC at least the trees' + 0.02, log loss at most 0.97 x the base rate's. */
export const TARGETS = { aucOverTrees: 0.02, logLossVsBaseRate: 0.97 } as const;

/** Issue 26 review: the most AUC a model may lose on caller-like inputs against reconstructed placement. */
export const CALLER_LIKE_MAX_AUC_LOSS = 0.01;

/** The rate-table bullet, for the feature set the champion lists. */
function rates(m: ModelMetrics): string {
  const listed = m.features.numeric.filter((n) => n.endsWith("_rate"));
  if (listed.length === 0) return "- no delay-rate columns (feature set 1).";
  const t = m.training;
  const slot = listed.includes("route_slot_rate")
    ? ` and origin x destination x half-hour of the scheduled departure (\`route_slot\`: the route's established slot, smoothing ${t.slotSmoothing}, at least ${t.slotMinCount} flights)`
    : "";
  const folds = t.rateFolds
    ? ` The training rows read out-of-fold tables (days split into ${t.rateFolds} folds by day number; each fold's rows see tables fitted on the other folds), so no training row sees its own label through a rate column; serving reads the tables of all training days.`
    : "";
  const window = m.inputs?.rateWindow ? ` (${m.inputs.rateWindow.from} to ${m.inputs.rateWindow.to})` : "";
  return `- delay rates: smoothed log-odds of a delay, centred on the overall rate, per origin x scheduled hour,
  destination x scheduled hour, origin x destination (smoothing ${t.rateSmoothing ?? 100}, at least ${t.rateMinCount ?? 30} flights)${slot}; fitted on the training days only${window} and stored
  in rates.bin with their window and time basis in features.json (\`rateWindow\`, \`timeBasis\`; unseen keys read 0).${folds}`;
}

/** The holiday bullet, when the champion has the column. */
function holidays(m: ModelMetrics): string {
  return m.features.numeric.includes("holiday_proximity")
    ? `
- calendar: \`holiday_proximity\`, 1 on a US federal holiday falling to 0 at 7 days away (actual dates by today's
  rules; packages/flight-model/src/features.ts federalHolidays).`
    : "";
}

const met = (ok: boolean): string => (ok ? "met" : "**not met**");
const signed = (x: number): string => `${x >= 0 ? "+" : "-"}${f4(Math.abs(x))}`;

/** The deciles the calibration misses by more than a point, in words (the ECE averages them away). */
function calibrationGaps(bins: readonly ReliabilityBin[]): string {
  const off = bins
    .map((b, i) => ({ decile: i + 1, gap: b.observed - b.meanPredicted }))
    .filter((b) => Math.abs(b.gap) > 0.01);
  if (off.length === 0) return "Every decile is within a point of its prediction.";
  const list = (xs: typeof off) => xs.map((b) => `${b.decile} (${signed(b.gap)})`).join(", ");
  const over = off.filter((b) => b.gap < 0);
  const under = off.filter((b) => b.gap > 0);
  return `Deciles more than a point off: ${[
    over.length ? `over-predicted ${list(over)}` : "",
    under.length ? `under-predicted ${list(under)}` : "",
  ]
    .filter(Boolean)
    .join(
      "; ",
    )}. The expected calibration error is a flight-weighted mean of these gaps, so it stays small while
single deciles miss by more.`;
}

/** nearestKey searches within the day: placement does not wrap around midnight (not changed: it is serving's). */
function midnightText(p: PlacementShares | undefined): string {
  if (!p) return "";
  return `

**Midnight.** Placement looks for the nearest established slot within the day and does not wrap around midnight
(packages/flight-model/src/features.ts nearestKey): a flight at 00:10 on a route whose slots are 23:30 and 06:00
goes to 06:00. On the training days ${int(p.beforeFiveMovedLater.flights)} flights reconstructed before 05:00 are moved to 05:00 or
later this way (${pct(p.beforeFiveMovedLater.delayedShare)} of them delayed). Wrapping would change what serving computes, so it is left for the next model and
only recorded here.`;
}

/** How this model keeps sparse cells and the minute out, with its probe figures. */
function establishedText(m: ModelMetrics): string {
  const e = m.inputs?.establishedSlots;
  if (!e || !m.probe) return "This model has no established slots.";
  const noOp = m.probe.establishedFlights === e.minFlights;
  return `This model places every flight, in training and in serving, on its route's nearest established slot (a
half-hour with at least ${e.minFlights} training flights, ${int(e.slots)} of them, the keys of the route_slot table) before any rate is
looked up, and reads no minute. With the probe its test AUC is ${f4(m.probe.test.rocAuc)} (${f4(m.results.model.rocAuc)} without) and its validation
AUC ${f4(m.probe.validation.rocAuc)} (${f4(m.results.validation?.rocAuc ?? Number.NaN)})${
    noOp
      ? `: the probe moves flights with the same bar (${m.probe.establishedFlights}) and the same placement the model applies itself, so for this
model it changes no input and proves nothing. The bar was chosen (\`npm run sweep-slots\`) by validation AUC on
inputs placed from reconstructed times, which rewards the leak described next`
      : ""
  }.`;
}

const share = (x: { readonly flights: number; readonly delayedShare: number }): string =>
  `${pct(x.delayedShare)} delayed (${int(x.flights)} flights)`;

/** The placement still reads the label: the delayed shares by where it puts a flight (compare's `placement`). */
function placementText(p: PlacementShares | undefined): string {
  if (!p) return "";
  return `

**The leak that remains.** Placement starts from the reconstructed time, and that time still carries the label:
on the training days the flights whose reconstructed half-hour is itself established stay where they are:
${share(p.inPlace)}; the flights placement moves: ${share(p.moved)}; of those, the ones moved one slot later:
${share(p.movedOneLater)}. So the fair yardstick for an established cell is the in-place share, ${pct(p.inPlace.delayedShare)}, not the
overall ${pct(p.overall)} (which includes the moved flights): the smallest established cells (${p.smallestCells.minFlights}-${p.smallestCells.minFlights + 19} flights, ${int(p.smallestCells.cells)} cells)
are ${share(p.smallestCells)}, and the ${int(p.shoulderCells.cells)} cells beside a cell of the same route with at least 3 x their flights
(the shoulder of a busy slot, where that slot's late flights land) ${share(p.shoulderCells)}. Which slot a flight
gets, and so its rate, therefore depends on its delay. It cannot be removed with this dataset: the file has no
scheduled departure column (vega-datasets \`scripts/flights.py\` builds \`date\` from the actual departure time and
keeps only the arrival delay), so any scheduled time is a reconstruction from the label. The BTS On-Time
Performance data carry the scheduled departure (\`CRS_DEP_TIME\`) and would fix it; they are not available on this
offline machine. The section "Caller-like inputs" below measures what the leak is worth.`;
}

/** Order-matched (caller-like) figures: compare's `callerLike` per model, the trees' from the baseline. */
function callerLikeText(comparison: Comparison, baseline: Baseline): string {
  const champion = comparison.models.find((x) => x.champion);
  const c = champion?.callerLike;
  if (!c) return "Not measured: run `npm run compare -w @sml/model-training`.";
  const gap = c.reconstructed.rocAuc - c.orderMatched.rocAuc;
  const rowOf = (name: string, x: NonNullable<ComparisonRow["callerLike"]>) =>
    `| ${name} | ${f4(x.reconstructed.rocAuc)} | ${f4(x.orderMatched.rocAuc)} | ${f4(x.reconstructed.rocAuc - x.orderMatched.rocAuc)} | ${f4(x.reconstructed.logLoss)} | ${f4(x.orderMatched.logLoss)} |`;
  const trees = baseline.callerLike;
  const lead = trees ? c.orderMatched.rocAuc - trees.orderMatched.rocAuc : undefined;
  return `Callers send the schedule's slot, which does not depend on how the flight went; the test figures above place
each flight from its reconstructed time, which does. The data hold no schedule, so a label-blind stand-in
(packages/model-training/src/caller-like.ts): on the test route-days whose number of flights equals the route's
number of established slots (${int(c.flights)} flights), the i-th flight in order of actual departure gets the route's i-th
slot, as a schedule flying each slot once would (a delay that swaps two flights' order is the error this leaves). ${pct(c.placedElsewhere)} of them get a different slot than placement from the
reconstructed time gives them. The same flights, scored both ways:

| model | AUC, placed from reconstructed time | AUC, caller-like | AUC lost | log loss, reconstructed | log loss, caller-like |
|---|---|---|---|---|---|
${comparison.models
  .filter((x) => x.callerLike)
  .map((x) =>
    rowOf(
      `${x.id}${x.champion ? " (champion)" : ""}`,
      x.callerLike as NonNullable<ComparisonRow["callerLike"]>,
    ),
  )
  .join("\n")}
${trees ? rowOf(`${baseline.name} (same slot feature)`, { ...trees, placedElsewhere: c.placedElsewhere }) : `| ${baseline.name} | not measured | | | | |`}

Target (issue 26 review): the champion's AUC on caller-like inputs within ${CALLER_LIKE_MAX_AUC_LOSS} of its AUC placed from
reconstructed times on the same flights: ${met(Math.abs(gap) <= CALLER_LIKE_MAX_AUC_LOSS)} (it loses ${f4(gap)}).${
    lead === undefined
      ? ""
      : ` The champion's AUC minus the trees' on the same flights:
${signed(lead)} on caller-like inputs (target ${signed(TARGETS.aucOverTrees)}: ${met(lead >= TARGETS.aucOverTrees)}), ${signed(c.reconstructed.rocAuc - (trees?.reconstructed.rocAuc ?? Number.NaN))} placed from reconstructed
times.${
          trees && gap > trees.reconstructed.rocAuc - trees.orderMatched.rocAuc
            ? " The model loses more to caller-like inputs than the trees do: part of what it reads is the placement leak."
            : ""
        }`
  } No model was retrained for this; the issue stays open.`;
}

export function renderModelCard({ metrics: m, comparison, baseline }: CardInputs): string {
  const row = (name: string, s: Scores) =>
    `| ${name} | ${f4(s.rocAuc)} | ${f4(s.logLoss)} | ${s.threshold.toFixed(2)} | ${pct(s.accuracy)} | ${pct(s.precision)} | ${pct(s.recall)} | ${f4(s.f1)} | ${pct(s.accuracyAtHalf)} |`;
  const split = (name: string, s: SplitSummary) =>
    `| ${name} | ${s.firstDeparture} | ${s.lastDeparture} | ${int(s.rows)} | ${pct(s.delayedShare)} |`;
  const { results: r, training: t } = m;
  const c = m.calibration;
  const aucTarget = baseline.results.rocAuc + TARGETS.aucOverTrees;
  const lossTarget = TARGETS.logLossVsBaseRate * r.baseRate.logLoss;
  const legacy = comparison.models.filter((x) => x.timeBasis !== "scheduled");
  return `# Model card: ${m.model.name} (version ${m.model.version})

Generated from the champion's \`metrics.json\`, \`model-container/model/comparison.json\` and
\`packages/model-training/baselines/gbdt.json\` by \`npm run compare -w @sml/model-training\` and \`npm run generate\`;
do not edit by hand.

## What it does
Estimates the probability that a US domestic flight **arrives** more than 15 minutes late (the BTS on-time
definition), from its origin, destination, **scheduled** local departure time and distance. Served by the prediction
Lambda (\`POST /predict\`); the probability is calibrated on the validation days${c ? ` (Platt scaling, inside the model)` : ""};
\`delayed\` is \`delayProbability >= ${r.model.threshold.toFixed(2)}\`.

## What it cannot know
The weather, the carrier, the aircraft and its previous leg, air-traffic-control programs, the day's traffic: the
things that make most delays. It sees only what a schedule says (airports, scheduled time, date, distance), so it
ranks flights by how delay-prone their route, hour, weekday and season have been, and its probabilities stay
modest (a tenth of the flights get ${c ? pct(c.test.bins.at(-1)?.from ?? 0) : "n/a"} or more on the test days). It cannot know the actual departure
time either: that is exactly the leak below.

## The leak, how it is reduced, and what remains
The data's \`date\` is the scheduled date combined with the **actual** departure time, and \`delay\` is the
**arrival** delay (vega-datasets \`scripts/flights.py\`), while callers send scheduled departures. Models before
issue 26 read the hour and half-hour of the actual departure, which tells how late the flight left: their route x
half-hour rate alone reached test AUC 0.765, the champion 0.7881, and sent scheduled departures it fell to 0.654 with
a log loss worse than the base rate's. This model trains, chooses and is tested on a reconstructed scheduled
departure: ${m.inputs?.reconstruction ?? "n/a"}. The data hold no departure delay, so the reconstruction keeps a
late flight's time made up or lost en route, and that still leaks (issue 26 review): delayed flights scatter into
route x half-hour cells no schedule flies. On the training days cells with 1-4 flights are 78% delayed, 20-29 35%,
and from 60 flights on a cell has about the overall share (but see "The leak that remains" below); the minute keeps a trace too
(reconstructed departures on the hour are 17.1% delayed, 20-22% elsewhere). The first scheduled-time champion
(dffeb46c0547) keyed a rate on cells of 5 or more flights and read exactly that: its test AUC 0.6714 fell to 0.6271
under the snapping probe (held-back flights in a cell with fewer than ${m.probe?.establishedFlights ?? "n/a"} training flights moved to their route's
nearest established slot). ${establishedText(m)} Every rate table is fitted on the training days only; features.json
records that (\`timeBasis\`, \`rateWindow\`, \`schedule\`), and tests check it against the data, along with the probe,
the delayed share of the least-flown cells the model keys on, and that neither the model nor the trees read the
minute. The figures measured on leaking inputs are listed at the end.${placementText(comparison.placement)}${midnightText(comparison.placement)}

## Data
- Flights: ${m.data.source}, ${int(m.data.rows)} rows.
- Airports: ${m.data.airports}; used for the great-circle distance when a request has none.
- Label: ${m.data.target} (\`delay\` is the arrival delay; early arrivals count as on time).
- Limits: half a year (2001, January to June), US carriers only, no weather, carrier or tail number. The model
  never saw July to December: for those months the month feature extrapolates.

## Features (packages/flight-model/src/features.ts, shared by training and serving)
- origin and destination airport: vocabulary of airports with at least ${m.features.vocabularyMinCount} training flights
  (${m.features.originVocabulary - 1} origins, ${m.features.destinationVocabulary - 1} destinations); all others share an
  out-of-vocabulary bucket (index 0), which the rare airports train. ${pct(m.features.evaluationRowsWithOov)} of evaluation
  flights touch it.
- scheduled departure hour: one-hot (24); weekday: one-hot (7, ${WEEKDAY_NAMES.join(", ")}); month: sin and cos of the
  month angle, fed to the output layer only, so it shifts the logit without interacting with airports or hours.${holidays(m)}
${rates(m)}
- numeric columns: ${m.features.numeric.filter((n) => !/^(hour|weekday)=/.test(n)).join(", ")} (plus the one-hot columns).
- distance: natural log of miles, standardized with the training mean ${f4(m.features.logDistance.mean)} and standard
  deviation ${f4(m.features.logDistance.std)}.

## Split (by scheduled date: train on earlier days, choose on the next, test on the last)
| split | first departure | last departure | flights | delayed |
|---|---|---|---|---|
${split("train", m.split.train)}
${split("validation (early stopping, calibration, threshold, champion)", m.split.validation)}
${split("test (scored once)", m.split.evaluation)}

## Model and training
- ${t.architecture}; ${int(t.parameters)} parameters (TensorFlow.js layers, saved as model.json + weights.bin).
- Adam, learning rate ${t.learningRate}, batch ${t.batchSize}, at most ${t.epochs} epochs, binary cross-entropy, seed ${t.seed},
  ${t.backend} backend; early stopping kept epoch ${t.keptEpoch ?? t.epochs} (lowest validation log loss); the whole run took ${t.seconds.toFixed(0)} s.
- Calibration: ${c ? `Platt scaling fitted on the ${int(c.fittedOn.flights)} validation flights (${c.fittedOn.from} to ${c.fittedOn.to}): slope ${f4(c.slope)}, intercept ${f4(c.intercept)}, folded into the output layer, so \`/predict\` serves calibrated probabilities` : "none"}.
- Threshold: the one with the best F1 on the validation days (accuracy-optimal thresholds flag almost no flight
  when a fifth are delayed).

| epoch | train loss | validation loss | validation ROC AUC | seconds |
|---|---|---|---|---|
${t.history.map((h) => `| ${h.epoch} | ${f4(h.trainLoss)} | ${f4(h.validationLoss)} | ${f4(h.validationRocAuc)} | ${h.seconds.toFixed(0)} |`).join("\n")}

## Results on the test days (${int(m.split.evaluation.rows)} flights, scheduled departures, scored once)
Each model's threshold is chosen on the validation days.

| model | ROC AUC | log loss | threshold | accuracy | precision | recall | F1 | accuracy at 0.5 |
|---|---|---|---|---|---|---|---|---|
${row("this model", r.model)}
${row("logistic regression (same features)", r.logisticRegression)}
${row(`${baseline.name} (same inputs, baseline below)`, baseline.results)}
${row(`base rate (${pct(m.split.train.delayedShare)} for every flight)`, r.baseRate)}

Targets (issue 26): ROC AUC at least the trees' + ${TARGETS.aucOverTrees} = ${f4(aucTarget)}: ${met(r.model.rocAuc >= aucTarget)} (${f4(r.model.rocAuc)});
log loss at most ${TARGETS.logLossVsBaseRate} x the base rate's = ${f4(lossTarget)}: ${met(r.model.logLoss <= lossTarget)} (${f4(r.model.logLoss)}).${
    r.model.rocAuc >= aucTarget && r.model.logLoss <= lossTarget
      ? ""
      : `
The figures are reported as measured: nothing was tuned on the test days to reach the targets (an honest miss
beats a leaked hit).`
  }${
    m.probe
      ? `
With the snapping probe: test ROC AUC ${f4(m.probe.test.rocAuc)}, log loss ${f4(m.probe.test.logLoss)}.`
      : ""
  }${
    r.validation
      ? `
On the validation days the model had ROC AUC ${f4(r.validation.rocAuc)} and log loss ${f4(r.validation.logLoss)}.`
      : ""
  }

Trees baseline: ${baseline.library} with ${Object.entries(baseline.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(
      ", ",
    )}, other settings scikit-learn's defaults; features ${baseline.features.join(", ")} (${baseline.categorical.join(" and ")}
categorical, every airport code its own category), where hour is the half-hour the model reads (${
    baseline.establishedSlots
      ? `the route's established slot, at least ${baseline.establishedSlots.minFlights} training flights: 17 or 17.5, no minute`
      : "the reconstructed scheduled departure, hour with minutes"
  }); same training days, threshold days and test rows; fit in ${baseline.seconds.toFixed(0)} s.
Rerun with \`npm run baseline -w @sml/model-training\` (needs Debian's python3-sklearn).

## Caller-like inputs (order-matched slots, issue 26 review)
${callerLikeText(comparison, baseline)}

## Calibration on the test days (deciles of the predicted probability)
${
  c
    ? `Expected calibration error (flight-weighted mean |predicted - observed| over the deciles): ${f4(c.test.expectedCalibrationError)} on the
test days, ${f4(c.validation)} on the validation days where the calibration was fitted.

| decile | predicted from | to | flights | mean predicted | observed delayed | observed - predicted |
|---|---|---|---|---|---|---|
${c.test.bins.map((b, i) => `| ${i + 1} | ${f4(b.from)} | ${f4(b.to)} | ${int(b.flights)} | ${f4(b.meanPredicted)} | ${f4(b.observed)} | ${signed(b.observed - b.meanPredicted)} |`).join("\n")}

${calibrationGaps(c.test.bins)}`
    : "No calibration recorded."
}

## Models in the image (\`GET /models\`; \`POST /predict\` takes \`"model": "<name>@<version>"\`)
All scored by \`npm run compare -w @sml/model-training\` through the serving code with scheduled departures, on the same
${int(comparison.evaluation.flights)} test flights (${comparison.evaluation.from} to ${comparison.evaluation.to}); the champion
(model/models.json) serves requests that name no model and is chosen on the validation days. \`GET /models\` serves
the test columns below for every model.

| model | role | trained on | time basis | calibrated | validation AUC | validation log loss | test ROC AUC | test log loss | test AUC with the probe | threshold | F1 |
|---|---|---|---|---|---|---|---|---|---|---|---|
${comparison.models
  .map(
    (x) =>
      `| ${x.id} | ${x.champion ? "champion" : "listed (by name)"} | ${x.trainedOn} | ${x.timeBasis} | ${x.calibrated ? "yes" : "no"} | ${x.validation ? f4(x.validation.rocAuc) : "n/a (trained on them)"} | ${x.validation ? f4(x.validation.logLoss) : "n/a"} | ${f4(x.scores.rocAuc)} | ${f4(x.scores.logLoss)} | ${x.probe ? f4(x.probe.rocAuc) : "n/a"} | ${x.scores.threshold.toFixed(2)} | ${f4(x.scores.f1)} |`,
  )
  .join("\n")}

## Figures measured on leaking inputs (not comparable with the above)
| model | status | ROC AUC | log loss | what it read |
|---|---|---|---|---|
${legacy.map((x) => `| ${x.id} | listed; its figures above are on scheduled departures | ${x.leaked ? `${f4(x.leaked.rocAuc)} (leaked)` : "n/a"} | ${x.leaked ? `${f4(x.leaked.logLoss)} (leaked)` : "n/a"} | the actual departure hour (metrics.json \`leak\`) |`).join("\n")}${legacy.length ? "\n" : ""}${RETIRED_LEAKED.map((x) => `| ${x.id} | ${x.status} | ${f4(x.rocAuc)} (leaked) | ${f4(x.logLoss)} (leaked) | ${x.note} |`).join("\n")}

## Use and caveats
- A risk score for 2001-era US schedules, not a forecast for today's operations.
- Unknown airports are served through the out-of-vocabulary bucket when the request gives a distance.
- The calibration holds for days like the validation weeks; a stormy day has many more delays than any
  probability here says, and a season the model never saw may drift.
`;
}
