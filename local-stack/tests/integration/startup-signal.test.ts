/**
 * Ctrl-C while `npm start` is still starting: the start finishes, the stack stops cleanly and exits 0, and the
 * embedded database's folder is left unlocked, so the next start works.
 */
import { spawn } from "node:child_process";
import { freePort } from "@sml/database/testing";
import { freshLocalDir, REPO_ROOT, removeLocalDir, startStackProcess } from "../support/local-stack-process";

jest.setTimeout(90_000);

let localDir: string;

beforeAll(() => {
  localDir = freshLocalDir("startup-signal");
});

afterAll(() => removeLocalDir(localDir));

test("stops cleanly with exit 0 on SIGINT during start-up, and the next start on the same folder works", async () => {
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  // What `npm start` execs, in a process group of its own as a terminal's Ctrl-C would signal it.
  const child = spawn(process.execPath, ["--import", "tsx", "local-stack/src/main.ts"], {
    cwd: REPO_ROOT,
    detached: true,
    env: { ...inherited, PORT: String(port), LOCAL_DIR: localDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let signalled = false;
  const onData = (d: Buffer) => {
    output += d.toString();
    // The embedded database is ready but the stack is not up yet: the middle of start-up.
    if (!signalled && output.includes('"message":"database ready"')) {
      signalled = true;
      process.kill(-(child.pid as number), "SIGINT");
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  expect(signalled).toBe(true);
  if (exitCode !== 0) throw new Error(`the local stack exited ${exitCode}:\n${output}`);
  expect(output).toContain('"message":"stopped"');

  const again = await startStackProcess({ port: await freePort(), localDir });
  const health = await fetch(`${again.stack.apiUrl}/health`);
  expect(health.status).toBe(200);
  const stopped = await again.stop("SIGTERM", 10_000);
  expect(stopped.stoppedCleanly).toBe(true);
});
