const preset = require("../jest.preset.js");

module.exports = {
  ...preset,
  displayName: "model-container",
  // hyparquet and its decompressors ship only ES modules; let @swc/jest turn them into CommonJS like our sources.
  // Checks every handler response against the OpenAPI document (tests/contract-observer.ts).
  setupFilesAfterEnv: ["<rootDir>/tests/contract-observer.ts"],
  transformIgnorePatterns: ["/node_modules/(?!(hyparquet|hyparquet-compressors|fzstd|hysnappy)/)"],
};
