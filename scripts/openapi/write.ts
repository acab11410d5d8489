/**
 * Writes the API's OpenAPI 3.1 document (the one GET /openapi.json serves) to docs/openapi.json, for readers,
 * client generators and gateway imports without a running API. `--check` only compares, and exits 1 when the
 * committed file is stale. `npm run openapi` runs it; scripts/tests/unit/openapi-file.test.ts fails on a stale file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { openApiDocument } from "@sml/lambda-http";

export const OPENAPI_FILE = resolve(__dirname, "../../docs/openapi.json");

/** The file's exact text: the document, two-space indented, one final newline. */
export const openApiText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

function main(argv: readonly string[]): number {
  const text = openApiText();
  let committed: string | undefined;
  try {
    committed = readFileSync(OPENAPI_FILE, "utf8");
  } catch {
    committed = undefined;
  }
  if (argv.includes("--check")) {
    if (committed === text) return 0;
    console.error(`${OPENAPI_FILE} is stale: run npm run openapi and commit it`);
    return 1;
  }
  if (committed !== text) writeFileSync(OPENAPI_FILE, text);
  console.log(`${committed === text ? "unchanged" : "wrote"} ${OPENAPI_FILE}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
