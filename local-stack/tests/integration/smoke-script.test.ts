/**
 * scripts/smoke.sh against an address where nothing listens: the failure must say what happened, once.
 * (The passing runs are in local-stack.test.ts, against the real `npm start`.)
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@sml/database/testing";
import { REPO_ROOT } from "../support/local-stack-process";

const run = promisify(execFile);

test("fails at the first step with HTTP status 000 when nothing answers", async () => {
  const port = await freePort();
  const attempt = run(join(REPO_ROOT, "scripts/smoke.sh"), [`http://127.0.0.1:${port}`], { timeout: 30_000 });
  await expect(attempt).rejects.toMatchObject({ code: 1 });
  const { stderr } = (await attempt.catch((err: { stderr: string }) => err)) as { stderr: string };
  expect(stderr).toMatch(/FAIL {2}GET \/health: expected HTTP 200, got 000$/m);
});
