/**
 * The prediction API's wire contract (POST /predict, GET /models): request limits and the zod schemas the
 * prediction function validates with, and the shapes it answers with. The model image (model-container) holds
 * the use case; the route table documents both routes with these schemas (GET /openapi.json).
 */
import * as z from "zod";

/** Most instances in one POST /predict (more: 413). */
export const MAX_INSTANCES = 1000;
export const MAX_DISTANCE_MILES = 13000;
/**
 * Largest POST /predict body (bytes). A 1000-instance request (the model bench prints its body size) is far below
 * this; the cap leaves room and still refuses abuse early.
 */
export const PREDICT_MAX_BODY_BYTES = 1024 * 1024;

/** An IATA (3) or ICAO (4) airport code, any case. */
export const AIRPORT_CODE = /^[A-Za-z0-9]{3,4}$/;
/** `YYYY-MM-DDTHH:MM[:SS[.fff]]` (or a space for the T); the calendar check is in the model's parseLocalDateTime. */
export const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?$/;
export const DEPARTURE_FORMAT =
  "must be a local date-time at the origin without offset, e.g. 2001-01-13T14:56:00";

// Plain checks only: zod runs them in its compiled fast path, while per-field transforms leave it (they show up in
// the model bench's "overhead breakdown at 1000: validation" row). Upper-casing and the calendar check happen
// once, in the model's resolveFlights.
const airportCode = z.string().regex(AIRPORT_CODE, "must be a 3- or 4-character airport code, e.g. SEA");

export const InstanceSchema = z
  .strictObject({
    origin: airportCode.meta({
      description: "Origin airport (IATA or ICAO code, any case).",
      examples: ["SEA"],
    }),
    destination: airportCode.meta({
      description: "Destination airport; must differ from the origin.",
      examples: ["SFO"],
    }),
    departure: z
      .string()
      .regex(LOCAL_DATE_TIME, DEPARTURE_FORMAT)
      .meta({
        description:
          "Scheduled departure, local time at the origin, without offset (years 1914..2100, a real calendar date).",
        examples: ["2001-01-13T14:56:00"],
      }),
    distance: z
      .number()
      .positive()
      .max(MAX_DISTANCE_MILES, `must be at most ${MAX_DISTANCE_MILES} miles`)
      .optional()
      .meta({ description: "Great-circle miles; required when either airport is not in the model's table." }),
  })
  .meta({ title: "FlightInstance" });

/** What the prediction use case validates (the handler has taken `model` off first). */
export const PredictRequestSchema = z.strictObject({
  instances: z.array(InstanceSchema).min(1, "must hold at least one instance"),
});
export type PredictRequest = z.input<typeof PredictRequestSchema>;

/** POST /predict's body as a client sends it: the instances, and optionally the model to ask. */
export const PredictBodySchema = PredictRequestSchema.extend({
  model: z.string().optional().meta({
    description: 'A model of GET /models as "<name>@<version>"; omitted: the champion.',
  }),
}).meta({
  title: "PredictRequest",
  description: `1..${MAX_INSTANCES} flights, predicted in one batched call.`,
});

export const PredictResponseSchema = z
  .strictObject({
    predictions: z
      .array(
        z.strictObject({
          delayProbability: z
            .number()
            .min(0)
            .max(1)
            .meta({ description: "P(arrival delay > 15 min), 4 decimals." }),
          delayed: z.boolean().meta({ description: "delayProbability at or above the model's threshold." }),
        }),
      )
      .meta({ description: "One per instance, in the request's order." }),
    model: z.strictObject({ name: z.string(), version: z.string() }),
  })
  .meta({ title: "PredictResponse" });

const DateRangeSchema = { from: z.string(), to: z.string() };

export const ModelSummarySchema = z
  .strictObject({
    id: z.string().meta({ description: '"<name>@<version>", the value of POST /predict\'s `model`.' }),
    name: z.string(),
    version: z.string(),
    champion: z.boolean(),
    trainingWindow: z.strictObject(DateRangeSchema),
    test: z.strictObject({
      ...DateRangeSchema,
      flights: z.number().int().nonnegative(),
      rocAuc: z.number(),
      logLoss: z.number(),
    }),
  })
  .meta({ title: "ModelSummary" });

/** GET /models. */
export const ModelsResponseSchema = z
  .strictObject({
    champion: z.string().meta({ description: "The model that serves requests naming none." }),
    models: z.array(ModelSummarySchema),
  })
  .meta({ title: "Models" });
export type ModelsResponse = z.infer<typeof ModelsResponseSchema>;
