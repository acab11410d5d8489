module.exports = {
  ...require("../../jest.preset.js"),
  displayName: "model-training",
  // hyparquet and its decompressors ship only ES modules; let @swc/jest turn them into CommonJS like our sources.
  transformIgnorePatterns: ["/node_modules/(?!(hyparquet|hyparquet-compressors|fzstd|hysnappy)/)"],
};
