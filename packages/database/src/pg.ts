import { existsSync, readFileSync } from "node:fs";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { Signer, type SignerConfig } from "@aws-sdk/rds-signer";
import { PG_CONNECT_TIMEOUT_MS } from "@sml/contracts/env";
import { Pool, type PoolClient, type PoolConfig } from "pg";
import type { PgPoolSettings } from "./config";
import { type ConnectRetryOptions, withConnectRetry } from "./connect-retry";
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
    /**
     * Aurora with IAM database authentication: a least-privilege database user (granted `rds_iam`) whose
     * password is a 15-minute token signed with the function's own AWS credentials, fresh per new connection.
     * RDS accepts such tokens only over TLS.
     */
    | {
        readonly kind: "iam";
        readonly host: string;
        readonly port: number;
        readonly database: string;
        readonly user: string;
        readonly region: string;
        /** Defaults to the Lambda runtime's CA bundle. */
        readonly tls?: PgTls;
      }
  ) & { readonly pool?: PgPoolSettings };

/** Where an IAM authentication token is for (the signed request names host, port, user and region). */
export interface IamTokenTarget {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
}

/** Returns an IAM authentication token to use as the password of one new connection. */
export type IamTokenSigner = (target: IamTokenTarget) => Promise<string>;

export interface PgDeps {
  /** Powertools secrets provider; inject one built on a stubbed client in tests. */
  readonly secrets?: SecretsProvider;
  /** IAM token source (default: @aws-sdk/rds-signer with the default credential chain). */
  readonly iamTokenSigner?: IamTokenSigner;
  /**
   * Wait for a database that does not accept connections yet (a paused Aurora cluster resuming), per new
   * connection, with exponential backoff up to a total deadline. Without it a connection is tried once.
   */
  readonly connectRetry?: ConnectRetryOptions;
}

/** Timeouts chosen so an unreachable database fails a batch well inside the subscriber's 30 s timeout. */
const CONNECT_TIMEOUT_MS = PG_CONNECT_TIMEOUT_MS;
const STATEMENT_TIMEOUT_MS = 10_000;
/** Cached secret lifetime: a rotated password is picked up within this window on the next connection. */
const SECRET_MAX_AGE_SECONDS = 300;

interface DbSecret {
  username: string;
  password: string;
}

/** SQLSTATE invalid_password: what PostgreSQL answers a wrong password (or an expired IAM token). */
export const INVALID_PASSWORD_SQLSTATE = "28P01";

const isInvalidPassword = (err: unknown): boolean =>
  (err as { code?: unknown } | undefined)?.code === INVALID_PASSWORD_SQLSTATE;

/**
 * The default IAM token source: a SigV4-presigned `connect` request for the user, signed locally (no AWS call)
 * with the given credentials or the default chain (on Lambda: the execution role). The token lives 15 minutes
 * and is checked by RDS only when a connection logs in, so an open connection outlives it.
 */
export function rdsIamTokenSigner(credentials?: SignerConfig["credentials"]): IamTokenSigner {
  const signers = new Map<string, Signer>();
  return (target) => {
    const key = `${target.username}@${target.hostname}:${target.port}/${target.region}`;
    let signer = signers.get(key);
    if (!signer) {
      signer = new Signer({ ...target, ...(credentials ? { credentials } : {}) });
      signers.set(key, signer);
    }
    return signer.getAuthToken();
  };
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

async function readSecret(secretArn: string, deps: PgDeps, forceFetch = false): Promise<DbSecret> {
  const provider = deps.secrets ?? defaultSecrets();
  const secret = (await provider.get(secretArn, {
    transform: "json",
    maxAge: SECRET_MAX_AGE_SECONDS,
    forceFetch,
  })) as Partial<DbSecret> | undefined;
  if (typeof secret?.username !== "string" || typeof secret.password !== "string") {
    throw new Error(`Secret ${secretArn} does not hold the RDS-managed {"username","password"} JSON`);
  }
  return { username: secret.username, password: secret.password };
}

/**
 * Pool settings for one Lambda instance: one connection unless told otherwise (an instance handles one
 * invocation at a time, and Aurora's connection budget is shared by every instance).
 */
async function poolConfig(
  connection: PgConnection,
  deps: PgDeps,
  secretState: { refetch: boolean },
): Promise<PoolConfig> {
  const common: PoolConfig = {
    max: connection.pool?.maxConnections ?? 1,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: connection.pool?.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 60_000,
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "sml",
  };
  if (connection.kind === "url") return { ...common, connectionString: connection.connectionString };
  const tls = connection.tls ?? defaultTls();
  const server = {
    ...common,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    // rejectUnauthorized + an explicit CA: the connection fails unless Aurora's certificate chains to the RDS
    // CA and names the host (pg passes the host on for that check); sslmode=require-style encryption without
    // verification would accept any certificate, including an attacker's.
    ssl: tls === false ? false : { rejectUnauthorized: true, ca: tls.ca },
  };
  if (connection.kind === "iam") {
    const sign = deps.iamTokenSigner ?? rdsIamTokenSigner();
    const target = {
      hostname: connection.host,
      port: connection.port,
      username: connection.user,
      region: connection.region,
    };
    // pg calls this for every new connection: each login gets a fresh token, so none can be expired.
    return { ...server, user: connection.user, password: () => sign(target) };
  }
  const { username } = await readSecret(connection.secretArn, deps);
  return {
    ...server,
    user: username,
    // Read per new connection (cached by Powertools), so a rotated password takes effect without a cold start;
    // after a login failed with 28P01 the next read bypasses the cache (see connectOnce).
    password: async () => {
      const refetch = secretState.refetch;
      secretState.refetch = false;
      return (await readSecret(connection.secretArn, deps, refetch)).password;
    },
  };
}

function targetName(connection: PgConnection): string {
  if (connection.kind === "url") {
    try {
      const url = new URL(connection.connectionString);
      return `${url.pathname.slice(1) || "postgres"} at ${url.hostname}:${url.port || 5432}`;
    } catch {
      return "the DATABASE_URL database";
    }
  }
  return `${connection.database} at ${connection.host}:${connection.port}`;
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
  const secretState = { refetch: false };
  const getPool = (): Promise<Pool> => {
    if (pool) return pool;
    const created = poolConfig(connection, deps, secretState).then((config) => {
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
  /**
   * One login. A password read from a secret that PostgreSQL refuses (28P01: rotated since it was cached) is
   * refetched from Secrets Manager once, bypassing the cache; a second refusal is the real error.
   */
  const connectOnce = async (): Promise<PoolClient> => {
    const p = await getPool();
    try {
      return await p.connect();
    } catch (err) {
      if (connection.kind !== "secret" || !isInvalidPassword(err)) throw err;
      secretState.refetch = true;
      return await p.connect();
    }
  };
  const connect = (): Promise<PoolClient> =>
    deps.connectRetry
      ? withConnectRetry(targetName(connection), deps.connectRetry, connectOnce)
      : connectOnce();

  return {
    query: executorOn(async (text, values) => {
      const client = await connect();
      try {
        const result = await client.query<SqlRow>(text, values);
        client.release();
        return result;
      } catch (err) {
        // As pg's pool.query does: a connection that saw an error is discarded rather than reused.
        client.release(err as Error);
        throw err;
      }
    }),
    async transaction(work) {
      const client = await connect();
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
