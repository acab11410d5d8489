/**
 * docs/openapi.json: the API's OpenAPI 3.1 document, the one GET /openapi.json serves, for readers, client
 * generators and gateway imports without a running API.
 */
import { openApiDocument } from "@sml/lambda-http";
import type { Generator } from "./types";

export const OPENAPI_FILE = "docs/openapi.json";

/** The file's exact text: the document, two-space indented, one final newline. */
export const openApiText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

export const openApiFile: Generator = {
  describe: `${OPENAPI_FILE} (the API's OpenAPI document)`,
  files: () => [{ path: OPENAPI_FILE, text: openApiText() }],
};
