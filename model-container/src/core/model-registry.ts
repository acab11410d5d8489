/**
 * The models one image carries: every model folder under the registry folder, loaded once at init, and the
 * champion that serves when a request names no model. REGISTRY_FILE (model/models.json) is the one place the
 * champion is set; a folder that holds a single model (features.json directly inside) is a registry of one.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { FlightDelayModel, ModelLoadError } from "./model";
import { MODEL_FILES, modelId, REGISTRY_FILE } from "./model-spec";

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

function summarize(model: FlightDelayModel, modelDir: string, champion: boolean): ModelSummary {
  let metrics: z.infer<typeof MetricsSummarySchema> | undefined;
  try {
    metrics = MetricsSummarySchema.parse(
      JSON.parse(readFileSync(join(modelDir, MODEL_FILES.metrics), "utf8")),
    );
  } catch (err) {
    throw new ModelLoadError(modelDir, `${MODEL_FILES.metrics} is missing or invalid`, { cause: err });
  }
  const { train, evaluation } = metrics.split;
  return {
    id: modelId(model.name, model.version),
    name: model.name,
    version: model.version,
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

export class ModelRegistry {
  private constructor(
    private readonly models: ReadonlyMap<string, FlightDelayModel>,
    readonly champion: FlightDelayModel,
    readonly summaries: readonly ModelSummary[],
  ) {}

  /** Loads every model under `dir` (or the single model in `dir`); the active backend holds the weights. */
  static load(dir: string): ModelRegistry {
    // Without models.json the folder is one model's (tests, MODEL_DIR pointing at a single model).
    if (!existsSync(join(dir, REGISTRY_FILE))) {
      const model = FlightDelayModel.load(dir);
      const id = modelId(model.name, model.version);
      return new ModelRegistry(new Map([[id, model]]), model, [summarize(model, dir, true)]);
    }
    const championId = readChampion(dir);
    const models = new Map<string, FlightDelayModel>();
    const summaries: ModelSummary[] = [];
    for (const folder of modelFolders(dir)) {
      const model = FlightDelayModel.load(join(dir, folder));
      const id = modelId(model.name, model.version);
      // The folder name is what the card and the champion file refer to: it must match what the files say.
      if (id !== folder)
        throw new ModelLoadError(join(dir, folder), `the folder holds ${id}; rename it ${id}`);
      models.set(id, model);
      summaries.push(summarize(model, join(dir, folder), id === championId));
    }
    const champion = models.get(championId);
    if (!champion) {
      throw new ModelLoadError(
        dir,
        `${REGISTRY_FILE} names ${championId}, which is not among ${[...models.keys()].join(", ")}`,
      );
    }
    return new ModelRegistry(models, champion, summaries);
  }

  get ids(): string[] {
    return [...this.models.keys()];
  }

  /** The model a request asked for; the champion when it asked for none. */
  resolve(id: string | undefined): FlightDelayModel {
    if (id === undefined) return this.champion;
    const model = this.models.get(id);
    if (!model) throw new UnknownModelError(id, this.ids);
    return model;
  }
}
