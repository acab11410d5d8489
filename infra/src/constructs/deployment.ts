import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CodedeployApp } from "@cdktf/provider-aws/lib/codedeploy-app";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { RolledOutFunctionName } from "@sml/contracts/functions";
import { Construct } from "constructs";
import type { RolloutConfig } from "../config";
import { type PolicyStatement, policyDocument, serviceTrust } from "./iam";
import type { ServiceFunction } from "./service-function";

/**
 * What makes CodeDeploy move the alias back to the version it served before: the deployment failed (an error, a
 * failing hook, a stop), or one of the deployment group's alarms fired while it ran (CodeDeploy API reference,
 * AutoRollbackConfiguration).
 */
export const ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] as const;

/** CodeDeploy takes at most 10 CloudWatch alarms per deployment group (CodeDeploy user guide, "CodeDeploy quotas"). */
export const MAX_ALARMS_PER_DEPLOYMENT_GROUP = 10;

/** Hook lifecycle events of a Lambda deployment, in the order CodeDeploy runs them around the shift. */
export const LAMBDA_HOOK_EVENTS = ["BeforeAllowTraffic", "AfterAllowTraffic"] as const;

/** A function CodeDeploy rolls out, with the alarms that guard it (`Observability.guarding`). */
export interface RolledOut {
  readonly key: RolledOutFunctionName;
  readonly fn: ServiceFunction;
  readonly alarms: readonly CloudwatchMetricAlarm[];
}

export interface DeploymentProps {
  /** Prefix of the application and role names, e.g. `sml-dev`. */
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  /** Deployment configuration and optional hooks (environment config `rollout`). */
  readonly rollout: RolloutConfig;
  /** The functions served through a `live` alias. */
  readonly functions: readonly RolledOut[];
}

/** One function's deployment, as the deploy workflow reads it from the stack's `rollout` output. */
export interface RolloutTarget {
  readonly application: string;
  readonly deploymentGroup: string;
  readonly functionName: string;
  readonly alias: string;
  /** The version Terraform published last: where CodeDeploy shifts the alias to. */
  readonly version: string;
  /** The AppSpec hooks of the environment (`rollout.hooks`), when it has any. */
  readonly hooks?: { readonly beforeAllowTraffic?: string; readonly afterAllowTraffic?: string };
}

/**
 * Gradual traffic with automatic rollback: a CodeDeploy application (Lambda compute platform) and one deployment
 * group per function. Terraform publishes a version and leaves the `live` alias where it is; the deploy workflow
 * (scripts/delivery/shift-traffic.sh) then creates a deployment whose AppSpec moves the alias from the served
 * version to the new one under the environment's deployment configuration (prd: a 10 % canary for 5 minutes;
 * dev: all at once), and CodeDeploy moves it back when the deployment fails or a guarding alarm fires.
 */
export class Deployment extends Construct {
  readonly application: CodedeployApp;
  readonly role: IamRole;
  readonly groups: Readonly<Partial<Record<RolledOutFunctionName, CodedeployDeploymentGroup>>>;
  readonly targets: Readonly<Partial<Record<RolledOutFunctionName, RolloutTarget>>>;

  constructor(scope: Construct, id: string, props: DeploymentProps) {
    super(scope, id);
    const hooks = Object.values(props.rollout.hooks ?? {}).filter((h): h is string => Boolean(h));
    for (const hook of hooks)
      if (!hook.startsWith(`${props.namePrefix}-`))
        throw new Error(
          `Rollout hook ${hook} is not a function of ${props.namePrefix}: hooks must be named ${props.namePrefix}-* (environment config rollout.hooks).`,
        );
    for (const { key, alarms } of props.functions)
      if (alarms.length > MAX_ALARMS_PER_DEPLOYMENT_GROUP)
        throw new Error(
          `${key} has ${alarms.length} guarding alarms; a CodeDeploy deployment group takes at most ${MAX_ALARMS_PER_DEPLOYMENT_GROUP} (guardsRollout in infra/src/config/slo.ts).`,
        );

    this.application = new CodedeployApp(this, "application", {
      name: `${props.namePrefix}-functions`,
      computePlatform: "Lambda",
    });

    this.role = new IamRole(this, "role", {
      name: `${props.namePrefix}-codedeploy`,
      description: `CodeDeploy shifting the live aliases of ${props.namePrefix}`,
      assumeRolePolicy: serviceTrust(this, "trust", "codedeploy.amazonaws.com", [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
      ]).json,
    });
    // What AWSCodeDeployRoleForLambdaLimited grants, narrowed to these functions, their alarms and hooks.
    const statements: PolicyStatement[] = [
      {
        sid: "ShiftLiveAliases",
        effect: "Allow",
        actions: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
        resources: props.functions.flatMap(({ fn }) => [fn.function.arn, `${fn.function.arn}:*`]),
      },
    ];
    const alarmArns = [...new Set(props.functions.flatMap(({ alarms }) => alarms.map((a) => a.arn)))];
    if (alarmArns.length > 0)
      statements.push({
        sid: "ReadGuardingAlarms",
        effect: "Allow",
        actions: ["cloudwatch:DescribeAlarms"],
        resources: alarmArns,
      });
    if (hooks.length > 0)
      statements.push({
        sid: "InvokeHooks",
        effect: "Allow",
        actions: ["lambda:InvokeFunction"],
        resources: hooks.map((h) => `arn:aws:lambda:${props.region}:${props.accountId}:function:${h}`),
      });
    const policy = new IamRolePolicy(this, "policy", {
      name: `${props.namePrefix}-codedeploy-permissions`,
      role: this.role.id,
      policy: policyDocument(this, "permissions", statements).json,
    });

    const groups: Partial<Record<RolledOutFunctionName, CodedeployDeploymentGroup>> = {};
    const targets: Partial<Record<RolledOutFunctionName, RolloutTarget>> = {};
    for (const { key, fn, alarms } of props.functions) {
      const group = new CodedeployDeploymentGroup(this, key, {
        appName: this.application.name,
        // The function's name by reference: the group belongs to exactly that function.
        deploymentGroupName: fn.function.functionName,
        serviceRoleArn: this.role.arn,
        deploymentConfigName: props.rollout.deploymentConfig,
        deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
        autoRollbackConfiguration: { enabled: true, events: [...ROLLBACK_EVENTS] },
        ...(alarms.length > 0
          ? { alarmConfiguration: { enabled: true, alarms: alarms.map((a) => a.alarmName) } }
          : {}),
        dependsOn: [policy],
      });
      groups[key] = group;
      targets[key] = {
        application: this.application.name,
        deploymentGroup: group.deploymentGroupName,
        functionName: fn.function.functionName,
        alias: fn.liveAlias.name,
        version: fn.function.version,
        ...(hooks.length > 0 ? { hooks: { ...props.rollout.hooks } } : {}),
      };
    }
    this.groups = groups;
    this.targets = targets;
  }
}
