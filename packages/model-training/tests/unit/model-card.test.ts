import { readFileSync } from "node:fs";
import { join } from "node:path";
import { modelFolders, readChampion } from "@sml/flight-model/model-registry";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { type ModelMetrics, renderModelCard } from "../../src/model-card";
import { readCardInputs } from "../../src/render-card";
import { SPLIT } from "../../src/split";
import { workspaceModelDir, workspaceRegistryDir } from "../support/registry";

const inputs = readCardInputs(workspaceRegistryDir);
const { metrics, comparison, baseline } = inputs;
const features = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.features), "utf8"));
const metricsOf = (id: string): ModelMetrics =>
  JSON.parse(readFileSync(join(workspaceRegistryDir, id, MODEL_FILES.metrics), "utf8"));

describe("docs/model-card.md", () => {
  it("is what the committed metrics, comparison and baseline render (run `npm run generate` when this fails)", () => {
    const card = readFileSync(join(__dirname, "../../../../docs/model-card.md"), "utf8");
    expect(card).toBe(renderModelCard(inputs));
  });

  it("describes the champion's version and threshold", () => {
    expect(`${metrics.model.name}@${metrics.model.version}`).toBe(readChampion(workspaceRegistryDir));
    expect(metrics.model.version).toBe(features.version);
    expect(metrics.results.model.threshold).toBe(features.threshold);
  });

  // Only the model is calibrated: on the honest inputs of issue 26's review the uncalibrated logistic regression
  // (0.5158) and trees (0.5096) fall behind the base rate's log loss (0.5072) on the later test days; the card
  // shows it.
  it("reports learned models that beat the base rate on ROC AUC, and a calibrated model on log loss too", () => {
    const { model, logisticRegression, baseRate } = metrics.results;
    for (const learned of [model, logisticRegression, baseline.results]) {
      expect(learned.rocAuc).toBeGreaterThan(baseRate.rocAuc + 0.1);
    }
    expect(model.logLoss).toBeLessThan(baseRate.logLoss);
  });

  // On the honest inputs the network ranks no better than logistic regression on the same features (test AUC
  // 0.6365 against 0.6379); it earns its place by its calibrated probabilities.
  it("reports a model within 0.005 of logistic regression's ROC AUC and with a lower log loss", () => {
    const { model, logisticRegression } = metrics.results;
    expect(model.rocAuc).toBeGreaterThan(logisticRegression.rocAuc - 0.005);
    expect(model.logLoss).toBeLessThan(logisticRegression.logLoss);
  });

  it("labels arrival delays and is calibrated on the validation days", () => {
    expect(metrics.data.target).toBe("arrival delay > 15 minutes");
    expect(metrics.calibration?.fittedOn.from).toBe(metrics.split.validation.firstDeparture.slice(0, 10));
    expect(metrics.calibration?.test.expectedCalibrationError).toBeLessThanOrEqual(0.02);
    expect(metrics.results.model.logLoss).toBeLessThan(metrics.results.baseRate.logLoss);
    expect(features.calibration).toEqual({
      method: "platt",
      slope: metrics.calibration?.slope,
      intercept: metrics.calibration?.intercept,
      fittedOn: metrics.calibration?.fittedOn,
    });
  });

  it("evaluates only on departures after the training and validation days", () => {
    expect(metrics.split.train.lastDeparture < metrics.split.validation.firstDeparture).toBe(true);
    expect(metrics.split.validation.lastDeparture < metrics.split.evaluation.firstDeparture).toBe(true);
  });
});

describe("the model comparison (model/comparison.json, written by npm run compare)", () => {
  it("covers exactly the models in the image, with the champion of models.json marked", () => {
    expect(comparison.models.map((m) => m.id).sort()).toEqual(modelFolders(workspaceRegistryDir));
    expect(comparison.models.filter((m) => m.champion).map((m) => m.id)).toEqual([
      readChampion(workspaceRegistryDir),
    ]);
  });

  // compare.ts scores through the serving path on the same rows the training run evaluated: a model retrained
  // or replaced without rerunning npm run compare shows up here as a mismatch.
  it("scores every model on the same test rows as its training run did, with the same result", () => {
    for (const row of comparison.models) {
      const own = metricsOf(row.id);
      expect(comparison.evaluation.flights).toBe(own.split.evaluation.rows);
      expect(row.scores.rocAuc).toBeCloseTo(own.results.model.rocAuc, 5);
      expect(row.scores.logLoss).toBeCloseTo(own.results.model.logLoss, 5);
      expect(row.scores.threshold).toBe(own.results.model.threshold);
    }
  });

  it("puts the trees baseline on the same test rows and the same reconstructed scheduled departures", () => {
    expect(baseline.results).toBeDefined();
    const raw = JSON.parse(readFileSync(join(__dirname, "../../baselines/gbdt.json"), "utf8"));
    expect(raw.split).toEqual({ ...SPLIT, evaluationRows: comparison.evaluation.flights });
    expect(raw.timeBasis).toBe("scheduled");
    expect(comparison.timeBasis).toBe("scheduled");
  });

  // Issue 26: GET /models serves results.model of each metrics.json; for a model trained on actual departure
  // times those must be its figures on scheduled departures, and the model must say it leaked.
  it("lists only models trained on scheduled departures, or marked as leaked with honest figures", () => {
    for (const row of comparison.models) {
      const own = metricsOf(row.id);
      if (own.inputs?.timeBasis === "scheduled") {
        expect(row.timeBasis).toBe("scheduled");
        expect(own.leak).toBeUndefined();
      } else {
        expect(row.timeBasis).toBe("actual (leaked)");
        expect(own.leak?.timeBasis).toBe("actual");
        expect(row.champion).toBe(false);
        expect(own.results.model.rocAuc).toBeCloseTo(row.scores.rocAuc, 6);
      }
    }
  });

  it("has the champion chosen on the validation days among the models that did not train on them", () => {
    const chosen = comparison.models.filter((m) => m.validation);
    const best = [...chosen].sort((a, b) => (a.validation?.logLoss ?? 1) - (b.validation?.logLoss ?? 1))[0];
    expect(best?.id).toBe(readChampion(workspaceRegistryDir));
  });
});
