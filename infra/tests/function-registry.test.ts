/**
 * The function registry (packages/contracts/src/functions.ts) drives the infrastructure: every entry is deployed
 * with what each function gets (its function, log group, error alarm) and, exactly when the registry says
 * `rollout`, what a rolled-out one gets (the `live` alias, a CodeDeploy group, the rollout guard). Read from the
 * synthesized stacks, by the names the registry gives, not from the constructs' fields.
 */
import { FUNCTION_NAMES, FUNCTIONS, HTTP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { LIVE_ALIAS } from "../src/constructs/service-function";
import { resourcesOf, synthAllStacks, TEST_PULL_REQUEST, type TfJson } from "./support/synth";

const { stacks, synthesized } = synthAllStacks({ environments: ["dev", "prd"], preview: TEST_PULL_REQUEST });
const environmentStacks = [
  ...Object.values(stacks.environments),
  ...(stacks.preview ? [stacks.preview] : []),
];

/** Addresses of the resources of `type` whose `attribute` is `value`. */
const where = (json: TfJson, type: string, attribute: string, value: unknown): string[] =>
  resourcesOf(json, type)
    .filter(([, body]) => body[attribute] === value)
    .map(([name]) => `${type}.${name}`);

describe.each(environmentStacks.map((env) => [env.node.id, env] as const))("%s", (id, env) => {
  const json = synthesized.find((s) => s.id === id)?.json as TfJson;
  const prefix = env.config.namePrefix;

  it("covers every environment stack the app defines (dev, prd and a preview)", () => {
    expect(environmentStacks.length).toBeGreaterThanOrEqual(3);
    expect(json).toBeDefined();
  });

  it.each(FUNCTION_NAMES)("deploys %s with its log group and error alarm", (name) => {
    const functionName = `${prefix}-${FUNCTIONS[name].name}`;
    const [fn, ...others] = where(json, "aws_lambda_function", "function_name", functionName);
    expect({ fn, others }).toEqual({ fn: expect.any(String), others: [] });
    expect(where(json, "aws_cloudwatch_log_group", "name", `/aws/lambda/${functionName}`)).toHaveLength(1);
    const [errors] = where(
      json,
      "aws_cloudwatch_metric_alarm",
      "alarm_name",
      `${prefix}-lambda-errors-${name}`,
    );
    const alarm = resourcesOf(json, "aws_cloudwatch_metric_alarm").find(([n]) => errors?.endsWith(`.${n}`));
    expect(alarm?.[1].dimensions).toEqual({ FunctionName: `\${${fn}.function_name}` });
  });

  it.each(FUNCTION_NAMES)("rolls %s out through live exactly when the registry says so", (name) => {
    const [fn] = where(json, "aws_lambda_function", "function_name", `${prefix}-${FUNCTIONS[name].name}`);
    const byReference = `\${${fn}.function_name}`;
    const aliases = where(json, "aws_lambda_alias", "function_name", byReference);
    const groups = where(json, "aws_codedeploy_deployment_group", "deployment_group_name", byReference);
    const guards = where(
      json,
      "aws_cloudwatch_metric_alarm",
      "alarm_name",
      `${prefix}-rollout-errors-${name}`,
    );
    const rolledOut = FUNCTIONS[name].rollout;
    expect({ aliases: aliases.length, groups: groups.length, guards: guards.length }).toEqual(
      rolledOut ? { aliases: 1, groups: 1, guards: 1 } : { aliases: 0, groups: 0, guards: 0 },
    );
    if (rolledOut) expect(json.output.rollout.value[name]).toBeDefined();
    else expect(json.output.rollout.value[name]).toBeUndefined();
  });

  it.each(HTTP_FUNCTION_NAMES)("lets API Gateway invoke %s through live", (name) => {
    const [fn] = where(json, "aws_lambda_function", "function_name", `${prefix}-${FUNCTIONS[name].name}`);
    const [alias] = where(json, "aws_lambda_alias", "function_name", `\${${fn}.function_name}`);
    expect(resourcesOf(json, "aws_lambda_alias").find(([n]) => alias?.endsWith(`.${n}`))?.[1].name).toBe(
      LIVE_ALIAS,
    );
    const permissions = resourcesOf(json, "aws_lambda_permission").filter(
      ([, p]) => p.function_name === `\${${fn}.function_name}` && p.principal === "apigateway.amazonaws.com",
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const [, p] of permissions) expect(p.qualifier).toBe(`\${${alias}.name}`);
  });
});
