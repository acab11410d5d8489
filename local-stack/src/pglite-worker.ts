/**
 * The embedded database's own thread: PGlite (PostgreSQL compiled to WASM, CPU-bound) and the wire-protocol server
 * in front of it (pglite-server.ts) run here, so that opening it (about a second of WASM on a 2-core machine) and
 * every statement it runs use another core than the main thread, which meanwhile starts fauxqs and the functions
 * and later serves HTTP. Everything reaches the database over TCP anyway (DATABASE_URL); database.ts starts it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { startPgliteServer } from "./pglite-server";
import { copyTemplateInto, isNewDataDir } from "./pglite-template";

export interface PgliteWorkerData {
  readonly dataDir: string;
  /** Where the migrated template a new data folder is copied from lives (pglite-template.ts). */
  readonly cacheDir: string;
  readonly maxConnections: number;
}

/** Worker -> main thread. */
export type PgliteWorkerEvent =
  | { readonly type: "listening"; readonly address: string }
  | { readonly type: "ready" }
  | { readonly type: "warning"; readonly message: string }
  | { readonly type: "failed"; readonly message: string; readonly stack?: string };

/** Main thread -> worker. */
export type PgliteWorkerCommand = { readonly type: "stop" };

async function run(port: NonNullable<typeof parentPort>, data: PgliteWorkerData): Promise<void> {
  const send = (event: PgliteWorkerEvent) => port.postMessage(event);
  const opening = (async () => {
    // A new data folder starts as a copy of the migrated template instead of running initdb.
    if (isNewDataDir(data.dataDir)) await copyTemplateInto(data.dataDir, data.cacheDir);
    // ESM-only package (its CommonJS build under tsx, the same file in the bundle: external).
    const { PGlite } = await import("@electric-sql/pglite");
    return PGlite.create(data.dataDir);
  })();
  // Listening first: the address goes out at once, so the stack can configure its functions while PGlite opens;
  // connections made meanwhile wait for it (pglite-server.ts).
  const server = await startPgliteServer({
    db: opening,
    host: "127.0.0.1",
    port: 0,
    maxConnections: data.maxConnections,
    onWarning: (message) => send({ type: "warning", message }),
  });
  send({ type: "listening", address: server.address });
  port.on("message", (command: PgliteWorkerCommand) => {
    if (command.type !== "stop") return;
    void (async () => {
      await server.stop();
      // Closing checkpoints and releases the data folder, so the next start reopens it without recovery.
      await (await opening.catch(() => undefined))?.close();
      port.close();
    })().catch((err: Error) => send({ type: "failed", message: err.message, stack: err.stack }));
  });
  try {
    await opening;
  } catch (err) {
    // Nothing left to serve: closing the server lets this thread end once it has reported the failure.
    await server.stop();
    throw err;
  }
  send({ type: "ready" });
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as PgliteWorkerData).catch((err: Error) => {
    port.postMessage({ type: "failed", message: err.message, stack: err.stack } satisfies PgliteWorkerEvent);
    port.close();
  });
}
