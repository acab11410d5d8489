/**
 * docs/cost.md's generated tables: the traffic profile, each stack's priced lines and totals, the price table, and
 * what each config switch dev turns off would cost (scripts/cost estimates the synthesized stacks).
 */
import { type EnvironmentConfig, getEnvironmentConfig } from "@sml/infra/config";
import { prdShapedDev } from "@sml/infra/testing/shapes";
import { synthEnvironment } from "@sml/infra/testing/synth";
import { costDocSections, type SwitchCost } from "../cost/doc";
import { estimateStack, type StackCost } from "../cost/estimate";
import { DEFAULT_PROFILE } from "../cost/profile";
import { estimateAll, readPriceTable } from "../cost/report";
import { replaceSections, requiredDoc } from "./sections";
import { synthesizedStacks, withBundles } from "./stacks";
import type { Generator } from "./types";

export const COST_DOC = "docs/cost.md";

/** A switch of dev's config: its name, dev's setting, the setting priced instead, and the change itself. */
export type CostSwitch = readonly [string, string, string, (c: EnvironmentConfig) => EnvironmentConfig];

/** Dev with one switch moved to what prd (or the in-VPC layout) uses, for the switch table of docs/cost.md. */
export const COST_SWITCHES: readonly CostSwitch[] = [
  [
    "network.natMode + functions.inVpc + database.driver",
    "`none`, outside, `data-api`",
    "`single-gateway`, in the VPC, `pg`",
    (c) => prdShapedDev(c),
  ],
  [
    "network.natMode + functions.inVpc + database.driver",
    "`none`, outside, `data-api`",
    "`gateway-per-az`, in the VPC, `pg`",
    (c) => ({ ...prdShapedDev(c), network: { ...c.network, natMode: "gateway-per-az" } }),
  ],
  [
    "network.vpcEndpoints + natMode + functions.inVpc + database.driver",
    "off, `none`, outside, `data-api`",
    "on, `single-gateway`, in the VPC, `pg`",
    (c) => ({ ...prdShapedDev(c), network: { ...prdShapedDev(c).network, vpcEndpoints: true } }),
  ],
  ["network.flowLogs", "off", "on", (c) => ({ ...c, network: { ...c.network, flowLogs: true } })],
  [
    "usersTopicKey",
    "`aws-managed`",
    "`customer-managed`",
    (c) => ({ ...c, usersTopicKey: "customer-managed" }),
  ],
  ["api.detailedMetrics", "off", "on", (c) => ({ ...c, api: { ...c.api, detailedMetrics: true } })],
  [
    "observability.alarms",
    "`actionable`",
    "`all` (with detailed metrics)",
    (c) => ({
      ...c,
      api: { ...c.api, detailedMetrics: true },
      observability: { ...c.observability, alarms: "all" },
    }),
  ],
  [
    "observability.dashboard",
    "off",
    "on",
    (c) => ({ ...c, observability: { ...c.observability, dashboard: true } }),
  ],
  [
    "database.minAcu",
    "0 with auto-pause",
    "0.5, no pause",
    (c) => ({ ...c, database: { ...c.database, minAcu: 0.5, secondsUntilAutoPause: undefined } }),
  ],
  ["database.reader", "off", "on", (c) => ({ ...c, database: { ...c.database, reader: true } })],
  [
    "prediction.provisionedConcurrency",
    "none",
    "2",
    (c) => ({ ...c, prediction: { ...c.prediction, provisionedConcurrency: 2 } }),
  ],
  ["api.jwtAuthorizer", "off", "on", (c) => ({ ...c, api: { ...c.api, jwtAuthorizer: true } })],
];

/** Each switch priced: dev as the stacks build it (`base`) against dev with the switch moved. */
export function costSwitches(base: StackCost): SwitchCost[] {
  const table = readPriceTable();
  const dev = getEnvironmentConfig("dev");
  return withBundles(() =>
    COST_SWITCHES.map(([name, from, to, change]) => ({
      switch: name,
      from,
      to,
      base,
      changed: estimateStack(synthEnvironment(change(dev)).json, table, DEFAULT_PROFILE),
    })),
  );
}

let cached: Record<string, string> | undefined;

/** Generated sections of docs/cost.md by marker name (computed once per process: about 15 synths). */
export function costDocSectionsNow(): Record<string, string> {
  if (cached) return cached;
  const table = readPriceTable();
  const stacks = Object.fromEntries(synthesizedStacks().map((s) => [s.id, s.json]));
  const estimates = estimateAll(stacks, table, DEFAULT_PROFILE);
  const base = estimates["sml-dev"];
  if (!base) throw new Error("the app has no sml-dev stack to price the switches against");
  cached = costDocSections({ table, profile: DEFAULT_PROFILE, estimates, switches: costSwitches(base) });
  return cached;
}

export const costDoc: Generator = {
  describe: `${COST_DOC} (profile, per-stack lines, totals, switches, prices)`,
  files: (tree) => [
    { path: COST_DOC, text: replaceSections(requiredDoc(tree, COST_DOC), costDocSectionsNow(), COST_DOC) },
  ],
};
