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

/** API Gateway joins repeated parameters with commas; a direct invocation may carry only the raw string. */
export function queryParameters(event: APIGatewayProxyEventV2): Record<string, string | undefined> {
  if (event.queryStringParameters) return event.queryStringParameters;
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? "")) {
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return params;
}
