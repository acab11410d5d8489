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

export const WILDCARD_RESOURCE_ACTIONS: readonly string[] = Object.freeze([
  ...XRAY_ACTIONS,
  ...VPC_NETWORK_INTERFACE_ACTIONS,
]);
