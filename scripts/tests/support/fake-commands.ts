/**
 * Stand-ins on PATH for the commands that talk to GitHub or AWS (`gh`, `aws`, `terraform`, `curl`), written per
 * test as small bash scripts. Each stand-in logs its arguments (`<name> <args>`, one call a line) so a test can
 * check what a delivery script asked for, then runs the body the test gave it. Everything else the scripts use
 * (bash, jq, git, tsx) is the real tool.
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
      let lines: string[];
      try {
        lines = readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
      } catch {
        lines = [];
      }
      return name ? lines.filter((l) => l.startsWith(`${name} `) || l === name) : lines;
    },
    async run(script, args, env = {}, cwd = REPO_ROOT) {
      const environment: Record<string, string> = {};
      const { GITHUB_STEP_SUMMARY: _s, GITHUB_OUTPUT: _o, ...inherited } = process.env;
      for (const [k, v] of Object.entries({ ...inherited, ...env })) if (v !== undefined) environment[k] = v;
      environment.PATH = `${bin}${delimiter}${env.PATH ?? process.env.PATH}`;
      try {
        const { stdout, stderr } = await run(join(REPO_ROOT, script), [...args], {
          cwd,
          env: environment,
        });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const failed = err as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
