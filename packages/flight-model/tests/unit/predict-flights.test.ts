import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DomainError, MAX_ERROR_DETAILS, parseWith } from "@sml/contracts/errors";
import { AIRPORT_CODE, LOCAL_DATE_TIME } from "@sml/contracts/predict";
import { httpStatusOf } from "@sml/lambda-http";
import fc from "fast-check";
import { initBackend } from "../../src/backend";
import { FlightDelayModel } from "../../src/model";
import { MODEL_FILES } from "../../src/model-spec";
import {
  isAirportCode,
  isLocalDateTime,
  isValidRequest,
  PredictRequestSchema,
  predictFlights,
  predictFlightsJson,
  validateRequest,
} from "../../src/predict-flights";
import { workspaceModelDir } from "../support/registry";

const instance = { origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00", distance: 679 };

/** Valid bodies and bodies that differ from one in one way, each way zod can reject an instance. */
const bodies: [string, unknown][] = [
  ["a valid instance", { instances: [instance] }],
  ["no distance", { instances: [{ ...instance, distance: undefined }] }],
  [
    "lower-case codes and a space before the time",
    { instances: [{ ...instance, origin: "sea", departure: "2001-01-13 14:56" }] },
  ],
  ["fractional seconds", { instances: [{ ...instance, departure: "2001-01-13T14:56:00.123" }] }],
  ["4-character codes", { instances: [{ ...instance, origin: "KSEA", destination: "K0Z9" }] }],
  ["the largest distance", { instances: [{ ...instance, distance: 13000 }] }],
  [
    "an impossible date (the calendar is checked later)",
    { instances: [{ ...instance, departure: "2001-02-30T10:00:00" }] },
  ],
  ["a 2-character code", { instances: [instance, { ...instance, origin: "SE" }] }],
  ["a 5-character code", { instances: [instance, { ...instance, destination: "SEATT" }] }],
  ["a code with a dash", { instances: [{ ...instance, origin: "SE-" }] }],
  ["a numeric code", { instances: [{ ...instance, destination: 42 }] }],
  ["a null departure", { instances: [{ ...instance, departure: null }] }],
  ["a departure with offset", { instances: [{ ...instance, departure: "2001-01-13T14:56:00Z" }] }],
  ["a departure without minutes", { instances: [{ ...instance, departure: "2001-01-13T14" }] }],
  ["zero distance", { instances: [{ ...instance, distance: 0 }] }],
  ["negative distance", { instances: [{ ...instance, distance: -5 }] }],
  ["distance over the limit", { instances: [{ ...instance, distance: 13000.5 }] }],
  ["infinite distance", { instances: [{ ...instance, distance: Number.POSITIVE_INFINITY }] }],
  ["NaN distance", { instances: [{ ...instance, distance: Number.NaN }] }],
  ["distance as a string", { instances: [{ ...instance, distance: "679" }] }],
  ["an unknown field", { instances: [{ ...instance, carrier: "AS" }] }],
  ["a missing field", { instances: [{ origin: "SEA", destination: "SFO" }] }],
  ["an instance that is a list", { instances: [[instance]] }],
  ["a null instance", { instances: [instance, null] }],
  ["a string instance", { instances: ["SEA-SFO"] }],
  [
    "several bad instances",
    { instances: [{ ...instance, origin: 1 }, instance, { ...instance, distance: -1 }] },
  ],
  ["no instances", { instances: [] }],
  ["instances that are an object", { instances: instance }],
  ["a field beside instances", { instances: [instance], pad: 1 }],
  ["a missing instances field", { rows: [instance] }],
  ["a body that is a list", [instance]],
  ["a null body", null],
  ["a string body", "instances"],
];

function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (err) {
    const status = httpStatusOf(err);
    if (!status || !(err instanceof DomainError)) throw err;
    return { status: status.statusCode, code: status.code, message: err.message, details: err.details };
  }
}

describe("validateRequest", () => {
  it.each(bodies)("gives zod's result for %s", (_what, body) => {
    expect(outcome(() => validateRequest(body))).toEqual(
      outcome(() => parseWith(PredictRequestSchema, body)),
    );
  });

  it.each(bodies)("pre-checks %s as accepted only when zod accepts it unchanged", (_what, body) => {
    if (!isValidRequest(body)) return;
    const zod = PredictRequestSchema.safeParse(body);
    expect(zod.success).toBe(true);
    expect(zod.data).toEqual(body);
  });

  it("pre-checks every valid variant as accepted, so they skip zod", () => {
    const valid = bodies.filter(([, body]) => PredictRequestSchema.safeParse(body).success);
    expect(valid.length).toBeGreaterThanOrEqual(7);
    for (const [what, body] of valid) expect([what, isValidRequest(body)]).toEqual([what, true]);
  });

  it("returns 413 for more than 1000 instances before validating any", () => {
    const body = { instances: Array.from({ length: 1001 }, () => ({ origin: 1 })) };
    expect(outcome(() => validateRequest(body))).toEqual(expect.objectContaining({ status: 413 }));
  });
});

describe("predictFlightsJson", () => {
  let model: FlightDelayModel;
  beforeAll(async () => {
    await initBackend(["wasm", "cpu"]);
    model = FlightDelayModel.load(workspaceModelDir);
  });

  it("writes exactly JSON.stringify(predictFlights) for the golden instances", () => {
    const golden = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.golden), "utf8"));
    const body = { instances: golden.instances };
    expect(predictFlightsJson(model, body)).toBe(JSON.stringify(predictFlights(model, body)));
  });

  it("writes exactly JSON.stringify(predictFlights) at rounding and threshold edges (model mocked)", () => {
    const t = model.threshold;
    const edges = [
      0,
      1,
      0.5,
      0.00004999,
      0.00005,
      0.99995,
      1e-9,
      t,
      t - 1e-7,
      t + 1e-7,
      0.12345678,
      Number.NaN,
    ];
    const probabilities = Float32Array.from(edges);
    const predict = jest.spyOn(model, "predict").mockImplementation(() => probabilities.slice());
    try {
      const body = { instances: edges.map(() => instance) };
      // Twice: the second answer comes from the cached fragments.
      for (let round = 0; round < 2; round++) {
        expect(predictFlightsJson(model, body)).toBe(JSON.stringify(predictFlights(model, body)));
      }
    } finally {
      predict.mockRestore();
    }
  });

  it("names every instance whose distance cannot be computed", () => {
    const { distance: _omitted, ...withoutDistance } = instance;
    const body = {
      instances: [
        { ...withoutDistance, origin: "QQQ" },
        instance,
        { ...withoutDistance, destination: "XQX" },
      ],
    };
    expect(outcome(() => predictFlightsJson(model, body))).toEqual(
      expect.objectContaining({
        status: 400,
        details: [
          { field: "instances.0.distance", message: expect.stringContaining("QQQ") },
          { field: "instances.2.distance", message: expect.stringContaining("XQX") },
        ],
      }),
    );
  });

  // Issue 16, finding 7: accepted by the probe, each answered with a prediction.
  it("rejects a flight whose destination is its origin, case-insensitively", () => {
    const body = { instances: [instance, { ...instance, destination: "sea" }] };
    expect(outcome(() => predictFlightsJson(model, body))).toEqual(
      expect.objectContaining({
        status: 400,
        details: [{ field: "instances.1.destination", message: expect.stringContaining("origin") }],
      }),
    );
  });

  it.each(["0000-01-13T14:56:00", "9999-01-13T14:56:00", "1903-12-17T10:35:00", "2101-01-01T00:00:00"])(
    "rejects the departure %s, a year no scheduled flight has",
    (departure) => {
      expect(outcome(() => predictFlightsJson(model, { instances: [{ ...instance, departure }] }))).toEqual(
        expect.objectContaining({
          status: 400,
          details: [{ field: "instances.0.departure", message: expect.stringContaining("years") }],
        }),
      );
    },
  );

  it("answers 1,000 unknown airports with the first problems and a count of the rest, not a 228 KB body", () => {
    const { distance: _omitted, ...withoutDistance } = instance;
    const body = {
      instances: Array.from({ length: 1000 }, (_, i) => ({
        ...withoutDistance,
        origin: `Q${String(i).padStart(3, "0")}`,
      })),
    };
    const result = outcome(() => predictFlightsJson(model, body)) as {
      status: number;
      message: string;
      details: { field?: string; message: string }[];
    };
    expect(result.status).toBe(400);
    expect(result.details).toHaveLength(MAX_ERROR_DETAILS + 1);
    expect(result.details[0]?.field).toBe("instances.0.distance");
    expect(result.details.at(-1)?.message).toContain(`${1000 - MAX_ERROR_DETAILS} more`);
    expect(result.message).toContain(`${1000 - MAX_ERROR_DETAILS} more`);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(8 * 1024);
  });
});

describe("the pre-check's character tests", () => {
  // Strings near the patterns: valid ones with one character changed, dropped or added, from an alphabet of the
  // characters the patterns name and their neighbours.
  const near = (valid: fc.Arbitrary<string>) =>
    fc.oneof(
      valid,
      fc
        .tuple(valid, fc.nat(), fc.constantFrom(..."09AZaz:-T .x/@[`{\u00e9\u0660"))
        .chain(([s, at, c]) =>
          fc.constantFrom(
            s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + 1),
            s.slice(0, at % (s.length + 1)) + s.slice((at % (s.length + 1)) + 1),
            s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1)),
          ),
        ),
      fc.string({ maxLength: 30 }),
    );

  it("isAirportCode answers as AIRPORT_CODE does", () => {
    const valid = fc.stringMatching(/^[A-Za-z0-9]{3,4}$/);
    fc.assert(
      fc.property(near(valid), (s) => expect(isAirportCode(s)).toBe(AIRPORT_CODE.test(s))),
      { numRuns: 5000 },
    );
  });

  it("isLocalDateTime answers as LOCAL_DATE_TIME does, at every length the pattern allows and one past", () => {
    const full = "2001-01-13T14:56:00.1234567890";
    for (let n = 0; n <= full.length; n++) {
      for (const s of [full.slice(0, n), full.slice(0, n).replace("T", " ")])
        expect([s, isLocalDateTime(s)]).toEqual([s, LOCAL_DATE_TIME.test(s)]);
    }
  });

  it("isLocalDateTime answers as LOCAL_DATE_TIME does", () => {
    const valid = fc.stringMatching(LOCAL_DATE_TIME);
    fc.assert(
      fc.property(near(valid), (s) => expect(isLocalDateTime(s)).toBe(LOCAL_DATE_TIME.test(s))),
      { numRuns: 5000 },
    );
  });
});
