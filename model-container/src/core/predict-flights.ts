/**
 * The prediction use case: validates a request, resolves problems distances from the airport table, encodes the
 * whole request and asks the model once.
 */
import { PayloadTooLargeError, parseWith, ValidationError } from "@sml/common/http";
import { z } from "zod";
import { type FlightInput, greatCircleMiles, LOCAL_DATE_TIME, parseLocalDateTime } from "../features";
import type { FlightDelayModel } from "./model";

export const MAX_INSTANCES = 1000;

// Plain checks only: zod runs them in its compiled fast path, while per-field transforms cost ~3 ms per 1000
// instances (measured). Upper-casing and the calendar check happen once, in resolveFlights.
const airportCode = z
  .string()
  .regex(/^[A-Za-z0-9]{3,4}$/, "must be a 3- or 4-character airport code, e.g. SEA");
const DEPARTURE_FORMAT = "must be a local date-time at the origin without offset, e.g. 2001-01-13T14:56:00";

export const InstanceSchema = z.strictObject({
  origin: airportCode,
  destination: airportCode,
  departure: z.string().regex(LOCAL_DATE_TIME, DEPARTURE_FORMAT),
  distance: z.number().positive().max(13000, "must be at most 13000 miles").optional(),
});

export const PredictRequestSchema = z.strictObject({
  instances: z.array(InstanceSchema).min(1, "must hold at least one instance"),
});
export type PredictRequest = z.input<typeof PredictRequestSchema>;

export interface Prediction {
  readonly delayProbability: number;
  readonly delayed: boolean;
}

export interface PredictResponse {
  readonly predictions: Prediction[];
  readonly model: { readonly name: string; readonly version: string };
}

/** Probabilities are rounded to 4 decimals: more digits would only expose float noise. */
const round4 = (p: number): number => Math.round(p * 10_000) / 10_000;

type Instance = z.output<typeof InstanceSchema>;
type AirportTable = ReadonlyMap<string, { readonly latitude: number; readonly longitude: number }>;

/**
 * Turns validated instances into the feature pipeline's input: upper-cased codes, parsed departure, and problems
 * distances from the airport table. A 400 names every instance with an impossible date (2001-02-30) or a
 * distance that cannot be computed.
 */
export function resolveFlights(instances: readonly Instance[], airports: AirportTable): FlightInput[] {
  const flights: FlightInput[] = new Array(instances.length);
  const problems: { field: string; message: string }[] = [];
  instances.forEach((instance, i) => {
    const departure = parseLocalDateTime(instance.departure);
    if (!departure) {
      problems.push({
        field: `instances.${i}.departure`,
        message: `is not a real date and time; ${DEPARTURE_FORMAT}`,
      });
      return;
    }
    const origin = instance.origin.toUpperCase();
    const destination = instance.destination.toUpperCase();
    let distance = instance.distance;
    if (distance === undefined) {
      const from = airports.get(origin);
      const to = airports.get(destination);
      if (!from || !to) {
        const unknown = [!from && origin, !to && destination].filter(Boolean).join(" and ");
        problems.push({
          field: `instances.${i}.distance`,
          message: `is required because airport ${unknown} is unknown (its distance cannot be computed)`,
        });
        return;
      }
      distance = greatCircleMiles(from, to);
    }
    flights[i] = { origin, destination, departure, distance };
  });
  if (problems.length > 0) {
    throw new ValidationError(
      `Invalid request body: ${problems.map((m) => `${m.field}: ${m.message}`).join("; ")}`,
      {
        details: problems,
      },
    );
  }
  return flights;
}

export function predictFlights(model: FlightDelayModel, body: unknown): PredictResponse {
  // Counted before validating each instance, so an oversized request costs nothing more than its parse.
  const instances = (body as { instances?: unknown } | null)?.instances;
  if (Array.isArray(instances) && instances.length > MAX_INSTANCES) {
    throw new PayloadTooLargeError(
      `A request holds at most ${MAX_INSTANCES} instances (got ${instances.length}); split it into several requests`,
    );
  }
  const request = parseWith(PredictRequestSchema, body);

  const flights = resolveFlights(request.instances, model.airports);
  const probabilities = model.predict(model.encoder.encode(flights));
  const threshold = model.threshold;
  const predictions = new Array<Prediction>(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    predictions[i] = { delayProbability: round4(p), delayed: p >= threshold };
  }
  return { predictions, model: { name: model.name, version: model.version } };
}
