import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import type { NetworkConfig } from "../config";
import { ENVIRONMENT_TAG_KEY as ENVIRONMENT_TAG } from "./environment-access";
import { policyDocument, serviceTrust } from "./iam";

export interface NetworkProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly config: NetworkConfig;
  /** Adds the RDS Data API endpoint when the functions use that driver. */
  readonly dataApiEndpoint: boolean;
  readonly logRetentionDays: number;
}

/** Terraform's cidrsubnet() computed at synth, so the plan and the snapshot show literal ranges. */
export function subnetCidr(cidr: string, newBits: number, index: number): string {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const octets = (address ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !(prefix >= 0))
    throw new Error(`Invalid IPv4 CIDR "${cidr}" in the network config`);
  const newPrefix = prefix + newBits;
  if (newPrefix > 32 || index >= 2 ** newBits)
    throw new Error(`Subnet ${index} of ${cidr} with ${newBits} new bits does not fit`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const start = base + index * 2 ** (32 - newPrefix);
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
  return `${bytes.join(".")}/${newPrefix}`;
}

/**
 * Interface endpoints for the AWS APIs that code inside the VPC calls: SNS (the api publishes), Secrets Manager
 * (the database secret) and X-Ray (the X-Ray daemon runs in each execution environment, so traces leave through
 * the function's network). No SQS, CloudWatch Logs or ECR endpoint: the Lambda service polls the queue, ships
 * the logs and pulls images itself, outside the VPC, and the prediction function is not in the VPC. A policy
 * rule ties every endpoint to a permission some in-VPC function's code uses.
 */
export const INTERFACE_ENDPOINT_SERVICES = ["sns", "secretsmanager", "xray"];

/**
 * What the other constructs use of a network: the VPC and its private subnets, and, only when the stack owns the
 * VPC (`owned`), the security groups, route tables and egress it built for functions inside it.
 */
export interface NetworkAccess {
  readonly config: NetworkConfig;
  /** false: the VPC is another stack's (a preview in dev's); create no security group, route or endpoint in it. */
  readonly owned: boolean;
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly privateRouteTableIds: string[];
  readonly functionSecurityGroupId: string | undefined;
  readonly endpointSecurityGroup: SecurityGroup | undefined;
  /** What a VPC function needs before it can reach AWS APIs (private default routes, endpoints). */
  readonly egress: TerraformResource[];
}

export interface SharedNetworkProps {
  readonly config: NetworkConfig;
  /** Name prefix of the environment whose VPC this is (`sml-dev`): its `<prefix>-vpc` Name tag. */
  readonly ownerNamePrefix: string;
  /** That environment's name: its `Environment` tag, so a VPC of another project cannot match. */
  readonly ownerEnvironment: string;
}

/**
 * Another environment's VPC, read, never changed: data sources find the VPC by its Name and Environment tags and
 * its private subnets by their Tier tag (all three set by {@link Network}). The stack using it creates nothing in
 * it but what RDS places there on its own (the cluster's network interfaces), so the owner's destroy waits for it
 * (docs/deploy.md, "Previews").
 */
export class SharedNetwork extends Construct implements NetworkAccess {
  readonly config: NetworkConfig;
  readonly owned = false;
  readonly vpc: DataAwsVpc;
  readonly privateSubnets: DataAwsSubnets;
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly privateRouteTableIds: string[] = [];
  readonly functionSecurityGroupId = undefined;
  readonly endpointSecurityGroup = undefined;
  readonly egress: TerraformResource[] = [];

  constructor(scope: Construct, id: string, props: SharedNetworkProps) {
    super(scope, id);
    this.config = props.config;
    this.vpc = new DataAwsVpc(this, "vpc", {
      tags: { Name: `${props.ownerNamePrefix}-vpc`, [ENVIRONMENT_TAG]: props.ownerEnvironment },
    });
    this.privateSubnets = new DataAwsSubnets(this, "private-subnets", {
      filter: [{ name: "vpc-id", values: [this.vpc.id] }],
      tags: { Tier: "private" },
    });
    this.vpcId = this.vpc.id;
    this.privateSubnetIds = this.privateSubnets.ids;
  }
}

/**
 * VPC across two AZs: a public subnet per AZ (NAT gateways only), a private subnet per AZ (functions, Aurora),
 * NAT per {@link NetworkConfig.natMode}, optional interface endpoints and flow logs. The default security group
 * is emptied so nothing can use it by accident.
 */
export class Network extends Construct implements NetworkAccess {
  readonly owned = true;
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[];
  readonly privateSubnets: Subnet[];
  /** One per private subnet (gateway endpoints attach to them). */
  readonly privateRouteTables: RouteTable[] = [];
  readonly natGateways: NatGateway[];
  /** Attached to every VPC function; the database and the endpoints admit traffic from it. */
  readonly functionSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup: SecurityGroup | undefined;
  readonly endpoints: VpcEndpoint[] = [];
  readonly flowLogGroup: CloudwatchLogGroup | undefined;
  /** What a VPC function needs before it can reach AWS APIs (private default routes, endpoints). */
  readonly egress: TerraformResource[] = [];
  readonly config: NetworkConfig;

  get vpcId(): string {
    return this.vpc.id;
  }
  get privateSubnetIds(): string[] {
    return this.privateSubnets.map((s) => s.id);
  }
  get privateRouteTableIds(): string[] {
    return this.privateRouteTables.map((t) => t.id);
  }
  get functionSecurityGroupId(): string {
    return this.functionSecurityGroup.id;
  }

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { namePrefix, config } = props;
    this.config = config;
    const name = (suffix: string) => ({ Name: `${namePrefix}-${suffix}` });

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: config.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: name("vpc"),
    });
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: name("default-unused") });

    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: name("igw") });
    const publicRoutes = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: name("public") });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });

    this.publicSubnets = [];
    this.privateSubnets = [];
    const privateRoutes: RouteTable[] = [];
    config.availabilityZones.forEach((az, i) => {
      const pub = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(config.vpcCidr, 4, i),
        // NAT gateways get Elastic IPs; nothing else lives here, so no instance needs an automatic public IP.
        mapPublicIpOnLaunch: false,
        tags: { ...name(`public-${az}`), Tier: "public" },
      });
      new RouteTableAssociation(this, `public-${i}-rta`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      this.publicSubnets.push(pub);

      const priv = new Subnet(this, `private-${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(config.vpcCidr, 4, 8 + i),
        mapPublicIpOnLaunch: false,
        tags: { ...name(`private-${az}`), Tier: "private" },
      });
      const rt = new RouteTable(this, `private-${i}-rt`, { vpcId: this.vpc.id, tags: name(`private-${az}`) });
      this.privateRouteTables.push(rt);
      new RouteTableAssociation(this, `private-${i}-rta`, { subnetId: priv.id, routeTableId: rt.id });
      this.privateSubnets.push(priv);
      privateRoutes.push(rt);
    });

    const natCount = { "gateway-per-az": 2, "single-gateway": 1, none: 0 }[config.natMode];
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new Eip(this, `nat-${i}-eip`, { domain: "vpc", tags: name(`nat-${i}`) });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.id,
        subnetId: (this.publicSubnets[i] as Subnet).id,
        tags: name(`nat-${i}`),
        dependsOn: [igw],
        // Provider 6.x reads the regional-NAT-only block back as unknown on every zonal gateway, so each plan shows
        // `+ regional_nat_gateway_address = (known after apply)` (hashicorp/terraform-provider-aws#46242, open).
        // It is output-only for a zonal gateway: ignoring it hides nothing this code sets.
        lifecycle: { ignoreChanges: ["regional_nat_gateway_address"] },
      });
    });
    privateRoutes.forEach((rt, i) => {
      const nat = this.natGateways[Math.min(i, this.natGateways.length - 1)];
      if (!nat) return;
      this.egress.push(
        new Route(this, `private-${i}-default-route`, {
          routeTableId: rt.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nat.id,
        }),
      );
    });

    this.functionSecurityGroup = new SecurityGroup(this, "functions-sg", {
      name: `${namePrefix}-functions`,
      // A new description would replace the group under the functions' ENIs: short, frozen, ignored.
      description: "Lambda functions",
      vpcId: this.vpc.id,
      tags: name("functions"),
      lifecycle: { ignoreChanges: ["description"] },
    });
    new VpcSecurityGroupEgressRule(this, "functions-https-out", {
      securityGroupId: this.functionSecurityGroup.id,
      description: "HTTPS to AWS APIs (through NAT or the VPC endpoints)",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });

    if (config.vpcEndpoints) {
      const endpointSg = new SecurityGroup(this, "endpoints-sg", {
        name: `${namePrefix}-endpoints`,
        // A new description would replace the group the endpoints' ENIs hold: short, frozen, ignored.
        description: "Interface VPC endpoints",
        vpcId: this.vpc.id,
        tags: name("endpoints"),
        lifecycle: { ignoreChanges: ["description"] },
      });
      new VpcSecurityGroupIngressRule(this, "endpoints-https-in", {
        securityGroupId: endpointSg.id,
        description: "HTTPS from the functions",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: this.functionSecurityGroup.id,
      });
      this.endpointSecurityGroup = endpointSg;
      const services = [...INTERFACE_ENDPOINT_SERVICES, ...(props.dataApiEndpoint ? ["rds-data"] : [])];
      for (const service of services) {
        this.endpoints.push(
          new VpcEndpoint(this, `endpoint-${service.replace(".", "-")}`, {
            vpcId: this.vpc.id,
            serviceName: `com.amazonaws.${props.region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnets.map((s) => s.id),
            securityGroupIds: [endpointSg.id],
            tags: name(`endpoint-${service}`),
          }),
        );
      }
    }

    this.egress.push(...this.endpoints);

    if (config.flowLogs) {
      const group = new CloudwatchLogGroup(this, "flow-logs", {
        name: `/${namePrefix}/vpc-flow-logs`,
        retentionInDays: props.logRetentionDays,
      });
      const role = new IamRole(this, "flow-logs-role", {
        name: `${namePrefix}-vpc-flow-logs`,
        assumeRolePolicy: serviceTrust(this, "flow-logs-trust", "vpc-flow-logs.amazonaws.com", [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
        ]).json,
      });
      new IamRolePolicy(this, "flow-logs-policy", {
        role: role.id,
        name: "write-flow-logs",
        policy: policyDocument(this, "flow-logs-permissions", [
          {
            effect: "Allow",
            actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources: [group.arn, `${group.arn}:*`],
          },
        ]).json,
      });
      new FlowLog(this, "flow-log", {
        vpcId: this.vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: group.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 600,
      });
      this.flowLogGroup = group;
    }
  }
}
