/**
 * Reads the real training data (vega-datasets' 3M flights) once: training/serving parity on the same rows, the
 * committed model's ROC AUC on the evaluation split against the model card's metrics, and the checks that would
 * have caught issue 26's leak (rate tables keyed on the actual departure time, which reads how late the flight
 * left): every model's quality with scheduled departures, as callers send them, against what its training run
 * recorded, and the shipped rate tables' window and time basis against the data.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWith } from "@sml/contracts/errors";
import { initBackend } from "@sml/flight-model/backend";
import {
  fitRateTable,
  greatCircleMiles,
  nearestKey,
  packedKey,
  packedRate,
  parseLocalDateTime,
  rateKey,
  slotOf,
  unpackRateTables,
} from "@sml/flight-model/features";
import { FlightDelayModel } from "@sml/flight-model/model";
import { modelFolders } from "@sml/flight-model/model-registry";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { PredictRequestSchema, resolveFlights } from "@sml/flight-model/predict-flights";
import * as tf from "@tensorflow/tfjs-core";
import { type BaselineResult, baselineHour } from "../../src/baseline";
import { callerLikeScores, orderMatchedSlots, placementShares } from "../../src/caller-like";
import {
  actualDeparture,
  actualFlightAt,
  type FlightTable,
  flightAt,
  isDelayed,
  loadFlights,
  predictTable,
  scheduledMinuteOfDay,
} from "../../src/data";
import {
  establishedFlightAt,
  establishedKeys,
  PROBE_ESTABLISHED_FLIGHTS,
  sparseCellEnrichment,
} from "../../src/established-slots";
import { logLoss, reliability, rocAuc } from "../../src/metrics";
import { CALLER_LIKE_MAX_AUC_LOSS, type Comparison, type ModelMetrics } from "../../src/model-card";
import { COMPARISON_FILE } from "../../src/render-card";
import { SPLIT, splitRows } from "../../src/split";
import { workspaceModelDir, workspaceRegistryDir } from "../support/registry";

const metrics: ModelMetrics = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.metrics), "utf8"));
const comparison: Comparison = JSON.parse(readFileSync(COMPARISON_FILE, "utf8"));
const baseline: BaselineResult = JSON.parse(
  readFileSync(join(__dirname, "../../baselines/gbdt.json"), "utf8"),
);

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

/**
 * A departure as a caller sends it, built here from the raw columns rather than through data.ts: the scheduled
 * departure is the actual one minus the positive part of the arrival delay (vega-datasets' flights.py: `date` is
 * the scheduled date at the actual departure time, `delay` the arrival delay), on the 5-minute grid schedules use.
 */
function scheduledRequest(t: FlightTable, row: number): string {
  const actual = t.departureMs[row] as number;
  let day = Math.floor(actual / 86_400_000) * 86_400_000;
  let minute = (actual - day) / 60_000;
  // BTS writes a midnight departure as 2400 and flights.py moves it to 00:00 of the next day: it is 24:00 of
  // the day before (its scheduled date), and a schedule on that date is at the latest 23:55.
  if (minute === 0) {
    day -= 86_400_000;
    minute = 1440;
  }
  const late = minute - Math.max(0, t.delayMinutes[row] as number);
  const raw = late < 0 ? ((late % 1440) + 1440) % 1440 : late;
  const grid = Math.min(Math.round(raw / 5) * 5, 1435);
  return new Date(day + grid * 60_000).toISOString().slice(0, 16);
}

describe("inputs as callers send them (issue 26)", () => {
  it("reconstructs the scheduled departure as the test does, on the scheduled date", () => {
    for (const row of sampleRows()) {
      const t = flightAt(table, row).departure;
      expect(t).toEqual(parseLocalDateTime(scheduledRequest(table, row)));
      const stored = table.departureMs[row] as number;
      const date = new Date(stored % 86_400_000 === 0 ? stored - 86_400_000 : stored)
        .toISOString()
        .slice(0, 10);
      expect(date).toBe(`${t.year}-${pad(t.month)}-${pad(t.day)}`);
    }
  });

  it("puts 2400 departures (stored as 00:00 of the next day) on their own date's evening", () => {
    // BTS writes midnight as 2400, never 0000: no record of the first day reads 00:00, while every other day has some.
    const midnight = Array.from({ length: table.size }, (_, row) => row).filter(
      (row) => (table.departureMs[row] as number) % 86_400_000 === 0,
    );
    expect(midnight.length).toBeGreaterThan(100);
    expect(
      midnight.some((row) => (table.departureMs[row] as number) === Date.parse("2001-01-01T00:00:00Z")),
    ).toBe(false);
    for (const row of midnight) {
      const scheduled = table.scheduledMs[row] as number;
      expect(scheduled).toBeLessThan(table.departureMs[row] as number);
      expect(scheduled).toBeGreaterThanOrEqual((table.departureMs[row] as number) - 86_400_000);
    }
    // So the test days end on June 30: the 2400 departures of June 30 are no longer July 1 flights.
    expect(metrics.split.evaluation.lastDeparture.slice(0, 10)).toBe("2001-06-30");
  });

  // The leaked champion (bd8dc13177ca) recorded AUC 0.7881 at training time and gives 0.654 on scheduled
  // departures: this fails for it. Models trained on actual times stay listed only when marked as leaked, with
  // their figures on scheduled departures as results.model (what GET /models serves).
  it.each(modelFolders(workspaceRegistryDir))(
    "%s: its recorded test figures hold with scheduled departures, as callers send them",
    (id) => {
      const dir = join(workspaceRegistryDir, id);
      const own: ModelMetrics = JSON.parse(readFileSync(join(dir, MODEL_FILES.metrics), "utf8"));
      const listed = FlightDelayModel.load(dir);
      if (listed.encoder.metadata.timeBasis !== "scheduled") expect(own.leak?.timeBasis).toBe("actual");
      // Every 4th test flight, sent as a request would be: scheduled departure, codes, distance.
      const sample = rows.evaluation.filter((_, i) => i % 4 === 0);
      const labels = Uint8Array.from(sample, (row) => isDelayed(table, row));
      const request = parseWith(PredictRequestSchema, {
        instances: Array.from(sample, (row) => {
          const f = flightAt(table, row);
          return {
            origin: f.origin,
            destination: f.destination,
            departure: scheduledRequest(table, row),
            distance: f.distance,
          };
        }),
      });
      const flights = resolveFlights(request.instances, listed.airports);
      const probabilities = new Float32Array(flights.length);
      for (let from = 0; from < flights.length; from += 20_000) {
        const chunk = flights.slice(from, from + 20_000);
        probabilities.set(listed.predict(listed.encoder.encode(chunk)), from);
      }
      expect(Math.abs(rocAuc(labels, probabilities) - own.results.model.rocAuc)).toBeLessThan(0.01);
      expect(Math.abs(logLoss(labels, probabilities) - own.results.model.logLoss)).toBeLessThan(0.01);
    },
  );

  it("gives the champion no gain from actual departure times beyond what a scheduled one explains", () => {
    // A model whose tables read the actual time scores far better on actual times (bd8dc13177ca: 0.788 against
    // 0.654); trained on scheduled times, the actual time is only a shifted schedule to it.
    const sample = rows.evaluation.filter((_, i) => i % 4 === 0);
    const labels = Uint8Array.from(sample, (row) => isDelayed(table, row));
    const onActual = model.predict(
      model.encoder.encode(Array.from(sample, (row) => actualFlightAt(table, row))),
    );
    const onScheduled = predictTable(model, table, sample);
    expect(rocAuc(labels, onActual) - rocAuc(labels, onScheduled)).toBeLessThan(0.03);
  });

  it("ships rate tables keyed on the scheduled departure and fitted on the training window only", () => {
    const features = model.encoder.metadata;
    expect(features.timeBasis).toBe("scheduled");
    expect(features.rateWindow?.to).toBe(metrics.split.train.lastDeparture.slice(0, 10));
    expect((features.rateWindow?.to ?? "") < SPLIT.trainUntil).toBe(true);
    expect(metrics.inputs?.timeBasis).toBe("scheduled");
    const packedRates = features.packedRates;
    if (!packedRates) throw new Error("the champion has no packed rate tables");
    const tables = unpackRateTables(packedRates, readFileSync(join(workspaceModelDir, MODEL_FILES.rates)));
    const route = tables.route_slot;
    if (!route) throw new Error("the champion has no route_slot table");
    // Refit route_slot (the table that leaked) from the data on the recorded window, keyed both ways, each flight
    // placed on its route's established slot as the model places it.
    const window = rows.train.filter((row) => {
      const day = new Date(table.scheduledMs[row] as number).toISOString().slice(0, 10);
      return day >= (features.rateWindow?.from ?? "") && day <= (features.rateWindow?.to ?? "");
    });
    expect(window.length).toBe(metrics.split.train.rows);
    const labels = Uint8Array.from(window, (row) => isDelayed(table, row));
    const smoothing = metrics.training.slotSmoothing ?? 10;
    const minCount = metrics.training.slotMinCount ?? 5;
    const codes = new Map(packedRates.codes.map((code, i) => [code, i]));
    const mismatches = (flights: ReturnType<typeof flightAt>[]) => {
      const refit = fitRateTable(
        flights.map((f) => rateKey("route_slot", { ...f, departure: model.encoder.departureOf(f) })),
        labels,
        smoothing,
        minCount,
      );
      let differ = 0;
      let checked = 0;
      for (const [key, rate] of Object.entries(refit)) {
        const [o, d, slot] = key.split("|");
        const k = packedKey(
          "route_slot",
          codes.get(o as string) ?? -1,
          codes.get(d as string) ?? -1,
          { hour: Number(slot) >> 1, minute: (Number(slot) & 1) * 30 },
          packedRates.codes.length,
        );
        checked++;
        if (k < 0 || Math.abs(packedRate(route, k) - rate) > 1e-3) differ++;
      }
      return { differ, checked, shipped: route.keys.length };
    };
    const scheduled = mismatches(Array.from(window, (row) => flightAt(table, row)));
    expect(scheduled).toEqual({ differ: 0, checked: route.keys.length, shipped: route.keys.length });
    const actual = mismatches(Array.from(window, (row) => actualFlightAt(table, row)));
    expect(actual.differ).toBeGreaterThan(actual.checked / 2);
  }, 120_000);
});

/**
 * The review of issue 26 found the reconstruction still leaking: a delayed flight's en-route gain stays in its
 * reconstructed time, so delayed flights land in route x half-hour cells no schedule flies, and a table keyed on
 * those cells reads the label. These checks fail for dffeb46c0547, the champion the review measured.
 */
describe("sparse cells and the minute (issue 26 review)", () => {
  const hasKey = (keys: Int32Array, key: number) => key >= 0 && nearestKey(keys, key, key, key) === key;

  // dffeb46c0547: the least-flown route x half-hour cells holding a tenth of the flights it keys there were
  // delayed 2.1 x as often as all flights.
  it("keys its time features on cells whose least-flown tenth is delayed at most 1.2 x as often as all flights", () => {
    const packedRates = model.encoder.metadata.packedRates;
    if (!packedRates) throw new Error("the champion has no packed rate tables");
    const rates = unpackRateTables(packedRates, readFileSync(join(workspaceModelDir, MODEL_FILES.rates)));
    const codes = new Map(packedRates.codes.map((code, i) => [code, i]));
    const train = rows.train.filter((_, i) => i % 2 === 0);
    const ratios: Record<string, number> = {};
    for (const name of ["route_slot", "origin_hour", "destination_hour"] as const) {
      const rate = rates[name];
      if (!rate) throw new Error(`the champion has no ${name} table`);
      const keys: number[] = [];
      const labels: number[] = [];
      for (const row of train) {
        const f = flightAt(table, row);
        const o = codes.get(f.origin) ?? -1;
        const d = codes.get(f.destination) ?? -1;
        const key = packedKey(name, o, d, model.encoder.departureOf(f), packedRates.codes.length);
        if (!hasKey(rate.keys, key)) continue;
        keys.push(key);
        labels.push(isDelayed(table, row));
      }
      const { sparseDelayedShare, overallDelayedShare } = sparseCellEnrichment(keys, labels);
      ratios[name] = Math.round((100 * sparseDelayedShare) / overallDelayedShare) / 100;
    }
    expect(Object.entries(ratios).filter(([, ratio]) => ratio >= 1.2)).toEqual([]);
  }, 120_000);

  it("gives neither the model nor the trees the minute, whose residue carries the label", () => {
    // The residue is real: on the training days, reconstructed departures on the hour are delayed less often.
    let onHour = 0;
    let onHourDelayed = 0;
    let other = 0;
    let otherDelayed = 0;
    for (const row of rows.train) {
      const y = isDelayed(table, row);
      if (flightAt(table, row).departure.minute === 0) {
        onHour++;
        onHourDelayed += y;
      } else {
        other++;
        otherDelayed += y;
      }
    }
    expect(onHourDelayed / onHour).toBeLessThan(0.9 * (otherDelayed / other));
    // Neither input changes with the minute within its half-hour: the model's encoded row, the trees' hour.
    for (const row of sampleRows().slice(0, 2_000)) {
      const f = flightAt(table, row);
      const start = { ...f, departure: { ...f.departure, minute: f.departure.minute < 30 ? 0 : 30 } };
      expect(model.encoder.encode([f]).numeric).toEqual(model.encoder.encode([start]).numeric);
      expect(baselineHour(f)).toBe(baselineHour(start));
    }
    // The committed trees' figures were measured on those inputs: the model's established slots.
    expect(baseline.establishedSlots).toBeDefined();
    expect(baseline.establishedSlots?.minFlights).toBe(model.encoder.metadata.schedule?.minFlights);
  });
});

/**
 * The second review of issue 26: placement starts from the reconstructed time, which carries the label, so the
 * figures above are measured on label-dependent inputs. The snapping probe that stood here used the champion's own
 * bar and placement (0.6365 = 0.6365) and could not fail for it; these measure against label-blind inputs.
 */
describe("caller-like inputs (issue 26 review)", () => {
  const card = () => readFileSync(join(__dirname, "../../../../docs/model-card.md"), "utf8");
  const established = () => establishedKeys(table, rows.train, PROBE_ESTABLISHED_FLIGHTS);

  it("assigns order-matched slots without reading the label", () => {
    // The same table with every arrival delay set to 0: the reconstruction becomes the actual time, the labels all 0.
    const blind: FlightTable = {
      ...table,
      delayMinutes: new Int32Array(table.size),
      scheduledMs: Float64Array.from({ length: table.size }, (_, row) => {
        const { day, minute } = actualDeparture(table.departureMs[row] as number);
        return day + scheduledMinuteOfDay(minute, 0) * 60_000;
      }),
    };
    const keys = established();
    const matched = orderMatchedSlots(table, rows.evaluation, keys);
    const again = orderMatchedSlots(blind, rows.evaluation, keys);
    expect(matched.rows.length).toBeGreaterThan(rows.evaluation.length / 5);
    expect(again.rows).toEqual(matched.rows);
    expect(again.slots).toEqual(matched.slots);
    // Placement from the reconstructed time does read it: on the same rows it moves with the delays.
    const placed = (t: FlightTable) =>
      Array.from(matched.rows, (row) => slotOf(establishedFlightAt(t, row, keys).departure));
    const fromLabels = placed(table);
    const fromBlind = placed(blind);
    const differ = fromLabels.filter((slot, i) => slot !== fromBlind[i]).length;
    expect(differ).toBeGreaterThan(matched.rows.length / 20);
  }, 120_000);

  // d7825927c7cd: 0.6440 placed from reconstructed times, 0.6338 caller-like on 79,864 flights: a loss of 0.0102,
  // above the 0.01 the review asks for. The card must say so; it would fail if the card claimed the target met.
  it("publishes the champion's caller-like figures as computed afresh, and the 0.01 target as met or not by them", () => {
    const fresh = callerLikeScores(
      model,
      table,
      orderMatchedSlots(table, rows.evaluation, established()),
      established(),
    );
    const published = comparison.models.find((x) => x.champion)?.callerLike;
    expect(published?.flights).toBe(fresh.flights);
    expect(published?.placedElsewhere).toBeCloseTo(fresh.placedElsewhere, 9);
    expect(published?.reconstructed.rocAuc).toBeCloseTo(fresh.reconstructed.rocAuc, 6);
    expect(published?.orderMatched.rocAuc).toBeCloseTo(fresh.orderMatched.rocAuc, 6);
    expect(published?.reconstructed.logLoss).toBeCloseTo(fresh.reconstructed.logLoss, 6);
    expect(published?.orderMatched.logLoss).toBeCloseTo(fresh.orderMatched.logLoss, 6);
    const loss = fresh.reconstructed.rocAuc - fresh.orderMatched.rocAuc;
    const verdict = Math.abs(loss) <= CALLER_LIKE_MAX_AUC_LOSS ? "met" : "**not met**";
    expect(card()).toContain(
      `reconstructed times on the same flights: ${verdict} (it loses ${loss.toFixed(4)})`,
    );
  }, 120_000);

  // On the training days in-place flights are 16.2% delayed, moved ones 34.6%: the old card compared the smallest
  // established cells (19.9%) with the overall 19.8%, which counts the moved flights.
  it("compares established cells with the in-place delayed share, as computed afresh", () => {
    const fresh = placementShares(table, rows.train, established(), PROBE_ESTABLISHED_FLIGHTS);
    expect(comparison.placement).toEqual(fresh);
    expect(fresh.inPlace.delayedShare).toBeLessThan(fresh.overall);
    expect(fresh.moved.delayedShare).toBeGreaterThan(fresh.overall);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    expect(card()).toContain(
      `the in-place share, ${pct(fresh.inPlace.delayedShare)}, not the\noverall ${pct(fresh.overall)}`,
    );
    expect(card()).not.toMatch(/\(\d+\.\d% against \d+\.\d%\)/);
  }, 120_000);
});

describe("calibration on the test days (issue 26)", () => {
  it("beats the base rate's log loss with an expected calibration error of at most 0.02 over deciles", () => {
    const evaluation = rows.evaluation;
    const labels = Uint8Array.from(evaluation, (row) => isDelayed(table, row));
    const probabilities = predictTable(model, table, evaluation);
    const { expectedCalibrationError, bins } = reliability(labels, probabilities);
    expect(expectedCalibrationError).toBeLessThanOrEqual(0.02);
    expect(expectedCalibrationError).toBeCloseTo(metrics.calibration?.test.expectedCalibrationError ?? -1, 6);
    expect(bins).toHaveLength(10);
    expect(logLoss(labels, probabilities)).toBeLessThan(metrics.results.baseRate.logLoss);
    expect(model.encoder.metadata.calibration?.fittedOn.to).toBe(
      metrics.split.validation.lastDeparture.slice(0, 10),
    );
  });
});
