/**
 * A function added to the registry but built by no construct stops the synth with an error that names it, before
 * anything reads the missing function. The compiler already refuses such a registry (EnvironmentStack's
 * `satisfies Record<FunctionName, BuiltFunction>`); this covers code that is not type-checked first, e.g. tests run
 * by swc. The registry module is mocked with one more entry, as the only way to add one without a handler.
 */
import type { FunctionDefinition } from "@sml/contracts/functions";
import { ENVIRONMENTS } from "../src/config";
import { synthEnvironment } from "./support/synth";

jest.mock("@sml/contracts/functions", () => {
  // jest hoists this factory above the module's own constants: the name is written here.
  const FAKE = "report-mailer";
  const actual = jest.requireActual<typeof import("@sml/contracts/functions")>("@sml/contracts/functions");
  const fake: FunctionDefinition = {
    name: FAKE,
    packaging: "zip",
    entry: "app-api/src/handlers/report-mailer.ts",
    serviceName: "report-mailer",
    description: "A function only the registry knows",
    trigger: "schedule",
    rollout: true,
    memoryMb: 256,
    timeoutSeconds: 60,
  };
  return {
    ...actual,
    FUNCTIONS: { ...actual.FUNCTIONS, [FAKE]: fake },
    FUNCTION_NAMES: [...actual.FUNCTION_NAMES, FAKE],
    ZIP_FUNCTION_NAMES: [...actual.ZIP_FUNCTION_NAMES, FAKE],
    ROLLED_OUT_FUNCTION_NAMES: [...actual.ROLLED_OUT_FUNCTION_NAMES, FAKE],
  };
});

const FAKE = "report-mailer";

it("refuses to synthesize an environment when a registry function has no construct (mocked registry)", () => {
  expect(() => synthEnvironment(ENVIRONMENTS.dev)).toThrow(
    new RegExp(
      `No construct builds ${FAKE} of the function registry \\(packages/contracts/src/functions\\.ts\\)`,
    ),
  );
});
