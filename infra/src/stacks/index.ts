import type { App } from "cdktf";
import {
  alarmEmailCheck,
  ConfigError,
  type EnvironmentConfig,
  type EnvironmentName,
  getEnvironmentConfig,
  previewConfig,
  SHARED_CONFIG,
  type SharedConfig,
  SITE,
  SITE_FIX,
  type SiteConfig,
  siteProblems,
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
  /** The site the shared config came from (default: the active site, `SITE`), validated before any stack. */
  readonly site?: SiteConfig;
  /**
   * What a site not ready to deploy does: `deploy` (default; `npm run plan`/`apply` and the workflows, through
   * `SML_SITE_CHECK=deploy`) throws one ConfigError naming every placeholder setting and every missing alarm
   * e-mail variable; `explore` (`npm run synth`, `cost`, `bench` on a fresh clone) lists them in
   * `Stacks.notReady` and synthesizes anyway, without alarm e-mail subscriptions where no address is set.
   * Malformed values stop both.
   */
  readonly siteCheck?: SiteCheck;
}

/** How strictly `defineStacks` treats a site that is not ready to deploy (placeholders, no alarm e-mail). */
export type SiteCheck = "deploy" | "explore";

export interface Stacks {
  readonly bootstrap: BootstrapStack;
  readonly registry: RegistryStack;
  readonly environments: Readonly<Partial<Record<Exclude<EnvironmentName, "preview">, EnvironmentStack>>>;
  /** The preview stack of `options.preview`, if asked for. */
  readonly preview?: EnvironmentStack;
  /** What a deploy would refuse (`siteCheck: "explore"` only), each naming its setting; empty when ready. */
  readonly notReady: readonly string[];
}

export { stackId };

/** Every stack of the app: bootstrap, registry, then one per environment (and a pull request's preview). */
export function defineStacks(app: App, options: DefineStacksOptions = {}): Stacks {
  const siteCheck = options.siteCheck ?? "deploy";
  const site = options.site ?? SITE;
  const problems = siteProblems(site);
  if (problems.errors.length > 0)
    throw new ConfigError(
      notReadyMessage("Invalid site config", [...problems.errors, ...problems.placeholders]),
    );
  const shared = options.shared ?? SHARED_CONFIG;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const defaultEnvironments =
    options.preview === undefined ? shared.environments.filter((e) => e !== "preview") : [];
  const configs = (options.environments ?? defaultEnvironments).map(getEnvironmentConfig);
  if (configs.some((c) => c.name === "preview"))
    throw new ConfigError(
      'The preview environment has one stack per pull request: pass its number (SML_PREVIEW_PR=42), not "preview" in the environment list.',
    );
  const preview = options.preview === undefined ? undefined : previewConfig(options.preview);
  // Every environment synthesized here needs its alarm addresses; a missing one is reported with the placeholders.
  const alarms = [...configs, ...(preview ? [preview] : [])].map((config) => ({
    config,
    ...alarmEmailCheck(config),
  }));
  const notReady = [...problems.placeholders, ...alarms.flatMap((a) => (a.missing ? [a.missing] : []))];
  if (siteCheck === "deploy" && notReady.length > 0)
    throw new ConfigError(notReadyMessage("Not ready to deploy", notReady));
  const alarmEmailsOf = (config: EnvironmentConfig) =>
    alarms.find((a) => a.config === config)?.addresses ?? [];

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
      { config, shared, bundleRoot, migrations, alarmEmails: alarmEmailsOf(config) },
    );
  }
  if (preview === undefined) return { bootstrap, registry, environments, notReady };
  // The stack id is the name prefix (`sml-pr-42`), so its state key is `<keyPrefix>/sml-pr-42/terraform.tfstate`.
  const previewStack = new EnvironmentStack(app, preview.namePrefix, {
    config: preview,
    shared,
    bundleRoot,
    migrations,
    alarmEmails: alarmEmailsOf(preview),
  });
  return { bootstrap, registry, environments, preview: previewStack, notReady };
}

/** One message listing every problem, with where to fix the site's (the alarm lines name their variable). */
function notReadyMessage(title: string, problems: readonly string[]): string {
  return `${title}:\n- ${problems.join("\n- ")}\n(Site settings: ${SITE_FIX}.)`;
}

/**
 * The one warning an exploring synth prints for a site not ready to deploy, or undefined when it is ready.
 */
export function notReadyWarning(notReady: readonly string[]): string | undefined {
  if (notReady.length === 0) return undefined;
  return notReadyMessage(
    `Warning: synthesized for exploring only; \`npm run plan\`, \`npm run apply\` and the deploy workflows refuse this site until these ${notReady.length} settings are filled in (the stacks below have no alarm e-mail subscription where no address is set)`,
    notReady,
  );
}
