import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { Construct } from "constructs";

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;

/**
 * Every IAM policy in the app is an `aws_iam_policy_document` data source rather than a JSON string, so the
 * synthesized Terraform keeps statements as structured data that reviewers and the policy tests can read.
 */
export function policyDocument(
  scope: Construct,
  id: string,
  statements: PolicyStatement[],
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { version: "2012-10-17", statement: statements });
}

/**
 * A resource policy statement refusing every request that does not use TLS (`aws:SecureTransport` false), for
 * buckets and queues (S3 and SQS user guides: "enforce encryption of data in transit").
 */
export function denyPlainHttp(actions: string[], resources: string[]): PolicyStatement {
  return {
    sid: "DenyPlainHttp",
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions,
    resources,
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/** Trust policy letting one AWS service assume a role. */
export function serviceTrust(
  scope: Construct,
  id: string,
  service: string,
  conditions: PolicyStatement["condition"] = undefined,
) {
  return policyDocument(scope, id, [
    {
      effect: "Allow",
      actions: ["sts:AssumeRole"],
      principals: [{ type: "Service", identifiers: [service] }],
      ...(conditions ? { condition: conditions } : {}),
    },
  ]);
}

/**
 * Actions that only accept `Resource: "*"` in IAM, so least privilege cannot narrow them further. The policy tests
 * allow a `*` resource for these and nothing else.
 * - X-Ray trace submission has no resource-level permissions.
 * - Lambda's VPC networking creates/describes/deletes ENIs before the function (and its subnets) are known to IAM.
 */
export const XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/** What Lambda needs to attach a function to the VPC (its own network interfaces). */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];

/** The RDS Data API calls the database layer makes (statements and transactions). */
export const RDS_DATA_API_ACTIONS = [
  "rds-data:ExecuteStatement",
  "rds-data:BatchExecuteStatement",
  "rds-data:BeginTransaction",
  "rds-data:CommitTransaction",
  "rds-data:RollbackTransaction",
];

/** What Lambda needs to write a function's logs to its log group. */
export const FUNCTION_LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"];

/** What an SQS event source mapping needs from the function's role to poll, delete and extend messages. */
export const SQS_EVENT_SOURCE_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
];

/**
 * Actions of a function's role that the Lambda service exercises on the function's behalf, from outside the
 * function's VPC: shipping its logs, polling an SQS event source, attaching its ENIs. A VPC endpoint for these
 * services carries none of that traffic (AWS Lambda Developer Guide, "Lambda execution role", "Using Lambda
 * with Amazon SQS" and "Giving Lambda functions access to resources in an Amazon VPC"), so they do not make a
 * function a caller of the service.
 */
export const LAMBDA_SERVICE_SIDE_ACTIONS: readonly string[] = Object.freeze([
  ...FUNCTION_LOG_ACTIONS,
  ...SQS_EVENT_SOURCE_ACTIONS,
  ...VPC_NETWORK_INTERFACE_ACTIONS,
]);

export const WILDCARD_RESOURCE_ACTIONS: readonly string[] = Object.freeze([
  ...XRAY_ACTIONS,
  ...VPC_NETWORK_INTERFACE_ACTIONS,
]);
