import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { getEnvironmentConfig } from "../src/config";
import { prdShapedDev } from "./support/shapes";
import { bodyOf, ref, resourcesOf, synthEnvironment } from "./support/synth";

// The in-VPC pg path (prd's shape) with dev's names and sizes.
const dev = synthEnvironment(prdShapedDev(getEnvironmentConfig("dev")));
const prd = synthEnvironment(getEnvironmentConfig("prd"));

describe("database", () => {
  it.each([
    ["dev", dev],
    ["prd", prd],
  ])(
    "runs Aurora PostgreSQL 16 Serverless v2 with an RDS-managed password and encryption (%s)",
    (_env, s) => {
      const cluster = bodyOf(s.json, s.env.database.cluster);
      expect(cluster).toMatchObject({
        engine: "aurora-postgresql",
        engine_mode: "provisioned",
        manage_master_user_password: true,
        storage_encrypted: true,
        port: 5432,
      });
      expect(cluster.engine_version).toMatch(/^16\.\d+$/);
      expect(cluster.master_password).toBeUndefined();
      expect(cluster.db_cluster_parameter_group_name).toBe(
        ref("aws_rds_cluster_parameter_group", s.env.database.parameterGroup.friendlyUniqueId, "name"),
      );
      for (const [, instance] of resourcesOf(s.json, "aws_rds_cluster_instance"))
        expect(instance).toMatchObject({ instance_class: "db.serverless", publicly_accessible: false });
    },
  );

  it("turns the Data API on only for the data-api driver, the one driver that calls it", () => {
    // Both environments use pg (packages/database/src/pg.ts); only DB_DRIVER=data-api calls rds-data (data-api.ts).
    for (const s of [dev, prd]) {
      expect(s.env.config.database.driver).toBe("pg");
      expect(bodyOf(s.json, s.env.database.cluster).enable_http_endpoint).toBe(false);
    }
    const config = getEnvironmentConfig("dev");
    const dataApi = synthEnvironment({ ...config, database: { ...config.database, driver: "data-api" } });
    expect(bodyOf(dataApi.json, dataApi.env.database.cluster).enable_http_endpoint).toBe(true);
  });

  it("forces TLS through the cluster parameter group", () => {
    expect(dev.text).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      family: "aurora-postgresql16",
      parameter: [expect.objectContaining({ name: "rds.force_ssl", value: "1" })],
    });
  });

  it("lets dev scale to zero and pause, with one instance and no deletion protection", () => {
    expect(dev.text).toHaveResourceWithProperties(RdsCluster, {
      serverlessv2_scaling_configuration: { min_capacity: 0, max_capacity: 4, seconds_until_auto_pause: 900 },
      deletion_protection: false,
      skip_final_snapshot: true,
    });
    expect(resourcesOf(dev.json, "aws_rds_cluster_instance")).toHaveLength(1);
  });

  it("keeps a capacity floor in prd, never pauses, and puts a reader in the second AZ", () => {
    const cluster = bodyOf(prd.json, prd.env.database.cluster);
    expect(cluster.serverlessv2_scaling_configuration).toEqual({ min_capacity: 0.5, max_capacity: 16 });
    const reader = prd.env.database.reader;
    if (!reader) throw new Error("prd has no reader");
    const [first, second] = prd.env.config.network.availabilityZones;
    expect(bodyOf(prd.json, prd.env.database.writer).availability_zone).toBe(first);
    expect(bodyOf(prd.json, reader)).toMatchObject({ availability_zone: second, promotion_tier: 1 });
    expect(prd.text).toHaveResourceWithProperties(RdsClusterInstance, { availability_zone: second });
    expect(second).not.toBe(first);
  });

  it("protects prd against deletion, keeps 14 days of backups and takes a final snapshot", () => {
    expect(bodyOf(prd.json, prd.env.database.cluster)).toMatchObject({
      deletion_protection: true,
      backup_retention_period: 14,
      skip_final_snapshot: false,
      final_snapshot_identifier: "sml-prd-db-final",
    });
  });

  it("admits 5432 only from the functions' security group", () => {
    const dbSg = ref("aws_security_group", dev.env.database.securityGroup.friendlyUniqueId, "id");
    const ingress = resourcesOf(dev.json, "aws_vpc_security_group_ingress_rule")
      .map(([, r]) => r)
      .filter((r) => r.security_group_id === dbSg);
    expect(ingress).toEqual([
      expect.objectContaining({
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
        referenced_security_group_id: ref(
          "aws_security_group",
          dev.env.network.functionSecurityGroup.friendlyUniqueId,
          "id",
        ),
      }),
    ]);
    expect(bodyOf(dev.json, dev.env.database.cluster).vpc_security_group_ids).toEqual([dbSg]);
  });

  it("lets the functions' security group send to 5432 of the database's security group", () => {
    const fnSg = ref("aws_security_group", dev.env.network.functionSecurityGroup.friendlyUniqueId, "id");
    const egress = resourcesOf(dev.json, "aws_vpc_security_group_egress_rule")
      .map(([, r]) => r)
      .filter((r) => r.security_group_id === fnSg && r.from_port === 5432);
    expect(egress).toEqual([
      expect.objectContaining({
        ip_protocol: "tcp",
        to_port: 5432,
        referenced_security_group_id: ref(
          "aws_security_group",
          dev.env.database.securityGroup.friendlyUniqueId,
          "id",
        ),
      }),
    ]);
  });

  it("places the cluster in the private subnets", () => {
    const [, group] = resourcesOf(dev.json, "aws_db_subnet_group")[0] ?? [];
    expect(group?.subnet_ids).toEqual(
      dev.env.network.privateSubnets.map((s) => ref("aws_subnet", s.friendlyUniqueId, "id")),
    );
  });

  it("exposes the managed secret ARN and the cluster identifier for the functions and the alarms", () => {
    expect(dev.env.database.clusterIdentifier).toBe("sml-dev-db");
    expect(dev.json.output.db_secret_arn.value).toBe(
      `\${aws_rds_cluster.${dev.env.database.cluster.friendlyUniqueId}.master_user_secret[0].secret_arn}`,
    );
  });
});
