/**
 * The CodeDeploy AppSpec that shifts a function's `live` alias from the version it serves to the version Terraform
 * just published (CodeDeploy user guide, "AppSpec 'resources' section (AWS Lambda deployments only)" and
 * "AppSpec 'hooks' section" for Lambda), and the decision whether a function needs a deployment at all.
 *
 * Usage (scripts/delivery/shift-traffic.sh):
 *   tsx scripts/delivery/appspec.ts <rollout-target.json> <served-version>
 * prints `{"skip": true, ...}` when the alias already serves the target version, else
 * `{"skip": false, "revision": <create-deployment --revision>}` with the AppSpec as AppSpecContent.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import type { RolloutTarget } from "@sml/infra/constructs/deployment";

/** One function's entry of the environment stack's `rollout` output, as infra/src/constructs/deployment.ts declares it. */
export type { RolloutTarget };
/** The environment's AppSpec hooks (`rollout.hooks` in its config), if any. */
export type Hooks = NonNullable<RolloutTarget["hooks"]>;

/** Bad input to the AppSpec builder: names the field and what it must be. */
export class AppSpecInputError extends Error {
  override readonly name = "AppSpecInputError";
}

/** A published version number: CodeDeploy shifts between numbered versions, never `$LATEST`. */
const VERSION = /^[1-9][0-9]*$/;
/** Lambda function names (and hook names): letters, digits, `-` and `_`, at most 64 characters. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function requireField(target: Record<string, unknown>, field: keyof RolloutTarget): string {
  const value = target[field];
  if (typeof value !== "string" || value.trim() === "")
    throw new AppSpecInputError(
      `rollout target: ${field} must be a non-empty string (got ${JSON.stringify(value)})`,
    );
  return value;
}

/** Reads one entry of the `rollout` output, refusing anything CodeDeploy would refuse later. */
export function parseRolloutTarget(value: unknown): RolloutTarget {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new AppSpecInputError(
      "rollout target must be a JSON object (one entry of the stack's rollout output)",
    );
  const target = value as Record<string, unknown>;
  const parsed = {
    application: requireField(target, "application"),
    deploymentGroup: requireField(target, "deploymentGroup"),
    functionName: requireField(target, "functionName"),
    alias: requireField(target, "alias"),
    version: requireField(target, "version"),
  };
  if (!FUNCTION_NAME.test(parsed.functionName))
    throw new AppSpecInputError(
      `rollout target: functionName ${parsed.functionName} is not a Lambda function name`,
    );
  if (!VERSION.test(parsed.version))
    throw new AppSpecInputError(
      `rollout target: version ${parsed.version} is not a published version number (publish the function; $LATEST cannot be shifted to)`,
    );
  const hooks = target.hooks as Record<string, unknown> | undefined;
  if (hooks === undefined) return parsed;
  for (const [event, name] of Object.entries(hooks))
    if (!["beforeAllowTraffic", "afterAllowTraffic"].includes(event) || typeof name !== "string")
      throw new AppSpecInputError(
        `rollout target: hooks.${event} is not a hook (beforeAllowTraffic or afterAllowTraffic, a function name)`,
      );
  return { ...parsed, hooks: hooks as Hooks };
}

/** The AppSpec (YAML is optional: CodeDeploy accepts the same structure as JSON). */
export function buildAppSpec(target: RolloutTarget, servedVersion: string) {
  const hooks = target.hooks ?? {};
  if (!VERSION.test(servedVersion))
    throw new AppSpecInputError(
      `served version ${JSON.stringify(servedVersion)} of ${target.functionName}:${target.alias} is not a published version number`,
    );
  if (servedVersion === target.version)
    throw new AppSpecInputError(
      `${target.functionName}:${target.alias} already serves version ${servedVersion}: there is nothing to shift`,
    );
  const hookList: Record<string, string>[] = [];
  for (const [event, name] of [
    ["BeforeAllowTraffic", hooks.beforeAllowTraffic],
    ["AfterAllowTraffic", hooks.afterAllowTraffic],
  ] as const) {
    if (name === undefined || name === "") continue;
    if (!FUNCTION_NAME.test(name))
      throw new AppSpecInputError(`hook ${event}: ${name} is not a Lambda function name`);
    hookList.push({ [event]: name });
  }
  return {
    version: 0.0,
    Resources: [
      {
        // The logical name is free text; the function's name keeps the deployment's page readable.
        [logicalName(target.functionName)]: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Name: target.functionName,
            Alias: target.alias,
            CurrentVersion: servedVersion,
            TargetVersion: target.version,
          },
        },
      },
    ],
    ...(hookList.length > 0 ? { Hooks: hookList } : {}),
  };
}

/** `sml-prd-api` -> `SmlPrdApi`. */
function logicalName(functionName: string): string {
  return functionName
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/**
 * The `--revision` of `aws deploy create-deployment` for the AppSpec: AppSpecContent with the SHA-256 of its
 * content, which CodeDeploy checks (CodeDeploy API reference, AppSpecContent).
 */
export function revisionFor(appSpec: unknown) {
  const content = JSON.stringify(appSpec);
  return {
    revisionType: "AppSpecContent",
    appSpecContent: { content, sha256: createHash("sha256").update(content).digest("hex") },
  };
}

/** What shift-traffic.sh does for one function: nothing (alias already on the version), or this deployment. */
export function planShift(
  target: RolloutTarget,
  servedVersion: string,
): { skip: true; reason: string } | { skip: false; revision: ReturnType<typeof revisionFor> } {
  if (servedVersion === target.version)
    return {
      skip: true,
      reason: `${target.functionName}:${target.alias} already serves version ${target.version}`,
    };
  return { skip: false, revision: revisionFor(buildAppSpec(target, servedVersion)) };
}

if (require.main === module) {
  const [targetFile, served] = process.argv.slice(2);
  try {
    if (!targetFile || served === undefined)
      throw new AppSpecInputError(
        "usage: tsx scripts/delivery/appspec.ts <rollout-target.json> <served-version>",
      );
    const target = parseRolloutTarget(JSON.parse(readFileSync(targetFile, "utf8")));
    process.stdout.write(`${JSON.stringify(planShift(target, served.trim()))}\n`);
  } catch (err) {
    process.stderr.write(`appspec: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
