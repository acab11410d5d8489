/**
 * The database behind the local stack: the PostgreSQL at DATABASE_URL, or an embedded PGlite persisted in a
 * folder and served over the PostgreSQL wire protocol, so the functions' unchanged `pg` adapter talks to it.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { log } from "./log";
import type { PgliteWorkerCommand, PgliteWorkerData, PgliteWorkerEvent } from "./pglite-worker";

export interface LocalDatabase {
  /** What the functions get as DATABASE_URL. */
  readonly url: string;
  /** `postgresql` (external server) or `pglite` (embedded, with its data folder). */
  readonly kind: "postgresql" | "pglite";
  readonly dataDir?: string;
  /**
   * Resolves once the database answers, rejects if it cannot start. The embedded one listens at `url` before it
   * has opened its data folder: connections made meanwhile wait for it.
   */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * PGlite is one PostgreSQL session; pglite-server.ts gives it to one connection at a time (a whole message group,
 * or a whole transaction), so several `pg` connections share it safely. The API, the subscriber, the batch
 * functions and the migration runner each hold a few; 64 leaves room for psql and scripts.
 */
const PGLITE_MAX_CONNECTIONS = 64;
/** How long a stop waits for the database's thread to close PGlite and end (the stack's stop budget is 8 s). */
const WORKER_STOP_MS = 5_000;

/**
 * Set by start.mjs to the folder of the bundle it runs, which holds the worker's own bundle beside it; unset when
 * the stack runs from its sources (tsx), whose hooks the worker inherits with the process's flags.
 */
export const BUNDLE_DIR_VARIABLE = "SML_LOCAL_STACK_BUNDLE_DIR";

function pgliteWorkerFile(): string {
  const bundleDir = process.env[BUNDLE_DIR_VARIABLE];
  return bundleDir ? join(bundleDir, "pglite-worker.cjs") : join(__dirname, "pglite-worker.ts");
}

/**
 * PGlite in `dataDir`, served on a free loopback port from a thread of its own (pglite-worker.ts). A new (absent
 * or empty) `dataDir` starts as a copy of the migrated template kept in `cacheDir` (pglite-template.ts) instead
 * of running initdb.
 */
export async function startEmbeddedDatabase(dataDir: string, cacheDir: string): Promise<LocalDatabase> {
  const workerData: PgliteWorkerData = { dataDir, cacheDir, maxConnections: PGLITE_MAX_CONNECTIONS };
  const worker = new Worker(pgliteWorkerFile(), { workerData });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let onListening: (address: string) => void = () => {};
  let onFailed: (error: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => {
    onListening = resolve;
    onFailed = reject;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      onFailed(error);
      reject(error);
    };
    worker.on("message", (event: PgliteWorkerEvent) => {
      if (event.type === "listening") onListening(event.address);
      else if (event.type === "ready") resolve();
      else if (event.type === "warning") log.warn(event.message);
      else if (event.type === "failed")
        fail(
          Object.assign(new Error(`the embedded database failed: ${event.message}`), { stack: event.stack }),
        );
    });
    worker.once("error", fail);
    void exited.then(() => fail(new Error("the embedded database's thread ended before it was ready")));
  });
  // Awaited by the caller (stack.ts) after other start-up work; until then not an unhandled rejection.
  ready.catch(() => undefined);
  let address: string;
  try {
    address = await listening;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    url: `postgres://postgres@${address}/postgres?sslmode=disable`,
    kind: "pglite",
    dataDir,
    ready,
    async stop() {
      // The worker stops its server and closes PGlite, which checkpoints and releases the data folder, so the
      // next start reopens it without recovery; then its thread ends. One that does not in time is ended (PGlite
      // then replays its WAL at the next start, as after a crash).
      worker.postMessage({ type: "stop" } satisfies PgliteWorkerCommand);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, WORKER_STOP_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}

export function externalDatabase(url: string): LocalDatabase {
  return { url, kind: "postgresql", ready: Promise.resolve(), stop: async () => {} };
}
