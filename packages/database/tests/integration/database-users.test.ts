/**
 * The Data API path's database users (database-users.ts) against a real PostgreSQL server: a private cluster
 * whose pg_hba.conf trusts only the superuser and asks every other user for a SCRAM password, as Aurora does for
 * a user outside rds_iam. So a function's user logs in with exactly the password in its secret, and then can do
 * exactly its grants. Secrets Manager cannot run here: the secret store is an in-memory stand-in with Secrets
 * Manager's one behaviour that matters (a secret Terraform created without a value answers "not found").
 * The provisioning runs once through the pg driver and once through data-api-local (the Data API stand-in),
 * which is how the migration function runs it on dev and previews.
 */
import { RDSDataClient } from "@aws-sdk/client-rds-data";
import { DB_USERS } from "@sml/contracts/env";
import { Client } from "pg";
import {
  type ClosableSqlExecutor,
  createDataApiExecutor,
  createPgExecutor,
  createSqlUserRepository,
  DatabaseUserError,
  parseUserSecrets,
  provisionDatabaseUsers,
  runMigrations,
  type UserSecretStore,
} from "../../src";
import { type PrivatePostgres, startPrivatePostgres } from "../../src/testing";

const PERMISSION_DENIED = "42501";
const ARN = (user: string) =>
  `arn:aws:secretsmanager:eu-west-1:123456789012:secret:sml-dev-db-${user}-AbCdEf`;
const SECRETS = Object.fromEntries(Object.values(DB_USERS).map((u) => [u, ARN(u)]));

/** Secrets Manager stand-in (mocked: no AWS here): values by ARN, every put recorded. */
function memoryStore(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  const puts: string[] = [];
  const store: UserSecretStore = {
    get: async (arn) => values.get(arn),
    put: async (arn, value) => {
      puts.push(arn);
      values.set(arn, value);
    },
  };
  return { store, values, puts };
}

let cluster: PrivatePostgres;
const open: (ClosableSqlExecutor | Client)[] = [];

const urlOf = (database: string, user = "postgres", password?: string) => {
  const url = new URL(cluster.url);
  url.pathname = `/${database}`;
  url.username = user;
  if (password !== undefined) url.password = password;
  return url.toString();
};
const owner = (database: string) => {
  const sql = createPgExecutor({ kind: "url", connectionString: urlOf(database) });
  open.push(sql);
  return sql;
};
/** A login as `user` with `password`: the server checks it (SCRAM), as Aurora does. */
const loginAs = (database: string, user: string, password: string) => {
  const sql = createPgExecutor({ kind: "url", connectionString: urlOf(database, user, password) });
  open.push(sql);
  return sql;
};
const passwordIn = (values: Map<string, string>, user: string): string =>
  JSON.parse(values.get(ARN(user)) as string).password;

async function admin(text: string, database = "postgres") {
  const client = new Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  cluster = await startPrivatePostgres({
    files: {
      // Written over initdb's file: the superuser is trusted (the test's owner), everyone else needs a password.
      "pg_hba.conf": [
        "local all postgres trust",
        "host all postgres 127.0.0.1/32 trust",
        "host all all 127.0.0.1/32 scram-sha-256",
        "",
      ].join("\n"),
    },
    settings: { password_encryption: "scram-sha-256" },
  });
  await admin("CREATE DATABASE app");
  await runMigrations(owner("app"));
}, 60_000);

afterAll(async () => {
  for (const c of open) await ("close" in c ? c.close() : c.end());
  await cluster?.destroy();
});

describe("function users on the Data API path (private PostgreSQL with password authentication)", () => {
  const { store, values, puts } = memoryStore();

  test("a user created by the migrations cannot log in before the migration function gives it a password", async () => {
    await expect(loginAs("app", DB_USERS.api, "anything").query("SELECT 1")).rejects.toThrow(
      /password authentication failed/,
    );
  });

  test("generates each user's password into its empty secret and sets it on the user", async () => {
    const result = await provisionDatabaseUsers(owner("app"), SECRETS, store);
    expect(result).toEqual(Object.values(DB_USERS).map((user) => ({ user, password: "generated" })));
    expect(puts).toEqual(Object.values(DB_USERS).map(ARN));
    for (const user of Object.values(DB_USERS)) {
      const secret = JSON.parse(values.get(ARN(user)) as string);
      expect(secret).toEqual({ username: user, password: expect.stringMatching(/^[A-Za-z0-9]{40}$/) });
    }
    expect(new Set(Object.values(DB_USERS).map((u) => passwordIn(values, u))).size).toBe(3);
  });

  test("each user logs in with its secret's password, and not with another user's", async () => {
    for (const user of Object.values(DB_USERS)) {
      const rows = await loginAs("app", user, passwordIn(values, user)).query<{ who: string }>(
        "SELECT current_user AS who",
      );
      expect(rows).toEqual([{ who: user }]);
    }
    await expect(
      loginAs("app", DB_USERS.api, passwordIn(values, DB_USERS.subscriber)).query("SELECT 1"),
    ).rejects.toThrow(/password authentication failed/);
  });

  test("each user can do exactly its grants: the subscriber upserts, the api reads and cannot write", async () => {
    const subscriber = loginAs("app", DB_USERS.subscriber, passwordIn(values, DB_USERS.subscriber));
    await createSqlUserRepository(subscriber).upsert([
      {
        messageId: "m-1",
        publishedAt: new Date(Date.UTC(2026, 0, 1)),
        name: "Ana",
        email: "ana@example.com",
      },
    ]);
    await expect(subscriber.query("DELETE FROM users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    const api = loginAs("app", DB_USERS.api, passwordIn(values, DB_USERS.api));
    const page = await createSqlUserRepository(api).list({ limit: 10 });
    expect(page.items.map((u) => u.name)).toEqual(["Ana"]);
    await expect(api.query("UPDATE users SET name = 'x'")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(api.query("SELECT * FROM batches")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    const batch = loginAs("app", DB_USERS.batch, passwordIn(values, DB_USERS.batch));
    await expect(batch.query("SELECT count(*) FROM batches")).resolves.toHaveLength(1);
    await expect(batch.query("SELECT * FROM users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    for (const user of Object.values(DB_USERS))
      await expect(
        loginAs("app", user, passwordIn(values, user)).query("DROP TABLE schema_migrations"),
      ).rejects.toMatchObject({ code: "42501" });
  });

  test("a second run keeps every password (the secrets are the source), and writes nothing", async () => {
    const before = Object.fromEntries(Object.values(DB_USERS).map((u) => [u, passwordIn(values, u)]));
    const writes = puts.length;
    const result = await provisionDatabaseUsers(owner("app"), SECRETS, store);
    expect(result.map((r) => r.password)).toEqual(["kept", "kept", "kept"]);
    expect(puts.length).toBe(writes);
    for (const user of Object.values(DB_USERS)) {
      expect(passwordIn(values, user)).toBe(before[user]);
      await expect(loginAs("app", user, before[user] as string).query("SELECT 1")).resolves.toHaveLength(1);
    }
  });

  test("a secret holding something else (edited by hand, another user's) gets a new password", async () => {
    const {
      store: edited,
      values: v,
      puts: p,
    } = memoryStore({
      [ARN(DB_USERS.api)]: JSON.stringify({ username: DB_USERS.subscriber, password: "x".repeat(40) }),
    });
    await provisionDatabaseUsers(owner("app"), { [DB_USERS.api]: ARN(DB_USERS.api) }, edited);
    expect(p).toEqual([ARN(DB_USERS.api)]);
    const fresh = JSON.parse(v.get(ARN(DB_USERS.api)) as string);
    expect(fresh.username).toBe(DB_USERS.api);
    await expect(loginAs("app", DB_USERS.api, fresh.password).query("SELECT 1")).resolves.toHaveLength(1);
  });

  test("revokes rds_iam, under which Aurora would refuse the password (IAM tokens only)", async () => {
    await admin("CREATE ROLE rds_iam NOLOGIN");
    await admin(`GRANT rds_iam TO ${Object.values(DB_USERS).join(", ")}`);
    await provisionDatabaseUsers(owner("app"), SECRETS, store);
    const members = await admin(
      `SELECT count(*)::int AS n FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE r.rolname = 'rds_iam'`,
    );
    expect(members.rows).toEqual([{ n: 0 }]);
  });

  test("runs through the Data API as the migration function does on dev (data-api-local over this server)", async () => {
    const { startLocalDataApi } = await import("../../src/testing");
    const dataApi = await startLocalDataApi(urlOf("app"));
    const client = new RDSDataClient({
      endpoint: dataApi.endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      const sql = createDataApiExecutor(
        { resourceArn: dataApi.resourceArn, secretArn: dataApi.secretArn, database: "app" },
        { client },
      );
      const { store: fresh, values: v } = memoryStore();
      const result = await provisionDatabaseUsers(sql, SECRETS, fresh);
      expect(result.map((r) => r.password)).toEqual(["generated", "generated", "generated"]);
      await expect(
        loginAs("app", DB_USERS.api, passwordIn(v, DB_USERS.api)).query("SELECT count(*) FROM users"),
      ).resolves.toHaveLength(1);
    } finally {
      client.destroy();
      await dataApi.stop();
    }
  });
});

describe("bad input changes nothing", () => {
  test("a user the migrations did not create is refused before any secret is written", async () => {
    const { store, puts } = memoryStore();
    await expect(
      provisionDatabaseUsers(owner("app"), { sml_nobody: ARN("sml_nobody") }, store),
    ).rejects.toThrow(DatabaseUserError);
    expect(puts).toEqual([]);
  });

  test.each([
    ["not JSON", "{"],
    ["an array", "[]"],
    ["a user name that is not an identifier", JSON.stringify({ "sml_api; DROP TABLE users": ARN("x") })],
    ["a secret that is not an ARN", JSON.stringify({ sml_api: "sml-dev-db-sml_api" })],
  ])("DB_USER_SECRET_ARNS as %s is refused", (_what, text) => {
    expect(() => parseUserSecrets(text)).toThrow(DatabaseUserError);
  });
});
