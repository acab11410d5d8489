/**
 * Synth time of every stack (bootstrap, registry, dev, prd) against a one-resource cdktf app, each run in a fresh
 * process (cold module cache, as `cdktf synth` runs it), median of several runs. Measured twice: the app process
 * alone (what the stacks cost) and through the `cdktf synth` CLI (what `npm run synth` costs after the build),
 * plus the CLI's own share (CLI minus app, for both apps): loading and compiling cdktf-cli's bundle, which no
 * change to the stacks can reduce. The function zips come from the build (not timed); synth only copies them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { ZIP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { bundleFunction } from "../bundling/bundle";
import { percentile, reportBench, round } from "./report";
import { BENCH_TARGETS } from "./targets";

const repoRoot = resolve(__dirname, "../..");
const APP_RUNS = 5;
const CLI_RUNS = 3;
const TARGET_SECONDS = BENCH_TARGETS.synthSeconds;

const ONE_RESOURCE_APP = `
const { App, TerraformStack } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { SqsQueue } = require("@cdktf/provider-aws/lib/sqs-queue");
const app = new App();
const stack = new TerraformStack(app, "one-resource");
new AwsProvider(stack, "aws", { region: "eu-west-1" });
new SqsQueue(stack, "queue", { name: "one" });
app.synth();
`;

function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const run = spawnSync(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${run.status}): ${run.stderr}`);
  return seconds;
}

function median(runs: number, once: (outdir: string) => number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(join(tmpdir(), "sml-synth-bench-"));
    try {
      samples.push(once(outdir));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return round(percentile(samples, 50));
}

async function main(): Promise<void> {
  // The stacks upload dist/functions/*.zip: build them first (not timed), exactly as `npm run synth` does.
  for (const name of ZIP_FUNCTION_NAMES) await bundleFunction(name);
  const scratch = mkdtempSync(join(tmpdir(), "sml-synth-baseline-"));
  const baselineApp = join(scratch, "one-resource-app.js");
  writeFileSync(baselineApp, ONE_RESOURCE_APP);
  const nodeEnv = {
    CHECKPOINT_DISABLE: "1",
    NODE_PATH: join(repoRoot, "node_modules"),
    // The alarm e-mail is required at synth (infra/README.md, "Alarm e-mail"); the timing does not depend on it.
    SML_ALARM_EMAIL_DEV: process.env.SML_ALARM_EMAIL_DEV ?? "sml-dev-alarms@bench.serverless-ml-api.org",
    SML_ALARM_EMAIL_PRD: process.env.SML_ALARM_EMAIL_PRD ?? "sml-prd-alarms@bench.serverless-ml-api.org",
  };
  const node = process.execPath;
  const cdktf = join(repoRoot, "node_modules/.bin/cdktf");
  try {
    const app = median(APP_RUNS, (out) =>
      timeRun(node, ["--import", "tsx", "infra/src/main.ts"], { ...nodeEnv, CDKTF_OUTDIR: out }),
    );
    const appBaseline = median(APP_RUNS, (out) =>
      timeRun(node, ["--import", "tsx", baselineApp], { ...nodeEnv, CDKTF_OUTDIR: out }),
    );
    const cli = median(CLI_RUNS, (out) => timeRun(cdktf, ["synth", "--output", out], nodeEnv));
    const cliBaseline = median(CLI_RUNS, (out) =>
      timeRun(cdktf, ["synth", "--app", `${node} --import tsx ${baselineApp}`, "--output", out], nodeEnv),
    );
    reportBench("synth", [
      {
        name: `all 4 stacks, app process (median of ${APP_RUNS})`,
        value: app,
        unit: "s",
        baseline: { name: "one-resource app", value: appBaseline },
        ratio: round(app / appBaseline),
        target: `< ${TARGET_SECONDS} s`,
        met: app < TARGET_SECONDS,
      },
      {
        name: `all 4 stacks, cdktf synth CLI (median of ${CLI_RUNS})`,
        value: cli,
        unit: "s",
        baseline: { name: "one-resource app via CLI", value: cliBaseline },
        ratio: round(cli / cliBaseline),
        target: `< ${TARGET_SECONDS} s`,
        met: cli < TARGET_SECONDS,
      },
      {
        name: "cdktf CLI overhead (CLI minus app process)",
        value: round(cli - app),
        unit: "s",
        baseline: { name: "same for the one-resource app", value: round(cliBaseline - appBaseline) },
      },
    ]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
