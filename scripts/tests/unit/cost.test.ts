import { estimateStack, type PriceTable, type TfJson, UnknownResourceTypeError } from "../../cost/estimate";
import { DEFAULT_PROFILE, ProfileError, parseMix, validateProfile } from "../../cost/profile";
import { readPriceTable, renderComparison } from "../../cost/report";

// A hand-written stack in the shape cdktf synthesizes: an HTTP API with one route to one function, a NAT gateway.
const stack = (extra: TfJson = {}): TfJson => ({
  provider: { aws: [{ region: "eu-west-1" }] },
  resource: {
    aws_apigatewayv2_api: { api: { name: "api", protocol_type: "HTTP" } },
    aws_apigatewayv2_integration: {
      int: { integration_uri: `\${aws_lambda_function.fn.invoke_arn}`, integration_type: "AWS_PROXY" },
    },
    aws_apigatewayv2_route: {
      r: { route_key: "GET /users", target: `integrations/\${aws_apigatewayv2_integration.int.id}` },
    },
    aws_lambda_function: { fn: { function_name: "sml-x-api", memory_size: 1024, architectures: ["arm64"] } },
    aws_nat_gateway: { nat: { allocation_id: "x" } },
    ...extra,
  },
});
const table: PriceTable = readPriceTable();
const price = (key: string) => table.regions["eu-west-1"]?.[key]?.usd ?? Number.NaN;
const profile = { ...DEFAULT_PROFILE, routeMix: { "GET /users": 1 }, durationMs: { api: 100 } };

describe("estimateStack on a hand-written stack", () => {
  const cost = estimateStack(stack(), table, profile);
  const line = (item: string) => cost.lines.find((l) => l.item.startsWith(item));

  it("prices the NAT gateway for every hour of the month, idle or not", () => {
    expect(line("NAT gateway")?.idleUsdPerMonth).toBeCloseTo(730 * price("vpc.natGateway.hour"), 2);
  });

  it("prices the function at the profile only: requests plus GB-seconds", () => {
    const fn = line("sml-x-api: requests and duration");
    const expected = 1 * price("lambda.requests") + 1e6 * 0.1 * 1 * price("lambda.arm64.gbSecond");
    expect(fn?.idleUsdPerMonth).toBe(0);
    expect(fn?.profileUsdPerMonth).toBeCloseTo(expected, 2);
  });

  it("fails on a resource type it does not know", () => {
    expect(() => estimateStack(stack({ aws_ssm_parameter: { p: { name: "x" } } }), table, profile)).toThrow(
      UnknownResourceTypeError,
    );
  });

  it("fails on a route mix naming a route the API does not have", () => {
    expect(() => estimateStack(stack(), table, { ...profile, routeMix: { "GET /nope": 1 } })).toThrow(
      ProfileError,
    );
  });
});

describe("profile flags", () => {
  it("parses --mix and rejects shares that do not add up to 1", () => {
    expect(parseMix("GET /users=0.5,POST /users=0.5")).toEqual({ "GET /users": 0.5, "POST /users": 0.5 });
    expect(() => validateProfile({ ...DEFAULT_PROFILE, routeMix: { "GET /users": 0.9 } })).toThrow(
      /adding up to 1/,
    );
    expect(() => parseMix("GET /users")).toThrow(/ROUTE=SHARE/);
  });
});

describe("renderComparison (the plan comment)", () => {
  it("shows a stack the base branch lacks with empty before columns and the whole cost as the change", () => {
    const after = { "sml-x": estimateStack(stack(), table, profile) };
    const row = renderComparison({}, after)
      .split("\n")
      .find((l) => l.startsWith("| sml-x"));
    const cells = row?.split("|").map((c) => c.trim()) ?? [];
    const idle = after["sml-x"].idleUsdPerMonth.toFixed(2);
    expect(cells.slice(2, 6)).toEqual(["-", `$${idle}`, `+$${idle}`, "-"]);
  });
});
