/**
 * End to end on the real `npm start` (issue 16, finding 8): a local stack that answered 202 keeps the user
 * through a `kill -9`. POSTs run flat out from 50 concurrent clients; mid-load the stack's whole process group
 * (npm, tsx, the stack) gets SIGKILL, so nothing gets to save anything; the stack is started again on the same
 * LOCAL_DIR, and every e-mail that was answered 202 must become a row.
 *
 * What makes this prove durability rather than a fast subscriber: during the load a second connection holds an
 * EXCLUSIVE lock on `users`, so the subscriber cannot insert and every accepted user is still only a message at
 * the kill (waiting in the queue, or received and in flight). The test checks that precondition. With the
 * queue in memory (LOCAL_QUEUE_STORAGE=memory, the stack before this change) the same test fails: the rows never
 * come. Messages in flight at the kill come back after the visibility timeout (2 s here), as SQS redelivers an
 * unacknowledged message (AWS SQS Developer Guide, "Amazon SQS visibility timeout").
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import { Client } from "pg";
import {
  eventually,
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(120_000);

const WORKERS = 50;
/**
 * The kill comes once this many users were accepted (or after KILL_BY_MS on a crowded machine), while every
 * worker still has a request out.
 */
const KILL_AFTER_ACCEPTED = 400;
const KILL_BY_MS = 15_000;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: ScratchDatabase;
let sql: Client;
let locker: Client;
let localDir: string;
let port: number;
let stack: StackProcess | undefined;
/** A token for the stack that runs (every route but GET /health needs one). */
/** The users routes are the admins group's: the caller is an admin. */
const auth = () => (stack as StackProcess).auth("tester", ["admins"]);

const start = async (env: Record<string, string> = {}) => {
  stack = await startStackProcess({
    port,
    localDir,
    env: {
      DATABASE_URL: db.url,
      LOCAL_VISIBILITY_TIMEOUT_SECONDS: "2",
      // Blocked behind the lock, a batch is received again and again; none of it may end in the DLQ.
      LOCAL_MAX_RECEIVE_COUNT: "1000",
      ...env,
    },
  });
  return stack;
};

const storedEmails = async (prefix: string): Promise<Set<string>> =>
  new Set(
    (await sql.query("SELECT email FROM users WHERE email LIKE $1", [`${prefix}%`])).rows.map(
      (r: { email: string }) => r.email,
    ),
  );

/** POSTs from WORKERS clients until `stopped()`; collects the e-mails answered 202 into `accepted`. */
async function load(apiUrl: string, prefix: string, accepted: string[], stopped: () => boolean) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (!stopped()) {
        const email = `${prefix}${sent++}@example.com`;
        const status = await fetch(`${apiUrl}/users`, {
          method: "POST",
          headers: { ...auth(), "content-type": "application/json" },
          body: JSON.stringify({ name: "Kill Nine", email }),
        }).then(
          (r) => r.status,
          () => 0, // the stack died under this request: its client never learnt of an acceptance
        );
        if (status === 202) accepted.push(email);
      }
    }),
  );
  return sent;
}

async function queueDepth(s: StackProcess): Promise<number> {
  const sqs = new SQSClient({ endpoint: s.stack.awsEndpoint, region: s.stack.region, credentials });
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: s.stack.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  } finally {
    sqs.destroy();
  }
}

beforeAll(async () => {
  db = await createScratchDatabase("local_stack_sigkill");
  sql = new Client({ connectionString: db.url });
  locker = new Client({ connectionString: db.url });
  await Promise.all([sql.connect(), locker.connect()]);
  localDir = freshLocalDir("local-stack-sigkill");
  port = await freePort();
  await start();
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  await locker?.end().catch(() => undefined);
  await sql?.end();
  await db?.drop();
  removeLocalDir(localDir);
});

test("keeps every user it answered 202 through a SIGKILL of npm start mid-load, and a restart on the same folder stores them all", async () => {
  const running = stack as StackProcess;
  const prefix = "kill9-";
  await locker.query("BEGIN");
  await locker.query("LOCK TABLE users IN EXCLUSIVE MODE");

  let killed = false;
  const accepted: string[] = [];
  const loading = load(running.stack.apiUrl, prefix, accepted, () => killed);
  const killBy = Date.now() + KILL_BY_MS;
  while (accepted.length < KILL_AFTER_ACCEPTED && Date.now() < killBy) await sleep(10);
  killed = true;
  const kill = await running.stop("SIGKILL", 5_000);
  const sent = await loading;
  expect(kill.exited).toBe(true);
  expect(kill.stoppedCleanly).toBe(false);

  // The precondition: load was real, cut short (requests were still out), and nothing accepted was a row yet.
  expect(accepted.length).toBeGreaterThanOrEqual(100);
  expect(sent).toBeGreaterThan(accepted.length);
  expect((await storedEmails(prefix)).size).toBe(0);
  await locker.query("ROLLBACK");

  const restarted = await start();
  const missing = await eventually(
    `a row for each of the ${accepted.length} users answered 202`,
    async () => {
      const stored = await storedEmails(prefix);
      const notYet = accepted.filter((e) => !stored.has(e));
      return notYet.length === 0 ? notYet : undefined;
    },
    60_000,
  ).catch(async (err: Error) => {
    const stored = await storedEmails(prefix);
    const notYet = accepted.filter((e) => !stored.has(e));
    throw new Error(`${err.message}: ${notYet.length} of ${accepted.length} accepted users have no row`);
  });
  expect(missing).toEqual([]);
  process.stdout.write(`SIGKILL test: ${accepted.length} answered 202 of ${sent} sent; all are rows\n`);

  // Deleted messages leave the durable queue: drained, it stays empty across another SIGKILL and start.
  await eventually("an empty queue", async () => ((await queueDepth(restarted)) === 0 ? true : undefined));
  await restarted.stop("SIGKILL", 5_000);
  const again = await start();
  expect(await queueDepth(again)).toBe(0);
  // Nothing was stored twice, nor anything that was not sent.
  const { rows } = await sql.query("SELECT count(*)::int AS n FROM users WHERE email LIKE $1", [
    `${prefix}%`,
  ]);
  expect(rows[0].n).toBeGreaterThanOrEqual(accepted.length);
  expect(rows[0].n).toBeLessThanOrEqual(sent);
});
