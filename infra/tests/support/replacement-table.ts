/**
 * What a code change can replace: for every resource type the stacks use, the arguments whose change makes
 * Terraform destroy and re-create the resource (`ForceNew` in the provider schema; `# forces replacement` in a
 * plan), and what a replacement would lose. The generated bindings do not expose ForceNew, so this table is kept
 * by hand from the provider's source and documentation, and the policy rules of the "safe to change" family
 * (policy-rules.ts) read it.
 *
 * Sources, for hashicorp/aws 6.25 (the version `@cdktf/provider-aws@21.22.1` targets):
 * - the schema in hashicorp/terraform-provider-aws, `internal/service/<service>/<file>.go` (`ForceNew: true`, or
 *   `RequiresReplace()` plan modifiers in framework resources), named per row;
 * - the resource's page on registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/<type without
 *   aws_>, which marks such arguments "Changing this forces a new resource".
 * `aws_rds_cluster_parameter_group` was read line by line for this table; the other rows follow the same sources
 * and may list an argument that has since become updatable (harmless: the rules then ask for a guard that is not
 * strictly needed). Only a real `terraform plan` shows `# forces replacement` for certain.
 */

/**
 * What a replacement loses:
 * - `data`: contents no code can re-create (rows, users, images, state, messages not yet processed).
 * - `trust`: an identity others were given and keep using (key material that decrypts, an identity provider).
 * - `in-use`: other resources hold it (ENIs, a cluster, roles): deleting it first fails or hangs, so a
 *   replacement must create the new one first, and nothing cosmetic (a description) may trigger one.
 * - `rebuildable`: re-created from code with nothing lost but a short interruption.
 */
export type Holds = "data" | "trust" | "in-use" | "rebuildable";

export interface ReplacementRow {
  /** Arguments whose change replaces the resource. */
  readonly forceNew: readonly string[];
  readonly holds: Holds;
  /** Provider source file of the schema (hashicorp/terraform-provider-aws). */
  readonly source: string;
  /** `in-use` types only: names are unique (per account, region or VPC), so create-before-destroy needs `name_prefix`. */
  readonly uniqueName?: boolean;
  /** `in-use` types only: a replacement is part of normal operation (a parameter group's family follows the major). */
  readonly replacementExpected?: boolean;
  readonly note?: string;
}

const svc = (path: string) => `internal/service/${path}`;

export const REPLACEMENT_TABLE: Readonly<Record<string, ReplacementRow>> = Object.freeze({
  // --- data and trust: prevent_destroy where the environment must not lose them
  aws_rds_cluster: {
    forceNew: [
      "cluster_identifier",
      "cluster_identifier_prefix",
      "database_name",
      "db_subnet_group_name",
      "engine",
      "engine_mode",
      "master_username",
      "storage_encrypted",
      "kms_key_id",
      "availability_zones",
      "snapshot_identifier",
      "restore_to_point_in_time",
      "s3_import",
      "source_region",
    ],
    holds: "data",
    source: svc("rds/cluster.go"),
    note: "A renamed subnet group also replaces the cluster (db_subnet_group_name). engine_version is updatable.",
  },
  aws_cognito_user_pool: {
    forceNew: ["alias_attributes", "username_attributes", "username_configuration", "schema"],
    holds: "data",
    source: svc("cognitoidp/user_pool.go"),
    note: "Users and their passwords cannot be exported; a new pool also has new client ids.",
  },
  aws_s3_bucket: {
    forceNew: ["bucket", "bucket_prefix", "object_lock_enabled"],
    holds: "data",
    source: svc("s3/bucket.go"),
  },
  aws_ecr_repository: {
    forceNew: ["name", "encryption_configuration"],
    holds: "data",
    source: svc("ecr/repository.go"),
    note: "encryption_configuration (type, kms_key) cannot change on a repository.",
  },
  aws_sqs_queue: {
    forceNew: ["name", "name_prefix", "fifo_queue"],
    holds: "data",
    source: svc("sqs/queue.go"),
    note: "Messages not yet processed, and the dead-letter queue's failed messages awaiting a redrive.",
  },
  aws_kms_key: {
    forceNew: ["customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"],
    holds: "trust",
    source: svc("kms/key.go"),
    note: "Key material never leaves KMS: what the old key encrypted cannot be read with a new one.",
  },
  aws_iam_openid_connect_provider: {
    forceNew: ["url"],
    holds: "trust",
    source: svc("iam/openid_connect_provider.go"),
    note: "Every GitHub role trusts it; between delete and create no workflow can deploy or plan.",
  },

  // --- in use by other resources: frozen descriptions, create-before-destroy where a replacement is expected
  aws_security_group: {
    forceNew: ["name", "name_prefix", "description", "vpc_id"],
    holds: "in-use",
    uniqueName: true,
    source: svc("ec2/vpc_security_group.go"),
    note: "Lambda hyperplane ENIs and the cluster hold it: a delete waits for them, then fails.",
  },
  aws_rds_cluster_parameter_group: {
    forceNew: ["name", "name_prefix", "family", "description"],
    holds: "in-use",
    uniqueName: true,
    replacementExpected: true,
    source: svc("rds/cluster_parameter_group.go"),
    note: "A group in use by a cluster cannot be deleted; each PostgreSQL major needs a new family.",
  },
  aws_db_subnet_group: {
    forceNew: ["name", "name_prefix"],
    holds: "in-use",
    uniqueName: true,
    source: svc("rds/subnet_group.go"),
  },
  aws_iam_policy: {
    forceNew: ["name", "name_prefix", "path", "description"],
    holds: "in-use",
    uniqueName: true,
    source: svc("iam/policy.go"),
    note: "Used as a permissions boundary: a policy attached to roles cannot be deleted (DeleteConflict).",
  },

  // --- rebuildable from code
  aws_vpc: {
    forceNew: ["cidr_block", "ipv4_ipam_pool_id", "ipv4_netmask_length"],
    holds: "rebuildable",
    source: svc("ec2/vpc_.go"),
  },
  aws_default_security_group: {
    forceNew: ["vpc_id"],
    holds: "rebuildable",
    source: svc("ec2/vpc_default_security_group.go"),
  },
  aws_internet_gateway: { forceNew: [], holds: "rebuildable", source: svc("ec2/vpc_internet_gateway.go") },
  aws_route_table: { forceNew: ["vpc_id"], holds: "rebuildable", source: svc("ec2/vpc_route_table.go") },
  aws_route: {
    forceNew: [
      "route_table_id",
      "destination_cidr_block",
      "destination_ipv6_cidr_block",
      "destination_prefix_list_id",
    ],
    holds: "rebuildable",
    source: svc("ec2/vpc_route.go"),
  },
  aws_route_table_association: {
    forceNew: ["subnet_id", "gateway_id"],
    holds: "rebuildable",
    source: svc("ec2/vpc_route_table_association.go"),
  },
  aws_subnet: {
    forceNew: ["vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "outpost_arn"],
    holds: "rebuildable",
    source: svc("ec2/vpc_subnet.go"),
    note: "In practice held by the cluster's subnet group and the functions' ENIs: a new CIDR is a migration.",
  },
  aws_eip: {
    forceNew: [
      "domain",
      "address",
      "network_border_group",
      "public_ipv4_pool",
      "customer_owned_ipv4_pool",
      "ipam_pool_id",
    ],
    holds: "rebuildable",
    source: svc("ec2/ec2_eip.go"),
    note: "A new address: partners that allow-list the NAT's public IP must be told.",
  },
  aws_nat_gateway: {
    forceNew: [
      "allocation_id",
      "subnet_id",
      "connectivity_type",
      "private_ip",
      "availability_mode",
      "vpc_id",
    ],
    holds: "rebuildable",
    source: svc("ec2/vpc_nat_gateway.go"),
  },
  aws_vpc_security_group_ingress_rule: {
    forceNew: ["security_group_id"],
    holds: "rebuildable",
    source: svc("ec2/vpc_security_group_ingress_rule.go"),
  },
  aws_vpc_security_group_egress_rule: {
    forceNew: ["security_group_id"],
    holds: "rebuildable",
    source: svc("ec2/vpc_security_group_egress_rule.go"),
  },
  aws_vpc_endpoint: {
    forceNew: [
      "vpc_id",
      "service_name",
      "vpc_endpoint_type",
      "service_region",
      "resource_configuration_arn",
      "service_network_arn",
    ],
    holds: "rebuildable",
    source: svc("ec2/vpc_endpoint.go"),
  },
  aws_flow_log: {
    forceNew: [
      "vpc_id",
      "traffic_type",
      "log_destination",
      "log_destination_type",
      "iam_role_arn",
      "log_format",
      "max_aggregation_interval",
      "destination_options",
    ],
    holds: "rebuildable",
    source: svc("ec2/vpc_flow_log.go"),
  },
  aws_cloudwatch_log_group: {
    forceNew: ["name", "name_prefix", "log_group_class"],
    holds: "rebuildable",
    source: svc("logs/group.go"),
    note: "Operational logs with a retention (14 or 90 days); a renamed function starts a new group. The plan comment's caution block names a replaced group (docs/deploy.md).",
  },
  aws_rds_cluster_instance: {
    forceNew: [
      "identifier",
      "identifier_prefix",
      "cluster_identifier",
      "engine",
      "availability_zone",
      "db_subnet_group_name",
      "custom_iam_instance_profile",
    ],
    holds: "rebuildable",
    source: svc("rds/cluster_instance.go"),
    note: "Storage belongs to the cluster; replacing the writer means a failover or minutes without one.",
  },
  aws_kms_alias: { forceNew: ["name", "name_prefix"], holds: "rebuildable", source: svc("kms/alias.go") },
  aws_sns_topic: {
    forceNew: ["name", "name_prefix", "fifo_topic"],
    holds: "rebuildable",
    source: svc("sns/topic.go"),
    note: "Its subscriptions are resources of the same stack and are re-created with it (an e-mail one is confirmed again).",
  },
  aws_sns_topic_policy: { forceNew: ["arn"], holds: "rebuildable", source: svc("sns/topic_policy.go") },
  aws_sns_topic_subscription: {
    forceNew: [
      "topic_arn",
      "protocol",
      "endpoint",
      "endpoint_auto_confirms",
      "confirmation_timeout_in_minutes",
    ],
    holds: "rebuildable",
    source: svc("sns/topic_subscription.go"),
  },
  aws_sqs_queue_policy: { forceNew: ["queue_url"], holds: "rebuildable", source: svc("sqs/queue_policy.go") },
  aws_sqs_queue_redrive_allow_policy: {
    forceNew: ["queue_url"],
    holds: "rebuildable",
    source: svc("sqs/queue_redrive_allow_policy.go"),
  },
  aws_iam_role: {
    forceNew: ["name", "name_prefix", "path"],
    holds: "rebuildable",
    source: svc("iam/role.go"),
  },
  aws_iam_role_policy: {
    forceNew: ["name", "name_prefix", "role"],
    holds: "rebuildable",
    source: svc("iam/role_policy.go"),
  },
  aws_iam_role_policy_attachment: {
    forceNew: ["role", "policy_arn"],
    holds: "rebuildable",
    source: svc("iam/role_policy_attachment.go"),
  },
  aws_lambda_function: {
    forceNew: ["function_name", "package_type"],
    holds: "rebuildable",
    source: svc("lambda/function.go"),
  },
  aws_lambda_alias: {
    forceNew: ["name", "function_name"],
    holds: "rebuildable",
    source: svc("lambda/alias.go"),
  },
  aws_codedeploy_app: {
    forceNew: ["name", "compute_platform"],
    holds: "rebuildable",
    source: svc("deploy/app.go"),
    note: "deployment history only; a running deployment would be stopped",
  },
  aws_codedeploy_deployment_group: {
    forceNew: ["app_name"],
    holds: "rebuildable",
    source: svc("deploy/deployment_group.go"),
  },
  aws_lambda_provisioned_concurrency_config: {
    forceNew: ["function_name", "qualifier"],
    holds: "rebuildable",
    source: svc("lambda/provisioned_concurrency_config.go"),
  },
  aws_lambda_event_source_mapping: {
    forceNew: [
      "event_source_arn",
      "starting_position",
      "starting_position_timestamp",
      "queues",
      "topics",
      "self_managed_event_source",
      "amazon_managed_kafka_event_source_config",
      "self_managed_kafka_event_source_config",
    ],
    holds: "rebuildable",
    source: svc("lambda/event_source_mapping.go"),
  },
  aws_lambda_invocation: {
    forceNew: ["function_name", "qualifier", "triggers"],
    holds: "rebuildable",
    source: svc("lambda/invocation.go"),
    note: "A replacement is a new invocation: that is how the migrations run again.",
  },
  aws_lambda_permission: {
    forceNew: [
      "action",
      "function_name",
      "principal",
      "qualifier",
      "source_arn",
      "source_account",
      "statement_id",
      "statement_id_prefix",
      "event_source_token",
      "principal_org_id",
      "function_url_auth_type",
    ],
    holds: "rebuildable",
    source: svc("lambda/permission.go"),
  },
  aws_apigatewayv2_api: {
    forceNew: ["protocol_type"],
    holds: "rebuildable",
    source: svc("apigatewayv2/api.go"),
    note: "Its id is part of the public URL: a replacement changes the URL clients call.",
  },
  aws_apigatewayv2_stage: {
    forceNew: ["api_id", "name"],
    holds: "rebuildable",
    source: svc("apigatewayv2/stage.go"),
  },
  aws_apigatewayv2_authorizer: {
    forceNew: ["api_id", "authorizer_type"],
    holds: "rebuildable",
    source: svc("apigatewayv2/authorizer.go"),
  },
  aws_apigatewayv2_integration: {
    forceNew: ["api_id", "integration_type"],
    holds: "rebuildable",
    source: svc("apigatewayv2/integration.go"),
  },
  aws_apigatewayv2_route: {
    forceNew: ["api_id"],
    holds: "rebuildable",
    source: svc("apigatewayv2/route.go"),
  },
  aws_cognito_user_pool_client: {
    forceNew: ["user_pool_id", "generate_secret"],
    holds: "rebuildable",
    source: svc("cognitoidp/user_pool_client.go"),
    note: "A new client id: the authorizer's audience follows it in the same apply.",
  },
  aws_cloudwatch_event_rule: {
    forceNew: ["name", "name_prefix", "event_bus_name"],
    holds: "rebuildable",
    source: svc("events/rule.go"),
    note: "The batch sweeper's schedule: a replacement skips at most one 5-minute run.",
  },
  aws_cloudwatch_event_target: {
    forceNew: ["rule", "target_id", "event_bus_name"],
    holds: "rebuildable",
    source: svc("events/target.go"),
  },
  aws_cognito_user_group: {
    forceNew: ["name", "user_pool_id"],
    holds: "rebuildable",
    source: svc("cognitoidp/user_group.go"),
    note: "Members are lost with the group; the groups are created with the pool and rarely renamed.",
  },
  aws_cognito_user_pool_domain: {
    forceNew: ["domain", "user_pool_id"],
    holds: "rebuildable",
    source: svc("cognitoidp/user_pool_domain.go"),
    note: "The site's sign-in URL; the site reads it from config.json, which the next deploy rewrites.",
  },
  aws_cloudfront_distribution: {
    forceNew: [],
    holds: "trust",
    source: svc("cloudfront/distribution.go"),
    note: "Every argument updates in place; a replacement (a new id) would be a new *.cloudfront.net domain that bookmarks and the sign-in's callback do not know.",
  },
  aws_cloudfront_origin_access_control: {
    forceNew: [],
    holds: "rebuildable",
    source: svc("cloudfront/origin_access_control.go"),
  },
  aws_cloudfront_response_headers_policy: {
    forceNew: [],
    holds: "rebuildable",
    source: svc("cloudfront/response_headers_policy.go"),
  },
  aws_s3_bucket_cors_configuration: {
    forceNew: ["bucket", "expected_bucket_owner"],
    holds: "rebuildable",
    source: svc("s3/bucket_cors_configuration.go"),
  },
  aws_cloudwatch_metric_alarm: {
    forceNew: ["alarm_name"],
    holds: "rebuildable",
    source: svc("cloudwatch/metric_alarm.go"),
  },
  aws_cloudwatch_dashboard: {
    forceNew: ["dashboard_name"],
    holds: "rebuildable",
    source: svc("cloudwatch/dashboard.go"),
  },
  aws_s3_bucket_versioning: {
    forceNew: ["bucket", "expected_bucket_owner", "mfa"],
    holds: "rebuildable",
    source: svc("s3/bucket_versioning.go"),
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    forceNew: ["bucket", "expected_bucket_owner"],
    holds: "rebuildable",
    source: svc("s3/bucket_server_side_encryption_configuration.go"),
  },
  aws_s3_bucket_public_access_block: {
    forceNew: ["bucket"],
    holds: "rebuildable",
    source: svc("s3/bucket_public_access_block.go"),
  },
  aws_s3_bucket_ownership_controls: {
    forceNew: ["bucket"],
    holds: "rebuildable",
    source: svc("s3/bucket_ownership_controls.go"),
  },
  aws_s3_bucket_lifecycle_configuration: {
    forceNew: ["bucket", "expected_bucket_owner"],
    holds: "rebuildable",
    source: svc("s3/bucket_lifecycle_configuration.go"),
  },
  aws_s3_bucket_policy: { forceNew: ["bucket"], holds: "rebuildable", source: svc("s3/bucket_policy.go") },
  aws_s3_bucket_notification: {
    forceNew: ["bucket"],
    holds: "rebuildable",
    source: svc("s3/bucket_notification.go"),
  },
  aws_ecr_lifecycle_policy: {
    forceNew: ["repository"],
    holds: "rebuildable",
    source: svc("ecr/lifecycle_policy.go"),
  },
  aws_secretsmanager_secret: {
    forceNew: ["name", "name_prefix"],
    holds: "rebuildable",
    source: svc("secretsmanager/secret.go"),
    note: "A Data API user's login: a new secret starts empty, and its id is a trigger of the migration run, which writes a new password and sets it on the user.",
  },
  aws_ecr_repository_policy: {
    forceNew: ["repository"],
    holds: "rebuildable",
    source: svc("ecr/repository_policy.go"),
  },
});
