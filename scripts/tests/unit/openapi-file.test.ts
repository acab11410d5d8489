import { readFileSync } from "node:fs";
import { openApiDocument } from "@sml/lambda-http";
import { OPENAPI_FILE, openApiText } from "../../openapi/write";

describe("docs/openapi.json", () => {
  it("is the document GET /openapi.json serves (run `npm run openapi` and commit the file when this fails)", () => {
    const committed = readFileSync(OPENAPI_FILE, "utf8");
    // Compared as text, so a hand edit (even formatting) is caught too; parsed first for a readable diff.
    expect(JSON.parse(committed)).toEqual(openApiDocument());
    expect(committed).toBe(openApiText());
  });

  it("is a valid OpenAPI 3.1 document by the OpenAPI Initiative's published schema", async () => {
    // @seriousme/openapi-schema-validator checks against the official 3.1 schema (spec.openapis.org/oas/3.1/schema).
    const { Validator } = await import("@seriousme/openapi-schema-validator");
    const validator = new Validator();
    const result = await validator.validate(openApiDocument() as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });
});
