import { diskTree } from "../../generate/registry";
import {
  JSON_STRING,
  reviewable,
  SNAPSHOT_DIR,
  stackSnapshots,
  stringifyReviewable,
} from "../../generate/stack-snapshots";
import { synthesizedStacks } from "../../generate/stacks";

/**
 * The stack snapshots' layout (scripts/generate/stack-snapshots.ts); generated-files.test.ts checks that the
 * committed files are current.
 */
describe("stack snapshots", () => {
  it("are one file per stack of the app, and a file for a stack the app no longer has is to be deleted", () => {
    const real = diskTree();
    const withLeftover = { ...real, list: (dir: string) => [...real.list(dir), "sml-pr-1.json"] };
    const files = stackSnapshots.files(withLeftover);
    expect(files.filter((f) => f.text === undefined).map((f) => f.path)).toEqual([
      `${SNAPSHOT_DIR}/sml-pr-1.json`,
    ]);
    expect(files.filter((f) => f.text !== undefined).map((f) => f.path)).toEqual(
      synthesizedStacks().map((s) => `${SNAPSHOT_DIR}/${s.id}.json`),
    );
  });

  it("neutralises asset and migration hashes only, where they really are", () => {
    const hex32 = "D07EC6218780B00DBBB34FB9B5F76AF6";
    const text = JSON.stringify({
      filename: `assets/functions_api-bundle_019F79A7/${hex32}/api.zip`,
      source_code_hash: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
      input: `{"migrationSetHash":"${"ab".repeat(32)}"}`,
      id: "functions_api_function_99F72983",
      // The same shapes outside an asset path or a hash attribute stay as they are.
      description: `request id ${hex32}, digest ${"cd".repeat(32)}`,
      image_uri: `123.dkr.ecr.eu-west-1.amazonaws.com/sml@sha256:${"ef".repeat(32)}`,
    });
    expect(reviewable(text)).toEqual({
      filename: "assets/functions_api-bundle_019F79A7/<asset-hash>/api.zip",
      source_code_hash: "<zip-sha256>",
      input: { [JSON_STRING]: { migrationSetHash: "<migration-set-hash>" } },
      id: "functions_api_function_99F72983",
      description: `request id ${hex32}, digest ${"cd".repeat(32)}`,
      image_uri: `123.dkr.ecr.eu-west-1.amazonaws.com/sml@sha256:${"ef".repeat(32)}`,
    });
  });

  it("expands JSON documents held in strings (the dashboard) and leaves other strings alone", () => {
    const body = JSON.stringify({ widgets: [{ type: "metric", properties: { title: "p99" } }] });
    const text = JSON.stringify({ dashboard_body: body, name: "{not json", format: "[1, 2" });
    expect(reviewable(text)).toEqual({
      dashboard_body: { [JSON_STRING]: { widgets: [{ type: "metric", properties: { title: "p99" } }] } },
      name: "{not json",
      format: "[1, 2",
    });
  });
});

describe("stringifyReviewable", () => {
  it("keeps lists of plain values on one line, objects one attribute per line, and round-trips", () => {
    const value = {
      alarm_actions: ["arn:a", "arn:b"],
      metrics: [
        ["AWS/ApiGateway", "Count", "Stage", "$default", { stat: "Sum", label: 'a "quoted", label' }],
      ],
      empty: [],
      nested: { a: 1, b: { c: null } },
    };
    const text = stringifyReviewable(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text.split("\n")).toContain('  "alarm_actions": ["arn:a", "arn:b"],');
    expect(text.split("\n")).toContain(
      '    ["AWS/ApiGateway", "Count", "Stage", "$default", {"stat": "Sum", "label": "a \\"quoted\\", label"}]',
    );
    expect(text.split("\n")).toContain('    "a": 1,');
    const long = stringifyReviewable({ actions: Array.from({ length: 30 }, (_, i) => `service:Action${i}`) });
    expect(long.split("\n")).toContain('    "service:Action7",');
  });
});
