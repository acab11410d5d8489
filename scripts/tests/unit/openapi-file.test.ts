import { openApiDocument } from "@sml/lambda-http";

// That docs/openapi.json is this document, as `npm run generate` writes it: generated-files.test.ts.
describe("docs/openapi.json", () => {
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
