// Every test (and every process it starts) runs on the fixed test site, not the fork's (infra/tests/support).
module.exports = {
  ...require("../jest.preset.js"),
  displayName: "scripts",
  globalSetup: "<rootDir>/../infra/tests/support/test-site-global-setup.ts",
  setupFiles: ["<rootDir>/../infra/tests/support/use-test-site.ts"],
};
