import type { App } from "cdktf";
import {
  ConfigError,
  type EnvironmentName,
  getEnvironmentConfig,
  previewConfig,
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
  /**
   * Environments to synthesize (default: all in the shared config but `preview`, or none when `preview` is
   * given). Names are checked against the configs.
   */
  readonly environments?: readonly string[];
  /** A pull request number: adds its preview stack `sml-pr-<number>` (docs/deploy.md, "Previews"). */
  readonly preview?: string | number;
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
  readonly environments: Readonly<Partial<Record<Exclude<EnvironmentName, "preview">, EnvironmentStack>>>;
  /** The preview stack of `options.preview`, if asked for. */
  readonly preview?: EnvironmentStack;
}

export { stackId };

/** Every stack of the app: bootstrap, registry, then one per environment (and a pull request's preview). */
export function defineStacks(app: App, options: DefineStacksOptions = {}): Stacks {
  validateSite(options.site ?? SITE, { allowPlaceholders: options.allowSitePlaceholders ?? false });
  const shared = options.shared ?? SHARED_CONFIG;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const defaultEnvironments =
    options.preview === undefined ? shared.environments.filter((e) => e !== "preview") : [];
  const configs = (options.environments ?? defaultEnvironments).map(getEnvironmentConfig);
  if (configs.some((c) => c.name === "preview"))
    throw new ConfigError(
      'The preview environment has one stack per pull request: pass its number (SML_PREVIEW_PR=42), not "preview" in the environment list.',
    );
  const migrations = readMigrationSet(repoRoot);
  const bootstrap = new BootstrapStack(app, stackId(shared, "bootstrap"), {
    shared,
    localState: options.bootstrapLocalState ?? false,
  });
  const registry = new RegistryStack(app, stackId(shared, "registry"), shared);
  const environments: Partial<Record<Exclude<EnvironmentName, "preview">, EnvironmentStack>> = {};
  const bundleRoot = options.bundleRoot ?? repoRoot;
  for (const config of configs) {
    environments[config.name as Exclude<EnvironmentName, "preview">] = new EnvironmentStack(
      app,
      stackId(shared, config.name),
      { config, shared, bundleRoot, migrations },
    );
  }
  if (options.preview === undefined) return { bootstrap, registry, environments };
  const config = previewConfig(options.preview);
  // The stack id is the name prefix (`sml-pr-42`), so its state key is `<keyPrefix>/sml-pr-42/terraform.tfstate`.
  const preview = new EnvironmentStack(app, config.namePrefix, { config, shared, bundleRoot, migrations });
  return { bootstrap, registry, environments, preview };
}
