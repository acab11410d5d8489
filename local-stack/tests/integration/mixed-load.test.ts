/**
 * Issue 25's mixed load on the real `npm start` with the embedded database (no DATABASE_URL): 10 s of
 * POST /users, reads of existing users and batch uploads at once. Every accepted user becomes a row, no
 * existing user reads as 404, nothing answers 5xx, and every batch reaches a final status. Before the
 * wire-protocol server (pglite-server.ts) the same run lost 30 of 180 accepted users, answered 5 wrong 404s
 * and 5 5xx, and left 2 of 18 batches running.
 */
import { freePort } from "@sml/database/testing";
import { runMixedLoad } from "../load/mixed-load";
import {
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(240_000);

let localDir: string;
let stack: StackProcess | undefined;

beforeAll(() => {
  localDir = freshLocalDir("local-stack-mixed-load");
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  removeLocalDir(localDir);
});

test("10 s of users, reads and batch uploads at once on the embedded database: nothing lost, no wrong 404, no 5xx, every batch final", async () => {
  stack = await startStackProcess({ port: await freePort(), localDir });
  const counts = await runMixedLoad({
    apiUrl: stack.stack.apiUrl,
    // The load reads and writes the users directory, which is the admins group's.
    authorization: stack.auth("mixed-load", ["admins"]).authorization,
    durationMs: 10_000,
  });
  console.log(`mixed load on npm start (PGlite): ${JSON.stringify(counts)}`);
  expect(counts.accepted).toBeGreaterThan(0);
  expect(counts.reads).toBeGreaterThan(0);
  expect(counts.batches).toBeGreaterThan(0);
  expect({
    lostUsers: counts.lostUsers,
    wrong404s: counts.wrong404s,
    serverErrors: counts.serverErrorsBy,
    batchesNotFinal: counts.batchesNotFinal,
    unexpected: counts.unexpected,
  }).toEqual({ lostUsers: 0, wrong404s: 0, serverErrors: {}, batchesNotFinal: 0, unexpected: {} });
  expect(counts.batchesSucceeded).toBe(counts.batches);
  const errors = stack
    .output()
    .split("\n")
    .filter((line) => line.includes('"level":"ERROR"'));
  expect(errors).toEqual([]);
});
