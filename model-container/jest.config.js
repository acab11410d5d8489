const preset = require("../jest.preset.js");

module.exports = {
  ...preset,
  displayName: "model-container",
  // hyparquet and its decompressors ship only ES modules; let @swc/jest turn them into CommonJS like our sources.
  transformIgnorePatterns: ["/node_modules/(?!(hyparquet|hyparquet-compressors|fzstd|hysnappy)/)"],
};
