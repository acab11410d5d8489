// The synth tests need the zip bundles: global-setup.ts builds them (esbuild, as `npm run build` does) into a
// temp folder per run, so a test run never touches dist/ and never depends on a previous build.
module.exports = {
  ...require("../jest.preset.js"),
  displayName: "infra",
  globalSetup: "<rootDir>/tests/global-setup.ts",
  globalTeardown: "<rootDir>/tests/global-teardown.ts",
  setupFiles: ["<rootDir>/tests/support/use-test-site.ts"],
  setupFilesAfterEnv: ["<rootDir>/tests/setup.ts"],
};
