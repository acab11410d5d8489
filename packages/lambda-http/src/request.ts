import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod";
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "./errors";

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Reads a JSON request body: 415 unless the content type is application/json, 413 over `maxBytes`
 * (API Gateway itself stops at 10 MB), 400 for malformed JSON.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const contentType = header(event, "content-type");
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json (got ${contentType ? JSON.stringify(contentType) : "none"})`,
    );
  }
  const raw = event.body ?? "";
  // A plain body is parsed as the string it already is: no copy through a Buffer on the hot path.
  const size = event.isBase64Encoded ? Buffer.byteLength(raw, "base64") : Buffer.byteLength(raw, "utf8");
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`Request body is ${size} bytes; the limit is ${maxBytes} bytes`);
  }
  const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError("Request body is not valid JSON", { cause: err });
  }
}

/** Validates with zod; a failure is a 400 whose message and details name every offending field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "request body",
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.field}: ${d.message}`).join("; ");
  throw new ValidationError(`Invalid ${what}: ${summary}`, { details });
}
