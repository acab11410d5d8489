import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DB_USERS } from "@sml/contracts/env";
import type { SwitchCost } from "../../scripts/cost/doc";
import {
  estimateStack,
  FREE_TYPES,
  PRICERS,
  type TfJson,
  UnknownResourceTypeError,
} from "../../scripts/cost/estimate";
import { DEFAULT_PROFILE } from "../../scripts/cost/profile";
import { estimateAll, readPriceTable, toJson } from "../../scripts/cost/report";
import { costSwitches } from "../../scripts/generate/cost-doc";
import { getEnvironmentConfig } from "../src/config";
import { defineTestStacks, synthAllStacks, synthStack } from "./support/synth";

const table = readPriceTable();
const { synthesized } = synthAllStacks();
const stacks: Record<string, TfJson> = Object.fromEntries(synthesized.map((s) => [s.id, s.json]));
const estimates = estimateAll(stacks, table, DEFAULT_PROFILE);
const dev = getEnvironmentConfig("dev");
const prd = getEnvironmentConfig("prd");
const priceOf = (key: string, region = dev.region) => {
  const p = table.regions[region]?.[key];
  if (!p) throw new Error(`no ${key} in ${region}`);
  return p.usd;
};
const HOURS = table.hoursPerMonth;
const linesOf = (id: string, resourceType: string) =>
  (estimates[id]?.lines ?? []).filter((l) => l.resource.startsWith(`${resourceType}.`));

describe("npm run cost", () => {
  it("prices every resource of every stack, or lists it as free with a reason", () => {
    for (const s of synthesized) {
      const cost = estimates[s.id];
      if (!cost) throw new Error(`${s.id} not estimated`);
      const resources = Object.entries((s.json.resource ?? {}) as Record<string, object>).flatMap(
        ([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`),
      );
      const accounted = new Set([...cost.lines.map((l) => l.resource), ...cost.free.map((f) => f.resource)]);
      expect(resources.filter((r) => !accounted.has(r))).toEqual([]);
      for (const f of cost.free) expect(f.reason.length).toBeGreaterThan(3);
    }
  });

  it("has a pricer or a free reason, never both, for every resource type of every stack", () => {
    const types = new Set(
      synthesized.flatMap((s) => Object.keys((s.json.resource ?? {}) as Record<string, object>)),
    );
    expect(types.size).toBeGreaterThan(20);
    const own = (table: object, type: string) => Object.hasOwn(table, type);
    const unaccounted = [...types].filter((t) => !own(PRICERS, t) && !own(FREE_TYPES, t));
    const both = Object.keys(PRICERS).filter((t) => own(FREE_TYPES, t));
    expect({ unaccounted, both }).toEqual({ unaccounted: [], both: [] });
  });

  it("fails on a resource type it neither prices nor lists as free", () => {
    const { environments } = defineTestStacks({ environments: ["dev"] });
    const env = environments.dev;
    if (!env) throw new Error("dev missing");
    new SsmParameter(env, "unpriced", { name: "/sml-dev/unpriced", type: "String", value: "x" });
    expect(FREE_TYPES.aws_ssm_parameter).toBeUndefined();
    expect(() => estimateStack(synthStack(env).json, table, DEFAULT_PROFILE)).toThrow(
      UnknownResourceTypeError,
    );
    expect(() => estimateStack(synthStack(env).json, table, DEFAULT_PROFILE)).toThrow(/aws_ssm_parameter/);
  });

  it("prices both environments in their provider's region, with a source page and a date for every price", () => {
    expect(estimates["sml-dev"]?.region).toBe(dev.region);
    expect(estimates["sml-prd"]?.region).toBe(prd.region);
    const regions = Object.keys(table.regions);
    expect(regions).toEqual(expect.arrayContaining(["us-east-1", "eu-west-1"]));
    const keys = Object.keys(table.regions["us-east-1"] ?? {}).sort();
    for (const region of regions) {
      expect(Object.keys(table.regions[region] ?? {}).sort()).toEqual(keys);
      for (const p of Object.values(table.regions[region] ?? {})) {
        expect(p.source).toMatch(/^https:\/\/aws\.amazon\.com\/.+\/pricing\//);
        expect(p.asOf).toMatch(/^\d{4}-\d{2}/);
        expect(p.usd).toBeGreaterThan(0);
      }
    }
  });

  it("prints the --json shape: idle and profile totals per stack, the sum of their lines", () => {
    const json = JSON.parse(JSON.stringify(toJson(estimates, table, DEFAULT_PROFILE))) as TfJson;
    expect(Object.keys(json.stacks).sort()).toEqual(["sml-bootstrap", "sml-dev", "sml-prd", "sml-registry"]);
    for (const s of Object.values(json.stacks) as TfJson[]) {
      const sum = (k: string) => s.lines.reduce((n: number, l: TfJson) => n + l[k], 0);
      expect(s.idleUsdPerMonth).toBeCloseTo(sum("idleUsdPerMonth"), 1);
      expect(s.profileUsdPerMonth).toBeCloseTo(sum("profileUsdPerMonth"), 1);
      expect(s.profileUsdPerMonth).toBeGreaterThanOrEqual(s.idleUsdPerMonth);
    }
  });
});

describe("the lean dev (issue 12: at most $5 a month idle, design intact)", () => {
  it("costs at most $5.00 a month idle", () => {
    expect(estimates["sml-dev"]?.idleUsdPerMonth).toBeLessThanOrEqual(5);
  });

  it("keeps the VPC with public and private subnets and Aurora in the private subnets", () => {
    const json = stacks["sml-dev"] as TfJson;
    const subnets = Object.values(json.resource.aws_subnet as TfJson) as TfJson[];
    expect(subnets.map((s) => s.tags.Tier).sort()).toEqual(["private", "private", "public", "public"]);
    const group = Object.values(json.resource.aws_db_subnet_group as TfJson)[0] as TfJson;
    const privateIds = Object.entries(json.resource.aws_subnet as TfJson)
      .filter(([, s]) => (s as TfJson).tags.Tier === "private")
      .map(([name]) => `\${aws_subnet.${name}.id}`);
    expect([...group.subnet_ids].sort()).toEqual(privateIds.sort());
  });

  it("prices nothing for Aurora compute while idle, because the cluster pauses at 0 ACU", () => {
    // Aurora user guide, "Scaling to zero ACUs with automatic pause and resume": no instance charge while paused.
    const compute = linesOf("sml-dev", "aws_rds_cluster_instance");
    expect(compute.length).toBe(1);
    expect(compute[0]?.idleUsdPerMonth).toBe(0);
    expect(compute[0]?.profileUsdPerMonth).toBeCloseTo(
      DEFAULT_PROFILE.activeAcu * HOURS * priceOf("aurora.serverlessV2.acuHour"),
      2,
    );
  });

  it("has no NAT gateway, Elastic IP, interface endpoint, dashboard or per-route metrics", () => {
    const json = stacks["sml-dev"] as TfJson;
    for (const type of ["aws_nat_gateway", "aws_eip", "aws_vpc_endpoint", "aws_cloudwatch_dashboard"])
      expect(json.resource[type]).toBeUndefined();
    const stage = Object.values(json.resource.aws_apigatewayv2_stage as TfJson)[0] as TfJson;
    expect(stage.default_route_settings.detailed_metrics_enabled).toBe(false);
  });
});

describe("hand-checked lines", () => {
  it("prices prd's NAT gateways as gateway-hours plus the public IPv4 address of each", () => {
    // AWS VPC pricing: NAT gateway per hour; since 2024-02-01 every public IPv4 address $0.005 an hour.
    const nat = linesOf("sml-prd", "aws_nat_gateway");
    const eip = linesOf("sml-prd", "aws_eip");
    expect(nat.length).toBe(2);
    expect(eip.length).toBe(2);
    for (const l of nat) expect(l.idleUsdPerMonth).toBeCloseTo(HOURS * priceOf("vpc.natGateway.hour"), 2);
    for (const l of eip) expect(l.idleUsdPerMonth).toBeCloseTo(HOURS * 0.005, 2);
  });

  it("prices prd's provisioned concurrency as instances x memory x every second of the month", () => {
    const [pc] = linesOf("sml-prd", "aws_lambda_provisioned_concurrency_config");
    const gbSeconds =
      (prd.prediction.provisionedConcurrency ?? 0) * (prd.prediction.memoryMb / 1024) * HOURS * 3600;
    expect(pc?.idleUsdPerMonth).toBeCloseTo(gbSeconds * priceOf("lambda.arm64.provisioned.gbSecond"), 2);
  });

  it("prices prd's Aurora writer and reader at the capacity floor, idle", () => {
    const compute = linesOf("sml-prd", "aws_rds_cluster_instance");
    expect(compute.length).toBe(prd.database.reader ? 2 : 1);
    for (const l of compute)
      expect(l.idleUsdPerMonth).toBeCloseTo(
        prd.database.minAcu * HOURS * priceOf("aurora.serverlessV2.acuHour"),
        2,
      );
  });

  it("prices dev's HTTP API requests as the profile's requests x the per-million price", () => {
    const api = linesOf("sml-dev", "aws_apigatewayv2_api").find((l) => l.item === "HTTP API requests");
    expect(api?.idleUsdPerMonth).toBe(0);
    expect(api?.profileUsdPerMonth).toBeCloseTo(
      (DEFAULT_PROFILE.requestsPerMonth / 1e6) * priceOf("apigw.http.requests"),
      2,
    );
  });

  it("prices the distribution by its requests and data out above CloudFront's always-free tier, and the site's buckets as what they hold", () => {
    const cdn = linesOf("sml-prd", "aws_cloudfront_distribution");
    expect(cdn).toHaveLength(1);
    expect(cdn[0]?.idleUsdPerMonth).toBe(0);
    // 1 M API requests and 30,000 files are inside the 10 M free requests (CloudFront pricing, "Always free").
    expect(cdn[0]?.profileUsdPerMonth).toBe(0);
    const busy = estimateStack(stacks["sml-prd"] as TfJson, table, {
      ...DEFAULT_PROFILE,
      requestsPerMonth: 50_000_000,
    });
    const busyCdn = busy.lines.find((l) => l.resource.startsWith("aws_cloudfront_distribution."));
    expect(busyCdn?.profileUsdPerMonth).toBeCloseTo(
      ((50_000_000 + DEFAULT_PROFILE.siteVisitsPerMonth * 3 - 10_000_000) / 10_000) *
        priceOf("cloudfront.requests.https"),
      2,
    );
    const buckets = linesOf("sml-prd", "aws_s3_bucket").map((l) => l.item);
    expect(buckets.filter((i) => i.includes("the site's files"))).toHaveLength(1);
    expect(buckets.filter((i) => i.includes("CloudFront access logs"))).toHaveLength(1);
    expect(buckets.filter((i) => i.includes("Terraform state"))).toEqual([]);
  });
});

describe("docs/cost.md's switch table", () => {
  const base = estimates["sml-dev"];
  if (!base) throw new Error("dev not estimated");
  const switches = costSwitches(base);

  it("shows every switch that dev turns off costing money, and the NAT switch at least a gateway and its address", () => {
    for (const s of switches)
      expect(s.changed.idleUsdPerMonth + s.changed.profileUsdPerMonth).toBeGreaterThanOrEqual(
        base.idleUsdPerMonth + base.profileUsdPerMonth,
      );
    const nat = switches[0] as SwitchCost;
    // The pg driver also drops the Data API's per-user secrets (one per function database user).
    expect(nat.changed.idleUsdPerMonth - base.idleUsdPerMonth).toBeGreaterThanOrEqual(
      HOURS * (priceOf("vpc.natGateway.hour") + priceOf("vpc.publicIpv4.hour")) -
        Object.keys(DB_USERS).length * priceOf("secretsManager.secret"),
    );
  });
});
