/**
 * Where the model card's inputs live, and how `npm run compare` rewrites the card. `npm run generate`
 * (scripts/generate/model-card.ts) re-renders it from the committed files (the champion's metrics.json,
 * model/comparison.json, baselines/gbdt.json) after a wording change that needs no rescoring; the numbers still
 * come only from training, `npm run compare` and `npm run baseline`.
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
