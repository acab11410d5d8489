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
import type { Network } from "./network";

export const POSTGRES_PORT = 5432;

export interface DatabaseProps {
  readonly namePrefix: string;
  readonly config: DatabaseConfig;
  readonly network: Network;
  /** Region and account of the cluster, for the `rds-db:connect` ARNs of its database users. */
  readonly region: string;
  readonly accountId: string;
}

/**
 * Aurora PostgreSQL Serverless v2 in the private subnets. RDS generates the master password and keeps it in
 * Secrets Manager (no password in code, config or state); only the migration function uses it. The api and
 * subscriber log in as their own least-privilege users with IAM database authentication (`dbUserArn`). TLS is
 * forced by the cluster parameter group; the Data API is on for the `data-api` driver and for operators. Only
 * the functions' security group reaches 5432.
 */
export class Database extends Construct {
  readonly cluster: RdsCluster;
  readonly writer: RdsClusterInstance;
  readonly reader: RdsClusterInstance | undefined;
  readonly securityGroup: SecurityGroup;
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

    this.securityGroup = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-db`,
      description: "Aurora PostgreSQL: 5432 from the functions only",
      vpcId: network.vpc.id,
      tags: { Name: `${namePrefix}-db` },
    });
    // Both directions: Terraform strips the default allow-all egress from the functions' group, so without the
    // egress rule a function's connection to 5432 is dropped before it reaches the cluster's ingress rule.
    this.access = [
      new VpcSecurityGroupIngressRule(this, "postgres-from-functions", {
        securityGroupId: this.securityGroup.id,
        description: "PostgreSQL from the Lambda functions",
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: network.functionSecurityGroup.id,
      }),
      new VpcSecurityGroupEgressRule(this, "functions-to-postgres", {
        securityGroupId: network.functionSecurityGroup.id,
        description: "PostgreSQL to the Aurora cluster",
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: this.securityGroup.id,
      }),
    ];

    const subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: `${namePrefix}-db`,
      description: "Private subnets of both AZs",
      subnetIds: network.privateSubnets.map((s) => s.id),
    });

    this.parameterGroup = new RdsClusterParameterGroup(this, "params", {
      name: `${namePrefix}-aurora-pg16`,
      family: "aurora-postgresql16",
      description: "Forces TLS for every client connection",
      parameter: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
    });

    this.cluster = new RdsCluster(this, "cluster", {
      clusterIdentifier: this.clusterIdentifier,
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      engineVersion: config.engineVersion,
      databaseName: config.databaseName,
      masterUsername: "sml_admin",
      manageMasterUserPassword: true,
      storageEncrypted: true,
      // Lets a user granted rds_iam log in with a 15-minute token signed by its IAM role (no password).
      iamDatabaseAuthenticationEnabled: true,
      enableHttpEndpoint: true,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: this.parameterGroup.name,
      serverlessv2ScalingConfiguration: {
        minCapacity: config.minAcu,
        maxCapacity: config.maxAcu,
        ...(config.secondsUntilAutoPause === undefined
          ? {}
          : { secondsUntilAutoPause: config.secondsUntilAutoPause }),
      },
      backupRetentionPeriod: config.backupRetentionDays,
      preferredBackupWindow: "02:00-03:00",
      preferredMaintenanceWindow: "sun:03:30-sun:04:30",
      copyTagsToSnapshot: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.finalSnapshot,
      ...(config.finalSnapshot ? { finalSnapshotIdentifier: `${namePrefix}-db-final` } : {}),
      applyImmediately: config.applyImmediately,
      allowMajorVersionUpgrade: false,
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
        autoMinorVersionUpgrade: false,
        promotionTier: name === "writer" ? 0 : 1,
      });
    const [firstAz, secondAz] = network.config.availabilityZones;
    this.writer = instance("writer", firstAz);
    this.reader = config.reader ? instance("reader", secondAz) : undefined;
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
