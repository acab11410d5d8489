// One jest run over every workspace; each workspace's jest.config.js holds its own setup.
/** @type {import('jest').Config} */
module.exports = {
  // Prints the Node.js version the run uses (the Lambda's major, from the root `node` devDependency).
  globalSetup: "<rootDir>/scripts/jest/report-node.mjs",
  projects: [
    "packages/contracts",
    "packages/lambda-http",
    "packages/database",
    "packages/flight-model",
    "packages/model-training",
    "app-api",
    "app-subscriber",
    "model-container",
    "site",
    "infra",
    "local-stack",
    "scripts",
  ].map((w) => `<rootDir>/${w}`),
};
