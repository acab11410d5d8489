const preset = require("../jest.preset.js");

module.exports = {
  ...preset,
  displayName: "model-container",
  // fauxqs (ESM-only) for the batch tests' S3 and SQS, as in app-api.
  globalSetup: "<rootDir>/tests/global-setup.mjs",
  globalTeardown: "<rootDir>/tests/global-teardown.mjs",
  // hyparquet and its decompressors ship only ES modules; let @swc/jest turn them into CommonJS like our sources.
  // Checks every handler response against the OpenAPI document (tests/contract-observer.ts).
  setupFilesAfterEnv: ["<rootDir>/tests/contract-observer.ts"],
  transformIgnorePatterns: ["/node_modules/(?!(hyparquet|hyparquet-compressors|fzstd|hysnappy)/)"],
};
