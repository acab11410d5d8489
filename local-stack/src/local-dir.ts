import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const LOCK_FILE = "stack.lock";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Claims the local folder for this process: two stacks on one PGlite data folder would corrupt it. A lock left
 * by a process that no longer runs is taken over. Returns the release function.
 */
export function lockLocalDir(localDir: string): () => void {
  const file = join(localDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(
          `Another local stack (pid ${owner}) is using ${localDir}; stop it, or give this one its own folder with LOCAL_DIR=...`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${localDir}`);
}

/** Fails fast, before the database starts, when the API's port is taken. */
export function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`Port ${port} is in use; start with another one, e.g. PORT=${port + 1} npm start`)
          : err,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
