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
});
