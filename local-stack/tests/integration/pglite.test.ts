/**
 * End to end without DATABASE_URL: the real `npm start` process on embedded PGlite, whose data folder must
 * survive a restart.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@sml/database/testing";
import {
  eventually,
  freshLocalDir,
  REPO_ROOT,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(90_000);

let localDir: string;
let stack: StackProcess | undefined;
/** A token for the stack that runs (every route but GET /health needs one). */
/** The users routes are the admins group's: the caller is an admin. */
const auth = () => (stack as StackProcess).auth("tester", ["admins"]);

beforeAll(() => {
  localDir = freshLocalDir("local-stack-pglite");
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  removeLocalDir(localDir);
});

const findUser = async (apiUrl: string, email: string) => {
  const page = (await (await fetch(`${apiUrl}/users?limit=100`, { headers: auth() })).json()) as {
    items: { email: string; id: string }[];
  };
  return page.items.find((u) => u.email === email);
};

test("keeps users in the embedded database across a restart and refuses a second stack on the same folder", async () => {
  stack = await startStackProcess({ port: await freePort(), localDir });
  expect(stack.stack.databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
  expect(existsSync(join(localDir, "pgdata", "PG_VERSION"))).toBe(true);

  // A second stack on the same data folder would corrupt it: it refuses to start.
  await expect(startStackProcess({ port: await freePort(), localDir })).rejects.toThrow(
    /Another local stack \(pid \d+\) is using/,
  );

  const posted = await fetch(`${stack.stack.apiUrl}/users`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: JSON.stringify({ name: "Grace Hopper", email: "grace@example.com" }),
  });
  expect(posted.status).toBe(202);
  const apiUrl = stack.stack.apiUrl;
  const created = await eventually("the user in GET /users", () => findUser(apiUrl, "grace@example.com"));

  const stopped = await stack.stop("SIGTERM", 10_000);
  expect(stopped).toMatchObject({ stoppedCleanly: true, exited: true });
  expect(existsSync(join(localDir, "stack.json"))).toBe(false);

  stack = await startStackProcess({ port: await freePort(), localDir });
  const again = await fetch(`${stack.stack.apiUrl}/users/${created.id}`, { headers: auth() });
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({
    id: created.id,
    name: "Grace Hopper",
    email: "grace@example.com",
  });

  expect(await stack.stop("SIGINT", 10_000)).toMatchObject({ stoppedCleanly: true, exited: true });
  stack = undefined;
});

test("refuses to start with the database's reason when PGlite cannot open the data folder, and leaves nothing running", async () => {
  // PostgreSQL refuses a data directory of another major version; PGlite's thread reports that (pglite-worker.ts).
  const dir = freshLocalDir("local-stack-pglite-broken");
  try {
    mkdirSync(join(dir, "pgdata"));
    writeFileSync(join(dir, "pgdata", "PG_VERSION"), "9\n");
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const run = spawnSync("npm", ["start", "--silent"], {
      cwd: REPO_ROOT,
      env: { ...inherited, PORT: String(await freePort()), LOCAL_DIR: dir },
      encoding: "utf8",
      // Before its own thread reported the failure, the start waited for the database forever.
      timeout: 60_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    // Exited on its own (no timeout signal), non-zero, with the database's reason.
    expect({ signal: run.signal, status: run.status }).toEqual({ signal: null, status: 1 });
    expect(output).not.toContain("local stack is up");
    expect(output).toMatch(/npm start failed: the embedded database failed: .+/);
    expect(existsSync(join(dir, "stack.json"))).toBe(false);
  } finally {
    removeLocalDir(dir);
  }
});
