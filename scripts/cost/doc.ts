/**
 * The generated sections of docs/cost.md, between `<!-- name:start -->` and `<!-- name:end -->` markers (the
 * same scheme as docs/slo.md). `npm run generate` writes them (scripts/generate/cost-doc.ts), and
 * scripts/tests/unit/generated-files.test.ts fails when the committed text differs.
 */

import { markdownTable } from "../generate/markdown";
import type { PriceTable, StackCost } from "./estimate";
import type { TrafficProfile } from "./profile";
import { type Estimates, renderPrices, renderProfile, renderStackLines, renderTotals } from "./report";

/** One config switch priced by the estimator: the stack with and without it. */
export interface SwitchCost {
  readonly switch: string;
  readonly from: string;
  readonly to: string;
  readonly base: StackCost;
  readonly changed: StackCost;
}

const signed = (n: number) => `${n >= 0 ? "+" : "-"}$${Math.abs(n).toFixed(2)}`;

export function renderSwitches(switches: readonly SwitchCost[]): string {
  return markdownTable(
    ["switch", "dev", "changed to", "idle per month", "at the profile per month"],
    switches.map((s) => [
      `\`${s.switch}\``,
      s.from,
      s.to,
      signed(s.changed.idleUsdPerMonth - s.base.idleUsdPerMonth),
      signed(s.changed.profileUsdPerMonth - s.base.profileUsdPerMonth),
    ]),
    [3, 4],
  );
}

export interface CostDocInput {
  readonly table: PriceTable;
  readonly profile: TrafficProfile;
  readonly estimates: Estimates;
  readonly switches: readonly SwitchCost[];
}

/** Every generated section by marker name. */
export function costDocSections(input: CostDocInput): Record<string, string> {
  const sections: Record<string, string> = {
    "cost-profile": renderProfile(input.profile),
    "cost-totals": renderTotals(input.estimates),
    "cost-switches": renderSwitches(input.switches),
  };
  for (const [id, cost] of Object.entries(input.estimates))
    sections[`cost-lines ${id}`] = renderStackLines(cost);
  for (const region of Object.keys(input.table.regions).sort())
    sections[`cost-prices ${region}`] = renderPrices(input.table, region);
  return sections;
}
