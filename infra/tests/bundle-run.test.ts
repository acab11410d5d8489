/**
 * The zip bundles run as Lambda runs them: `index.js` from its own folder, no node_modules anywhere above it, the
 * credentials in the environment. Everything the bundles mark external (scripts/bundling/bundle.ts: pg's native
 * binding, the SDK's credential providers that only load without credentials in the environment) must stay
 * unloaded on these paths, and the bundled SDK must sign and send real calls: the migrate function runs its
 * migrations over pg, and over the RDS Data API (data-api-local, through the bundled client).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { zipBundleDir } from "@sml/contracts/functions";
import { createScratchDatabase, type ScratchDatabase, startLocalDataApi } from "@sml/database/testing";
import { Client } from "pg";
import { testBundleRoot } from "./support/paths";

jest.setTimeout(120_000);

const run = promisify(execFile);

/** What a Lambda environment sets that the handlers read; nothing from this process leaks in. */
const LAMBDA_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCAL",
  AWS_SECRET_ACCESS_KEY: "local-secret",
  AWS_SESSION_TOKEN: "local-session",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
};

/**
 * Requires the bundle in a fresh Node process (cwd: its folder), awaits `handler()` and returns its result; the
 * process then exits, as Lambda freezes it, with its pool's connections still open. Asynchronous: data-api-local
 * answers from this process.
 */
async function invoke(name: "migrate", env: Record<string, string>): Promise<unknown> {
  const dir = join(testBundleRoot(), zipBundleDir(name));
  const script =
    'require("./index.js").handler().then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); })';
  try {
    const { stdout } = await run(process.execPath, ["-e", script], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...LAMBDA_ENV, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return JSON.parse(stdout);
  } catch (err) {
    throw new Error(`${name} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

const tables = async (url: string) => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
};

let scratch: ScratchDatabase[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((db) => db.drop()));
  scratch = [];
});

describe("the migrate bundle, as Lambda runs it", () => {
  it("applies every migration over pg", async () => {
    const db = await createScratchDatabase("bundle_run_pg");
    scratch.push(db);
    const result = (await invoke("migrate", { DATABASE_URL: db.url })) as {
      applied: string[];
      alreadyApplied: string[];
    };
    expect(result.applied.length).toBeGreaterThan(0);
    expect(result.alreadyApplied).toEqual([]);
    expect(await tables(db.url)).toEqual(expect.arrayContaining(["schema_migrations", "users", "batches"]));
  });

  it("applies every migration through the bundled RDS Data API client", async () => {
    const db = await createScratchDatabase("bundle_run_data_api");
    scratch.push(db);
    const api = await startLocalDataApi(db.url);
    try {
      const env = {
        DB_DRIVER: "data-api",
        DB_CLUSTER_ARN: api.resourceArn,
        DB_SECRET_ARN: api.secretArn,
        DB_NAME: db.name,
        AWS_ENDPOINT_URL: api.endpoint,
      };
      const first = (await invoke("migrate", env)) as { applied: string[] };
      expect(first.applied.length).toBeGreaterThan(0);
      // A second run finds them all applied: the bundle read the database back through the same client.
      expect(await invoke("migrate", env)).toEqual({ applied: [], alreadyApplied: first.applied });
      expect(await tables(db.url)).toEqual(expect.arrayContaining(["schema_migrations", "users", "batches"]));
    } finally {
      await api.stop();
    }
  });
});
