import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import type { BackendName } from "@sml/flight-model/backend";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { createPredictionHandler } from "../../src/prediction-function";
import { apiEvent, workspaceModelDir } from "../support/events";

interface Golden {
  version: string;
  instances: Record<string, unknown>[];
  probabilities: number[];
}

const golden: Golden = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.golden), "utf8"));
const features = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.features), "utf8"));

describe("golden predictions of the committed model", () => {
  it("belong to the committed model version", () => {
    expect(golden.version).toBe(features.version);
    expect(golden.instances.length).toBeGreaterThanOrEqual(8);
  });

  // The golden probabilities come from tfjs-layers' model.predict at training time; serving runs the same
  // weights with tfjs-core ops, so this also checks the two implementations agree.
  it.each<BackendName>(["wasm", "cpu"])(
    "are reproduced by the handler on the %s backend",
    async (backend) => {
      const app = await createPredictionHandler({
        modelDir: workspaceModelDir,
        backends: [backend],
        logger: new Logger({ logLevel: "SILENT" }),
      });
      expect(app.backend).toBe(backend);
      const response = await app.handler(apiEvent({ instances: golden.instances }));
      expect(response.statusCode).toBe(200);
      const { predictions } = JSON.parse(response.body) as {
        predictions: { delayProbability: number; delayed: boolean }[];
      };
      expect(predictions).toHaveLength(golden.probabilities.length);
      predictions.forEach((prediction, i) => {
        const expected = golden.probabilities[i] as number;
        expect(Math.abs(prediction.delayProbability - expected)).toBeLessThan(1e-4);
        expect(prediction.delayed).toBe(expected >= features.threshold);
      });
    },
  );

  it("are not all the same, so they pin down the weights", () => {
    expect(new Set(golden.probabilities.map((p) => p.toFixed(3))).size).toBeGreaterThan(4);
  });
});
