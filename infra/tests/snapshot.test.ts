import { readdirSync } from "node:fs";
import {
  JSON_STRING,
  reviewable,
  SNAPSHOT_DIR,
  stackSnapshot,
  stringifyReviewable,
} from "./support/stack-snapshot";
import { synthAllStacks } from "./support/synth";

/**
 * One snapshot file per stack, committed (infra/tests/__snapshots__/stacks/<stack>.json): every infrastructure
 * change shows up as a readable diff in review. Build-dependent hashes are neutralised, so changing handler code
 * or SQL does not churn the snapshots. Update with `npm test -- --selectProjects infra -u` and review the diff.
 */
const { synthesized } = synthAllStacks();

describe("stack snapshots", () => {
  it.each(synthesized.map((s) => [s.id, s] as const))(
    "%s matches its reviewed snapshot file",
    (id, stack) => {
      const { committed, current } = stackSnapshot(id, stack.text);
      expect(current).toBe(committed);
    },
  );

  it("keeps a snapshot file for every stack and for nothing else", () => {
    expect(readdirSync(SNAPSHOT_DIR).sort()).toEqual(synthesized.map((s) => `${s.id}.json`).sort());
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
