/**
 * `npm run generate`: rewrites every generated file (registry.ts lists them: docs/openapi.json, the generated
 * sections of docs/slo.md, docs/cost.md and docs/deploy.md, docs/model-card.md, the stack snapshots).
 * `npm run generate -- --check` writes nothing and exits 1 naming each stale file (CI runs it through the tests:
 * scripts/tests/unit/generated-files.test.ts).
 */
// First: the docs and snapshots describe the stacks on the fixed test site, never a fork's site.ts.
import "@sml/infra/testing/use-test-site";
import { parseArgs } from "node:util";
import { describeStale, GENERATORS, generate, REPO_ROOT } from "./registry";

/** `root`: the checkout to bring up to date (tests pass a copy). */
export function main(argv: readonly string[], root = REPO_ROOT): number {
  const { values } = parseArgs({
    args: [...argv],
    options: { check: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    console.log(
      [
        "npm run generate [-- --check]",
        "Rewrites every generated file; --check writes nothing and exits 1 naming each stale file.",
        ...GENERATORS.map((g) => `  ${g.describe}`),
      ].join("\n"),
    );
    return 0;
  }
  const stale = generate({ check: values.check, root });
  if (values.check) {
    for (const file of stale) console.error(describeStale(file));
    if (stale.length === 0) console.log("every generated file is up to date");
    return stale.length === 0 ? 0 : 1;
  }
  for (const file of stale) console.log(`${file.text === undefined ? "deleted" : "wrote"} ${file.path}`);
  if (stale.length === 0) console.log("every generated file was already up to date");
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
