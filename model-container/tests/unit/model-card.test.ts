import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_FILES } from "../../src/core/model-spec";
import { type ModelMetrics, renderModelCard } from "../../src/training/model-card";
import { workspaceModelDir } from "../support/events";

const metrics: ModelMetrics = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.metrics), "utf8"));
const features = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.features), "utf8"));

describe("docs/model-card.md", () => {
  it("is exactly what the training run rendered from model/metrics.json", () => {
    const card = readFileSync(join(__dirname, "../../docs/model-card.md"), "utf8");
    expect(card).toBe(renderModelCard(metrics));
  });

  it("describes the committed model version and threshold", () => {
    expect(metrics.model.version).toBe(features.version);
    expect(metrics.results.model.threshold).toBe(features.threshold);
  });

  it("reports learned models that beat the base rate on ROC AUC and log loss", () => {
    const { model, logisticRegression, baseRate } = metrics.results;
    for (const learned of [model, logisticRegression]) {
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
