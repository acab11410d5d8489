import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LAMBDA_NODE_MAJOR } from "@sml/contracts/functions";
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
  /** Publishes a version on every code change (needed for an alias with provisioned concurrency). */
  readonly publish?: boolean;
}

/**
 * One Lambda function with its own role (only the given statements, plus its log group, X-Ray and, in a VPC,
 * ENI management), a log group with retention created before the function, JSON logs, arm64, Node.js 24 (LAMBDA_NODE_MAJOR) for zip
 * code, and X-Ray active tracing.
 */
export class ServiceFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;

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
      ...(props.publish ? { publish: true } : {}),
      // The role's permissions (ENIs, logs) must exist before Lambda validates the VPC config and first writes logs.
      dependsOn: [policy, this.logGroup],
    });
  }
}
