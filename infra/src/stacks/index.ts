import type { App } from "cdktf";
import {
  type EnvironmentName,
  getEnvironmentConfig,
  SHARED_CONFIG,
  type SharedConfig,
  SITE,
  type SiteConfig,
  validateSite,
} from "../config";
import { readMigrationSet } from "../constructs/migrations";
import { REPO_ROOT } from "../paths";
import { stackId } from "./base";
import { BootstrapStack } from "./bootstrap-stack";
import { EnvironmentStack } from "./environment-stack";
import { RegistryStack } from "./registry-stack";

export { BootstrapStack, EnvironmentStack, RegistryStack };

export interface DefineStacksOptions {
  readonly shared?: SharedConfig;
  /** Environments to synthesize (default: all in the shared config). Names are checked against the configs. */
  readonly environments?: readonly string[];
  /** Where `dist/functions/` lives (default: the repository root). */
  readonly bundleRoot?: string;
  /** Where the repository (migrations) lives (default: the repository root). */
  readonly repoRoot?: string;
  /** Bootstrap stack keeps local state (first apply only). */
  readonly bootstrapLocalState?: boolean;
  /** The site the shared config came from (default: infra/src/config/site.ts), validated before any stack. */
  readonly site?: SiteConfig;
  /** Accept the site's shipped placeholders: only this template's own synth tests and CI. */
  readonly allowSitePlaceholders?: boolean;
}

export interface Stacks {
  readonly bootstrap: BootstrapStack;
  readonly registry: RegistryStack;
  readonly environments: Readonly<Partial<Record<EnvironmentName, EnvironmentStack>>>;
}

export { stackId };

/** Every stack of the app: bootstrap, registry, then one per environment. */
export function defineStacks(app: App, options: DefineStacksOptions = {}): Stacks {
  validateSite(options.site ?? SITE, { allowPlaceholders: options.allowSitePlaceholders ?? false });
  const shared = options.shared ?? SHARED_CONFIG;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const configs = (options.environments ?? shared.environments).map(getEnvironmentConfig);
  const migrations = readMigrationSet(repoRoot);
  const bootstrap = new BootstrapStack(app, stackId(shared, "bootstrap"), {
    shared,
    localState: options.bootstrapLocalState ?? false,
  });
  const registry = new RegistryStack(app, stackId(shared, "registry"), shared);
  const environments: Partial<Record<EnvironmentName, EnvironmentStack>> = {};
  for (const config of configs) {
    environments[config.name] = new EnvironmentStack(app, stackId(shared, config.name), {
      config,
      shared,
      bundleRoot: options.bundleRoot ?? repoRoot,
      migrations,
    });
  }
  return { bootstrap, registry, environments };
}
