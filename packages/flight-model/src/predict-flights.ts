/**
 * The prediction use case: validates a request, resolves missing distances from the airport table, encodes the
 * whole request and asks the model once.
 */
import { PayloadTooLargeError, parseWith, validationError } from "@sml/contracts/errors";
import {
  DEPARTURE_FORMAT,
  type InstanceSchema,
  MAX_DISTANCE_MILES,
  MAX_INSTANCES,
  PredictRequestSchema,
} from "@sml/contracts/predict";
import type * as z from "zod";
import { type EncodedBatch, type FlightInput, greatCircleMiles, parseMatchedLocalDateTime } from "./features";
import type { FlightDelayModel } from "./model";

// The request's schemas and limits are the API's contract (@sml/contracts/predict, the route table's docs).
export {
  InstanceSchema,
  MAX_DISTANCE_MILES,
  MAX_INSTANCES,
  type PredictRequest,
  PredictRequestSchema,
} from "@sml/contracts/predict";

/**
 * Departure years a flight can have: scheduled airline service began in 1914, and a schedule past 2100 is a typo.
 * The model reads month, weekday and hour, so a year outside these (0000, 9999) would still get an answer.
 */
export const MIN_DEPARTURE_YEAR = 1914;
export const MAX_DEPARTURE_YEAR = 2100;

type ValidRequest = z.output<typeof PredictRequestSchema>;
type Instance = z.output<typeof InstanceSchema>;

export interface Prediction {
  readonly delayProbability: number;
  readonly delayed: boolean;
}

export interface PredictResponse {
  readonly predictions: Prediction[];
  readonly model: { readonly name: string; readonly version: string };
}

/** Probabilities are rounded to 4 decimals: more digits would only expose float noise. */
export const round4 = (p: number): number => Math.round(p * 10_000) / 10_000;

type AirportTable = ReadonlyMap<string, { readonly latitude: number; readonly longitude: number }>;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * AIRPORT_CODE.test(s) read character by character: three calls of a regular expression per instance cost more
 * than the rest of the pre-check (a property test holds the two equal).
 */
export function isAirportCode(s: string): boolean {
  if (s.length !== 3 && s.length !== 4) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/** LOCAL_DATE_TIME.test(s) read character by character (`YYYY-MM-DDTHH:MM[:SS[.f{1,9}]]`, T or a space). */
export function isLocalDateTime(s: string): boolean {
  const n = s.length;
  if (n !== 16 && n !== 19 && (n < 21 || n > 29)) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok =
      i === 4 || i === 7
        ? c === 45 // -
        : i === 10
          ? c === 84 || c === 32 // T or space
          : i === 13 || i === 16
            ? c === 58 // :
            : i === 19
              ? c === 46 // .
              : isDigit(c);
    if (!ok) return false;
  }
  return true;
}

/** True only for instances InstanceSchema accepts unchanged (the batch worker checks rows one by one with it). */
export function isValidInstance(value: unknown): value is Instance {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const instance = value as Record<string, unknown>;
  for (const key in instance) {
    if (key !== "origin" && key !== "destination" && key !== "departure" && key !== "distance") return false;
  }
  const { origin, destination, departure, distance } = instance;
  return (
    typeof origin === "string" &&
    isAirportCode(origin) &&
    typeof destination === "string" &&
    isAirportCode(destination) &&
    typeof departure === "string" &&
    isLocalDateTime(departure) &&
    (distance === undefined ||
      (typeof distance === "number" && distance > 0 && distance <= MAX_DISTANCE_MILES))
  );
}

/**
 * True only for bodies PredictRequestSchema accepts unchanged (it has no transforms, so its output is its
 * input). One tight pass costs a fraction of zod's per-instance bookkeeping (the model bench's "overhead breakdown
 * at 1000: validation (pre-check, zod on failure)" row); anything it does not recognise goes to zod, which stays the validator of record and writes every
 * error message.
 */
export function isValidRequest(body: unknown): body is ValidRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  for (const key in body) if (key !== "instances") return false;
  const instances = (body as { instances?: unknown }).instances;
  if (!Array.isArray(instances) || instances.length === 0) return false;
  for (let i = 0; i < instances.length; i++) if (!isValidInstance(instances[i])) return false;
  return true;
}

/** Validates a request body: 413 over MAX_INSTANCES, else zod's 400 naming every offending index and field. */
export function validateRequest(body: unknown): ValidRequest {
  // Counted before validating each instance, so an oversized request costs nothing more than its parse.
  const instances = (body as { instances?: unknown } | null)?.instances;
  if (Array.isArray(instances) && instances.length > MAX_INSTANCES) {
    throw new PayloadTooLargeError(
      `A request holds at most ${MAX_INSTANCES} instances (got ${instances.length}); split it into several requests`,
    );
  }
  return isValidRequest(body) ? body : parseWith(PredictRequestSchema, body);
}

/** Codes almost always arrive upper-case; scanning 3-4 characters is cheaper than toUpperCase's runtime call. */
function upperCase(code: string): string {
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c >= 97 && c <= 122) return code.toUpperCase();
  }
  return code;
}

interface Problem {
  readonly field: string;
  readonly message: string;
}

/** Receives why instance `index` cannot be predicted: its field (`departure`, ...) and /predict's reason. */
export type InstanceRejection = (index: number, field: string, message: string) => void;

/** One validated instance as the feature pipeline's input, or undefined after reporting why it cannot be. */
function resolveFlight(
  instance: Instance,
  i: number,
  airports: AirportTable,
  reject: InstanceRejection,
): FlightInput | undefined {
  // The schema (or the pre-check, which reads the same pattern character by character) has matched LOCAL_DATE_TIME.
  const departure = parseMatchedLocalDateTime(instance.departure);
  if (!departure) {
    reject(i, "departure", `is not a real date and time; ${DEPARTURE_FORMAT}`);
    return undefined;
  }
  if (departure.year < MIN_DEPARTURE_YEAR || departure.year > MAX_DEPARTURE_YEAR) {
    reject(
      i,
      "departure",
      `must be in the years ${MIN_DEPARTURE_YEAR}..${MAX_DEPARTURE_YEAR} (got ${departure.year})`,
    );
    return undefined;
  }
  const origin = upperCase(instance.origin);
  const destination = upperCase(instance.destination);
  if (origin === destination) {
    reject(i, "destination", `must differ from the origin (${origin})`);
    return undefined;
  }
  let distance = instance.distance;
  if (distance === undefined) {
    const from = airports.get(origin);
    const to = airports.get(destination);
    if (!from || !to) {
      const unknown = [!from && origin, !to && destination].filter(Boolean).join(" and ");
      reject(
        i,
        "distance",
        `is required because airport ${unknown} is unknown (its distance cannot be computed)`,
      );
      return undefined;
    }
    distance = greatCircleMiles(from, to);
  }
  return { origin, destination, departure, distance };
}

/** Collects rejections as a request's problems, named `instances.<i>.<field>`. */
function collect(problems: Problem[]): InstanceRejection {
  return (i, field, message) => problems.push({ field: `instances.${i}.${field}`, message });
}

function throwProblems(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  throw validationError("request body", problems);
}

/**
 * Turns validated instances into the feature pipeline's input: upper-cased codes, parsed departure, and missing
 * distances from the airport table. A 400 names every instance with an impossible date (2001-02-30) or a
 * distance that cannot be computed.
 */
export function resolveFlights(instances: readonly Instance[], airports: AirportTable): FlightInput[] {
  const flights: FlightInput[] = new Array(instances.length);
  const problems: Problem[] = [];
  const reject = collect(problems);
  for (let i = 0; i < instances.length; i++) {
    const flight = resolveFlight(instances[i] as Instance, i, airports, reject);
    if (flight) flights[i] = flight;
  }
  throwProblems(problems);
  return flights;
}

/**
 * encodeInstances without throwing, for callers that reject instances one by one (the batch worker): each
 * instance that cannot be resolved goes to `reject` and its row of the batch is left unencoded (its prediction
 * means nothing), so one bad instance costs what a good one costs.
 */
export function encodeEach(
  model: FlightDelayModel,
  instances: readonly Instance[],
  reject: InstanceRejection,
): EncodedBatch {
  const batch = model.encoder.allocate(instances.length);
  const flights = new Array<FlightInput | undefined>(instances.length);
  for (let i = 0; i < instances.length; i++)
    flights[i] = resolveFlight(instances[i] as Instance, i, model.airports, reject);
  model.encoder.encodeRows(flights, batch);
  return batch;
}

/** resolveFlights and FeatureEncoder.encode in one pass, straight into the batch the model reads. */
export function encodeInstances(model: FlightDelayModel, instances: readonly Instance[]): EncodedBatch {
  const problems: Problem[] = [];
  const batch = encodeEach(model, instances, collect(problems));
  throwProblems(problems);
  return batch;
}

/** Validates, encodes and predicts a whole request in one batched model call; P(arrival delay > 15 min) per instance. */
export function predictProbabilities(model: FlightDelayModel, body: unknown): Float32Array {
  return model.predict(encodeInstances(model, validateRequest(body).instances));
}

export function predictFlights(model: FlightDelayModel, body: unknown): PredictResponse {
  const probabilities = predictProbabilities(model, body);
  const threshold = model.threshold;
  const predictions = new Array<Prediction>(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    predictions[i] = { delayProbability: round4(p), delayed: p >= threshold };
  }
  return { predictions, model: { name: model.name, version: model.version } };
}

/** JSON of one prediction, by rounded probability (0..10000) and flag; filled as values occur (~45 B each). */
const predictionJson: [string[], string[]] = [[], []];

function renderPrediction(p: number, threshold: number): string {
  const delayed = p >= threshold;
  const key = Math.round(p * 10_000);
  const cache = predictionJson[delayed ? 1 : 0];
  if (key >= 0 && key <= 10_000) {
    const cached = cache[key];
    if (cached !== undefined) return cached;
  }
  const json = JSON.stringify({ delayProbability: round4(p), delayed });
  if (key >= 0 && key <= 10_000) cache[key] = json;
  return json;
}

/**
 * The response body, byte for byte `JSON.stringify(predictFlights(model, body))`, without building an object per
 * prediction or formatting the same rounded numbers over and over: a 1000-instance answer is one join.
 */
export function predictFlightsJson(model: FlightDelayModel, body: unknown): string {
  const probabilities = predictProbabilities(model, body);
  const threshold = model.threshold;
  const parts = new Array<string>(probabilities.length);
  for (let i = 0; i < probabilities.length; i++)
    parts[i] = renderPrediction(probabilities[i] as number, threshold);
  return `{"predictions":[${parts.join(",")}],"model":${JSON.stringify({ name: model.name, version: model.version })}}`;
}
