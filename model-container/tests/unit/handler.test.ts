import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { MODEL_FILES } from "@sml/flight-model/model-spec";
import { createPredictionHandler, MAX_BODY_BYTES, type PredictionApp } from "../../src/prediction-function";
import { apiEvent, workspaceModelDir } from "../support/events";

const instance = { origin: "SEA", destination: "SFO", departure: "2001-01-13T14:56:00", distance: 679 };
const silent = new Logger({ serviceName: "prediction-test", logLevel: "SILENT" });

let app: PredictionApp;
beforeAll(async () => {
  app = await createPredictionHandler({
    modelDir: workspaceModelDir,
    backends: ["wasm", "cpu"],
    logger: silent,
  });
});

async function call(body: unknown, options?: Parameters<typeof apiEvent>[1]) {
  const response = await app.handler(apiEvent(body, options));
  return { statusCode: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

function expectError(body: unknown, code: string) {
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
}

describe("POST /predict", () => {
  it("returns a probability and a delayed flag per instance, and the model's name and version", async () => {
    const features = JSON.parse(readFileSync(join(workspaceModelDir, MODEL_FILES.features), "utf8"));
    const res = await call({ instances: [instance, { ...instance, departure: "2001-06-15T19:00:00" }] });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({ "content-type": "application/json" });
    expect(res.body.model).toEqual({ name: "flight-delay", version: features.version });
    expect(res.body.predictions).toHaveLength(2);
    for (const p of res.body.predictions) {
      expect(p.delayProbability).toBeGreaterThan(0);
      expect(p.delayProbability).toBeLessThan(1);
      expect(p.delayed).toBe(p.delayProbability >= features.threshold);
    }
  });

  it("uses the wasm backend when it is available", () => {
    expect(app.backend).toBe("wasm");
  });

  it("computes a missing distance as the great-circle distance between the airports", async () => {
    const { distance: _omitted, ...withoutDistance } = instance;
    const res = await call({ instances: [withoutDistance, { ...instance, distance: 678.8 }] });
    expect(res.statusCode).toBe(200);
    expect(res.body.predictions[0].delayProbability).toBeCloseTo(res.body.predictions[1].delayProbability, 3);
  });

  it("serves unknown airports that come with a distance through the out-of-vocabulary bucket", async () => {
    const res = await call({
      instances: [
        { ...instance, origin: "ZZZ" },
        { ...instance, origin: "QQQ" },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.body.predictions[0]).toEqual(res.body.predictions[1]);
  });

  it("reads a base64-encoded body as API Gateway sends binary payloads", async () => {
    const event = apiEvent(undefined, {
      rawBody: Buffer.from(JSON.stringify({ instances: [instance] })).toString("base64"),
    });
    const response = await app.handler({ ...event, isBase64Encoded: true });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).predictions).toHaveLength(1);
  });

  it("accepts lower-case airport codes", async () => {
    const res = await call({ instances: [instance, { ...instance, origin: "sea", destination: "sfo" }] });
    expect(res.body.predictions[0]).toEqual(res.body.predictions[1]);
  });

  it("predicts a whole request in one batched model call", async () => {
    const predict = jest.spyOn(app.model, "predict");
    try {
      const res = await call({ instances: Array.from({ length: 1000 }, () => instance) });
      expect(res.statusCode).toBe(200);
      expect(res.body.predictions).toHaveLength(1000);
      expect(predict).toHaveBeenCalledTimes(1);
      expect(predict.mock.calls[0]?.[0].size).toBe(1000);
    } finally {
      predict.mockRestore();
    }
  });

  it("returns 400 naming the instance when an unknown airport comes without a distance", async () => {
    const { distance: _omitted, ...withoutDistance } = instance;
    const res = await call({ instances: [withoutDistance, { ...withoutDistance, destination: "XQX" }] });
    expect(res.statusCode).toBe(400);
    expectError(res.body, "VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([
      { field: "instances.1.distance", message: expect.stringContaining("XQX") },
    ]);
    expect(res.body.error.message).toContain("instances.1");
  });

  it.each([
    ["origin", { origin: "S" }, "instances.1.origin"],
    ["destination", { destination: 42 }, "instances.1.destination"],
    ["departure format", { departure: "13/01/2001 14:56" }, "instances.1.departure"],
    ["impossible date", { departure: "2001-02-30T10:00:00" }, "instances.1.departure"],
    ["departure with offset", { departure: "2001-01-13T14:56:00Z" }, "instances.1.departure"],
    ["negative distance", { distance: -5 }, "instances.1.distance"],
    ["distance as string", { distance: "679" }, "instances.1.distance"],
    ["unknown field", { carrier: "AS" }, "instances.1"],
  ])("returns 400 naming index and field for an invalid %s", async (_what, change, field) => {
    const res = await call({ instances: [instance, { ...instance, ...change }] });
    expect(res.statusCode).toBe(400);
    expectError(res.body, "VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
    expect(res.body.error.message).toContain(field);
  });

  it("returns 400 naming a missing field", async () => {
    const { departure: _omitted, ...withoutDeparture } = instance;
    const res = await call({ instances: [withoutDeparture] });
    expect(res.statusCode).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: "instances.0.departure" })]);
  });

  it.each([
    ["no instances", { instances: [] }, "instances"],
    ["a missing instances field", { rows: [instance] }, "instances"],
    ["instances that are not a list", { instances: instance }, "instances"],
    ["a body that is not an object", [instance], "(root)"],
  ])("returns 400 for %s", async (_what, body, field) => {
    const res = await call(body);
    expect(res.statusCode).toBe(400);
    expectError(res.body, "VALIDATION_FAILED");
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it("returns 413 for more than 1000 instances", async () => {
    const res = await call({ instances: Array.from({ length: 1001 }, () => instance) });
    expect(res.statusCode).toBe(413);
    expectError(res.body, "PAYLOAD_TOO_LARGE");
    expect(res.body.error.message).toContain("1000");
  });

  it("returns 413 for a body over the byte limit", async () => {
    const res = await call(undefined, {
      rawBody: JSON.stringify({ instances: [instance], pad: "x".repeat(MAX_BODY_BYTES) }),
    });
    expect(res.statusCode).toBe(413);
    expectError(res.body, "PAYLOAD_TOO_LARGE");
  });

  it("returns 400 for a body that is not JSON", async () => {
    const res = await call(undefined, { rawBody: '{"instances": [' });
    expect(res.statusCode).toBe(400);
    expectError(res.body, "INVALID_JSON");
  });

  it("returns 415 without a JSON content type", async () => {
    const res = await call({ instances: [instance] }, { headers: { "content-type": "text/plain" } });
    expect(res.statusCode).toBe(415);
    expectError(res.body, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("returns 405 with an Allow header for another method on /predict", async () => {
    const res = await call(undefined, { method: "GET" });
    expect(res.statusCode).toBe(405);
    expect(res.headers).toEqual(expect.objectContaining({ allow: "POST" }));
    expectError(res.body, "METHOD_NOT_ALLOWED");
  });

  it("returns 404 for routes another function serves", async () => {
    const res = await call({ instances: [instance] }, { path: "/users" });
    expect(res.statusCode).toBe(404);
    expectError(res.body, "NOT_FOUND");
  });

  it("returns a generic 500 and logs the cause when the model fails", async () => {
    const logged: unknown[] = [];
    const logger = new Logger({ serviceName: "prediction-test", logLevel: "SILENT" });
    jest.spyOn(logger, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    const failing = await createPredictionHandler({
      modelDir: workspaceModelDir,
      backends: ["wasm", "cpu"],
      logger,
    });
    jest.spyOn(failing.model, "predict").mockImplementation(() => {
      throw new Error("backend lost its memory");
    });
    const response = await failing.handler(apiEvent({ instances: [instance] }));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: "INTERNAL_ERROR", message: "Internal server error" },
    });
    expect(logged).toEqual([
      ["prediction failed", { error: expect.objectContaining({ message: "backend lost its memory" }) }],
    ]);
  });
});

describe("createPredictionHandler", () => {
  it("fails at init with the folder and file when the model is missing", async () => {
    await expect(
      createPredictionHandler({ modelDir: "/nonexistent/model", backends: ["wasm", "cpu"], logger: silent }),
    ).rejects.toThrow(/\/nonexistent\/model: features\.json is missing/);
  });
});
