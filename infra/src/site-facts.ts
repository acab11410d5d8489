/**
 * The site config as the shell scripts and workflows read it: `tsx infra/src/site-facts.ts` prints one JSON
 * object (region, accounts, stacks in apply order, state bucket, repository, role names and ARNs per environment)
 * after validating the site, so a script never repeats a name the config defines. A placeholder still in
 * infra/src/config/site.ts fails here, naming the setting (the scripts that read it deploy); `--allow-placeholders`
 * prints the facts of a site still holding them (names only, e.g. the stack names a workflow test checks).
 *
 * `--github-env [<stack name>]` prints the names a workflow needs as `KEY=value` lines for `$GITHUB_ENV`
 * (SML_PROJECT, BOOTSTRAP_STACK, REGISTRY_STACK, PREVIEW_STACK_PREFIX, and STACK, the id of `bootstrap`,
 * `registry` or an environment's stack, when a name is given), so no workflow line repeats the project prefix.
 *
 * Usage: tsx infra/src/site-facts.ts [--allow-placeholders] [--github-env] [<stack name>]
 */
import {
  alarmEmailVariable,
  ConfigError,
  type EnvironmentName,
  getEnvironmentConfig,
  SHARED_CONFIG,
  SITE,
  type SiteEnvironmentName,
  validateSite,
} from "./config";
import { stackId } from "./stacks/base";
import { deployRoleName, peopleRoleName } from "./stacks/bootstrap-stack";

/** The facts, from the site and the shared config (the same functions the stacks name things with). */
export function siteFacts() {
  const shared = SHARED_CONFIG;
  // Long-lived environments (dev, prd) have a stack, roles for people and GitHub's environment of the same name;
  // previews (one stack per pull request) share dev's account and only add the GitHub environment `preview`.
  const longLived = shared.environments.filter((env): env is SiteEnvironmentName => env !== "preview");
  const roleArn = (env: EnvironmentName, name: string) =>
    `arn:aws:iam::${getEnvironmentConfig(env).accountId}:role/${name}`;
  const per = <E extends EnvironmentName, T>(envs: readonly E[], value: (env: E) => T): Record<string, T> =>
    Object.fromEntries(envs.map((env) => [env, value(env)]));
  return {
    project: shared.project,
    region: shared.region,
    environments: [...longLived],
    /** GitHub environments the deploy roles trust (`deploy_role_arn_<env>` outputs): the long-lived ones and `preview`. */
    githubEnvironments: [...shared.environments],
    accounts: per(longLived, (env) => shared.accounts[env]),
    /** Stack ids in the order a first deploy applies them (infra/README.md). */
    stacks: [
      stackId(shared, "bootstrap"),
      stackId(shared, "registry"),
      ...longLived.map((env) => stackId(shared, env)),
    ],
    environmentOfStack: Object.fromEntries(longLived.map((env) => [stackId(shared, env), env])),
    stateBucket: shared.state.bucket,
    stateKeyPrefix: shared.state.keyPrefix,
    githubRepository: shared.githubRepository,
    /** Image tag prefixes per environment: the registry's lifecycle rules expire images by these only. */
    imageTagPrefixes: { ...shared.images.tagPrefixes },
    /** The variable each environment's alarm addresses come from (a deploy of its stack refuses it unset). */
    alarmEmailVariables: per(shared.environments, (env) => alarmEmailVariable(env)),
    namePrefix: per(longLived, (env) => getEnvironmentConfig(env).namePrefix),
    roles: {
      deploy: per(shared.environments, (env) => roleArn(env, deployRoleName(shared, env))),
      readonly: per(longLived, (env) => roleArn(env, peopleRoleName(shared, "readonly", env))),
      operator: per(longLived, (env) => roleArn(env, peopleRoleName(shared, "operator", env))),
    },
  };
}

/** `KEY=value` lines for a workflow's `$GITHUB_ENV`: the stack ids, and `STACK` for `stackName` if given. */
/** The variables `--github-env` writes: the project, the shared stacks, the previews' prefix, and `STACK`. */
export function githubEnvValues(stackName?: string): Record<string, string> {
  const shared = SHARED_CONFIG;
  const names = ["bootstrap", "registry", ...shared.environments.filter((env) => env !== "preview")];
  if (stackName !== undefined && !names.includes(stackName))
    throw new ConfigError(`Unknown stack name "${stackName}": one of ${names.join(", ")}`);
  const values: Record<string, string> = {
    SML_PROJECT: shared.project,
    BOOTSTRAP_STACK: stackId(shared, "bootstrap"),
    REGISTRY_STACK: stackId(shared, "registry"),
    PREVIEW_STACK_PREFIX: getEnvironmentConfig("preview").namePrefix,
    ...(stackName === undefined ? {} : { STACK: stackId(shared, stackName) }),
  };
  return values;
}

export function githubEnv(stackName?: string): string {
  return Object.entries(githubEnvValues(stackName))
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}

if (require.main === module) {
  try {
    const args = process.argv.slice(2);
    const allowPlaceholders = args.includes("--allow-placeholders");
    validateSite(SITE, { allowPlaceholders });
    const github = args.indexOf("--github-env");
    if (github >= 0) {
      const name = args[github + 1];
      process.stdout.write(githubEnv(name && !name.startsWith("--") ? name : undefined));
    } else process.stdout.write(`${JSON.stringify(siteFacts())}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
