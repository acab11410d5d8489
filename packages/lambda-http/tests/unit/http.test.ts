import { MAX_ERROR_DETAILS, NotFoundError, parseWith, ValidationError } from "@sml/contracts/errors";
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

  it("answers 400 for base64 bytes that are not UTF-8 instead of storing U+FFFD (issue 16, finding 1)", () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = errorOf(() => readJsonBody(event(bytes.toString("base64"), "application/json", true), 100));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toEqual(
      expect.objectContaining({ code: "INVALID_JSON", message: expect.stringContaining("UTF-8") }),
    );
  });

  it("answers 415 for a charset other than UTF-8, and takes utf-8 in any case or quoted", () => {
    expect(
      errorOf(() => readJsonBody(event("{}", "application/json; charset=iso-8859-1"), 100)).statusCode,
    ).toBe(415);
    expect(readJsonBody(event("{}", 'application/json; Charset="UTF-8"'), 100)).toEqual({});
  });

  it("answers 415 for two content types joined with a comma, in either order (issue 16, finding 3)", () => {
    for (const joined of ["application/json,text/plain", "text/plain,application/json"])
      expect(errorOf(() => readJsonBody(event("{}", joined), 100)).statusCode).toBe(415);
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

  it("counts bytes exactly at the limit: 3-byte characters, 4-byte ones (two UTF-16 units) and base64", () => {
    // 33 x "€" (3 bytes each) between quotes is 101 bytes; 32 is 98.
    expect(
      errorOf(() => readJsonBody(event(JSON.stringify("€".repeat(33)), "application/json"), 100)).statusCode,
    ).toBe(413);
    expect(readJsonBody(event(JSON.stringify("€".repeat(32)), "application/json"), 100)).toBe("€".repeat(32));
    // 25 x U+1F600 (4 bytes, 2 UTF-16 units each) between quotes is 102 bytes; 24 is 98.
    expect(
      errorOf(() => readJsonBody(event(JSON.stringify("😀".repeat(25)), "application/json"), 100)).statusCode,
    ).toBe(413);
    expect(readJsonBody(event(JSON.stringify("😀".repeat(24)), "application/json"), 100)).toBe(
      "😀".repeat(24),
    );
    const base64 = (text: string) => event(Buffer.from(text).toString("base64"), "application/json", true);
    expect(errorOf(() => readJsonBody(base64(JSON.stringify("a".repeat(99))), 100)).statusCode).toBe(413);
    expect(readJsonBody(base64(JSON.stringify("a".repeat(98))), 100)).toBe("a".repeat(98));
  });

  it("answers 400 INVALID_JSON for a broken body", () => {
    const res = errorOf(() => readJsonBody(event("{", "application/json"), 100));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe("INVALID_JSON");
  });
});

describe("parseWith", () => {
  it("lists at most MAX_ERROR_DETAILS problems and counts the rest (issue 16, finding 7)", () => {
    const res = errorOf(() =>
      parseWith(
        z.array(z.string()),
        Array.from({ length: 500 }, (_, i) => i),
      ),
    );
    const body = JSON.parse(res.body);
    expect(body.error.details).toHaveLength(MAX_ERROR_DETAILS + 1);
    expect(body.error.details.at(-1).message).toBe(`and ${500 - MAX_ERROR_DETAILS} more problems not listed`);
    expect(body.error.message).toMatch(new RegExp(`; and ${500 - MAX_ERROR_DETAILS} more$`));
  });

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
