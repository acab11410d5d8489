/**
 * The inference core: loads a trained model folder once and predicts whole batches in one call. The layers
 * model that training saved is run here with tfjs-core ops (gather for the airport embeddings, fused
 * matMul + bias + activation for the dense layers), so serving needs neither tfjs-layers nor its startup cost.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as z from "zod";
import {
  type EncodedBatch,
  FeatureEncoder,
  FeatureMetadataSchema,
  MONTH_FEATURES,
  type PackedRates,
  unpackRateTables,
} from "./features";
import { EMBEDDING_DIM, LAYERS, MODEL_FILES, MODEL_NAME } from "./model-spec";

const WeightsManifestSchema = z.object({
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string()).length(1),
        weights: z.array(
          z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.literal("float32") }),
        ),
      }),
    )
    .length(1),
});

export const ModelFeaturesFileSchema = FeatureMetadataSchema.extend({ version: z.string().min(1) });
export type ModelFeaturesFile = z.infer<typeof ModelFeaturesFileSchema>;

export class ModelLoadError extends Error {
  constructor(modelDir: string, problem: string, options?: ErrorOptions) {
    super(`Cannot load the model from ${modelDir}: ${problem}`, options);
    this.name = "ModelLoadError";
  }
}

/** Tensors for one batch, built once (the benchmark's "raw" path reuses them). */
export interface BatchTensors {
  readonly originIndex: tf.Tensor1D;
  readonly destinationIndex: tf.Tensor1D;
  readonly numeric: tf.Tensor2D;
  readonly month: tf.Tensor2D;
}

interface DenseWeights {
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
}

function readJson(modelDir: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(join(modelDir, file), "utf8"));
  } catch (err) {
    throw new ModelLoadError(modelDir, `${file} is missing or not JSON`, { cause: err });
  }
}

function parseFile<S extends z.ZodType>(modelDir: string, file: string, schema: S): z.output<S> {
  const result = schema.safeParse(readJson(modelDir, file));
  if (!result.success) throw new ModelLoadError(modelDir, `${file} is invalid: ${result.error.message}`);
  return result.data;
}

/** Reads model.json's one weights manifest and its weights file, refusing a file whose size disagrees with it. */
function readWeights(modelDir: string): {
  manifest: z.output<typeof WeightsManifestSchema>["weightsManifest"][number];
  buffer: ArrayBuffer;
} {
  const manifest = parseFile(modelDir, MODEL_FILES.topology, WeightsManifestSchema).weightsManifest[0];
  if (!manifest) throw new ModelLoadError(modelDir, "model.json has no weights manifest");
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(modelDir, manifest.paths[0] as string));
  } catch (err) {
    throw new ModelLoadError(modelDir, `${manifest.paths[0]} is missing`, { cause: err });
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const expectedBytes = manifest.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (expectedBytes !== buffer.byteLength) {
    throw new ModelLoadError(
      modelDir,
      `weights.bin has ${buffer.byteLength} bytes, model.json expects ${expectedBytes}`,
    );
  }
  return { manifest, buffer };
}

/** rates.bin unpacked as features.json describes it (feature set 3), or undefined for a model without it. */
function readRateTables(modelDir: string, features: ModelFeaturesFile): PackedRates | undefined {
  if (!features.packedRates) return undefined;
  let rateBytes: Buffer;
  try {
    rateBytes = readFileSync(join(modelDir, MODEL_FILES.rates));
  } catch (err) {
    throw new ModelLoadError(modelDir, `${MODEL_FILES.rates} is missing`, { cause: err });
  }
  try {
    return unpackRateTables(features.packedRates, rateBytes);
  } catch (err) {
    throw new ModelLoadError(modelDir, (err as Error).message, { cause: err });
  }
}

/**
 * What can be checked of a model folder without building the model (no tensors, no scoring; about a millisecond
 * where the full load and a scored flight cost 100-200 ms): features.json is valid, model.json's manifest matches
 * weights.bin byte for byte in size, every weight is a finite float32 (a NaN or infinite weight is what makes a
 * model that loads answer NaN), rates.bin has the size features.json gives it, and airports.json lists at least
 * two airports with finite coordinates. The registry runs it on the models a request has not named yet, so a
 * broken one still refuses the start.
 */
export function checkModelFiles(modelDir: string): void {
  const features = parseFile(modelDir, MODEL_FILES.features, ModelFeaturesFileSchema);
  const { buffer } = readWeights(modelDir);
  const values = new Float32Array(buffer);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ModelLoadError(
        modelDir,
        `weights.bin holds a non-finite weight (${values[i]}) at float ${i}`,
      );
    }
  }
  readRateTables(modelDir, features);
  const airports = readAirports(modelDir);
  if (airports.size < 2) {
    throw new ModelLoadError(modelDir, `${MODEL_FILES.airports} lists fewer than two airports`);
  }
}

/**
 * airports.json as a map; checked by hand (every value a pair of numbers) rather than with a zod record of tuples: zod's parse of this 110 KB file of ~3,000 tuples showed in the cold start's CPU profile, the loop does
 * not.
 */
function readAirports(modelDir: string): Map<string, { latitude: number; longitude: number }> {
  const raw = readJson(modelDir, MODEL_FILES.airports);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ModelLoadError(modelDir, `${MODEL_FILES.airports} is invalid: expected an object`);
  }
  const airports = new Map<string, { latitude: number; longitude: number }>();
  for (const [code, value] of Object.entries(raw)) {
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      typeof value[0] !== "number" ||
      typeof value[1] !== "number"
    ) {
      throw new ModelLoadError(
        modelDir,
        `${MODEL_FILES.airports} is invalid: ${code}: expected [latitude, longitude] numbers`,
      );
    }
    airports.set(code, { latitude: value[0], longitude: value[1] });
  }
  return airports;
}

export class FlightDelayModel {
  readonly name = MODEL_NAME;

  private constructor(
    readonly version: string,
    readonly encoder: FeatureEncoder,
    readonly airports: ReadonlyMap<string, { latitude: number; longitude: number }>,
    private readonly originEmbedding: tf.Tensor2D,
    private readonly destinationEmbedding: tf.Tensor2D,
    private readonly hidden: readonly DenseWeights[],
    private readonly output: DenseWeights,
  ) {}

  get threshold(): number {
    return this.encoder.metadata.threshold;
  }

  /**
   * Reads model.json, weights.bin, features.json, rates.bin (feature set 3) and airports.json; the active
   * backend holds the weights.
   */
  static load(modelDir: string): FlightDelayModel {
    const features = parseFile(modelDir, MODEL_FILES.features, ModelFeaturesFileSchema);
    const airports = readAirports(modelDir);
    const { manifest, buffer } = readWeights(modelDir);
    const packed = readRateTables(modelDir, features);
    const weights = tf.io.decodeWeights(buffer, manifest.weights);
    try {
      return FlightDelayModel.fromWeights(weights, features, airports, packed);
    } catch (err) {
      throw new ModelLoadError(modelDir, (err as Error).message, { cause: err });
    }
  }

  /**
   * Builds the model from named weights (`<layer>/kernel`, `<layer>/bias`): those decoded from weights.bin, or,
   * during training, the layers model's own variables, so training evaluates through this serving path.
   */
  static fromWeights(
    weights: tf.NamedTensorMap,
    features: ModelFeaturesFile,
    airports: ReadonlyMap<string, { latitude: number; longitude: number }>,
    packedRates?: PackedRates,
  ): FlightDelayModel {
    const take = <R extends tf.Rank>(name: string, shape: number[]): tf.Tensor<R> => {
      const t = weights[name];
      if (!t) throw new Error(`weight ${name} is missing from model.json`);
      if (t.shape.join("x") !== shape.join("x")) {
        throw new Error(`weight ${name} has shape [${t.shape}], expected [${shape}]`);
      }
      return t as tf.Tensor<R>;
    };
    const originEmbedding = take<tf.Rank.R2>(`${LAYERS.originEmbedding}/kernel`, [
      features.originVocabulary.length,
      EMBEDDING_DIM,
    ]);
    const destinationEmbedding = take<tf.Rank.R2>(`${LAYERS.destinationEmbedding}/kernel`, [
      features.destinationVocabulary.length,
      EMBEDDING_DIM,
    ]);
    const encoder = new FeatureEncoder(features, packedRates);
    const dense: DenseWeights[] = [];
    let inputs = 2 * EMBEDDING_DIM + encoder.deepFeatures;
    for (const { name, units } of LAYERS.hidden) {
      dense.push({ kernel: take(`${name}/kernel`, [inputs, units]), bias: take(`${name}/bias`, [units]) });
      inputs = units;
    }
    const kernel = take<tf.Rank.R2>(`${LAYERS.output}/kernel`, [inputs + MONTH_FEATURES, 1]);
    const bias = take<tf.Rank.R1>(`${LAYERS.output}/bias`, [1]);
    // Platt scaling, sigmoid(a * (w.x + b) + c) = sigmoid((a * w).x + (a * b + c)): folded into the output layer
    // once at load, so the calibrated probability costs no extra op per request.
    const platt = features.calibration;
    const output: DenseWeights = platt
      ? {
          kernel: tf.mul(kernel, platt.slope) as tf.Tensor2D,
          bias: tf.add(tf.mul(bias, platt.slope), platt.intercept) as tf.Tensor1D,
        }
      : { kernel, bias };
    return new FlightDelayModel(
      features.version,
      encoder,
      airports,
      originEmbedding,
      destinationEmbedding,
      dense,
      output,
    );
  }

  toTensors(batch: EncodedBatch): BatchTensors {
    return {
      originIndex: tf.tensor1d(batch.originIndex, "int32"),
      destinationIndex: tf.tensor1d(batch.destinationIndex, "int32"),
      numeric: tf.tensor2d(batch.numeric, [batch.size, batch.deepFeatures]),
      month: tf.tensor2d(batch.month, [batch.size, MONTH_FEATURES]),
    };
  }

  /** One batched forward pass; returns P(arrival delay > 15 min) per row, calibrated when the model has a calibration. */
  predictTensors(inputs: BatchTensors): Float32Array {
    const out = tf.tidy(() => {
      let x: tf.Tensor2D = tf.concat2d(
        [
          tf.gather(this.originEmbedding, inputs.originIndex),
          tf.gather(this.destinationEmbedding, inputs.destinationIndex),
          inputs.numeric,
        ],
        1,
      );
      for (const { kernel, bias } of this.hidden) {
        x = tf.fused.matMul({ a: x, b: kernel, bias, activation: "relu" }) as tf.Tensor2D;
      }
      return tf.fused.matMul({
        a: tf.concat2d([x, inputs.month], 1),
        b: this.output.kernel,
        bias: this.output.bias,
        activation: "sigmoid",
      });
    });
    const probabilities = out.dataSync() as Float32Array;
    out.dispose();
    return probabilities;
  }

  predict(batch: EncodedBatch): Float32Array {
    const inputs = this.toTensors(batch);
    try {
      return this.predictTensors(inputs);
    } finally {
      tf.dispose([inputs.originIndex, inputs.destinationIndex, inputs.numeric, inputs.month]);
    }
  }
}

/**
 * Short content hash of the files that define the model's behaviour (weights, feature metadata and, for feature
 * set 3, the packed rate tables); training writes it as the version.
 */
export function modelVersion(weights: Uint8Array, featureMetadata: string, rates?: Uint8Array): string {
  const hash = createHash("sha256").update(weights).update(featureMetadata);
  if (rates) hash.update(rates);
  return hash.digest("hex").slice(0, 12);
}
