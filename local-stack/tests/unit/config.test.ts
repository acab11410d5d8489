import { resolve } from "node:path";
import { batchSweepBounds } from "@sml/contracts/batches";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/contracts/messaging";
import { LOCAL_BATCH_QUEUE_SETTINGS } from "../../src/batches";
import { loadConfig } from "../../src/config";

const repoRoot = resolve(__dirname, "../../..");

describe("loadConfig", () => {
  test("defaults to port 3000, .local in the repository, PGlite, durable queues and the deployed messaging settings", () => {
    expect(loadConfig({})).toEqual({
      repoRoot,
      port: 3000,
      awsPort: 0,
      localDir: resolve(repoRoot, ".local"),
      // Per checkout and never committed, like the bundle start.mjs keeps there.
      cacheDir: resolve(repoRoot, "node_modules/.cache/sml-local-stack"),
      region: "us-east-1",
      queueStorage: "disk",
      messaging: DEFAULT_MESSAGING_SETTINGS,
      // The deployed sweep rules over the local batch queue (60 s visibility): 15 + 15 min and 3 x 60 s + 15 min.
      batchSweep: { intervalMs: 60_000, bounds: batchSweepBounds(LOCAL_BATCH_QUEUE_SETTINGS) },
    });
    expect(loadConfig({}).batchSweep.bounds).toEqual({ pendingSeconds: 1800, runningIdleSeconds: 1080 });
  });

  test("takes the batch sweeper's interval and bounds from their knobs", () => {
    expect(
      loadConfig({
        LOCAL_BATCH_SWEEP_INTERVAL_SECONDS: "5",
        LOCAL_BATCH_PENDING_SECONDS: "7",
        LOCAL_BATCH_RUNNING_IDLE_SECONDS: "9",
      }).batchSweep,
    ).toEqual({ intervalMs: 5_000, bounds: { pendingSeconds: 7, runningIdleSeconds: 9 } });
    expect(() => loadConfig({ LOCAL_BATCH_SWEEP_INTERVAL_SECONDS: "0" })).toThrow(
      /LOCAL_BATCH_SWEEP_INTERVAL_SECONDS/,
    );
  });

  test("takes the queue storage from LOCAL_QUEUE_STORAGE and rejects an unknown one, naming the choices", () => {
    expect(loadConfig({ LOCAL_QUEUE_STORAGE: "memory" }).queueStorage).toBe("memory");
    expect(() => loadConfig({ LOCAL_QUEUE_STORAGE: "tape" })).toThrow(
      /LOCAL_QUEUE_STORAGE.*disk, disk-fsync, memory/,
    );
  });

  test("takes PORT, LOCAL_DIR, LOCAL_CACHE_DIR, DATABASE_URL and the retry knobs from the environment", () => {
    const config = loadConfig({
      PORT: "3100",
      LOCAL_DIR: "/tmp/sml-x",
      LOCAL_CACHE_DIR: "cache-here",
      DATABASE_URL: "postgres://me@db.example:5432/app",
      LOCAL_VISIBILITY_TIMEOUT_SECONDS: "2",
      LOCAL_MAX_RECEIVE_COUNT: "3",
    });
    expect(config).toMatchObject({
      port: 3100,
      localDir: "/tmp/sml-x",
      cacheDir: resolve(repoRoot, "cache-here"),
      databaseUrl: "postgres://me@db.example:5432/app",
    });
    expect(config.messaging).toEqual({
      ...DEFAULT_MESSAGING_SETTINGS,
      visibilityTimeoutSeconds: 2,
      maxReceiveCount: 3,
    });
  });

  test("rejects a bad PORT and a bad DATABASE_URL, naming each", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT must be 0\.\.65535/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://db/app" })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ URL/,
    );
    // Shaped like a URL, yet unparseable: pg would fail later with a bare "Invalid URL" naming nothing.
    for (const url of ["postgres://u:pw@127.0.0.1:99999/db", "postgres://u:pw@[zz/db"]) {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/DATABASE_URL must be a postgres:\/\/ URL/);
      expect(() => loadConfig({ DATABASE_URL: url })).not.toThrow(/pw/);
    }
  });

  test("reports a bad DATABASE_URL once", () => {
    let message = "";
    try {
      loadConfig({ DATABASE_URL: "mysql://db/app" });
    } catch (err) {
      message = (err as Error).message;
    }
    // parseEnv writes each issue as one sentence that names its variable ("environment variable DATABASE_URL must
    // be ..."): one issue, one mention.
    expect(message.match(/DATABASE_URL/g)).toHaveLength(1);
    expect(message.split(";")).toHaveLength(1);
  });

  test("treats a variable set to the empty string as unset: DATABASE_URL= is the embedded database", () => {
    const config = loadConfig({ DATABASE_URL: "", PORT: "", LOCAL_DIR: "" });
    expect(config).not.toHaveProperty("databaseUrl");
    expect(config).toEqual(loadConfig({}));
  });
});
