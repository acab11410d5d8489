/**
 * CodeDeploy for the served functions (constructs/deployment.ts). The policy rules check every group's rollback
 * and alarms on every stack; these tests check the config's choices and the limits AWS documents.
 */
import { FUNCTIONS, ROLLED_OUT_FUNCTION_NAMES } from "@sml/contracts/functions";
import { ENVIRONMENTS, previewConfig } from "../src/config";
import { ALARM_RULES, guardsRollout } from "../src/config/slo";
import { MAX_ALARMS_PER_DEPLOYMENT_GROUP } from "../src/constructs/deployment";
import { bodyOf, defineTestStacks, ref, synthAllStacks, synthEnvironment } from "./support/synth";

const { stacks, synthesized } = synthAllStacks();
const stackOf = (id: string) => {
  const found = synthesized.find((s) => s.id === id);
  if (!found) throw new Error(`no stack ${id}`);
  return found;
};
const ROLLED_OUT = ROLLED_OUT_FUNCTION_NAMES;

describe.each(["dev", "prd"] as const)("CodeDeploy in %s", (name) => {
  const env = stacks.environments[name];
  if (!env) throw new Error(`no ${name} stack`);
  const { json } = stackOf(`sml-${name}`);

  it.each(ROLLED_OUT)("shifts %s with the environment's deployment configuration", (key) => {
    const group = env.deployment.groups[key];
    if (!group) throw new Error(`no group for ${key}`);
    expect(bodyOf(json, group).deployment_config_name).toBe(ENVIRONMENTS[name].rollout.deploymentConfig);
  });

  it("tells the deploy workflow, per function, which group shifts which alias to which version", () => {
    const output = json.output.rollout.value;
    expect(Object.keys(output).sort()).toEqual([...ROLLED_OUT].sort());
    for (const key of ROLLED_OUT) {
      const { fn } = env.builtFunctions[key];
      expect(output[key]).toEqual({
        application: ref("aws_codedeploy_app", env.deployment.application.friendlyUniqueId, "name"),
        deploymentGroup: ref(
          "aws_codedeploy_deployment_group",
          env.deployment.groups[key]?.friendlyUniqueId ?? "",
          "deployment_group_name",
        ),
        functionName: ref("aws_lambda_function", fn.function.friendlyUniqueId, "function_name"),
        alias: ref("aws_lambda_alias", fn.liveAlias.friendlyUniqueId, "name"),
        version: ref("aws_lambda_function", fn.function.friendlyUniqueId, "version"),
      });
    }
  });

  it("never serves the migration function through an alias (only Terraform invokes it, at $LATEST)", () => {
    expect(env.functions.migrate.alias).toBeUndefined();
  });
});

it("rolls prd out gradually, never all at once", () => {
  expect(ENVIRONMENTS.prd.rollout.deploymentConfig).toMatch(/^CodeDeployDefault\.Lambda(Canary|Linear)/);
});

it.each(ROLLED_OUT)(
  "guards %s with at most 10 alarms even when every SLO alarm exists (CodeDeploy quota)",
  (key) => {
    // Function-scope rules make one alarm per function; each other rule makes one alarm.
    const count = ALARM_RULES.filter((rule) => guardsRollout(rule, key)).length;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(MAX_ALARMS_PER_DEPLOYMENT_GROUP);
  },
);

it("never guards a rollout with a latency or database alarm (cold starts and load are not faults of the code)", () => {
  for (const key of ROLLED_OUT)
    for (const rule of ALARM_RULES.filter((r) => r.key.includes("latency") || r.scope === "database"))
      expect(guardsRollout(rule, key)).toBe(false);
});

it("refuses a hook outside the environment's names", () => {
  const config = {
    ...ENVIRONMENTS.dev,
    rollout: { ...ENVIRONMENTS.dev.rollout, hooks: { beforeAllowTraffic: "sml-prd-smoke" } },
  };
  expect(() => synthEnvironment(config)).toThrow(/hooks must be named sml-dev-\*/);
});

it("lets CodeDeploy invoke a configured hook, and nothing else", () => {
  const hook = `sml-dev-${FUNCTIONS.api.name}-smoke`;
  const { json, env } = synthEnvironment({
    ...ENVIRONMENTS.dev,
    rollout: { ...ENVIRONMENTS.dev.rollout, hooks: { afterAllowTraffic: hook } },
  });
  const doc = Object.values(json.data.aws_iam_policy_document).find((d) =>
    JSON.stringify(d).includes("InvokeHooks"),
  ) as { statement: { sid: string; resources: string[] }[] };
  expect(doc.statement.find((s) => s.sid === "InvokeHooks")?.resources).toEqual([
    `arn:aws:lambda:${ENVIRONMENTS.dev.region}:${ref("data.aws_caller_identity", "account", "account_id")}:function:${hook}`,
  ]);
  expect(env.deployment.groups.api).toBeDefined();
});

describe("preview config", () => {
  it("names a pull request's stack sml-pr-<number>, under the preview environment", () => {
    const config = previewConfig(42);
    expect(config.name).toBe("preview");
    expect(config.namePrefix).toBe(`${ENVIRONMENTS.preview.namePrefix}-42`);
  });

  it.each(["0", "-1", "42abc", "sml-prd", "1e3", "", "4 2"])(
    "refuses %j as a pull request number",
    (value) => {
      expect(() => previewConfig(value)).toThrow(/is not a pull request number/);
    },
  );

  it("refuses the preview environment as a plain environment, asking for the pull request number", () => {
    expect(() => defineTestStacks({ environments: ["preview"] })).toThrow(
      /pass its number \(SML_PREVIEW_PR=42\)/,
    );
  });

  it("synthesizes only the preview stack next to bootstrap and registry when given a pull request", () => {
    const stacks = defineTestStacks({ preview: 42 });
    expect(Object.keys(stacks.environments)).toEqual([]);
    expect(stacks.preview?.node.id).toBe(previewConfig(42).namePrefix);
  });

  it("cannot produce a name prefix that starts another environment's", () => {
    for (const n of [1, 7, 42, 999999])
      for (const other of [ENVIRONMENTS.dev.namePrefix, ENVIRONMENTS.prd.namePrefix])
        expect(`${previewConfig(n).namePrefix}-`.startsWith(`${other}-`)).toBe(false);
  });
});
