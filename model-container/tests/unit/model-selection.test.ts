/**
 * Several models in one image: GET /models, the optional `model` of POST /predict, and the champion chosen by
 * model/models.json alone. Runs the handler on the committed registry folder (the one the image copies).
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { modelFolders, readChampion } from "@sml/flight-model/model-registry";
import { MODEL_FILES, REGISTRY_FILE } from "@sml/flight-model/model-spec";
import { createPredictionHandler, type PredictionApp } from "../../src/prediction-function";
import { apiEvent, workspaceRegistryDir } from "../support/events";

const silent = new Logger({ serviceName: "prediction-test", logLevel: "SILENT" });
const champion = readChampion(workspaceRegistryDir);
const folders = modelFolders(workspaceRegistryDir);
const challenger = folders.find((id) => id !== champion) as string;
const readModelFile = (id: string, file: string) =>
  JSON.parse(readFileSync(join(workspaceRegistryDir, id, file), "utf8"));

let app: PredictionApp;
beforeAll(async () => {
  app = await createPredictionHandler({
    modelDir: workspaceRegistryDir,
    backends: ["wasm", "cpu"],
    logger: silent,
  });
});

async function call(app: PredictionApp, body: unknown, options?: Parameters<typeof apiEvent>[1]) {
  const response = await app.handler(apiEvent(body, options));
  return { statusCode: response.statusCode, body: JSON.parse(response.body) };
}

describe("the committed registry", () => {
  it("carries the champion and at least one other model", () => {
    expect(folders).toContain(champion);
    expect(challenger).toBeDefined();
  });
});

describe("GET /models", () => {
  it("lists every model in the image with its version, training window and test metrics", async () => {
    const res = await call(app, undefined, { method: "GET", path: "/models" });
    expect(res.statusCode).toBe(200);
    expect(res.body.champion).toBe(champion);
    expect(res.body.models.map((m: { id: string }) => m.id).sort()).toEqual(folders);
    for (const listed of res.body.models) {
      const metrics = readModelFile(listed.id, MODEL_FILES.metrics);
      expect(listed).toEqual({
        id: `${metrics.model.name}@${metrics.model.version}`,
        name: metrics.model.name,
        version: metrics.model.version,
        champion: listed.id === champion,
        trainingWindow: { from: metrics.split.train.firstDeparture, to: metrics.split.train.lastDeparture },
        test: {
          from: metrics.split.evaluation.firstDeparture,
          to: metrics.split.evaluation.lastDeparture,
          flights: metrics.split.evaluation.rows,
          rocAuc: metrics.results.model.rocAuc,
          logLoss: metrics.results.model.logLoss,
        },
      });
    }
  });

  it("answers 405 naming GET for another method", async () => {
    const res = await app.handler(apiEvent({}, { method: "POST", path: "/models" }));
    expect(res.statusCode).toBe(405);
  });
});

describe("POST /predict with a model", () => {
  it.each(folders)("reproduces %s's own golden predictions when asked for it by name", async (id) => {
    const golden = readModelFile(id, MODEL_FILES.golden);
    const res = await call(app, { model: id, instances: golden.instances });
    expect(res.statusCode).toBe(200);
    expect(`${res.body.model.name}@${res.body.model.version}`).toBe(id);
    res.body.predictions.forEach((p: { delayProbability: number }, i: number) => {
      expect(Math.abs(p.delayProbability - golden.probabilities[i])).toBeLessThan(1e-4);
    });
  });

  it("serves the champion when the request names no model", async () => {
    const golden = readModelFile(challenger, MODEL_FILES.golden);
    const res = await call(app, { instances: golden.instances });
    expect(`${res.body.model.name}@${res.body.model.version}`).toBe(champion);
  });

  it("returns 400 naming an unknown model and listing the ones served", async () => {
    const res = await call(app, {
      model: "flight-delay@000000000000",
      instances: [{ origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00" }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.message).toContain('"flight-delay@000000000000"');
    for (const id of folders) expect(res.body.error.message).toContain(id);
    expect(res.body.error.details).toEqual([
      { field: "model", message: expect.stringContaining("unknown model") },
    ]);
  });

  it("returns 400 when model is not a string", async () => {
    const res = await call(app, {
      model: 7,
      instances: [{ origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00" }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.body.error.details).toEqual([{ field: "model", message: expect.any(String) }]);
  });
});

describe("the champion", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sml-registry-"));
    cpSync(workspaceRegistryDir, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is whatever models.json names: changing that file alone changes the default model", async () => {
    writeFileSync(join(dir, REGISTRY_FILE), JSON.stringify({ champion: challenger }));
    const other = await createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent });
    const golden = readModelFile(challenger, MODEL_FILES.golden);
    const res = await call(other, { instances: golden.instances });
    expect(`${res.body.model.name}@${res.body.model.version}`).toBe(challenger);
  });

  // Issue 29: every model used to be loaded and scored at init, each adding its load to the cold start; the
  // others now get the file checks only and load when a request first names them.
  it("loads only the champion at init; the first request naming another model loads it, once", async () => {
    const fresh = await createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent });
    expect(fresh.registry.loadedIds).toEqual([champion]);
    const golden = readModelFile(challenger, MODEL_FILES.golden);
    const first = await call(fresh, { model: challenger, instances: golden.instances });
    expect(first.statusCode).toBe(200);
    expect(fresh.registry.loadedIds.sort()).toEqual([...folders].sort());
    expect(fresh.registry.resolve(challenger)).toBe(fresh.registry.resolve(challenger));
  });

  // Issue 25 item 9: a broken non-champion used to be listed by GET /models and answer 500 to every request
  // naming it (it loaded on first use); now the start is refused, naming the folder and what is wrong.
  it("refuses init naming a non-champion whose weights file is cut short", async () => {
    const weights = join(dir, challenger, "weights.bin");
    writeFileSync(weights, readFileSync(weights).subarray(0, 100));
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(new RegExp(`${challenger}: weights.bin has 100 bytes, model.json expects \\d+`));
  });

  it("refuses init naming a non-champion whose weights are NaN (same size: it would load, then score NaN)", async () => {
    const weights = join(dir, challenger, "weights.bin");
    // 0xffffffff is a float32 NaN: same size, so only looking at the values shows it.
    writeFileSync(weights, Buffer.alloc(readFileSync(weights).length, 0xff));
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(
      new RegExp(`${challenger}: weights.bin holds a non-finite weight \\(NaN\\) at float 0`),
    );
  });

  it("refuses init naming a non-champion with one infinite weight among finite ones", async () => {
    const weights = join(dir, challenger, "weights.bin");
    const bytes = readFileSync(weights);
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(40, Number.POSITIVE_INFINITY, true);
    writeFileSync(weights, bytes);
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(
      new RegExp(`${challenger}: weights.bin holds a non-finite weight \\(Infinity\\) at float 10`),
    );
  });

  it("refuses init naming a non-champion whose airports.json holds a value that is not a coordinate pair", async () => {
    const file = join(dir, challenger, MODEL_FILES.airports);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), XXX: [1] }));
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(new RegExp(`${challenger}: airports.json is invalid: XXX`));
  });

  it("fails init naming the folder when its metrics.json describes another model", async () => {
    renameSync(join(dir, challenger), join(dir, "flight-delay@0123456789ab"));
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(new RegExp(`flight-delay@0123456789ab: metrics.json describes ${challenger}`));
  });

  it("fails init naming the champion when models.json names a model the image does not carry", async () => {
    writeFileSync(join(dir, REGISTRY_FILE), JSON.stringify({ champion: "flight-delay@0123456789ab" }));
    await expect(
      createPredictionHandler({ modelDir: dir, backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(/flight-delay@0123456789ab/);
  });
});
