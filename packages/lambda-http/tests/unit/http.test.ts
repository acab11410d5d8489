import { NotFoundError, parseWith, ValidationError } from "@sml/contracts/errors";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { z } from "zod";
import { MethodNotAllowedError, readJsonBody, toHttpResponse } from "../../src";

const event = (body: string | undefined, contentType?: string, isBase64Encoded = false) =>
  ({
    headers: contentType ? { "Content-Type": contentType } : {},
    body,
    isBase64Encoded,
  }) as APIGatewayProxyEventV2;

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return toHttpResponse(err);
  }
  throw new Error("expected a throw");
};

describe("readJsonBody", () => {
  it("parses a JSON body, with charset and base64", () => {
    expect(readJsonBody(event('{"a":1}', "application/json; charset=utf-8"), 100)).toEqual({ a: 1 });
    const b64 = Buffer.from('{"a":2}').toString("base64");
    expect(readJsonBody(event(b64, "application/json", true), 100)).toEqual({ a: 2 });
  });

  it("answers 415 for another or a missing content type", () => {
    expect(errorOf(() => readJsonBody(event("{}", "text/plain"), 100)).statusCode).toBe(415);
    expect(errorOf(() => readJsonBody(event("{}"), 100)).statusCode).toBe(415);
  });

  it("answers 413 past the byte limit, counting UTF-8 bytes", () => {
    expect(
      errorOf(() => readJsonBody(event(JSON.stringify("é".repeat(60)), "application/json"), 100)).statusCode,
    ).toBe(413);
  });

  it("answers 400 INVALID_JSON for a broken body", () => {
    const res = errorOf(() => readJsonBody(event("{", "application/json"), 100));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe("INVALID_JSON");
  });
});

describe("parseWith", () => {
  it("names every failing field in message and details", () => {
    const schema = z.strictObject({ name: z.string(), email: z.email() });
    const res = errorOf(() => parseWith(schema, { name: 1, email: "x" }));
    const body = JSON.parse(res.body);
    expect(res.statusCode).toBe(400);
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.message).toMatch(/name/);
    expect(body.error.details.map((d: { field: string }) => d.field)).toEqual(["name", "email"]);
  });
});

describe("toHttpResponse", () => {
  it("maps known errors to their status and code", () => {
    expect(toHttpResponse(new NotFoundError("no user 7"))).toMatchObject({ statusCode: 404 });
    expect(toHttpResponse(new ValidationError("bad")).body).toBe(
      JSON.stringify({ error: { code: "VALIDATION_FAILED", message: "bad" } }),
    );
  });

  it("sets the Allow header on 405", () => {
    expect(toHttpResponse(new MethodNotAllowedError("no", ["GET", "POST"])).headers).toMatchObject({
      allow: "GET, POST",
    });
  });

  it("hides an unknown error's message behind a generic 500 and reports it", () => {
    const seen: unknown[] = [];
    const res = toHttpResponse(new Error("password=hunter2"), (e) => seen.push(e));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("hunter2");
    expect(seen).toHaveLength(1);
  });
});
