import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { FUNCTIONS, type FunctionName, LAMBDA_NODE_MAJOR, METRICS_NAMESPACE } from "@sml/contracts/functions";
import type { TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import {
  FUNCTION_LOG_ACTIONS,
  type PolicyStatement,
  policyDocument,
  serviceTrust,
  VPC_NETWORK_INTERFACE_ACTIONS,
  XRAY_ACTIONS,
} from "./iam";

/** A zip package: the asset Terraform uploads, and the base64 SHA-256 of its bytes (`source_code_hash`). */
export interface ZipCode {
  readonly kind: "zip";
  readonly asset: TerraformAsset;
  readonly sourceCodeHash: string;
}

/** A container image; `command` overrides its CMD (the batch functions run the prediction image's other entries). */
export type FunctionCode =
  | ZipCode
  | { readonly kind: "image"; readonly imageUri: string; readonly command?: string[] };

export interface ServiceFunctionProps {
  readonly functionName: string;
  readonly description: string;
  readonly code: FunctionCode;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment?: Record<string, string>;
  /** Private subnets and security groups; omit for a function outside the VPC. */
  readonly vpc?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  /** What the function's own code calls, beyond logging and tracing (added here for every function). */
  readonly statements: PolicyStatement[];
  readonly logRetentionDays: number;
  readonly reservedConcurrency?: number;
  /**
   * Serves the function through the `live` alias ({@link LIVE_ALIAS}): every change publishes a version, and
   * CodeDeploy, not Terraform, moves the alias to it (constructs/deployment.ts). Omitted: `$LATEST` only (the
   * migration function, which only Terraform invokes).
   */
  readonly live?: boolean;
}

/**
 * What the registry (@sml/contracts/functions) says of one function, as ServiceFunction props: its deployed name
 * (`<prefix>-<name>`), description, default memory and timeout, whether it is served through `live` (`rollout`),
 * and the Powertools service and namespace in `environment`. A construct spreads it first, then adds the code,
 * IAM, its own variables and any override from the environment's config.
 */
export function registryFunctionProps(name: FunctionName, namePrefix: string) {
  const definition = FUNCTIONS[name];
  return {
    functionName: `${namePrefix}-${definition.name}`,
    description: definition.description,
    memoryMb: definition.memoryMb,
    timeoutSeconds: definition.timeoutSeconds,
    live: definition.rollout,
    environment: {
      POWERTOOLS_SERVICE_NAME: definition.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    },
  } satisfies Partial<ServiceFunctionProps>;
}

/** The alias every caller of a served function targets: API integrations, event source mappings, permissions. */
export const LIVE_ALIAS = "live";

/**
 * What Terraform leaves to CodeDeploy on a `live` alias: the version it points at and the weighted routing of a
 * canary in flight. Without this the next apply would move the alias back (or forward) behind CodeDeploy's back
 * and undo a rollback (Terraform docs, "The lifecycle meta-argument", ignore_changes).
 */
export const ALIAS_ATTRIBUTES_OWNED_BY_CODEDEPLOY = ["function_version", "routing_config"] as const;

/**
 * A function of the registry (@sml/contracts/functions) as the construct that owns it built it: what the stack's
 * cross-cutting parts (alarms, dashboard, rollout, API targets) need of every function.
 */
export interface BuiltFunction {
  readonly fn: ServiceFunction;
  /** For a function only a schedule runs: seconds between runs (its rollout guard counts per run). */
  readonly runsEverySeconds?: number;
}

/**
 * One Lambda function with its own role (only the given statements, plus its log group, X-Ray and, in a VPC,
 * ENI management), a log group with retention created before the function, JSON logs, arm64, Node.js 24 (LAMBDA_NODE_MAJOR) for zip
 * code, and X-Ray active tracing; with `live`, a published version per change behind the `live` alias.
 */
export class ServiceFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;
  /** The `live` alias, when the function is served through one (`props.live`). */
  readonly alias: LambdaAlias | undefined;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.functionName = props.functionName;
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: serviceTrust(this, "trust", "lambda.amazonaws.com").json,
    });
    const statements: PolicyStatement[] = [
      {
        sid: "OwnLogGroup",
        effect: "Allow",
        actions: FUNCTION_LOG_ACTIONS,
        resources: [`${this.logGroup.arn}:*`],
      },
      {
        sid: "XRay",
        effect: "Allow",
        actions: XRAY_ACTIONS,
        resources: ["*"],
      },
      ...(props.vpc
        ? [
            {
              sid: "VpcNetworkInterfaces",
              effect: "Allow",
              actions: VPC_NETWORK_INTERFACE_ACTIONS,
              resources: ["*"],
            },
          ]
        : []),
      ...props.statements,
    ];
    const policy = new IamRolePolicy(this, "policy", {
      name: `${props.functionName}-permissions`,
      role: this.role.id,
      policy: policyDocument(this, "permissions", statements).json,
    });

    const code =
      props.code.kind === "zip"
        ? {
            packageType: "Zip",
            runtime: `nodejs${LAMBDA_NODE_MAJOR}.x`,
            handler: "index.handler",
            filename: props.code.asset.path,
            sourceCodeHash: props.code.sourceCodeHash,
          }
        : {
            packageType: "Image",
            imageUri: props.code.imageUri,
            ...(props.code.command ? { imageConfig: { command: props.code.command } } : {}),
          };

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      architectures: ["arm64"],
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      ...code,
      ...(props.environment ? { environment: { variables: props.environment } } : {}),
      ...(props.vpc ? { vpcConfig: props.vpc } : {}),
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      ...(props.live ? { publish: true } : {}),
      // The role's permissions (ENIs, logs) must exist before Lambda validates the VPC config and first writes logs.
      dependsOn: [policy, this.logGroup],
    });

    // Created on the first published version; from then on only CodeDeploy moves it.
    this.alias = props.live
      ? new LambdaAlias(this, "live", {
          name: LIVE_ALIAS,
          description: "Served version; shifted by CodeDeploy (docs/deploy.md, Rollout and rollback)",
          functionName: this.function.functionName,
          functionVersion: this.function.version,
          lifecycle: { ignoreChanges: [...ALIAS_ATTRIBUTES_OWNED_BY_CODEDEPLOY] },
        })
      : undefined;
  }

  /** The `live` alias; throws for a function not served through one. */
  get liveAlias(): LambdaAlias {
    if (!this.alias)
      throw new Error(
        `${this.functionName} has no live alias: construct it with \`live: true\` (the registry's \`rollout\`, packages/contracts/src/functions.ts).`,
      );
    return this.alias;
  }
}
