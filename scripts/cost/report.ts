/**
 * Reading synthesized stacks and the price table, and rendering estimates: the terminal report, the JSON of
 * `npm run cost -- --json`, the generated sections of docs/cost.md and the before/after table of the plan comment.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { markdownTable } from "../generate/markdown";
import { estimateStack, type PriceTable, type StackCost, type TfJson } from "./estimate";
import type { TrafficProfile } from "./profile";

export const PRICE_TABLE_PATH = join(__dirname, "prices.json");

export function readPriceTable(path = PRICE_TABLE_PATH): PriceTable {
  return JSON.parse(readFileSync(path, "utf8")) as PriceTable;
}

/** `cdktf.out/stacks/<id>/cdk.tf.json` of every stack in an output folder, by stack id. */
export function readSynthesizedStacks(outDir: string): Record<string, TfJson> {
  const dir = join(outDir, "stacks");
  if (!existsSync(dir)) return {};
  const stacks: Record<string, TfJson> = {};
  for (const id of readdirSync(dir).sort()) {
    const file = join(dir, id, "cdk.tf.json");
    if (existsSync(file)) stacks[id] = JSON.parse(readFileSync(file, "utf8")) as TfJson;
  }
  return stacks;
}

export type Estimates = Record<string, StackCost>;

export function estimateAll(
  stacks: Record<string, TfJson>,
  table: PriceTable,
  profile: TrafficProfile,
): Estimates {
  const out: Estimates = {};
  for (const id of Object.keys(stacks).sort()) out[id] = estimateStack(stacks[id] as TfJson, table, profile);
  return out;
}

/** The `--json` shape: `{"stacks": {"<id>": {"idleUsdPerMonth", "profileUsdPerMonth", "lines", ...}}, ...}`. */
export function toJson(estimates: Estimates, table: PriceTable, profile: TrafficProfile): unknown {
  return { pricesWrittenOn: table.writtenOn, profile, stacks: estimates };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export function renderText(estimates: Estimates): string {
  const out: string[] = [];
  for (const [id, cost] of Object.entries(estimates)) {
    out.push(`${id} (${cost.region})`);
    for (const l of cost.lines)
      out.push(
        `  ${usd(l.idleUsdPerMonth).padStart(9)} ${usd(l.profileUsdPerMonth).padStart(9)}  ${l.item}  [${l.resource}]`,
      );
    out.push(
      `  ${usd(cost.idleUsdPerMonth).padStart(9)} ${usd(cost.profileUsdPerMonth).padStart(9)}  total per month (idle, profile)`,
    );
    out.push(`  free: ${cost.free.length} resources (see --json)`);
    out.push("");
  }
  return out.join("\n");
}

/** Totals per stack. */
export function renderTotals(estimates: Estimates): string {
  return markdownTable(
    ["stack", "region", "idle per month", "at the profile per month"],
    Object.entries(estimates).map(([id, c]) => [
      id,
      c.region,
      usd(c.idleUsdPerMonth),
      usd(c.profileUsdPerMonth),
    ]),
    [2, 3],
  );
}

/** Every priced line of one stack (free resources summarised by reason). */
export function renderStackLines(cost: StackCost): string {
  const rows = cost.lines
    .filter((l) => l.idleUsdPerMonth !== 0 || l.profileUsdPerMonth !== 0)
    .map((l) => [l.item, l.basis, usd(l.idleUsdPerMonth), usd(l.profileUsdPerMonth)]);
  rows.push(["**total**", "", `**${usd(cost.idleUsdPerMonth)}**`, `**${usd(cost.profileUsdPerMonth)}**`]);
  return markdownTable(["line", "quantity x unit price", "idle", "profile"], rows, [2, 3]);
}

/** The assumptions of the traffic profile. */
export function renderProfile(profile: TrafficProfile): string {
  const mix = Object.entries(profile.routeMix)
    .map(([route, share]) => `${(share * 100).toFixed(0)} % \`${route}\``)
    .join(", ");
  const durations = Object.entries(profile.durationMs)
    .map(([fn, ms]) => `${fn} ${ms} ms`)
    .join(", ");
  return markdownTable(
    ["assumption", "value", "flag"],
    [
      ["requests a month", profile.requestsPerMonth.toLocaleString("en-US"), "`--requests`"],
      ["route mix", mix, "`--mix`"],
      ["routes that publish a user message", profile.publishingRoutes.map((r) => `\`${r}\``).join(", "), ""],
      ["billed duration per invocation", durations, "`--duration fn=ms`"],
      [
        "function log per invocation, access log per request",
        `${profile.functionLogKbPerInvocation} KB, ${profile.accessLogKbPerRequest} KB`,
        "",
      ],
      ["response per request (data out)", `${profile.responseKbPerRequest} KB`, ""],
      [
        "Aurora capacity while serving the profile",
        `${profile.activeAcu} ACU (or the minimum, if higher)`,
        "`--active-acu`",
      ],
      [
        "Aurora volume; I/O per database call",
        `${profile.auroraStorageGb} GB; ${profile.auroraIoPerCall}`,
        "",
      ],
      ["database calls per invocation of a database function", String(profile.dataApiCallsPerInvocation), ""],
      ["Secrets Manager reads a month", profile.secretReadsPerMonth.toLocaleString("en-US"), ""],
      [
        "AWS API traffic from VPC functions; VPC flow logs",
        `${profile.vpcApiTrafficGb} GB; ${profile.flowLogGb} GB`,
        "",
      ],
      ["custom metrics per function (Powertools EMF)", String(profile.customMetricsPerFunction), ""],
      ["Cognito monthly active users", String(profile.monthlyActiveUsers), ""],
      [
        "registry storage; state storage and requests",
        `${profile.registryStorageGb} GB; ${profile.stateStorageGb} GB, ${profile.stateRequestsPerMonth.toLocaleString("en-US")}`,
        "",
      ],
      ["alarm e-mails a month", String(profile.alarmEmailsPerMonth), ""],
    ],
  );
}

/** The price table of one region, with source and the date each price was read. */
export function renderPrices(table: PriceTable, region: string): string {
  const prices = table.regions[region] ?? {};
  return markdownTable(
    ["key", "USD", "unit", "source", "as of", "checked today"],
    Object.entries(prices).map(([key, p]) => [
      `\`${key}\``,
      String(p.usd),
      p.unit + (p.note ? ` (${p.note})` : ""),
      p.source,
      p.asOf,
      p.checkedOn ?? "no (no internet)",
    ]),
    [1],
  );
}

/** Before/after per stack for the plan comment. A stack missing on one side shows as "-". */
export function renderComparison(before: Estimates, after: Estimates): string {
  const ids = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const cell = (c: StackCost | undefined, k: "idleUsdPerMonth" | "profileUsdPerMonth") =>
    c ? usd(c[k]) : "-";
  const delta = (
    b: StackCost | undefined,
    a: StackCost | undefined,
    k: "idleUsdPerMonth" | "profileUsdPerMonth",
  ) => {
    const d = (a?.[k] ?? 0) - (b?.[k] ?? 0);
    return `${d >= 0 ? "+" : "-"}${usd(Math.abs(d))}`;
  };
  return markdownTable(
    [
      "stack",
      "idle before",
      "idle after",
      "idle change",
      "profile before",
      "profile after",
      "profile change",
    ],
    ids.map((id) => {
      const b = before[id];
      const a = after[id];
      return [
        id,
        cell(b, "idleUsdPerMonth"),
        cell(a, "idleUsdPerMonth"),
        delta(b, a, "idleUsdPerMonth"),
        cell(b, "profileUsdPerMonth"),
        cell(a, "profileUsdPerMonth"),
        delta(b, a, "profileUsdPerMonth"),
      ];
    }),
    [1, 2, 3, 4, 5, 6],
  );
}
