/**
 * Stand-ins on PATH for the commands that talk to GitHub or AWS (`gh`, `aws`, `terraform`, `curl`), two kinds:
 * - `fakeCommands`: written per test as small bash scripts. Each logs its arguments (`<name> <args>`, one call a
 *   line) so a test can check what a delivery script asked for, then runs the body the test gave it.
 * - `recordedAws`: the committed `aws` stand-in (support/fake-aws/aws), which replays a recorded response per
 *   command (`aws <service> <operation>`) and logs every call.
 * Everything else the scripts use (bash, jq, git, tsx) is the real tool.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO_ROOT = join(__dirname, "..", "..", "..");

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface FakeCommands {
  /** A scratch folder for the test's files (removed by cleanup). */
  readonly dir: string;
  /** Puts `name` first on PATH: logs its call, then runs `body` (bash; "$@" are the arguments). */
  fake(name: string, body: string): void;
  /** The logged calls, `<name> <args>`, optionally only those of one command. */
  calls(name?: string): string[];
  /** Runs a repository script with the stand-ins first on PATH; never throws on a non-zero exit. */
  run(
    script: string,
    args: readonly string[],
    env?: Record<string, string | undefined>,
    cwd?: string,
  ): Promise<ScriptResult>;
  cleanup(): void;
}

/**
 * Runs a repository script with `pathFirst` first on PATH and the test's `env` over the inherited one (minus the
 * GitHub step files, which a test must not write to); never throws on a non-zero exit.
 */
export async function runScript(
  script: string,
  args: readonly string[],
  pathFirst: string,
  env: Record<string, string | undefined> = {},
  cwd = REPO_ROOT,
): Promise<ScriptResult> {
  const environment: Record<string, string> = {};
  const { GITHUB_STEP_SUMMARY: _s, GITHUB_OUTPUT: _o, ...inherited } = process.env;
  for (const [k, v] of Object.entries({ ...inherited, ...env })) if (v !== undefined) environment[k] = v;
  environment.PATH = `${pathFirst}${delimiter}${env.PATH ?? process.env.PATH}`;
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, script), [...args], { cwd, env: environment });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

const logLines = (file: string): string[] => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
};

export function fakeCommands(prefix = "sml-fake-"): FakeCommands {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(dir, "bin");
  const log = join(dir, "calls.log");
  mkdirSync(bin);
  return {
    dir,
    fake(name, body) {
      const file = join(bin, name);
      writeFileSync(file, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
      chmodSync(file, 0o755);
    },
    calls(name) {
      const lines = logLines(log);
      return name ? lines.filter((l) => l.startsWith(`${name} `) || l === name) : lines;
    },
    run: (script, args, env = {}, cwd = REPO_ROOT) => runScript(script, args, bin, env, cwd),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The committed `aws` stand-in: replays recorded responses (see support/fake-aws/aws). */
export const FAKE_AWS_BIN = join(__dirname, "fake-aws");

/** What `aws <service> <operation>` answers: its output, error output, exit code, and a file it writes. */
export interface AwsResponse {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
  /** Copied to the command's last argument (`aws lambda invoke ... <outfile>`). */
  readonly outfile?: string;
}

export interface RecordedAws {
  /** The recorded responses and the call logs (removed by cleanup); a test may keep its own files here. */
  readonly dir: string;
  /** Records the answer to `command` (`"lambda get-alias"`); with `call`, only to its n-th call (1, 2, ...). */
  record(command: string, response: AwsResponse, call?: number): void;
  /** Every `aws` call so far, its arguments one call a line. */
  calls(): string[];
  /** Each request file (`file://...`) a call sent, parsed. */
  requests(): unknown[];
  /** Runs a repository script with the recorded `aws` first on PATH; never throws on a non-zero exit. */
  run(
    script: string,
    args: readonly string[],
    env?: Record<string, string | undefined>,
  ): Promise<ScriptResult>;
  cleanup(): void;
}

export function recordedAws(prefix = "sml-aws-"): RecordedAws {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    record(command, response, call) {
      const target = join(dir, command.replace(" ", "."), call === undefined ? "" : String(call));
      mkdirSync(target, { recursive: true });
      if (response.stdout !== undefined) writeFileSync(join(target, "stdout"), response.stdout);
      if (response.stderr !== undefined) writeFileSync(join(target, "stderr"), response.stderr);
      if (response.exitCode !== undefined)
        writeFileSync(join(target, "exit-code"), String(response.exitCode));
      if (response.outfile !== undefined) writeFileSync(join(target, "outfile"), response.outfile);
    },
    calls: () => logLines(join(dir, "calls.log")),
    requests: () => logLines(join(dir, "requests.log")).map((l) => JSON.parse(l)),
    run: (script, args, env = {}) => runScript(script, args, FAKE_AWS_BIN, { FAKE_AWS_DIR: dir, ...env }),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
