import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export interface FauxqsProcess {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts fauxqs in a child process (jest's CommonJS runtime cannot import the ESM-only package). */
export function startFauxqsProcess(): Promise<FauxqsProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, "fauxqs-server.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`fauxqs exited with ${code} before it listened`)));
    child.stdout?.once("data", (d: Buffer) => {
      child.removeAllListeners("exit");
      resolve({
        endpoint: d.toString().trim(),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}
