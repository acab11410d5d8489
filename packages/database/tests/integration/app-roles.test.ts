/**
 * Migration 0002's least-privilege users, against the real PostgreSQL server: each function's user can do what
 * its function does and nothing else (PostgreSQL docs, "Privileges": only a table's owner may ALTER or DROP
 * it; a role without INSERT gets "permission denied"). The users log in through the local trust
 * authentication here; on Aurora they log in with IAM tokens (rds_iam), which only a real apply exercises.
 */

import { DB_USERS } from "@sml/contracts/env";
import { Client } from "pg";
import {
  type ClosableSqlExecutor,
  createPgExecutor,
  createSqlUserRepository,
  loadMigrations,
  runMigrations,
} from "../../src";
import {
  createScratchDatabase,
  type PrivatePostgres,
  type ScratchDatabase,
  startPrivatePostgres,
} from "../../src/testing";

const PERMISSION_DENIED = "42501";

let scratch: ScratchDatabase;
const executors: ClosableSqlExecutor[] = [];

/** A connection to `url`'s database as `user` (the server trusts local logins). */
function as(url: string, user: string): ClosableSqlExecutor {
  const u = new URL(url);
  u.username = user;
  const sql = createPgExecutor({ kind: "url", connectionString: u.toString() });
  executors.push(sql);
  return sql;
}

const write = (n: number) => ({
  messageId: `m-${n}`,
  publishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
  name: `User ${n}`,
  email: `user${n}@example.com`,
});

beforeAll(async () => {
  scratch = await createScratchDatabase("app_roles");
  const owner = createPgExecutor({ kind: "url", connectionString: scratch.url });
  try {
    await runMigrations(owner);
  } finally {
    await owner.close();
  }
}, 30_000);

afterAll(async () => {
  for (const sql of executors) await sql.close();
  await scratch?.drop();
});

describe("database users of the functions (real PostgreSQL)", () => {
  test("the subscriber's user upserts users, as the subscriber does", async () => {
    const users = createSqlUserRepository(as(scratch.url, DB_USERS.subscriber));
    await users.upsert([write(1), write(2)]);
    await users.upsert([{ ...write(1), name: "Renamed", publishedAt: new Date(Date.UTC(2026, 0, 2)) }]);
    const page = await users.list({ limit: 10 });
    expect(page.items.map((u) => u.name).sort()).toEqual(["Renamed", "User 2"]);
  });

  test("the api's user reads users", async () => {
    const users = createSqlUserRepository(as(scratch.url, DB_USERS.api));
    const page = await users.list({ limit: 10 });
    expect(page.items.length).toBeGreaterThanOrEqual(2);
    const first = page.items[0];
    if (!first) throw new Error("no user");
    await expect(users.get(first.id)).resolves.toEqual(first);
  });

  test("the api's user cannot write users", async () => {
    const sql = as(scratch.url, DB_USERS.api);
    await expect(createSqlUserRepository(sql).upsert([write(3)])).rejects.toMatchObject({
      code: PERMISSION_DENIED,
    });
    await expect(sql.query("UPDATE users SET name = 'x'")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(sql.query("DELETE FROM users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
  });

  test("the subscriber's user cannot drop, alter, empty or delete from the table", async () => {
    const sql = as(scratch.url, DB_USERS.subscriber);
    await expect(sql.query("DROP TABLE users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(sql.query("ALTER TABLE users ADD COLUMN x int")).rejects.toMatchObject({
      code: PERMISSION_DENIED,
    });
    await expect(sql.query("TRUNCATE users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(sql.query("DELETE FROM users")).rejects.toMatchObject({ code: PERMISSION_DENIED });
  });

  test("neither user can read the migration history or create tables", async () => {
    for (const user of [DB_USERS.api, DB_USERS.subscriber]) {
      const sql = as(scratch.url, user);
      await expect(sql.query("SELECT * FROM schema_migrations")).rejects.toMatchObject({
        code: PERMISSION_DENIED,
      });
      await expect(sql.query("CREATE TABLE sneaky (id int)")).rejects.toMatchObject({
        code: PERMISSION_DENIED,
      });
    }
  });
});

describe("migration 0002 on a fresh server (private PostgreSQL cluster)", () => {
  let cluster: PrivatePostgres;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  async function admin<T>(work: (c: Client) => Promise<T>, database = "postgres"): Promise<T> {
    const url = new URL(cluster.url);
    url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function migrate(database: string) {
    const url = new URL(cluster.url);
    url.pathname = `/${database}`;
    const sql = createPgExecutor({ kind: "url", connectionString: url.toString() });
    try {
      return await runMigrations(sql);
    } finally {
      await sql.close();
    }
  }

  test("creates the users once even when two databases migrate at the same time (roles are cluster-wide)", async () => {
    await admin((c) => c.query("CREATE DATABASE one"));
    await admin((c) => c.query("CREATE DATABASE two"));
    const [one, two] = await Promise.all([migrate("one"), migrate("two")]);
    const all = loadMigrations().map((m) => m.version);
    expect(one.applied).toEqual(all);
    expect(two.applied).toEqual(all);
    const roles = await admin((c) =>
      c.query<{ rolname: string; rolcanlogin: boolean }>(
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname",
        [[DB_USERS.api, DB_USERS.subscriber]],
      ),
    );
    expect(roles.rows).toEqual(
      [DB_USERS.api, DB_USERS.subscriber].sort().map((rolname) => ({ rolname, rolcanlogin: true })),
    );
    // Without a password: a server that authenticates by password refuses them; on RDS only IAM tokens work.
    const passwords = await admin((c) =>
      c.query("SELECT 1 FROM pg_authid WHERE rolname = ANY($1) AND rolpassword IS NOT NULL", [
        [DB_USERS.api, DB_USERS.subscriber],
      ]),
    );
    expect(passwords.rows).toEqual([]);
  }, 30_000);

  test("grants rds_iam to both users where the server has it (RDS and Aurora), and runs without it elsewhere", async () => {
    const isMember = (database: string) =>
      admin(
        (c) =>
          c.query<{ api: boolean; subscriber: boolean }>(
            "SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS api, pg_has_role($2, 'rds_iam', 'MEMBER') AS subscriber",
            [DB_USERS.api, DB_USERS.subscriber],
          ),
        database,
      );
    // "one" migrated above without rds_iam on the server: nothing to grant, nothing failed.
    await admin((c) => c.query("CREATE ROLE rds_iam NOLOGIN"));
    await admin((c) => c.query("CREATE DATABASE three"));
    await migrate("three");
    expect((await isMember("three")).rows).toEqual([{ api: true, subscriber: true }]);
  }, 30_000);
});
