import { neutralise, synthAllStacks } from "./support/synth";

/**
 * One snapshot per stack, committed: every infrastructure change shows up as a diff in review. Asset and
 * migration-set hashes are neutralised, so changing handler code or SQL does not churn the snapshots. Update
 * with `npx jest --selectProjects infra -u` and review the diff.
 */
const { synthesized } = synthAllStacks();

describe("stack snapshots", () => {
  it.each(synthesized.map((s) => [s.id, s] as const))("%s matches its reviewed snapshot", (_id, stack) => {
    expect(neutralise(stack.text)).toMatchSnapshot();
  });

  it("neutralises asset and migration hashes only", () => {
    const text = JSON.stringify({
      filename: "assets/functions_api-bundle_019F79A7/D07EC6218780B00DBBB34FB9B5F76AF6/api.zip",
      source_code_hash: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
      input: `{"migrationSetHash":"${"ab".repeat(32)}"}`,
      id: "functions_api_function_99F72983",
      description: "a sentence of exactly forty-three letters + an equals sign: =",
    });
    expect(neutralise(text)).toEqual({
      filename: "assets/functions_api-bundle_019F79A7/<asset-hash>/api.zip",
      source_code_hash: "<zip-sha256>",
      input: '{"migrationSetHash":"<migration-set-hash>"}',
      id: "functions_api_function_99F72983",
      description: "a sentence of exactly forty-three letters + an equals sign: =",
    });
  });
});
