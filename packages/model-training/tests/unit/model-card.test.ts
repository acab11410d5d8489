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
  it("is exactly what npm run compare rendered from the committed metrics, comparison and baseline", () => {
    const card = readFileSync(join(__dirname, "../../../../docs/model-card.md"), "utf8");
    expect(card).toBe(renderModelCard(inputs));
  });

  it("describes the champion's version and threshold", () => {
    expect(`${metrics.model.name}@${metrics.model.version}`).toBe(readChampion(workspaceRegistryDir));
    expect(metrics.model.version).toBe(features.version);
    expect(metrics.results.model.threshold).toBe(features.threshold);
  });

  it("reports learned models that beat the base rate on ROC AUC and log loss", () => {
    const { model, logisticRegression, baseRate } = metrics.results;
    for (const learned of [model, logisticRegression, baseline.results]) {
      expect(learned.rocAuc).toBeGreaterThan(baseRate.rocAuc + 0.1);
      expect(learned.logLoss).toBeLessThan(baseRate.logLoss);
    }
  });

  it("reports a model that beats logistic regression on ROC AUC and log loss", () => {
    const { model, logisticRegression } = metrics.results;
    expect(model.rocAuc).toBeGreaterThan(logisticRegression.rocAuc);
    expect(model.logLoss).toBeLessThan(logisticRegression.logLoss);
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

  it("puts the trees baseline on the same test rows", () => {
    expect(baseline.results).toBeDefined();
    const raw = JSON.parse(readFileSync(join(__dirname, "../../baselines/gbdt.json"), "utf8"));
    expect(raw.split).toEqual({ ...SPLIT, evaluationRows: comparison.evaluation.flights });
  });
});
