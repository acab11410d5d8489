/**
 * Every batch ends on `npm start`: the local sweeper (a timer, as the EventBridge schedule in AWS) fails a batch
 * whose upload never arrived and one whose worker stopped, with the reason. The bounds are shortened by the
 * stack's test knobs (defaults: 30 and 18 minutes); before the sweeper both batches stayed pending/running forever.
 */
import { freePort } from "@sml/database/testing";
import { Client } from "pg";
import {
  eventually,
  freshLocalDir,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(120_000);

let localDir: string;
let stack: StackProcess | undefined;

beforeAll(() => {
  localDir = freshLocalDir("local-stack-sweeper");
});

afterAll(async () => {
  await stack?.stop("SIGKILL", 2_000);
  removeLocalDir(localDir);
});

test("fails a batch whose upload never came and one whose worker died, each with its reason", async () => {
  stack = await startStackProcess({
    port: await freePort(),
    localDir,
    env: {
      LOCAL_BATCH_SWEEP_INTERVAL_SECONDS: "1",
      LOCAL_BATCH_PENDING_SECONDS: "3",
      LOCAL_BATCH_RUNNING_IDLE_SECONDS: "3",
    },
  });
  const { apiUrl, databaseUrl } = stack.stack;
  const create = async () => {
    const res = await fetch(`${apiUrl}/batches`, {
      method: "POST",
      headers: { ...(stack as StackProcess).auth(), "content-type": "application/json" },
      body: JSON.stringify({ format: "csv", bytes: 64 }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const finalOf = (id: string) =>
    eventually(`batch ${id} final`, async () => {
      const body = (await (
        await fetch(`${apiUrl}/batches/${id}`, { headers: (stack as StackProcess).auth() })
      ).json()) as {
        status: string;
        failure?: { message: string };
      };
      return body.status === "failed" || body.status === "succeeded" ? body : undefined;
    });

  // Never uploaded (the same state as an upload whose notification was lost: a kill right after the PUT).
  const neverUploaded = await create();
  // A worker that planned the batch and died: running, with a range nobody will finish.
  const abandoned = await create();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(
    `WITH started AS (UPDATE batches SET status = 'running', range_count = 1 WHERE id = $1 RETURNING id)
     INSERT INTO batch_ranges (batch_id, range_index, start_byte, end_byte, first_line)
     SELECT id, 0, 0, 100, 1 FROM started`,
    [abandoned],
  );
  await db.end();

  expect(await finalOf(neverUploaded)).toMatchObject({
    status: "failed",
    failure: { message: expect.stringMatching(/^no upload was processed within 3 seconds/) },
  });
  expect(await finalOf(abandoned)).toMatchObject({
    status: "failed",
    failure: { message: expect.stringMatching(/^the batch made no progress for 3 seconds/) },
  });
  expect(stack.output()).toMatch(/failed a batch whose upload never arrived.*/);
  expect(stack.output()).toMatch(/failed a batch that stopped making progress/);
});
