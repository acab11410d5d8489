/**
 * `npm start` runs the local stack from a bundle cached in node_modules/.cache (local-stack/start.mjs): a start
 * after any change to a file the bundle was built from must build it again, so an edit always shows; a start
 * with nothing changed must not.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/local-stack-process";

jest.setTimeout(180_000);

const REBUILT = "bundled the local stack's sources";
const CURRENT = join(REPO_ROOT, "node_modules/.cache/sml-local-stack/current.json");

/** One start that stops at once on a bad PORT, after the launcher has loaded (or built) the bundle. */
function start(): string {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, [join(REPO_ROOT, "local-stack/start.mjs")], {
    cwd: REPO_ROOT,
    env: { ...env, PORT: "not-a-port" },
    encoding: "utf8",
  });
  const output = `${run.stdout}${run.stderr}`;
  // The bundled stack ran: it parsed its configuration and refused the port, naming it.
  expect({ status: run.status, output }).toEqual({ status: 1, output: expect.stringMatching(/PORT/) });
  return output;
}

test("builds the bundle again after a source changed, and only then", () => {
  start();
  expect(start()).not.toContain(REBUILT);

  // A file inside the bundle (a workspace package the stack imports), touched as an editor's save would.
  const inputs = Object.keys((JSON.parse(readFileSync(CURRENT, "utf8")) as { inputs: object }).inputs);
  const source = "packages/contracts/src/env.ts";
  expect(inputs).toContain(source);
  const file = join(REPO_ROOT, source);
  const { atime, mtime } = statSync(file);
  try {
    utimesSync(file, atime, new Date(mtime.getTime() + 1000));
    expect(start()).toContain(REBUILT);
    expect(start()).not.toContain(REBUILT);
  } finally {
    utimesSync(file, atime, mtime);
  }
});
