/**
 * The embedded database's wire-protocol server with real `pg` clients on a real (in-memory) PGlite: eight
 * connections at once, two of them running multi-statement transactions, the others parameterized queries
 * (pg's extended protocol: Parse/Bind/Describe/Execute/Sync). With `@electric-sql/pglite-socket` 0.2.17 this
 * load fails with `portal "" does not exist` and values bound into another connection's statement.
 */
import type { PGlite } from "@electric-sql/pglite";
import { Client } from "pg";
import { type PgliteServer, startPgliteServer } from "../../src/pglite-server";

jest.setTimeout(120_000);

let db: PGlite;
let server: PgliteServer;
const warnings: string[] = [];

beforeAll(async () => {
  const { PGlite: PGliteClass } = await import("@electric-sql/pglite");
  db = await PGliteClass.create();
  server = await startPgliteServer({ db, idleHoldTimeoutMs: 1_500, onWarning: (m) => warnings.push(m) });
  await db.exec(`CREATE TABLE ledger (tx integer NOT NULL, step integer NOT NULL, doc jsonb NOT NULL,
    PRIMARY KEY (tx, step))`);
});

afterAll(async () => {
  await server?.stop();
  await db?.close();
});

const connect = async (): Promise<Client> => {
  const [host, port] = server.address.split(":");
  const client = new Client({ host, port: Number(port), user: "postgres", database: "postgres" });
  await client.connect();
  return client;
};

test("eight connections: two in BEGIN..COMMIT with several statements, six with parameterized queries; every result right", async () => {
  const clients = await Promise.all(Array.from({ length: 8 }, connect));
  const ROUNDS = 60;
  const errors: unknown[] = [];
  const wrong: string[] = [];

  const transactional = async (client: Client, worker: number) => {
    for (let round = 0; round < ROUNDS; round++) {
      const tx = worker * 1_000 + round;
      await client.query("BEGIN");
      for (let step = 0; step < 4; step++) {
        await client.query("INSERT INTO ledger (tx, step, doc) VALUES ($1, $2, CAST($3 AS jsonb))", [
          tx,
          step,
          JSON.stringify({ worker, round, step }),
        ]);
      }
      // Inside its own transaction a connection sees its uncommitted rows, and nobody else's statements run.
      const seen = await client.query<{ n: number; status: string }>(
        "SELECT CAST(count(*) AS integer) AS n, CAST(txid_current_if_assigned() IS NOT NULL AS text) AS status FROM ledger WHERE tx = $1",
        [tx],
      );
      if (seen.rows[0]?.n !== 4 || seen.rows[0]?.status !== "true")
        wrong.push(`tx ${tx} saw ${JSON.stringify(seen.rows)}`);
      await client.query(round % 5 === 4 ? "ROLLBACK" : "COMMIT");
    }
  };

  const parameterized = async (client: Client, worker: number) => {
    for (let round = 0; round < ROUNDS * 4; round++) {
      const a = worker * 100_000 + round;
      const text = `w${worker}-r${round}`;
      const res = await client.query<{ sum: number; echoed: string; doc: { worker: number } }>(
        "SELECT CAST($1 AS integer) + CAST($2 AS integer) AS sum, CAST($3 AS text) AS echoed, CAST($4 AS jsonb) AS doc",
        [a, 1, text, JSON.stringify({ worker, round })],
      );
      const row = res.rows[0];
      if (row?.sum !== a + 1 || row.echoed !== text || row.doc.worker !== worker) {
        wrong.push(`worker ${worker} round ${round} got ${JSON.stringify(res.rows)}`);
      }
      if (round % 10 === 0) {
        // An error inside an extended-protocol group ("skip until Sync") must stay on its own connection.
        await expect(client.query("SELECT CAST($1 AS integer)", ["not a number"])).rejects.toThrow(
          /invalid input syntax/,
        );
      }
    }
  };

  await Promise.all(
    clients.map((client, i) =>
      (i < 2 ? transactional(client, i + 1) : parameterized(client, i)).catch((err: unknown) => {
        errors.push(err);
      }),
    ),
  );
  await Promise.all(clients.map((c) => c.end()));

  expect(errors.map(String)).toEqual([]);
  expect(wrong).toEqual([]);
  // Committed: 4 of every 5 rounds of each transactional worker, 4 rows each; rolled-back rounds left nothing.
  const committed = await db.query<{ n: number }>("SELECT CAST(count(*) AS integer) AS n FROM ledger");
  expect(committed.rows[0]?.n).toBe(2 * (ROUNDS - ROUNDS / 5) * 4);
  expect(db.isInTransaction()).toBe(false);
});

test("a connection that drops inside a transaction is rolled back and the others go on", async () => {
  const leaver = await connect();
  leaver.on("error", () => {});
  await leaver.query("BEGIN");
  await leaver.query("INSERT INTO ledger (tx, step, doc) VALUES (-1, 0, '{}')");
  // Connecting needs no turn on the session: it answers at once even while a transaction holds it.
  const other = await connect();
  const waiting = other.query<{ n: number }>(
    "SELECT CAST(count(*) AS integer) AS n FROM ledger WHERE tx = -1",
  );
  // The other connection waits for the transaction to end; the leaver disappears without COMMIT.
  const dropped = Date.now();
  (leaver as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  expect((await waiting).rows[0]?.n).toBe(0);
  // Released by the drop, not by the idle-hold timeout (1.5 s here).
  expect(Date.now() - dropped).toBeLessThan(1_000);
  await other.end();
});

test("a connection idle inside a transaction while others wait is terminated after the hold timeout", async () => {
  const idler = await connect();
  const idlerError = new Promise<Error>((resolve) => idler.on("error", resolve));
  await idler.query("BEGIN");
  await idler.query("INSERT INTO ledger (tx, step, doc) VALUES (-2, 0, '{}')");
  const other = await connect();
  const started = Date.now();
  const res = await other.query<{ n: number }>(
    "SELECT CAST(count(*) AS integer) AS n FROM ledger WHERE tx = -2",
  );
  expect(res.rows[0]?.n).toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  expect(String(await idlerError)).toMatch(/idle-in-transaction timeout/);
  expect(warnings.join("\n")).toMatch(/held the session idle/);
  await other.end();
  await idler.end().catch(() => {});
});
