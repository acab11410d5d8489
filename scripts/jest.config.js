// Every test (and every process it starts) runs on the fixed test site, not the fork's (infra/tests/support).
module.exports = {
  ...require("../jest.preset.js"),
  displayName: "scripts",
  setupFiles: ["<rootDir>/../infra/tests/support/use-test-site.ts"],
};
