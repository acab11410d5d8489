/**
 * `npm run card -w @sml/model-training`: re-renders docs/model-card.md from the committed files (the champion's
 * metrics.json, model/comparison.json, baselines/gbdt.json), for wording changes that need no rescoring; the
 * numbers still come only from training, `npm run compare` and `npm run baseline`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readChampion } from "@sml/flight-model/model-registry";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { type CardInputs, renderModelCard } from "./model-card";

const workspaceRoot = resolve(__dirname, "../../../model-container");
export const REGISTRY_DIR = join(workspaceRoot, "model");
export const COMPARISON_FILE = join(REGISTRY_DIR, "comparison.json");
export const BASELINE_FILE = join(__dirname, "../baselines/gbdt.json");
export const MODEL_CARD_FILE = join(workspaceRoot, "..", "docs/model-card.md");

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

export function readCardInputs(registryDir = REGISTRY_DIR): CardInputs {
  return {
    metrics: readJson(join(registryDir, readChampion(registryDir), MODEL_FILES.metrics)),
    comparison: readJson(COMPARISON_FILE),
    baseline: readJson(BASELINE_FILE),
  };
}

export function writeModelCard(): CardInputs {
  const inputs = readCardInputs();
  writeFileSync(MODEL_CARD_FILE, renderModelCard(inputs));
  return inputs;
}

if (require.main === module) {
  const { metrics } = writeModelCard();
  console.log(`rendered docs/model-card.md for ${metrics.model.name} ${metrics.model.version}`);
}
