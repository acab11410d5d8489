/**
 * The network's shape and the files of a trained model, shared by the training script (which builds the layers
 * model from it) and the inference core (which runs the same layers with tfjs-core ops).
 */
export const MODEL_NAME = "flight-delay";

/** Files in the model folder (model-container/model/, or MODEL_DIR). */
export const MODEL_FILES = {
  /** tfjs layers-format topology and weights manifest. */
  topology: "model.json",
  weights: "weights.bin",
  /** Vocabularies, scaling, threshold and version (FeatureMetadata + version). */
  features: "features.json",
  /** IATA code -> [latitude, longitude], for requests without a distance. */
  airports: "airports.json",
  /** Evaluation metrics the model card is rendered from and the AUC test checks. */
  metrics: "metrics.json",
  /** Fixed inputs and the probabilities tfjs-layers' model.predict gave for them at training time. */
  golden: "golden.json",
} as const;

export const EMBEDDING_DIM = 8;

/** Layer names fix the weight names in model.json (`<layer>/kernel`, `<layer>/bias`). */
export const LAYERS = {
  originEmbedding: "origin_embedding",
  destinationEmbedding: "destination_embedding",
  hidden: [
    { name: "hidden_1", units: 32 },
    { name: "hidden_2", units: 16 },
  ],
  output: "delay_probability",
} as const;
