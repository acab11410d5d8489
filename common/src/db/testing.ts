/**
 * Helpers for tests and benchmarks that need a real PostgreSQL: each caller gets its own scratch database on
 * the shared server, so jest workers and parallel suites never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";

/** The shared PostgreSQL server of the machines and CI (trust auth). */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface ScratchDatabase {
  readonly name: string;
  /** Connection string of the scratch database. */
  readonly url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `sml_<label>_<random>` on the server; call `drop()` in afterAll. */
export async function createScratchDatabase(
  label: string,
  serverUrl: string = TEST_POSTGRES_URL,
): Promise<ScratchDatabase> {
  const name = `sml_${label.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_${randomBytes(4).toString("hex")}`;
  // template0: template1 refuses to be copied while anyone else is connected to it.
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** Any free TCP port on the loopback interface (for servers that cannot listen on port 0 themselves). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalDataApi {
  /** Endpoint for `new RDSDataClient({ endpoint })`. */
  readonly endpoint: string;
  /** Arbitrary ARNs: data-api-local requires them to be present but ignores them. */
  readonly resourceArn: string;
  readonly secretArn: string;
  stop(): Promise<void>;
}

/** Starts data-api-local (an RDS Data API emulator) over the given PostgreSQL database. */
export async function startLocalDataApi(databaseUrl: string): Promise<LocalDataApi> {
  const { dataApiLocal } = await import("data-api-local");
  const url = new URL(databaseUrl);
  const port = await freePort();
  const server = await dataApiLocal({
    server: { hostname: "127.0.0.1", port },
    database: {
      engine: "postgresql",
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
    },
    logger: () => undefined,
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    resourceArn: "arn:aws:rds:us-east-1:123456789012:cluster:local",
    secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:local",
    stop: () => server.stop(),
  };
}
