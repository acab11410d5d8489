/**
 * The pg driver as it connects in AWS: credentials from the RDS-managed secret through Powertools Parameters,
 * or an IAM database authentication token, TLS verified against a CA bundle. Secrets Manager and RDS's IAM
 * token check cannot run here, so the Secrets Manager client and the token signer are MOCKED; the database is a
 * real private PostgreSQL cluster with TLS on and password auth for the app users. For IAM, the "token" the
 * mocked signer hands out is the user's password on that server: what is real is the driver's side (a token per
 * new connection, the user name, TLS); that Aurora accepts the token only a real apply shows.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Client } from "pg";
import {
  createDatabase,
  createPgExecutor,
  type IamTokenTarget,
  LAMBDA_CA_BUNDLE_PATH,
  rdsIamTokenSigner,
} from "../../src";
import { type PrivatePostgres, startPrivatePostgres } from "../../src/testing";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-test";
/** What the mocked signer returns; the private server knows it as sml_api's password. */
const IAM_TOKEN = "mocked-iam-token";
let cluster: PrivatePostgres;
let certDir: string;
let ca: string;
let otherCa: string;

function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: certDir, stdio: "pipe" });
}

/** A CA and a server certificate for 127.0.0.1 signed by it, plus an unrelated CA. */
function makeCertificates(): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=sml-test-ca",
  ]);
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "other.key",
    "-out",
    "other.crt",
    "-days",
    "2",
    "-subj",
    "/CN=other-ca",
  ]);
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  writeFileSync(join(certDir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  ]);
}

/**
 * A Secrets Manager client whose calls return the RDS-managed secret shape (mocked: no AWS here); given several
 * secrets, call n returns the n-th (the last one from then on), as after a rotation.
 */
function mockedSecrets(...secrets: unknown[]): { provider: SecretsProvider; calls: () => number } {
  const client = new SecretsManagerClient({ region: "us-east-1" });
  let n = 0;
  const send = jest.spyOn(client, "send").mockImplementation(async (command: unknown) => {
    if (!(command instanceof GetSecretValueCommand)) throw new Error("unexpected Secrets Manager call");
    expect(command.input.SecretId).toBe(SECRET_ARN);
    const secret = secrets[Math.min(n++, secrets.length - 1)];
    return { SecretString: JSON.stringify(secret) };
  });
  return { provider: new SecretsProvider({ awsSdkV3Client: client }), calls: () => send.mock.calls.length };
}

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "sml-certs-"));
  makeCertificates();
  ca = readFileSync(join(certDir, "ca.crt"), "utf8");
  otherCa = readFileSync(join(certDir, "other.crt"), "utf8");
  cluster = await startPrivatePostgres({
    files: {
      "server.crt": readFileSync(join(certDir, "server.crt"), "utf8"),
      "server.key": readFileSync(join(certDir, "server.key"), "utf8"),
      // The app user may only log in over TLS with its password; the test's admin connection stays local.
      "pg_hba.conf": [
        "local all all trust",
        "hostssl all app_user 127.0.0.1/32 scram-sha-256",
        "hostssl all sml_api 127.0.0.1/32 scram-sha-256",
        "host all postgres 127.0.0.1/32 trust",
        "",
      ].join("\n"),
    },
    settings: { ssl: "on", ssl_cert_file: "server.crt", ssl_key_file: "server.key" },
  });
  const admin = new Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query("CREATE ROLE app_user LOGIN PASSWORD 'correct horse battery'");
  await admin.query(`CREATE ROLE sml_api LOGIN PASSWORD '${IAM_TOKEN}'`);
  await admin.end();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

const awsConnection = (tls: { ca: string }) =>
  ({
    kind: "secret",
    host: "127.0.0.1",
    port: cluster.port,
    database: "postgres",
    secretArn: SECRET_ARN,
    tls,
  }) as const;

describe("pg driver with the RDS-managed secret (Secrets Manager mocked)", () => {
  test("connects as the secret's user over TLS verified against the CA bundle", async () => {
    const secrets = mockedSecrets({ username: "app_user", password: "correct horse battery" });
    const sql = createPgExecutor(awsConnection({ ca }), { secrets: secrets.provider });
    try {
      const [row] = await sql.query<{ usr: string; tls: boolean }>(
        "SELECT current_user AS usr, ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      );
      expect(row).toEqual({ usr: "app_user", tls: true });
      expect(secrets.calls()).toBeGreaterThanOrEqual(1);
    } finally {
      await sql.close();
    }
  });

  test("builds the same connection from config through createDatabase", async () => {
    const secrets = mockedSecrets({ username: "app_user", password: "correct horse battery" });
    const db = createDatabase(
      { driver: "pg", host: "127.0.0.1", port: cluster.port, database: "postgres", secretArn: SECRET_ARN },
      { secrets: secrets.provider, tls: { ca } },
    );
    try {
      await expect(db.users.ping()).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });

  test("retries a secret read that failed on the next query instead of caching the failure", async () => {
    const client = new SecretsManagerClient({ region: "us-east-1" });
    jest
      .spyOn(client, "send")
      .mockImplementationOnce(async () => {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      })
      .mockImplementation(async () => ({
        SecretString: JSON.stringify({ username: "app_user", password: "correct horse battery" }),
      }));
    const sql = createPgExecutor(awsConnection({ ca }), {
      secrets: new SecretsProvider({ awsSdkV3Client: client }),
    });
    try {
      await expect(sql.query("SELECT 1")).rejects.toThrow(/Rate exceeded/);
      await expect(sql.query("SELECT 1 AS ok")).resolves.toEqual([{ ok: 1 }]);
    } finally {
      await sql.close();
    }
  });

  test("refuses a server whose certificate the CA bundle does not vouch for", async () => {
    const secrets = mockedSecrets({ username: "app_user", password: "correct horse battery" });
    const sql = createPgExecutor(awsConnection({ ca: otherCa }), { secrets: secrets.provider });
    try {
      await expect(sql.query("SELECT 1")).rejects.toThrow(/certificate/i);
    } finally {
      await sql.close();
    }
  });

  test("fails to log in with a wrong password from the secret", async () => {
    const secrets = mockedSecrets({ username: "app_user", password: "wrong" });
    const sql = createPgExecutor(awsConnection({ ca }), { secrets: secrets.provider });
    try {
      await expect(sql.query("SELECT 1")).rejects.toThrow(/password authentication failed/);
    } finally {
      await sql.close();
    }
  });

  test("refetches the secret once, past its 5-minute cache, when the login fails with 28P01 (rotated password)", async () => {
    const secrets = mockedSecrets(
      { username: "app_user", password: "before rotation" },
      { username: "app_user", password: "correct horse battery" },
    );
    const sql = createPgExecutor(awsConnection({ ca }), { secrets: secrets.provider });
    try {
      await expect(sql.query("SELECT 1 AS ok")).resolves.toEqual([{ ok: 1 }]);
      expect(secrets.calls()).toBe(2);
    } finally {
      await sql.close();
    }
  });

  test("refetches only once when the fresh secret is refused too, and reports the login failure", async () => {
    const secrets = mockedSecrets({ username: "app_user", password: "wrong" });
    const sql = createPgExecutor(awsConnection({ ca }), { secrets: secrets.provider });
    try {
      await expect(sql.query("SELECT 1")).rejects.toMatchObject({ code: "28P01" });
      expect(secrets.calls()).toBe(2);
    } finally {
      await sql.close();
    }
  });

  test("rejects a secret that is not the RDS-managed username/password JSON, without echoing it", async () => {
    const secrets = mockedSecrets({ user: "app_user", pass: "leaked?" });
    const sql = createPgExecutor(awsConnection({ ca }), { secrets: secrets.provider });
    const attempt = sql.query("SELECT 1");
    await expect(attempt).rejects.toThrow(/does not hold the RDS-managed/);
    await expect(attempt).rejects.not.toThrow(/leaked/);
    await sql.close();
  });

  test("refuses to connect without a CA bundle instead of falling back to unverified TLS", async () => {
    expect(existsSync(LAMBDA_CA_BUNDLE_PATH)).toBe(false);
    const secrets = mockedSecrets({ username: "app_user", password: "correct horse battery" });
    const { tls: _default, ...withoutTls } = awsConnection({ ca });
    const sql = createPgExecutor(withoutTls, { secrets: secrets.provider });
    await expect(sql.query("SELECT 1")).rejects.toThrow(/needs a CA bundle/);
    await sql.close();
  });
});

describe("pg driver with IAM database authentication (token signer MOCKED: IAM auth cannot run here)", () => {
  const iamConnection = (tls: { ca: string } | false) =>
    ({
      kind: "iam",
      host: "127.0.0.1",
      port: cluster.port,
      database: "postgres",
      user: "sml_api",
      region: "eu-west-1",
      tls,
    }) as const;

  function mockedSigner() {
    const targets: IamTokenTarget[] = [];
    return {
      targets,
      sign: async (target: IamTokenTarget) => {
        targets.push(target);
        return IAM_TOKEN;
      },
    };
  }

  test("logs in as the function's database user over verified TLS with a signed token", async () => {
    const signer = mockedSigner();
    const sql = createPgExecutor(iamConnection({ ca }), { iamTokenSigner: signer.sign });
    try {
      const [row] = await sql.query<{ usr: string; tls: boolean }>(
        "SELECT current_user AS usr, ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      );
      expect(row).toEqual({ usr: "sml_api", tls: true });
      // The token names what RDS checks it against: endpoint, port, user, region.
      expect(signer.targets).toEqual([
        { hostname: "127.0.0.1", port: cluster.port, username: "sml_api", region: "eu-west-1" },
      ]);
    } finally {
      await sql.close();
    }
  });

  test("signs a fresh token for every new connection (a token is only valid for 15 minutes)", async () => {
    const signer = mockedSigner();
    const sql = createPgExecutor(iamConnection({ ca }), { iamTokenSigner: signer.sign });
    const admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const [first] = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await sql.query("SELECT 1");
      expect(signer.targets).toHaveLength(1);
      // The pool's connection drops (as after a failover or an idle timeout); a later query logs in again. The
      // first query after the drop may still meet the dead connection, depending on when the pool notices.
      await admin.query("SELECT pg_terminate_backend($1)", [first?.pid]);
      await sql.query("SELECT 1").catch(() => undefined);
      const [second] = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      expect(second?.pid).not.toBe(first?.pid);
      expect(signer.targets).toHaveLength(2);
    } finally {
      await admin.end();
      await sql.close();
    }
  });

  test("builds the IAM connection from the function's environment (DB_USER, AWS_REGION)", async () => {
    const signer = mockedSigner();
    const { dbConfigFromEnv } = await import("../../src");
    const config = dbConfigFromEnv({
      DB_HOST: "127.0.0.1",
      DB_PORT: String(cluster.port),
      DB_NAME: "postgres",
      DB_USER: "sml_api",
      AWS_REGION: "eu-west-1",
    });
    const db = createDatabase(config, { iamTokenSigner: signer.sign, tls: { ca } });
    try {
      await expect(db.users.ping()).resolves.toBeUndefined();
      expect(signer.targets[0]?.username).toBe("sml_api");
    } finally {
      await db.close();
    }
  });

  test("the default signer presigns an rds-db:connect request for the user, endpoint and region, locally", async () => {
    // Real @aws-sdk/rds-signer with fixed credentials: signing is local (no AWS call). The token format is
    // AWS's: "<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...", valid 900 s (Aurora user guide,
    // "Connecting to your DB cluster using IAM authentication and the AWS SDK for JavaScript").
    const sign = rdsIamTokenSigner({
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/EXAMPLEKEY",
    });
    const token = await sign({
      hostname: "sml-dev-db.cluster-abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      username: "sml_api",
      region: "eu-west-1",
    });
    const url = new URL(`https://${token}`);
    expect(url.host).toBe("sml-dev-db.cluster-abc.eu-west-1.rds.amazonaws.com:5432");
    expect(url.searchParams.get("Action")).toBe("connect");
    expect(url.searchParams.get("DBUser")).toBe("sml_api");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(
      /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/,
    );
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });
});
