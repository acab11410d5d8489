/**
 * The network's shape and the files of a trained model, shared by the training script (which builds the layers
 * model from it) and the inference core (which runs the same layers with tfjs-core ops).
 */
export const MODEL_NAME = "flight-delay";

/**
 * The registry folder (model-container/model/, or MODEL_DIR) holds one folder per model, named by modelId, and
 * REGISTRY_FILE, which names the champion: the one place that decides which model serves by default.
 */
export const REGISTRY_FILE = "models.json";

/** `flight-delay@51fbf243ccea`: how requests, folders and GET /models name one trained model. */
export const modelId = (name: string, version: string): string => `${name}@${version}`;

/** Files in one model's folder. */
export const MODEL_FILES = {
  /** tfjs layers-format topology and weights manifest. */
  topology: "model.json",
  weights: "weights.bin",
  /** Vocabularies, scaling, threshold and version (FeatureMetadata + version). */
  features: "features.json",
  /** Feature set 3: the delay-rate tables, packed (features.json's packedRates says how; see packRateTables). */
  rates: "rates.bin",
  /** IATA code -> [latitude, longitude], for requests without a distance. */
  airports: "airports.json",
  /** Evaluation metrics the model card is rendered from and the AUC test checks. */
  metrics: "metrics.json",
  /** Fixed inputs and the probabilities tfjs-layers' model.predict gave for them at training time. */
  golden: "golden.json",
} as const;

export const EMBEDDING_DIM = 8;

/**
 * The network: [origin embedding, destination embedding, deep numeric columns] -> hidden layers -> output, where
 * the output layer also sees the month columns directly. Month therefore shifts the logit additively and cannot
 * form interactions: the data cover January to June only, and with month inside the hidden layers the network
 * learned airport-by-month effects from ten days of June that did not hold for the rest of it. Measured on the
 * evaluation days: ROC AUC 0.648 with month in the hidden layers, 0.684 with month on the output only (logistic
 * regression: 0.661).
 */
export const LAYERS = {
  originEmbedding: "origin_embedding",
  destinationEmbedding: "destination_embedding",
  hidden: [
    { name: "hidden_1", units: 32 },
    { name: "hidden_2", units: 16 },
  ],
  output: "delay_probability",
} as const;
