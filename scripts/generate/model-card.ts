/**
 * docs/model-card.md, rendered from the committed training outputs (the champion's metrics.json,
 * model-container/model/comparison.json, packages/model-training/baselines/gbdt.json). The numbers themselves
 * change only through `npm run train`, `npm run compare` and the baseline; this keeps the card's text in step
 * with its renderer.
 */
import { renderModelCard } from "@sml/model-training/model-card";
import { readCardInputs } from "@sml/model-training/render-card";
import type { Generator } from "./types";

export const MODEL_CARD = "docs/model-card.md";

export const modelCard: Generator = {
  describe: `${MODEL_CARD} (from the champion's committed metrics)`,
  files: () => [{ path: MODEL_CARD, text: renderModelCard(readCardInputs()) }],
};
