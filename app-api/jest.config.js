// fauxqs is ESM-only, so it starts in an ESM globalSetup and the SDK clients in tests find it through
// AWS_ENDPOINT_URL; setup-env.js keeps Powertools quiet and sets fake credentials.
module.exports = {
  ...require("../jest.preset.js"),
  displayName: "app-api",
  globalSetup: "<rootDir>/tests/global-setup.mjs",
  globalTeardown: "<rootDir>/tests/global-teardown.mjs",
  setupFiles: ["<rootDir>/tests/setup-env.js"],
  // Checks every handler response against the OpenAPI document (tests/contract-observer.ts).
  setupFilesAfterEnv: ["<rootDir>/tests/contract-observer.ts"],
};
