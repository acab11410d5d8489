import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import type { DatabaseConfig } from "../config";
import type { NetworkAccess } from "./network";

export const POSTGRES_PORT = 5432;

/** `16.10` -> `16`: the PostgreSQL major of an Aurora PostgreSQL engine version (the parameter group family). */
export const postgresMajor = (engineVersion: string): string => engineVersion.split(".")[0] as string;
/** The RDS engine of the cluster (also what the deploy preflight asks `describe-db-engine-versions` about). */
export const AURORA_ENGINE = "aurora-postgresql";

export interface DatabaseProps {
  readonly namePrefix: string;
  readonly config: DatabaseConfig;
  readonly network: NetworkAccess;
  /** `prevent_destroy` on the cluster (environment config `preventDestroy`). */
  readonly preventDestroy: boolean;
  /**
   * Opens 5432 from the functions' security group (functions in the VPC). Off when the functions run outside
   * the VPC and reach the cluster only through the Data API: then nothing may connect to 5432 at all.
   */
  readonly allowFunctionConnections: boolean;
  /** Region and account of the cluster, for the `rds-db:connect` ARNs of its database users. */
  readonly region: string;
  readonly accountId: string;
}

/**
 * Aurora PostgreSQL Serverless v2 in the private subnets. RDS generates the master password and keeps it in
 * Secrets Manager (no password in code, config or state); only the migration function uses it. The api and
 * subscriber log in as their own least-privilege users with IAM database authentication (`dbUserArn`). TLS is
 * forced by the cluster parameter group; the Data API is on only with the `data-api` driver, the one caller that
 * uses it (an open SQL path over HTTPS that nothing uses is attack surface). Only the functions' security group
 * reaches 5432.
 */
export class Database extends Construct {
  readonly cluster: RdsCluster;
  readonly writer: RdsClusterInstance;
  readonly reader: RdsClusterInstance | undefined;
  /** The cluster's own group; none in a VPC the stack does not own (the cluster is reached by the Data API only). */
  readonly ownSecurityGroup: SecurityGroup | undefined;
  readonly parameterGroup: RdsClusterParameterGroup;
  /** The rules that open 5432 from the functions to the cluster; a migration run must wait for them. */
  readonly access: TerraformResource[];
  /** The cluster identifier (what CloudWatch's `DBClusterIdentifier` dimension uses). */
  readonly clusterIdentifier: string;
  /** ARN of the RDS-managed master secret (`{"username","password"}`). */
  readonly secretArn: string;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { namePrefix, config, network } = props;
    this.region = props.region;
    this.accountId = props.accountId;
    this.clusterIdentifier = `${namePrefix}-db`;

    // In another stack's VPC (a preview in dev's) the stack creates no group: RDS then gives the cluster the VPC's
    // default group, which that stack empties (network.ts), so nothing reaches 5432 and the Data API (an HTTPS
    // endpoint outside the VPC) is the only way in. validateConfig keeps such a stack's functions outside the VPC.
    const securityGroup = network.owned
      ? new SecurityGroup(this, "sg", {
          name: `${namePrefix}-db`,
          // A security group's description cannot change in place (replacement), and the cluster and the functions'
          // ENIs hold this group: the description stays short and frozen, and the rules say what it admits.
          description: "Aurora PostgreSQL",
          vpcId: network.vpcId,
          tags: { Name: `${namePrefix}-db` },
          lifecycle: { ignoreChanges: ["description"] },
        })
      : undefined;
    this.ownSecurityGroup = securityGroup;
    const functionSg = network.functionSecurityGroupId;
    // Both directions: Terraform strips the default allow-all egress from the functions' group, so without the
    // egress rule a function's connection to 5432 is dropped before it reaches the cluster's ingress rule.
    this.access =
      !props.allowFunctionConnections || !securityGroup || !functionSg
        ? []
        : [
            new VpcSecurityGroupIngressRule(this, "postgres-from-functions", {
              securityGroupId: securityGroup.id,
              description: "PostgreSQL from the Lambda functions",
              ipProtocol: "tcp",
              fromPort: POSTGRES_PORT,
              toPort: POSTGRES_PORT,
              referencedSecurityGroupId: functionSg,
            }),
            new VpcSecurityGroupEgressRule(this, "functions-to-postgres", {
              securityGroupId: functionSg,
              description: "PostgreSQL to the Aurora cluster",
              ipProtocol: "tcp",
              fromPort: POSTGRES_PORT,
              toPort: POSTGRES_PORT,
              referencedSecurityGroupId: securityGroup.id,
            }),
          ];

    const subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: `${namePrefix}-db`,
      description: "Private subnets of both AZs",
      subnetIds: network.privateSubnetIds,
    });

    // family, name and description force a new group, and the cluster uses this one: a generated name lets
    // Terraform create the new group first (the PostgreSQL 17 upgrade moves the cluster onto it), then delete
    // the old one once the cluster has left it.
    const major = postgresMajor(config.engineVersion);
    this.parameterGroup = new RdsClusterParameterGroup(this, "params", {
      namePrefix: `${namePrefix}-aurora-pg${major}-`,
      family: `aurora-postgresql${major}`,
      description: "Forces TLS",
      parameter: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
      lifecycle: { createBeforeDestroy: true },
    });

    this.cluster = new RdsCluster(this, "cluster", {
      clusterIdentifier: this.clusterIdentifier,
      engine: AURORA_ENGINE,
      engineMode: "provisioned",
      engineVersion: config.engineVersion,
      databaseName: config.databaseName,
      masterUsername: "sml_admin",
      manageMasterUserPassword: true,
      storageEncrypted: true,
      // Lets a user granted rds_iam log in with a 15-minute token signed by its IAM role (no password).
      iamDatabaseAuthenticationEnabled: true,
      enableHttpEndpoint: config.driver === "data-api",
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      ...(securityGroup ? { vpcSecurityGroupIds: [securityGroup.id] } : {}),
      dbClusterParameterGroupName: this.parameterGroup.name,
      serverlessv2ScalingConfiguration: {
        minCapacity: config.minAcu,
        maxCapacity: config.maxAcu,
        ...(config.secondsUntilAutoPause === undefined
          ? {}
          : { secondsUntilAutoPause: config.secondsUntilAutoPause }),
      },
      backupRetentionPeriod: config.backupRetentionDays,
      preferredBackupWindow: config.backupWindow,
      preferredMaintenanceWindow: config.maintenanceWindow,
      copyTagsToSnapshot: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.finalSnapshot,
      ...(config.finalSnapshot ? { finalSnapshotIdentifier: `${namePrefix}-db-final` } : {}),
      applyImmediately: config.applyImmediately,
      allowMajorVersionUpgrade: config.upgradeEngine,
      lifecycle: {
        // prd: a plan that destroys or replaces the cluster (a renamed cluster or subnet group, a new database
        // name...) fails instead of dropping the data; docs/operations.md says how to replace it on purpose.
        preventDestroy: props.preventDestroy,
        // AWS upgrades minors itself (the instances' auto_minor_version_upgrade, and forced upgrades at the end
        // of a minor's standard support); a pinned version would then plan a downgrade that RDS refuses
        // ("Cannot upgrade aurora-postgresql from 16.11 to 16.10"). engineVersion is what a new cluster starts
        // on; upgradeEngine hands the version back to Terraform for a deliberate upgrade.
        ignoreChanges: config.upgradeEngine ? [] : ["engine_version"],
      },
    });
    this.secretArn = this.cluster.masterUserSecret.get(0).secretArn;

    const instance = (name: string, az: string) =>
      new RdsClusterInstance(this, name, {
        identifier: `${namePrefix}-db-${name}`,
        clusterIdentifier: this.cluster.id,
        instanceClass: "db.serverless",
        engine: this.cluster.engine,
        engineVersion: this.cluster.engineVersion,
        availabilityZone: az,
        publiclyAccessible: false,
        // Minor upgrades arrive in the maintenance window; the cluster's engine_version ignores them.
        autoMinorVersionUpgrade: true,
        promotionTier: name === "writer" ? 0 : 1,
      });
    const [firstAz, secondAz] = network.config.availabilityZones;
    this.writer = instance("writer", firstAz);
    this.reader = config.reader ? instance("reader", secondAz) : undefined;
  }

  /** The cluster's security group (a stack in its own VPC always has one). */
  get securityGroup(): SecurityGroup {
    if (!this.ownSecurityGroup)
      throw new Error(
        `${this.clusterIdentifier} has no security group of its own: it sits in another stack's VPC`,
      );
    return this.ownSecurityGroup;
  }

  /**
   * The resource an IAM policy names to let a role log in as `user` on this cluster with IAM database
   * authentication: `arn:aws:rds-db:<region>:<account>:dbuser:<cluster resource id>/<user>` (Aurora user guide,
   * "Creating and using an IAM policy for IAM database access"). The resource id (`cluster-...`), not the
   * cluster identifier: it is what RDS checks, and it changes if the cluster is replaced.
   */
  dbUserArn(user: string): string {
    return `arn:aws:rds-db:${this.region}:${this.accountId}:dbuser:${this.cluster.clusterResourceId}/${user}`;
  }
}
