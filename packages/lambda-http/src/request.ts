import { PayloadTooLargeError } from "@sml/contracts/errors";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { InvalidJsonError, UnsupportedMediaTypeError } from "./errors";

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
  // A plain body is parsed as the string it already is: no copy through a Buffer on the hot path. A UTF-16 code
  // unit is at most 3 bytes of UTF-8 and a base64 character 3/4 of a byte, so the exact count (a pass over the
  // whole body) runs only for bodies whose length alone cannot rule out the limit.
  const bound = event.isBase64Encoded ? (raw.length * 3) / 4 : raw.length * 3;
  if (bound > maxBytes) {
    const size = event.isBase64Encoded ? Buffer.byteLength(raw, "base64") : Buffer.byteLength(raw, "utf8");
    if (size > maxBytes) {
      throw new PayloadTooLargeError(`Request body is ${size} bytes; the limit is ${maxBytes} bytes`);
    }
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

/** API Gateway joins repeated parameters with commas; a direct invocation may carry only the raw string. */
export function queryParameters(event: APIGatewayProxyEventV2): Record<string, string | undefined> {
  if (event.queryStringParameters) return event.queryStringParameters;
  // A Map, then Object.fromEntries: `params.__proto__ = v` on a plain object would set its prototype, and the
  // parameter would slip past the strict schema instead of being a 400 like every other unknown one.
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? "")) {
    const previous = params.get(key);
    params.set(key, previous === undefined ? value : `${previous},${value}`);
  }
  return Object.fromEntries(params);
}
