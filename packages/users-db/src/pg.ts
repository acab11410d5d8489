import { existsSync, readFileSync } from "node:fs";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { Pool, type PoolClient, type PoolConfig } from "pg";
import type { PgPoolSettings } from "./config";
import type { ClosableSqlExecutor, SqlExecutor, SqlParam, SqlRow } from "./executor";

/**
 * Where Lambda's Node.js 20+ runtimes keep the Amazon root CAs, RDS's included. The runtime no longer loads
 * them by default (cold-start cost), so the pg adapter reads this file itself for TLS to Aurora.
 */
export const LAMBDA_CA_BUNDLE_PATH = "/var/runtime/ca-cert.pem";

/** TLS settings for the connection: verify the server against `ca` (PEM), or no TLS at all (local only). */
export type PgTls = { readonly ca: string | Buffer } | false;

export type PgConnection =
  /** Local and test databases. */
  (
    | { readonly kind: "url"; readonly connectionString: string }
    /** Aurora: user and password from the RDS-managed secret, always over verified TLS. */
    | {
        readonly kind: "secret";
        readonly host: string;
        readonly port: number;
        readonly database: string;
        readonly secretArn: string;
        /** Defaults to the Lambda runtime's CA bundle. */
        readonly tls?: PgTls;
      }
  ) & { readonly pool?: PgPoolSettings };

export interface PgDeps {
  /** Powertools secrets provider; inject one built on a stubbed client in tests. */
  readonly secrets?: SecretsProvider;
}

/** Timeouts chosen so an unreachable database fails a batch well inside the subscriber's 30 s timeout. */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;
/** Cached secret lifetime: a rotated password is picked up within this window on the next connection. */
const SECRET_MAX_AGE_SECONDS = 300;

interface DbSecret {
  username: string;
  password: string;
}

function defaultTls(): PgTls {
  if (!existsSync(LAMBDA_CA_BUNDLE_PATH)) {
    throw new Error(
      `TLS to the database needs a CA bundle; ${LAMBDA_CA_BUNDLE_PATH} (present on Lambda's Node.js runtimes) is missing. Pass tls.ca explicitly when running elsewhere.`,
    );
  }
  return { ca: readFileSync(LAMBDA_CA_BUNDLE_PATH) };
}

let sharedSecrets: SecretsProvider | undefined;
/** One provider per instance, so its cache spans invocations. */
const defaultSecrets = (): SecretsProvider => {
  sharedSecrets ??= new SecretsProvider();
  return sharedSecrets;
};

async function readSecret(secretArn: string, deps: PgDeps): Promise<DbSecret> {
  const provider = deps.secrets ?? defaultSecrets();
  const secret = (await provider.get(secretArn, { transform: "json", maxAge: SECRET_MAX_AGE_SECONDS })) as
    | Partial<DbSecret>
    | undefined;
  if (typeof secret?.username !== "string" || typeof secret.password !== "string") {
    throw new Error(`Secret ${secretArn} does not hold the RDS-managed {"username","password"} JSON`);
  }
  return { username: secret.username, password: secret.password };
}

/**
 * Pool settings for one Lambda instance: one connection unless told otherwise (an instance handles one
 * invocation at a time, and Aurora's connection budget is shared by every instance).
 */
async function poolConfig(connection: PgConnection, deps: PgDeps): Promise<PoolConfig> {
  const common: PoolConfig = {
    max: connection.pool?.maxConnections ?? 1,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: connection.pool?.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 60_000,
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "sml",
  };
  if (connection.kind === "url") return { ...common, connectionString: connection.connectionString };
  const { username } = await readSecret(connection.secretArn, deps);
  const tls = connection.tls ?? defaultTls();
  return {
    ...common,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: username,
    // Read per new connection (cached by Powertools), so a rotated password takes effect without a cold start.
    password: async () => (await readSecret(connection.secretArn, deps)).password,
    // rejectUnauthorized + an explicit CA: the connection fails unless Aurora's certificate chains to the RDS
    // CA and names the host (pg passes the host on for that check); sslmode=require-style encryption without
    // verification would accept any certificate, including an attacker's.
    ssl: tls === false ? false : { rejectUnauthorized: true, ca: tls.ca },
  };
}

function executorOn(run: (text: string, values: SqlParam[]) => Promise<{ rows: SqlRow[] }>) {
  return async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []) =>
    (await run(sql, [...params])).rows as R[];
}

function clientExecutor(client: PoolClient): SqlExecutor {
  const tx: SqlExecutor = {
    query: executorOn((text, values) => client.query<SqlRow>(text, values)),
    transaction: (work) => work(tx),
  };
  return tx;
}

/** A SqlExecutor over a lazily created node-postgres pool of one connection. */
export function createPgExecutor(connection: PgConnection, deps: PgDeps = {}): ClosableSqlExecutor {
  let pool: Promise<Pool> | undefined;
  const getPool = (): Promise<Pool> => {
    if (pool) return pool;
    const created = poolConfig(connection, deps).then((config) => {
      const p = new Pool(config);
      // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
      // discards it and the next query connects afresh.
      p.on("error", () => undefined);
      return p;
    });
    // A failed secret read is not cached: the next invocation tries again.
    created.catch(() => {
      if (pool === created) pool = undefined;
    });
    pool = created;
    return created;
  };
  return {
    query: executorOn(async (text, values) => (await getPool()).query<SqlRow>(text, values)),
    async transaction(work) {
      const client = await (await getPool()).connect();
      try {
        await client.query("BEGIN");
        const result = await work(clientExecutor(client));
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (err) {
        // A failed ROLLBACK means the connection is broken: destroy it instead of returning it to the pool.
        await client.query("ROLLBACK").then(
          () => client.release(),
          (rollbackErr: Error) => client.release(rollbackErr),
        );
        throw err;
      }
    },
    async close() {
      const current = pool;
      pool = undefined;
      if (current)
        await current.then(
          (p) => p.end(),
          () => undefined,
        );
    },
  };
}
