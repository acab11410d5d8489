/**
 * `npm start`: runs the whole system on this machine (no AWS account) until Ctrl-C. See README.md, Quickstart.
 */
import { relative } from "node:path";
import { ENV } from "@sml/contracts/env";
import { OPENAPI_PATH, ROUTES } from "@sml/contracts/routes";
import { SITE_DOCS_PAGE } from "@sml/contracts/site";
import { LOCAL_BATCH_NAMES, LOCAL_BATCH_QUEUE_SETTINGS } from "./batches";
import { type LocalStackConfig, loadConfig } from "./config";
import { log } from "./log";
import { LOCAL_RESOURCE_NAMES } from "./messaging";
import { DEFAULT_STOP_BUDGET_MS, type RunningStack, STACK_FILE, startStack } from "./stack";

/** Past this, shutdown gives up waiting and exits non-zero, so a stuck stop never outlives the 10 s promise. */
const HARD_EXIT_MS = 9_500;
/** A repeated signal sooner than this after the first is the same Ctrl-C relayed, not a second one. */
const REPEATED_SIGNAL_GRACE_MS = 1_000;

function banner(config: LocalStackConfig, stack: RunningStack, startedInMs: number): string {
  const d = stack.description;
  const m = config.messaging;
  const local = (p: string) => relative(process.cwd(), p) || ".";
  const database =
    stack.database.kind === "pglite"
      ? `PGlite (embedded PostgreSQL), data in ${local(stack.database.dataDir ?? "")}, served at ${d.databaseUrl}`
      : `PostgreSQL at DATABASE_URL (${redact(d.databaseUrl)})`;
  const routes = ROUTES.map((r) => `${r.method} ${r.path}`).join(", ");
  return [
    "",
    `serverless-ml-api local stack is up (${(startedInMs / 1000).toFixed(1)} s)`,
    `  HTTP API      ${d.apiUrl}   ${routes}`,
    `  site          ${d.apiUrl}/ (the workbench: sign in, score a file), API docs ${d.apiUrl}/${SITE_DOCS_PAGE} (Swagger UI over ${OPENAPI_PATH})`,
    `  sign-in       local issuer ${d.authIssuer} (no passwords); every route but GET /health and ${OPENAPI_PATH} needs a token`,
    `  SNS + SQS     ${d.awsEndpoint} (fauxqs)   topic ${LOCAL_RESOURCE_NAMES.topic} -> queue ${LOCAL_RESOURCE_NAMES.queue} -> DLQ ${LOCAL_RESOURCE_NAMES.deadLetterQueue} after ${m.maxReceiveCount} receives`,
    `  subscriber    event source mapping: batches of ${m.batchSize}, ${m.maximumBatchingWindowSeconds} s window, ${m.maximumConcurrency} concurrent, retry after ${m.visibilityTimeoutSeconds} s`,
    `  database      ${database}`,
    `  prediction    ${prediction(local)}`,
    `  batches       bucket ${d.batchBucket} (fauxqs S3 behind a SigV4-checking front at ${d.s3Endpoint}) -> inputs/ uploads notify queue ${LOCAL_BATCH_NAMES.queue} -> batch worker, ${LOCAL_BATCH_QUEUE_SETTINGS.maximumConcurrency} concurrent, DLQ after ${LOCAL_BATCH_QUEUE_SETTINGS.maxReceiveCount} receives`,
    `  details       ${local(`${config.localDir}/${STACK_FILE}`)} (apiUrl, awsEndpoint, topicArn, queueUrl, dlqUrl, databaseUrl, batchBucket, batchQueueUrl, batchDlqUrl)`,
    "  logs          this terminal: one JSON object per line from every function (Powertools) and the stack",
    "",
    "Try:",
    `  curl -s ${d.apiUrl}/health`,
    "  TOKEN=$(npm run -s token -- alice)        # --group admins for an admin",
    `  curl -s -X POST ${d.apiUrl}/users -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"Ada Lovelace","email":"ada@example.com"}'`,
    `  curl -s -H "authorization: Bearer $TOKEN" '${d.apiUrl}/batches'`,
    "",
    "Ctrl-C stops (in-flight work finishes first).",
    "",
  ].join("\n");
}

/** Where the models come from (a model that does not load stops the start: ModelsRefusedError). */
function prediction(local: (p: string) => string): string {
  return `models from ${local(process.env[ENV.modelDir] ?? "")}, loaded at start`;
}

/** Never print a password that someone put into DATABASE_URL. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();

  // Signals are handled from the first moment: a Ctrl-C during start-up lets the start finish (it owns open
  // files, the PGlite lock and ports), then stops it cleanly and exits 0, like a Ctrl-C later on.
  let stack: RunningStack | undefined;
  let stoppingSince: number | undefined;
  const stop = (running: RunningStack) =>
    running.stop(DEFAULT_STOP_BUDGET_MS).then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error("shutdown failed", { error: err as Error });
        process.exit(1);
      },
    );
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C can reach this process twice: from the terminal, and relayed by a runner in between when this
      // process does not acknowledge it quickly. Only a later one is someone pressing Ctrl-C again.
      if (Date.now() - stoppingSince < REPEATED_SIGNAL_GRACE_MS) return;
      log.warn("second signal: exiting without waiting", { signal });
      process.exit(130);
    }
    stoppingSince = Date.now();
    log.info(stack ? "stopping" : "stopping once start-up finishes", { signal });
    setTimeout(() => {
      log.error("shutdown did not finish in time; exiting anyway");
      process.exit(1);
    }, HARD_EXIT_MS).unref();
    if (stack) void stop(stack);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  stack = await startStack(config);
  if (stoppingSince !== undefined) {
    await stop(stack);
    return;
  }
  process.stdout.write(banner(config, stack, Date.now() - started));
}

main().catch((err: unknown) => {
  log.error("local stack failed to start", { error: err as Error });
  process.stderr.write(`\nnpm start failed: ${(err as Error).message}\n`);
  process.exit(1);
});
