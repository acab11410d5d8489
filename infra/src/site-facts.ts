/**
 * The site config as the shell scripts and workflows read it: `tsx infra/src/site-facts.ts` prints one JSON
 * object (region, accounts, stacks in apply order, state bucket, repository, role names and ARNs per environment)
 * after validating the site, so a script never repeats a name the config defines. A placeholder still in
 * infra/src/config/site.ts fails here, naming the setting; `--allow-placeholders` (or `SML_SITE_PLACEHOLDERS=allow`,
 * as for the cdktf app) is for this template's own tests and CI.
 *
 * Usage: tsx infra/src/site-facts.ts [--allow-placeholders]
 */
import { ConfigError, getEnvironmentConfig, SHARED_CONFIG, SITE, validateSite } from "./config";
import { stackId } from "./stacks/base";
import { deployRoleName, peopleRoleName } from "./stacks/bootstrap-stack";

/** The facts, from the site and the shared config (the same functions the stacks name things with). */
export function siteFacts() {
  const shared = SHARED_CONFIG;
  const account = (env: (typeof shared.environments)[number]) => shared.accounts[env];
  const roleArn = (env: (typeof shared.environments)[number], name: string) =>
    `arn:aws:iam::${account(env)}:role/${name}`;
  const perEnvironment = <T>(value: (env: (typeof shared.environments)[number]) => T): Record<string, T> =>
    Object.fromEntries(shared.environments.map((env) => [env, value(env)]));
  return {
    project: shared.project,
    region: shared.region,
    environments: [...shared.environments],
    accounts: perEnvironment(account),
    /** Stack ids in the order a first deploy applies them (infra/README.md). */
    stacks: [
      stackId(shared, "bootstrap"),
      stackId(shared, "registry"),
      ...shared.environments.map((env) => stackId(shared, env)),
    ],
    environmentOfStack: Object.fromEntries(shared.environments.map((env) => [stackId(shared, env), env])),
    stateBucket: shared.state.bucket,
    stateKeyPrefix: shared.state.keyPrefix,
    githubRepository: shared.githubRepository,
    namePrefix: perEnvironment((env) => getEnvironmentConfig(env).namePrefix),
    roles: {
      deploy: perEnvironment((env) => roleArn(env, deployRoleName(shared, env))),
      readonly: perEnvironment((env) => roleArn(env, peopleRoleName(shared, "readonly", env))),
      operator: perEnvironment((env) => roleArn(env, peopleRoleName(shared, "operator", env))),
    },
  };
}

if (require.main === module) {
  try {
    const allowPlaceholders =
      process.argv.includes("--allow-placeholders") || process.env.SML_SITE_PLACEHOLDERS === "allow";
    validateSite(SITE, { allowPlaceholders });
    process.stdout.write(`${JSON.stringify(siteFacts())}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
