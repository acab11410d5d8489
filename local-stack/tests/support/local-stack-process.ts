/**
 * Runs the real `npm start` as a child process for end-to-end tests, in its own process group so that a
 * signal reaches npm and the stack together, as Ctrl-C in a terminal does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { StackDescription } from "../../src/stack";
import { localToken } from "../../src/token";

export const REPO_ROOT = resolve(__dirname, "../../..");

export interface StackProcessOptions {
  readonly port: number;
  readonly localDir: string;
  /** Extra environment (DATABASE_URL, test knobs). DATABASE_URL from the outer environment is never inherited. */
  readonly env?: Record<string, string>;
}

export interface StopResult {
  /** The stack logged its final "stopped" line (it exits 0 right after). */
  readonly stoppedCleanly: boolean;
  /** Every process of the group was gone within the wait. */
  readonly exited: boolean;
  readonly output: string;
}

export interface StackProcess {
  readonly stack: StackDescription;
  /**
   * `Authorization` for `user` (an analyst; `admins` with `groups`), as `npm run token` prints it: every route
   * but GET /health and GET /openapi.json needs one.
   */
  auth(user?: string, groups?: readonly string[]): { authorization: string };
  output(): string;
  /** Signals the whole group and waits up to `waitMs` for it to exit (then kills it). */
  stop(signal?: NodeJS.Signals, waitMs?: number): Promise<StopResult>;
}

export function freshLocalDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `sml-${label}-`));
}

export function removeLocalDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startStackProcess(
  options: StackProcessOptions,
  startTimeoutMs = 60_000,
): Promise<StackProcess> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child: ChildProcess = spawn("npm", ["start", "--silent"], {
    cwd: REPO_ROOT,
    detached: true,
    env: { ...inherited, PORT: String(options.port), LOCAL_DIR: options.localDir, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid as number;
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const killGroup = () => {
    if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
  };

  const deadline = Date.now() + startTimeoutMs;
  while (!output.includes("local stack is up")) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm start exited before the stack came up:\n${output}`);
    }
    if (Date.now() > deadline) {
      killGroup();
      throw new Error(`npm start did not come up within ${startTimeoutMs} ms:\n${output}`);
    }
    await sleep(50);
  }
  const stack = JSON.parse(readFileSync(join(options.localDir, "stack.json"), "utf8")) as StackDescription;
  return {
    stack,
    auth: (user = "tester", groups = []) => ({
      authorization: `Bearer ${localToken(options.localDir, user, groups)}`,
    }),
    output: () => output,
    async stop(signal = "SIGINT", waitMs = 10_000) {
      const until = Date.now() + waitMs;
      if (groupAlive(pid)) process.kill(-pid, signal);
      while (groupAlive(pid) && Date.now() < until) await sleep(25);
      const exited = !groupAlive(pid);
      killGroup();
      return { stoppedCleanly: /"message":"stopped"/.test(output), exited, output };
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(100);
  }
}
