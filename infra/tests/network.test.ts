import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import type { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { type EnvironmentConfig, getEnvironmentConfig, SITE } from "../src/config";
import { INTERFACE_ENDPOINT_SERVICES, subnetCidr } from "../src/constructs/network";
import { REPO_ROOT } from "./support/paths";
import { prdShapedDev } from "./support/shapes";
import { bodyOf, ref, resourcesOf, synthEnvironment } from "./support/synth";

// One NAT gateway for functions in the VPC (prd's shape, single gateway) with dev's names.
const dev = synthEnvironment(prdShapedDev(getEnvironmentConfig("dev")));
const prd = synthEnvironment(getEnvironmentConfig("prd"));

function withNetwork(base: EnvironmentConfig, network: Partial<EnvironmentConfig["network"]>) {
  return synthEnvironment({ ...base, network: { ...base.network, ...network } });
}

/** Route table of each private subnet, and where its default route goes. */
function privateDefaultRoutes(s: typeof dev): (string | undefined)[] {
  const routes = resourcesOf(s.json, "aws_route").map(([, r]) => r);
  return s.env.network.privateSubnets.map((subnet) => {
    const association = resourcesOf(s.json, "aws_route_table_association")
      .map(([, a]) => a)
      .find((a) => a.subnet_id === `\${aws_subnet.${subnet.friendlyUniqueId}.id}`);
    const route = routes.find(
      (r) => r.route_table_id === association?.route_table_id && r.destination_cidr_block === "0.0.0.0/0",
    );
    return route?.nat_gateway_id ?? route?.gateway_id;
  });
}

describe("network", () => {
  it("creates a DNS-enabled VPC with the configured range", () => {
    expect(dev.text).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.10.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
    });
  });

  it("places a public and a private subnet in each of two AZs, none assigning public IPs", () => {
    const subnets = resourcesOf(dev.json, "aws_subnet").map(([, s]) => s);
    expect(subnets).toHaveLength(4);
    const byTier = (tier: string) =>
      subnets.filter((s) => s.tags.Tier === tier).map((s) => s.availability_zone);
    // Two AZs of the site's region (AZ names are the region name plus a letter).
    const zones = [`${SITE.region}a`, `${SITE.region}b`];
    expect(byTier("public")).toEqual(zones);
    expect(byTier("private")).toEqual(zones);
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
    expect(subnets.map((s) => s.cidr_block).sort()).toEqual(
      ["10.10.0.0/20", "10.10.16.0/20", "10.10.128.0/20", "10.10.144.0/20"].sort(),
    );
  });

  it("routes the public subnets to the internet gateway", () => {
    const igw = Object.keys(dev.json.resource.aws_internet_gateway)[0] as string;
    const publicRoutes = resourcesOf(dev.json, "aws_route").filter(
      ([, r]) => r.gateway_id === ref("aws_internet_gateway", igw, "id"),
    );
    expect(publicRoutes).toHaveLength(1);
  });

  it("shares one NAT gateway between both AZs in single-gateway mode (dev)", () => {
    expect(resourcesOf(dev.json, "aws_nat_gateway")).toHaveLength(1);
    const nat = dev.env.network.natGateways[0] as NatGateway;
    expect(privateDefaultRoutes(dev)).toEqual([
      ref("aws_nat_gateway", nat.friendlyUniqueId, "id"),
      ref("aws_nat_gateway", nat.friendlyUniqueId, "id"),
    ]);
    expect(bodyOf(dev.json, nat).subnet_id).toBe(
      ref("aws_subnet", dev.env.network.publicSubnets[0]?.friendlyUniqueId ?? "", "id"),
    );
  });

  it("gives each AZ its own NAT gateway in gateway-per-az mode (prd)", () => {
    expect(resourcesOf(prd.json, "aws_nat_gateway")).toHaveLength(2);
    expect(resourcesOf(prd.json, "aws_eip")).toHaveLength(2);
    expect(privateDefaultRoutes(prd)).toEqual(
      prd.env.network.natGateways.map((nat) => ref("aws_nat_gateway", nat.friendlyUniqueId, "id")),
    );
    prd.env.network.natGateways.forEach((nat, i) => {
      expect(bodyOf(prd.json, nat).subnet_id).toBe(
        ref("aws_subnet", prd.env.network.publicSubnets[i]?.friendlyUniqueId ?? "", "id"),
      );
    });
  });

  it("creates no NAT, no Elastic IP and no internet route for private subnets in none mode", () => {
    const none = withNetwork(prdShapedDev(getEnvironmentConfig("dev")), {
      natMode: "none",
      vpcEndpoints: true,
    });
    expect(resourcesOf(none.json, "aws_nat_gateway")).toHaveLength(0);
    expect(resourcesOf(none.json, "aws_eip")).toHaveLength(0);
    expect(privateDefaultRoutes(none)).toEqual([undefined, undefined]);
  });

  it("creates no VPC endpoints when they are switched off (dev)", () => {
    expect(resourcesOf(dev.json, "aws_vpc_endpoint")).toHaveLength(0);
  });

  it("creates private-DNS interface endpoints in the private subnets for every AWS API the functions call (prd)", () => {
    const sg = prd.env.network.endpointSecurityGroup;
    if (!sg) throw new Error("prd has no endpoint security group");
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      expect(prd.text).toHaveResourceWithProperties(VpcEndpoint, {
        service_name: `com.amazonaws.${SITE.region}.${service}`,
        vpc_endpoint_type: "Interface",
        private_dns_enabled: true,
        subnet_ids: prd.env.network.privateSubnets.map((s) => ref("aws_subnet", s.friendlyUniqueId, "id")),
        security_group_ids: [ref("aws_security_group", sg.friendlyUniqueId, "id")],
      });
    }
  });

  it("creates no endpoint for what the Lambda service does outside the VPC: SQS polling, logs, image pulls (prd)", () => {
    // The event source mapping polls SQS, Lambda ships the logs and pulls the image (AWS Lambda Developer Guide,
    // "Giving Lambda functions access to resources in an Amazon VPC"); the prediction function is not in the VPC.
    // The only S3 endpoint is the batch functions' gateway endpoint: their code reads and writes the batch bucket.
    const endpoints = resourcesOf(prd.json, "aws_vpc_endpoint").map(([, e]) => e);
    const services = endpoints.map((e) => String(e.service_name));
    for (const unused of ["sqs", "logs", "ecr.api", "ecr.dkr"])
      expect(services).not.toContain(`com.amazonaws.${SITE.region}.${unused}`);
    expect(endpoints.filter((e) => e.service_name === `com.amazonaws.${SITE.region}.s3`)).toEqual([
      expect.objectContaining({ vpc_endpoint_type: "Gateway" }),
    ]);
    expect(bodyOf(prd.json, prd.env.prediction.fn.function).vpc_config).toBeUndefined();
  });

  it("admits only the functions' security group to the endpoints", () => {
    const rules = resourcesOf(prd.json, "aws_vpc_security_group_ingress_rule").map(([, r]) => r);
    const sg = prd.env.network.endpointSecurityGroup?.friendlyUniqueId ?? "";
    expect(rules.filter((r) => r.security_group_id === ref("aws_security_group", sg, "id"))).toEqual([
      expect.objectContaining({
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: ref(
          "aws_security_group",
          prd.env.network.functionSecurityGroup.friendlyUniqueId,
          "id",
        ),
      }),
    ]);
  });

  it("adds the RDS Data API endpoint only for the data-api driver", () => {
    const prdConfig = getEnvironmentConfig("prd");
    const dataApi = synthEnvironment({
      ...prdConfig,
      database: { ...prdConfig.database, driver: "data-api" },
    });
    const services = (s: typeof dev) =>
      resourcesOf(s.json, "aws_vpc_endpoint").map(([, e]) => e.service_name);
    expect(services(dataApi)).toContain(`com.amazonaws.${SITE.region}.rds-data`);
    expect(services(prd)).not.toContain(`com.amazonaws.${SITE.region}.rds-data`);
  });

  it("writes flow logs of all traffic to a log group with retention when switched on (prd only)", () => {
    expect(resourcesOf(dev.json, "aws_flow_log")).toHaveLength(0);
    expect(prd.text).toHaveResourceWithProperties(FlowLog, {
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
    });
    const group = prd.env.network.flowLogGroup;
    if (!group) throw new Error("prd has no flow log group");
    expect(bodyOf(prd.json, group).retention_in_days).toBe(90);
  });

  it("describes every egress of the functions' security group on its rule (HTTPS and PostgreSQL)", () => {
    const sgRef = ref("aws_security_group", prd.env.network.functionSecurityGroup.friendlyUniqueId, "id");
    const ports = resourcesOf(prd.json, "aws_vpc_security_group_egress_rule")
      .map(([, r]) => r)
      .filter((r) => r.security_group_id === sgRef);
    expect([...new Set(ports.map((r) => Number(r.from_port)))].sort((a, b) => a - b)).toEqual([443, 5432]);
    // A rule's description changes in place; the group's would replace the group under the functions' ENIs
    // (safe-to-change rules), so the group keeps a short frozen one and each rule says what it opens.
    const word: Record<number, string> = { 443: "HTTPS", 5432: "PostgreSQL" };
    for (const rule of ports) expect(String(rule.description)).toContain(word[Number(rule.from_port)]);
    const ingress = resourcesOf(prd.json, "aws_vpc_security_group_ingress_rule").filter(
      ([, r]) => r.security_group_id === sgRef,
    );
    expect(ingress).toEqual([]);
  });

  it("empties the default security group", () => {
    const [, sg] = resourcesOf(dev.json, "aws_default_security_group")[0] ?? [];
    expect(sg?.ingress).toBeUndefined();
    expect(sg?.egress).toBeUndefined();
  });

  it("computes subnet ranges like Terraform's cidrsubnet()", () => {
    expect(subnetCidr("10.10.0.0/16", 4, 0)).toBe("10.10.0.0/20");
    expect(subnetCidr("10.10.0.0/16", 4, 9)).toBe("10.10.144.0/20");
    expect(subnetCidr("172.16.0.0/12", 8, 3)).toBe("172.16.48.0/20");
    expect(() => subnetCidr("10.10.0.0/16", 4, 16)).toThrow(/does not fit/);
    expect(() => subnetCidr("10.300.0.0/16", 4, 0)).toThrow(/Invalid IPv4 CIDR/);
  });
});

describe("endpoint prices in the docs", () => {
  /** us-east-1 list price of an interface endpoint in one AZ, per hour (docs/cost.md has the source). */
  const ENDPOINT_AZ_HOUR = 0.01;
  const interfaceEndpoints = resourcesOf(prd.json, "aws_vpc_endpoint").filter(
    ([, e]) => e.vpc_endpoint_type === "Interface",
  ).length;
  const azs = prd.env.config.network.availabilityZones.length;
  const monthly = interfaceEndpoints * azs * ENDPOINT_AZ_HOUR * 730;
  const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

  // docs/cost.md is generated from the estimator (infra/tests/cost.test.ts checks it).
  it("prices the interface endpoints prd synthesizes, in the README and the config doc comment", () => {
    expect(interfaceEndpoints).toBe(INTERFACE_ENDPOINT_SERVICES.length);
    expect(read("infra/README.md")).toContain(
      `(~$${Math.round(monthly)}/month for ${interfaceEndpoints} in ${azs} AZs)`,
    );
    expect(read("infra/src/config/types.ts")).toContain(
      `~$${Math.round(monthly)}/month for the ${interfaceEndpoints} services in ${azs} AZs`,
    );
  });
});
