// fauxqs is ESM-only, so it starts in an ESM globalSetup and the SDK clients in tests find it through
// AWS_ENDPOINT_URL (see /work/shared/FACTS.md).
module.exports = {
  ...require("../jest.preset.js"),
  displayName: "app-subscriber",
  globalSetup: "<rootDir>/tests/global-setup.mjs",
  globalTeardown: "<rootDir>/tests/global-teardown.mjs",
  setupFiles: ["<rootDir>/tests/setup-env.ts"],
};
