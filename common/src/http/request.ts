import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod";
import {
  type ErrorDetail,
  InvalidJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./errors";

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** A media type's parameters (`charset=utf-8; q="x"`), names lower-cased, quotes removed. */
function mediaTypeParameters(contentType: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of contentType.split(";").slice(1)) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const value = part.slice(eq + 1).trim();
    params.set(part.slice(0, eq).trim().toLowerCase(), value.replace(/^"(.*)"$/, "$1"));
  }
  return params;
}

// JSON exchanged between systems must be UTF-8 (RFC 8259, section 8.1). A fatal decoder throws on bytes that
// are not, where the default one would turn them into U+FFFD and the API would store what nobody sent.
// ignoreBOM keeps a byte order mark in the text, so JSON.parse rejects it as before (RFC 8259 forbids sending one).
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads a JSON request body: 415 unless the content type is one application/json (API Gateway joins repeated
 * headers with commas, so two Content-Type headers are a 415 whatever their order) in UTF-8, 413 over
 * `maxBytes` (API Gateway itself stops at 10 MB), 400 for bytes that are not UTF-8 or malformed JSON.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const contentType = header(event, "content-type");
  const shown = contentType ? JSON.stringify(contentType.slice(0, 100)) : "none";
  if (contentType?.includes(",")) {
    throw new UnsupportedMediaTypeError(`Send one Content-Type header, application/json (got ${shown})`);
  }
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json (got ${shown})`);
  }
  const charset = mediaTypeParameters(contentType ?? "").get("charset");
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    throw new UnsupportedMediaTypeError(`The body must be UTF-8 (got charset ${JSON.stringify(charset)})`);
  }
  const raw = event.body ?? "";
  // A plain body is parsed as the string it already is: no copy through a Buffer on the hot path.
  const size = event.isBase64Encoded ? Buffer.byteLength(raw, "base64") : Buffer.byteLength(raw, "utf8");
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`Request body is ${size} bytes; the limit is ${maxBytes} bytes`);
  }
  let text = raw;
  if (event.isBase64Encoded) {
    try {
      text = UTF8.decode(Buffer.from(raw, "base64"));
    } catch (err) {
      throw new InvalidJsonError("Request body is not valid UTF-8", { cause: err });
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError("Request body is not valid JSON", { cause: err });
  }
}

/**
 * Most details an error body lists. A request can hold a problem per array element (1,000 unknown airports made
 * a 228 KB body); the first ones show the pattern, and the last detail says how many more there were.
 */
export const MAX_ERROR_DETAILS = 20;

/** A 400 naming the first MAX_ERROR_DETAILS offending fields in its message and details, and counting the rest. */
export function validationError(what: string, all: readonly ErrorDetail[]): ValidationError {
  const shown = all.slice(0, MAX_ERROR_DETAILS);
  const more = all.length - shown.length;
  const details = more > 0 ? [...shown, { message: `and ${more} more problems not listed` }] : shown;
  const summary = shown.map((d) => `${d.field}: ${d.message}`).join("; ");
  return new ValidationError(`Invalid ${what}: ${summary}${more > 0 ? `; and ${more} more` : ""}`, {
    details,
  });
}

/** Validates with zod; a failure is a 400 whose message and details name the offending fields (capped). */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "request body",
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(
    what,
    result.error.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  );
}
