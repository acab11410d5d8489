/**
 * Helpers for tests and benchmarks that need a real PostgreSQL: each caller gets its own scratch database on
 * the shared server, so jest workers and parallel suites never see each other's rows.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export interface PrivatePostgres {
  /** Connection string of the cluster's `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  start(): Promise<void>;
  /** Fast shutdown: open connections are cut, as in a failover or crash. */
  stop(): Promise<void>;
  /** Stops the cluster and deletes its files. */
  destroy(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /** Extra server settings, e.g. `{ ssl: "on", ssl_cert_file: "/path" }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Files to copy into the data dir (readable only by the server), e.g. TLS keys: name -> PEM. */
  readonly files?: Readonly<Record<string, string>>;
}

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const version = fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`No PostgreSQL server binaries under ${root}`);
  return `${root}/${version}/bin`;
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir, own port) that a test may stop and start
 * without disturbing the shared server on 5432. Runs the server as `postgres` when the caller is root
 * (PostgreSQL refuses to run as root).
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    execFileSync(
      asRoot ? "runuser" : `${bin}/${cmd}`,
      asRoot ? ["-u", "postgres", "--", `${bin}/${cmd}`, ...args] : args,
      {
        stdio: "pipe",
      },
    );
  const dir = fs.mkdtempSync(join(tmpdir(), "sml-pg-"));
  const dataDir = join(dir, "data");
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    const file = join(dataDir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    if (asRoot) fs.chownSync(file, fs.statSync(dataDir).uid, fs.statSync(dataDir).gid);
  }
  const port = await freePort();
  const settings = {
    port: String(port),
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    fsync: "off",
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const log = join(dir, "server.log");
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    start: async () => {
      run("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", log, "-w", "-t", "30", "start"]);
    },
    stop: async () => {
      run("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    destroy: async () => {
      try {
        run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

export interface DelayedProxy {
  /** `postgres://` URL of the target database through the proxy. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (refused ones never reach the proxy). */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a PostgreSQL database that behaves like a database not accepting connections yet for
 * `delayMs`, then forwards everything to it:
 * - `refuse`: nothing listens on the port until then (clients get ECONNREFUSED), as while a server restarts;
 * - `hold`: connections are accepted but left unanswered until then, then forwarded, as Aurora does while a
 *   paused Serverless v2 instance resumes. A client that gave up meanwhile has closed its socket.
 */
export async function startDelayedProxy(
  targetUrl: string,
  options: { readonly mode: "refuse" | "hold"; readonly delayMs: number },
): Promise<DelayedProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const port = await freePort();
  const readyAt = Date.now() + options.delayMs;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const forward = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = connect(targetPort, target.hostname);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  };
  const server = createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    const wait = readyAt - Date.now();
    if (wait <= 0) forward(client);
    else setTimeout(() => forward(client), wait);
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  let listening: Promise<void>;
  let timer: NodeJS.Timeout | undefined;
  if (options.mode === "hold") listening = listen();
  else {
    listening = new Promise((resolve, reject) => {
      timer = setTimeout(() => listen().then(resolve, reject), options.delayMs);
    });
    // Swallowed here, surfaced by close(): a test that never waits for the listener must not crash the run.
    listening.catch(() => undefined);
  }
  if (options.mode === "hold") await listening;
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    port,
    accepted: () => accepted,
    close: async () => {
      if (timer) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
