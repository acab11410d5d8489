import { useTestSite } from "./use-test-site";

/**
 * jest `globalSetup` of the scripts suite (infra's global-setup.ts calls it too): the test site in the environment
 * the workers inherit, so a process a test starts without an explicit `env` runs on it as well.
 */
export default function testSiteGlobalSetup(): void {
  useTestSite(process.env);
}
