// One jest run over every workspace; each workspace's jest.config.js holds its own setup.
/** @type {import('jest').Config} */
module.exports = {
  projects: ["common", "app-api", "app-subscriber", "model-container", "infra", "scripts"].map(
    (w) => `<rootDir>/${w}`,
  ),
};
