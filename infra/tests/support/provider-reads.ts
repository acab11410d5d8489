/**
 * The IAM actions the AWS provider (hashicorp/terraform-provider-aws 6.x) calls to refresh each resource and data
 * source type the stacks use: what `terraform plan` needs with the plan role. Each entry names the provider source
 * file whose Read function (and its finders) makes the calls, under
 * https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/. Checked in the source for
 * cognitoidp/user_pool.go (resourceUserPoolRead: findUserPoolByID -> DescribeUserPool, then
 * findUserPoolMFAConfigByID -> GetUserPoolMfaConfig) and lambda/function.go (resourceFunctionRead -> GetFunction);
 * the others follow the same pattern (the Describe/Get/List call of the resource's finder, plus the tag listing).
 * A type missing here fails plan-role.test.ts, so a new resource type must state its reads.
 */
export interface ProviderReads {
  readonly source: string;
  readonly actions: readonly string[];
}

const ec2 = (file: string, ...actions: string[]): ProviderReads => ({ source: `ec2/${file}`, actions });
const APIGW: readonly string[] = ["apigateway:GET"];
const S3_BUCKET_READS = [
  "s3:ListBucket",
  "s3:GetBucketPolicy",
  "s3:GetBucketAcl",
  "s3:GetBucketCORS",
  "s3:GetBucketWebsite",
  "s3:GetBucketVersioning",
  "s3:GetAccelerateConfiguration",
  "s3:GetBucketRequestPayment",
  "s3:GetBucketLogging",
  "s3:GetLifecycleConfiguration",
  "s3:GetReplicationConfiguration",
  "s3:GetEncryptionConfiguration",
  "s3:GetBucketObjectLockConfiguration",
  "s3:GetBucketTagging",
];

export const PROVIDER_READS: Readonly<Record<string, ProviderReads>> = Object.freeze({
  aws_apigatewayv2_api: { source: "apigatewayv2/api.go", actions: APIGW },
  aws_apigatewayv2_authorizer: { source: "apigatewayv2/authorizer.go", actions: APIGW },
  aws_apigatewayv2_integration: { source: "apigatewayv2/integration.go", actions: APIGW },
  aws_apigatewayv2_route: { source: "apigatewayv2/route.go", actions: APIGW },
  aws_apigatewayv2_stage: { source: "apigatewayv2/stage.go", actions: APIGW },
  aws_cloudwatch_dashboard: { source: "cloudwatch/dashboard.go", actions: ["cloudwatch:GetDashboard"] },
  aws_cloudwatch_log_group: {
    source: "logs/group.go",
    actions: ["logs:DescribeLogGroups", "logs:ListTagsForResource"],
  },
  aws_cloudwatch_metric_alarm: {
    source: "cloudwatch/metric_alarm.go",
    actions: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  },
  aws_codedeploy_app: {
    source: "deploy/app.go",
    actions: ["codedeploy:GetApplication", "codedeploy:ListTagsForResource"],
  },
  aws_codedeploy_deployment_group: {
    source: "deploy/deployment_group.go",
    actions: ["codedeploy:GetDeploymentGroup", "codedeploy:ListTagsForResource"],
  },
  aws_cognito_user_pool: {
    source: "cognitoidp/user_pool.go",
    actions: ["cognito-idp:DescribeUserPool", "cognito-idp:GetUserPoolMfaConfig"],
  },
  aws_cognito_user_pool_client: {
    source: "cognitoidp/user_pool_client.go",
    actions: ["cognito-idp:DescribeUserPoolClient"],
  },
  aws_db_subnet_group: {
    source: "rds/subnet_group.go",
    actions: ["rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"],
  },
  aws_default_security_group: ec2("vpc_default_security_group.go", "ec2:DescribeSecurityGroups"),
  aws_ecr_lifecycle_policy: { source: "ecr/lifecycle_policy.go", actions: ["ecr:GetLifecyclePolicy"] },
  aws_ecr_repository: {
    source: "ecr/repository.go",
    actions: ["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
  },
  aws_ecr_repository_policy: { source: "ecr/repository_policy.go", actions: ["ecr:GetRepositoryPolicy"] },
  aws_eip: ec2("ec2_eip.go", "ec2:DescribeAddresses"),
  aws_flow_log: ec2("vpc_flow_log.go", "ec2:DescribeFlowLogs"),
  aws_iam_openid_connect_provider: {
    source: "iam/openid_connect_provider.go",
    actions: ["iam:GetOpenIDConnectProvider"],
  },
  aws_iam_policy: {
    source: "iam/policy.go",
    actions: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags"],
  },
  aws_iam_role: {
    source: "iam/role.go",
    actions: ["iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
  },
  aws_iam_role_policy: { source: "iam/role_policy.go", actions: ["iam:GetRolePolicy"] },
  aws_iam_role_policy_attachment: {
    source: "iam/role_policy_attachment.go",
    actions: ["iam:ListAttachedRolePolicies"],
  },
  aws_internet_gateway: ec2("vpc_internet_gateway.go", "ec2:DescribeInternetGateways"),
  aws_kms_alias: { source: "kms/alias.go", actions: ["kms:ListAliases"] },
  aws_kms_key: {
    source: "kms/key.go",
    actions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
  },
  aws_lambda_alias: { source: "lambda/alias.go", actions: ["lambda:GetAlias"] },
  aws_lambda_event_source_mapping: {
    source: "lambda/event_source_mapping.go",
    actions: ["lambda:GetEventSourceMapping"],
  },
  aws_lambda_function: {
    source: "lambda/function.go",
    actions: [
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:GetRuntimeManagementConfig",
    ],
  },
  // No AWS read: the provider keeps the result in state and re-invokes only when an input or trigger changes.
  aws_lambda_invocation: { source: "lambda/invocation.go", actions: [] },
  aws_lambda_permission: { source: "lambda/permission.go", actions: ["lambda:GetPolicy"] },
  aws_lambda_provisioned_concurrency_config: {
    source: "lambda/provisioned_concurrency_config.go",
    actions: ["lambda:GetProvisionedConcurrencyConfig"],
  },
  aws_nat_gateway: ec2("vpc_nat_gateway.go", "ec2:DescribeNatGateways"),
  aws_rds_cluster: { source: "rds/cluster.go", actions: ["rds:DescribeDBClusters"] },
  aws_rds_cluster_instance: { source: "rds/cluster_instance.go", actions: ["rds:DescribeDBInstances"] },
  aws_rds_cluster_parameter_group: {
    source: "rds/cluster_parameter_group.go",
    actions: [
      "rds:DescribeDBClusterParameterGroups",
      "rds:DescribeDBClusterParameters",
      "rds:ListTagsForResource",
    ],
  },
  aws_route: ec2("vpc_route.go", "ec2:DescribeRouteTables"),
  aws_route_table: ec2("vpc_route_table.go", "ec2:DescribeRouteTables"),
  aws_route_table_association: ec2("vpc_route_table_association.go", "ec2:DescribeRouteTables"),
  aws_s3_bucket: { source: "s3/bucket.go", actions: S3_BUCKET_READS },
  aws_s3_bucket_cors_configuration: {
    source: "s3/bucket_cors_configuration.go",
    actions: ["s3:GetBucketCORS"],
  },
  aws_s3_bucket_lifecycle_configuration: {
    source: "s3/bucket_lifecycle_configuration.go",
    actions: ["s3:GetLifecycleConfiguration"],
  },
  aws_s3_bucket_notification: { source: "s3/bucket_notification.go", actions: ["s3:GetBucketNotification"] },
  aws_s3_bucket_ownership_controls: {
    source: "s3/bucket_ownership_controls.go",
    actions: ["s3:GetBucketOwnershipControls"],
  },
  aws_s3_bucket_policy: { source: "s3/bucket_policy.go", actions: ["s3:GetBucketPolicy"] },
  aws_s3_bucket_public_access_block: {
    source: "s3/bucket_public_access_block.go",
    actions: ["s3:GetBucketPublicAccessBlock"],
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    source: "s3/bucket_server_side_encryption_configuration.go",
    actions: ["s3:GetEncryptionConfiguration"],
  },
  aws_s3_bucket_versioning: { source: "s3/bucket_versioning.go", actions: ["s3:GetBucketVersioning"] },
  aws_secretsmanager_secret: {
    source: "secretsmanager/secret.go",
    actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
  },
  aws_security_group: ec2("vpc_security_group.go", "ec2:DescribeSecurityGroups"),
  aws_sns_topic: { source: "sns/topic.go", actions: ["sns:GetTopicAttributes", "sns:ListTagsForResource"] },
  aws_sns_topic_policy: { source: "sns/topic_policy.go", actions: ["sns:GetTopicAttributes"] },
  aws_sns_topic_subscription: {
    source: "sns/topic_subscription.go",
    actions: ["sns:GetSubscriptionAttributes"],
  },
  aws_sqs_queue: { source: "sqs/queue.go", actions: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"] },
  aws_sqs_queue_policy: { source: "sqs/queue_policy.go", actions: ["sqs:GetQueueAttributes"] },
  aws_sqs_queue_redrive_allow_policy: {
    source: "sqs/queue_redrive_allow_policy.go",
    actions: ["sqs:GetQueueAttributes"],
  },
  aws_subnet: ec2("vpc_subnet.go", "ec2:DescribeSubnets"),
  aws_vpc: ec2(
    "vpc_.go",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeRouteTables",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSecurityGroups",
  ),
  aws_vpc_endpoint: ec2("vpc_endpoint.go", "ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"),
  aws_vpc_security_group_egress_rule: ec2(
    "vpc_security_group_egress_rule.go",
    "ec2:DescribeSecurityGroupRules",
  ),
  aws_vpc_security_group_ingress_rule: ec2(
    "vpc_security_group_ingress_rule.go",
    "ec2:DescribeSecurityGroupRules",
  ),
  "data.aws_caller_identity": {
    source: "sts/caller_identity_data_source.go",
    actions: ["sts:GetCallerIdentity"],
  },
  "data.aws_ecr_repository": {
    source: "ecr/repository_data_source.go",
    actions: ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListTagsForResource"],
  },
  // The workbench's entry point and sign-in (issue 28).
  aws_cloudfront_distribution: {
    source: "cloudfront/distribution.go",
    actions: ["cloudfront:GetDistribution", "cloudfront:ListTagsForResource"],
  },
  aws_cloudfront_origin_access_control: {
    source: "cloudfront/origin_access_control.go",
    actions: ["cloudfront:GetOriginAccessControl"],
  },
  aws_cloudfront_response_headers_policy: {
    source: "cloudfront/response_headers_policy.go",
    actions: ["cloudfront:GetResponseHeadersPolicy"],
  },
  "data.aws_cloudfront_cache_policy": {
    source: "cloudfront/cache_policy_data_source.go",
    actions: ["cloudfront:GetCachePolicy", "cloudfront:ListCachePolicies"],
  },
  "data.aws_cloudfront_origin_request_policy": {
    source: "cloudfront/origin_request_policy_data_source.go",
    actions: ["cloudfront:GetOriginRequestPolicy", "cloudfront:ListOriginRequestPolicies"],
  },
  aws_cognito_user_group: { source: "cognitoidp/user_group.go", actions: ["cognito-idp:GetGroup"] },
  aws_cognito_user_pool_domain: {
    source: "cognitoidp/user_pool_domain.go",
    actions: ["cognito-idp:DescribeUserPoolDomain"],
  },
  // The batch sweeper's schedule (issue 25 item 3).
  aws_cloudwatch_event_rule: {
    source: "events/rule.go",
    actions: ["events:DescribeRule", "events:ListTagsForResource"],
  },
  aws_cloudwatch_event_target: { source: "events/target.go", actions: ["events:ListTargetsByRule"] },
  // A preview finds dev's network by tags (issue 23 item 9).
  "data.aws_subnets": { source: "ec2/vpc_subnets_data_source.go", actions: ["ec2:DescribeSubnets"] },
  "data.aws_vpc": {
    source: "ec2/vpc_data_source.go",
    actions: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"],
  },
  // Evaluated by Terraform itself, no AWS call.
  "data.aws_iam_policy_document": { source: "iam/policy_document_data_source.go", actions: [] },
});
