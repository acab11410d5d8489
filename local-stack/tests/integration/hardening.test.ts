/**
 * End to end on the real `npm start` (issue 16, findings 1 and 2): bytes that are not UTF-8 are refused before
 * anything is published, and of many concurrent updates of one e-mail the one accepted last is the one stored.
 */
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import { Client } from "pg";
import {
  eventually,
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(90_000);

let db: ScratchDatabase;
let sql: Client;
let localDir: string;
let stack: StackProcess | undefined;
/** A token for the stack that runs (every route but GET /health needs one). */
/** The users routes are the admins group's: the caller is an admin. */
const auth = () => (stack as StackProcess).auth("tester", ["admins"]);

const api = () => (stack as StackProcess).stack.apiUrl;
const rows = async (email: string) =>
  (await sql.query("SELECT name FROM users WHERE lower(email) = lower($1)", [email])).rows as {
    name: string;
  }[];

beforeAll(async () => {
  db = await createScratchDatabase("local_stack_hardening");
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  localDir = freshLocalDir("local-stack-hardening");
  stack = await startStackProcess({ port: await freePort(), localDir, env: { DATABASE_URL: db.url } });
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  await sql?.end();
  await db?.drop();
  removeLocalDir(localDir);
});

test("refuses a body that is not UTF-8 or declares another charset, and stores nothing (finding 1)", async () => {
  const email = "bytes@example.com";
  const invalid = Buffer.concat([
    Buffer.from('{"name":"a'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`","email":"${email}"}`),
  ]);
  const res = await fetch(`${api()}/users`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: invalid,
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_JSON");

  const latin1 = await fetch(`${api()}/users`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json; charset=iso-8859-1" },
    body: Buffer.from(`{"name":"Zo\xeb","email":"${email}"}`, "latin1"),
  });
  expect(latin1.status).toBe(415);

  // A valid write after them reaches the database; had either been published, it would be there too.
  const ok = await fetch(`${api()}/users`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: JSON.stringify({ name: "after", email: "after-bytes@example.com" }),
  });
  expect(ok.status).toBe(202);
  await eventually("the valid write", async () =>
    (await rows("after-bytes@example.com")).length ? true : undefined,
  );
  expect(await rows(email)).toEqual([]);
});

test("stores the update accepted last of 200 concurrent updates of one e-mail (finding 2)", async () => {
  const email = "race@example.com";
  const answers = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const res = await fetch(`${api()}/users`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json" },
        body: JSON.stringify({ name: `update ${i}`, email }),
      });
      expect(res.status).toBe(202);
      return { name: `update ${i}`, acceptedAt: ((await res.json()) as { acceptedAt: string }).acceptedAt };
    }),
  );
  const keys = answers.map((a) => a.acceptedAt);
  expect(new Set(keys).size).toBe(200);
  const last = answers.reduce((a, b) => (b.acceptedAt > a.acceptedAt ? b : a));
  await eventually(`the row to hold ${last.name}`, async () => {
    const found = await rows(email);
    return found[0]?.name === last.name ? true : undefined;
  });
  // And it stays: no later-arriving message of an earlier acceptance overwrites it.
  await new Promise((r) => setTimeout(r, 2_500));
  expect(await rows(email)).toEqual([{ name: last.name }]);
});
