import { DomainError } from "@sml/contracts/errors";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { httpStatusOf, INTERNAL_ERROR, MethodNotAllowedError } from "./errors";

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Maps any thrown value to the API's error body `{ "error": { "code", "message", "details"? } }`.
 * Unknown errors become a generic 500: their message may hold internals, so only `onUnexpected` (a logger) sees them.
 */
export function toHttpResponse(err: unknown, onUnexpected?: (err: unknown) => void): HttpResponse {
  const status = httpStatusOf(err);
  if (status && err instanceof DomainError) {
    const headers: Record<string, string> =
      err instanceof MethodNotAllowedError ? { allow: err.allowedMethods.join(", ") } : {};
    return jsonResponse(
      status.statusCode,
      {
        error: { code: status.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      },
      headers,
    );
  }
  onUnexpected?.(err);
  return jsonResponse(INTERNAL_ERROR.statusCode, {
    error: { code: INTERNAL_ERROR.code, message: "Internal server error" },
  });
}
