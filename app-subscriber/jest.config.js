module.exports = {
  ...require("../jest.preset.js"),
  displayName: "app-subscriber",
  setupFiles: ["<rootDir>/tests/setup-env.ts"],
};
