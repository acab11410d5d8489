/**
 * `npm run card -w model-container`: re-renders docs/model-card.md from the committed model/metrics.json, for
 * wording changes to the card that need no retraining (the numbers still come only from the training run).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MODEL_FILES } from "../core/model-spec";
import { type ModelMetrics, renderModelCard } from "./model-card";

const workspaceRoot = resolve(__dirname, "../..");
const metrics: ModelMetrics = JSON.parse(
  readFileSync(join(workspaceRoot, "model", MODEL_FILES.metrics), "utf8"),
);
writeFileSync(join(workspaceRoot, "..", "docs/model-card.md"), renderModelCard(metrics));
console.log(`rendered docs/model-card.md for ${metrics.model.name} ${metrics.model.version}`);
