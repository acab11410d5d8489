/**
 * The models one image carries: every model folder under the registry folder, each loaded and checked at init,
 * and the champion that serves when a request names no model. REGISTRY_FILE (model/models.json) is the one place
 * the champion is set; a folder that holds a single model (features.json directly inside) is a registry of one.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { checkModelFiles, FlightDelayModel, ModelLoadError } from "./model";
import { MODEL_FILES, modelId, REGISTRY_FILE } from "./model-spec";
import { predictProbabilities } from "./predict-flights";

export const RegistryFileSchema = z.strictObject({
  /** `<name>@<version>` of the model that serves requests without a `model` field. */
  champion: z.string().regex(/^[a-z0-9-]+@[0-9a-f]+$/, "must be <name>@<version>"),
});

/** What GET /models reports about one model: read from its metrics.json, which the training run wrote. */
export interface ModelSummary {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly champion: boolean;
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly test: {
    readonly from: string;
    readonly to: string;
    readonly flights: number;
    readonly rocAuc: number;
    readonly logLoss: number;
  };
}

const MetricsSummarySchema = z.object({
  model: z.object({ name: z.string(), version: z.string() }),
  split: z.object({
    train: z.object({ firstDeparture: z.string(), lastDeparture: z.string() }),
    evaluation: z.object({ firstDeparture: z.string(), lastDeparture: z.string(), rows: z.number() }),
  }),
  results: z.object({ model: z.object({ rocAuc: z.number(), logLoss: z.number() }) }),
});

/** A request named a model this image does not carry. */
export class UnknownModelError extends Error {
  constructor(
    readonly requested: string,
    readonly available: readonly string[],
  ) {
    super(`Unknown model "${requested}": this image serves ${available.join(", ")}`);
    this.name = "UnknownModelError";
  }
}

/** Folders under `dir` that hold a model, sorted by name so listings are stable. */
export function modelFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, MODEL_FILES.features)))
    .map((e) => e.name)
    .sort();
}

export function readChampion(dir: string): string {
  const file = join(dir, REGISTRY_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ModelLoadError(dir, `${REGISTRY_FILE} is missing or not JSON`, { cause: err });
  }
  const parsed = RegistryFileSchema.safeParse(raw);
  if (!parsed.success) throw new ModelLoadError(dir, `${REGISTRY_FILE} is invalid: ${parsed.error.message}`);
  return parsed.data.champion;
}

export function writeChampion(dir: string, id: string): void {
  writeFileSync(
    join(dir, REGISTRY_FILE),
    `${JSON.stringify(RegistryFileSchema.parse({ champion: id }), null, 1)}\n`,
  );
}

/** A model's GET /models entry, from its metrics.json alone (no weights are read). */
function summarize(modelDir: string, champion: boolean): ModelSummary {
  let metrics: z.infer<typeof MetricsSummarySchema> | undefined;
  try {
    metrics = MetricsSummarySchema.parse(
      JSON.parse(readFileSync(join(modelDir, MODEL_FILES.metrics), "utf8")),
    );
  } catch (err) {
    throw new ModelLoadError(modelDir, `${MODEL_FILES.metrics} is missing or invalid`, { cause: err });
  }
  const { train, evaluation } = metrics.split;
  const { name, version } = metrics.model;
  return {
    id: modelId(name, version),
    name,
    version,
    champion,
    trainingWindow: { from: train.firstDeparture, to: train.lastDeparture },
    test: {
      from: evaluation.firstDeparture,
      to: evaluation.lastDeparture,
      flights: evaluation.rows,
      rocAuc: metrics.results.model.rocAuc,
      logLoss: metrics.results.model.logLoss,
    },
  };
}

/**
 * One flight every model must score: two airports of its own table, a departure inside the data's years. A
 * model that loads but cannot answer this (a throw, NaN weights) would answer every request with a 500.
 */
function checkServes(model: FlightDelayModel, modelDir: string): void {
  const [origin, destination] = [...model.airports.keys()];
  if (!origin || !destination)
    throw new ModelLoadError(modelDir, `${MODEL_FILES.airports} lists fewer than two airports`);
  let probability: number | undefined;
  try {
    probability = predictProbabilities(model, {
      instances: [{ origin, destination, departure: "2001-01-13T14:56:00" }],
    })[0];
  } catch (err) {
    throw new ModelLoadError(modelDir, `it loads but cannot score a flight: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (probability === undefined || !Number.isFinite(probability) || probability < 0 || probability > 1) {
    throw new ModelLoadError(modelDir, `it loads but scores a flight ${probability}, not a probability`);
  }
}

/**
 * Loads one folder's model, checks it is the model the folder's name (and metrics.json) says and that it scores a
 * flight.
 */
function loadModel(modelDir: string, id: string): FlightDelayModel {
  const model = FlightDelayModel.load(modelDir);
  const loaded = modelId(model.name, model.version);
  if (loaded !== id) throw new ModelLoadError(modelDir, `the folder holds ${loaded}; rename it ${loaded}`);
  checkServes(model, modelDir);
  return model;
}

/**
 * The models of one image. At init the champion is loaded and scores a flight; every other model gets the checks
 * that need no tensors (checkModelFiles: sizes against the weights manifest, finite weights, valid metadata), so a
 * broken model still refuses the start with its folder and reason instead of being listed in GET /models and
 * answering 500 to every request that names it, while the cold start pays one model's load, not every model's
 * (100-200 ms each on a busy 2-core machine). The first request naming another model loads it and has it score
 * the same check flight. Init also checks that each folder's name, metrics.json and the champion file agree.
 */
export class ModelRegistry {
  private readonly loaded = new Map<string, FlightDelayModel>();

  private constructor(
    /** id -> folder, for every model of the image. */
    private readonly folders: ReadonlyMap<string, string>,
    readonly champion: FlightDelayModel,
    readonly summaries: readonly ModelSummary[],
  ) {
    this.loaded.set(modelId(champion.name, champion.version), champion);
  }

  /** Loads the champion under `dir` (or the single model in `dir`) and indexes the others; see the class doc. */
  static load(dir: string): ModelRegistry {
    // Without models.json the folder is one model's (tests, MODEL_DIR pointing at a single model).
    if (!existsSync(join(dir, REGISTRY_FILE))) {
      const model = FlightDelayModel.load(dir);
      checkServes(model, dir);
      const id = modelId(model.name, model.version);
      const summary = { ...summarize(dir, true), id, name: model.name, version: model.version };
      return new ModelRegistry(new Map([[id, dir]]), model, [summary]);
    }
    const championId = readChampion(dir);
    const folders = new Map<string, string>();
    const summaries: ModelSummary[] = [];
    for (const folder of modelFolders(dir)) {
      const summary = summarize(join(dir, folder), folder === championId);
      // The folder name is what the card and the champion file refer to: it must match what the files say.
      if (summary.id !== folder) {
        throw new ModelLoadError(
          join(dir, folder),
          `${MODEL_FILES.metrics} describes ${summary.id}; rename the folder ${summary.id}`,
        );
      }
      folders.set(folder, join(dir, folder));
      summaries.push(summary);
    }
    const championDir = folders.get(championId);
    if (!championDir) {
      throw new ModelLoadError(
        dir,
        `${REGISTRY_FILE} names ${championId}, which is not among ${[...folders.keys()].join(", ")}`,
      );
    }
    const champion = loadModel(championDir, championId);
    for (const [id, folder] of folders) if (id !== championId) checkModelFiles(folder);
    return new ModelRegistry(folders, champion, summaries);
  }

  get ids(): string[] {
    return [...this.folders.keys()];
  }

  /** Ids of the models loaded: the champion from init on, the others once a request has named them. */
  get loadedIds(): string[] {
    return [...this.loaded.keys()];
  }

  /** The model a request asked for; the champion when it asked for none. */
  resolve(id: string | undefined): FlightDelayModel {
    if (id === undefined) return this.champion;
    const cached = this.loaded.get(id);
    if (cached) return cached;
    const folder = this.folders.get(id);
    if (!folder) throw new UnknownModelError(id, this.ids);
    const model = loadModel(folder, id);
    this.loaded.set(id, model);
    return model;
  }
}
