/**
 * `npm run cost`: the monthly cost of every synthesized stack, line by line, idle and at a traffic profile.
 *
 *   npm run cost                                   # cdktf.out (synthesized first when missing)
 *   npm run cost -- --json                         # {"stacks": {"<id>": {idleUsdPerMonth, profileUsdPerMonth, lines}}}
 *   npm run cost -- --requests 5000000 --mix "GET /users=0.5,POST /users=0.5"
 *   npm run cost -- --out cdktf.out --compare base/cdktf.out   # before/after table (plan comment)
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PROFILE, parseMix, type TrafficProfile, validateProfile } from "./profile";
import {
  estimateAll,
  readPriceTable,
  readSynthesizedStacks,
  renderComparison,
  renderText,
  toJson,
} from "./report";

const REPO_ROOT = resolve(__dirname, "..", "..");

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: "boolean", default: false },
      out: { type: "string", default: join(REPO_ROOT, "cdktf.out") },
      compare: { type: "string" },
      requests: { type: "string" },
      mix: { type: "string" },
      duration: { type: "string", multiple: true },
      "active-acu": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        "npm run cost -- [--json] [--out DIR] [--compare BASE_DIR]",
        "  [--requests N] [--mix 'ROUTE=SHARE,...'] [--duration FN=MS ...] [--active-acu N]",
        "Prices cdktf.out/stacks/*/cdk.tf.json with scripts/cost/prices.json; see docs/cost.md.",
        "",
      ].join("\n"),
    );
    return;
  }
  const durations: Record<string, number> = { ...DEFAULT_PROFILE.durationMs };
  for (const d of values.duration ?? []) {
    const [fn, ms] = d.split("=");
    durations[fn ?? ""] = Number(ms);
  }
  const profile: TrafficProfile = validateProfile({
    ...DEFAULT_PROFILE,
    ...(values.requests === undefined ? {} : { requestsPerMonth: Number(values.requests) }),
    ...(values.mix === undefined ? {} : { routeMix: parseMix(values.mix) }),
    ...(values["active-acu"] === undefined ? {} : { activeAcu: Number(values["active-acu"]) }),
    durationMs: durations,
  });

  const outDir = resolve(values.out);
  const defaultOut = join(REPO_ROOT, "cdktf.out");
  let stacks = readSynthesizedStacks(outDir);
  if (Object.keys(stacks).length === 0) {
    if (outDir !== defaultOut)
      throw new Error(`no stacks in ${outDir}/stacks (npm run synth writes ${defaultOut})`);
    process.stderr.write(`${outDir}/stacks has no stacks: running npm run synth first\n`);
    execFileSync("npm", ["run", "synth"], { cwd: REPO_ROOT, stdio: ["ignore", process.stderr, "inherit"] });
    stacks = readSynthesizedStacks(outDir);
  }
  const table = readPriceTable();
  const after = estimateAll(stacks, table, profile);
  if (Object.keys(after).length === 0) throw new Error(`no stacks in ${outDir}/stacks`);

  if (values.compare !== undefined) {
    const before = estimateAll(readSynthesizedStacks(resolve(values.compare)), table, profile);
    const body = values.json
      ? `${JSON.stringify({ before, after }, null, 2)}\n`
      : `${renderComparison(before, after)}\n`;
    process.stdout.write(body);
    return;
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(toJson(after, table, profile), null, 2)}\n` : renderText(after),
  );
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
