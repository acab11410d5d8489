// One jest run over every workspace; each workspace's jest.config.js holds its own setup.
/** @type {import('jest').Config} */
module.exports = {
  // Prints the Node.js version the run uses (the Lambda's major, from the root `node` devDependency).
  globalSetup: "<rootDir>/scripts/jest/report-node.mjs",
  // Test files run in a worker process that is replaced once it holds more than this after a file. Without a limit,
  // a 2-core machine (one worker) runs every file inside jest's own process, whose heap then grows with each
  // workspace's modules (tfjs, PGlite, the flights data) until V8's limit aborts the run (seen in a fresh-clone CI).
  workerIdleMemoryLimit: "1GB",
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
