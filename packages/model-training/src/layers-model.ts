/**
 * The trained network as tfjs-layers sees it: the one-hot inputs it was trained on, and loading model.json +
 * weights.bin back into a LayersModel. Serving does not use this (it runs the same weights with tfjs-core ops);
 * training and the benchmark's `model.predict` baseline do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type EncodedBatch, MONTH_FEATURES } from "@sml/flight-model/features";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * The layers model trains on one-hot airports (a bias-free dense layer on a one-hot vector is an embedding
 * lookup): tfjs' wasm backend has no gradient kernel for gather, and training runs on wasm, the faster backend
 * for these dense layers (the model bench's "image default (wasm) vs cpu" row compares them when serving).
 * Inputs, in order: origin one-hot, destination one-hot, deep numeric columns, month columns.
 */
export function oneHotInputs(
  encoded: EncodedBatch,
  originVocab: number,
  destinationVocab: number,
): tf.Tensor2D[] {
  const origin = new Float32Array(encoded.size * originVocab);
  const destination = new Float32Array(encoded.size * destinationVocab);
  for (let i = 0; i < encoded.size; i++) {
    origin[i * originVocab + (encoded.originIndex[i] as number)] = 1;
    destination[i * destinationVocab + (encoded.destinationIndex[i] as number)] = 1;
  }
  return [
    tf.tensor2d(origin, [encoded.size, originVocab]),
    tf.tensor2d(destination, [encoded.size, destinationVocab]),
    tf.tensor2d(encoded.numeric, [encoded.size, encoded.deepFeatures]),
    tf.tensor2d(encoded.month, [encoded.size, MONTH_FEATURES]),
  ];
}

export async function loadLayersModel(modelDir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(modelDir, MODEL_FILES.topology), "utf8"));
  const bytes = readFileSync(join(modelDir, MODEL_FILES.weights));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
}

/** `model.predict` on already-built inputs, read back like serving reads its output. */
export function predictLayers(model: tfl.LayersModel, inputs: tf.Tensor[]): Float32Array {
  const output = model.predict(inputs) as tf.Tensor;
  const probabilities = output.dataSync() as Float32Array;
  output.dispose();
  return probabilities;
}
