/**
 * The database behind the local stack: the PostgreSQL at DATABASE_URL, or an embedded PGlite persisted in a
 * folder and served over the PostgreSQL wire protocol, so the functions' unchanged `pg` adapter talks to it.
 */
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface LocalDatabase {
  /** What the functions get as DATABASE_URL. */
  readonly url: string;
  /** `postgresql` (external server) or `pglite` (embedded, with its data folder). */
  readonly kind: "postgresql" | "pglite";
  readonly dataDir?: string;
  stop(): Promise<void>;
}

/**
 * PGlite is one PostgreSQL session; pglite-socket queues every client's protocol messages onto it (and keeps
 * an open transaction's owner first), so several `pg` connections share it safely. The API, the subscriber and
 * the migration runner each hold a few; 32 leaves room for psql and scripts.
 */
const PGLITE_MAX_CONNECTIONS = 32;

export async function startEmbeddedDatabase(dataDir: string): Promise<LocalDatabase> {
  mkdirSync(dataDir, { recursive: true });
  // Both packages are ESM-only; tsx turns these into requires that resolve their CJS builds where present.
  const { PGlite: PGliteClass } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer: ServerClass } = await import("@electric-sql/pglite-socket");
  const db: PGlite = await PGliteClass.create(dataDir);
  const server: PGLiteSocketServer = new ServerClass({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: PGLITE_MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    kind: "pglite",
    dataDir,
    async stop() {
      await server.stop();
      // Closing checkpoints and releases the data folder, so the next start reopens it without recovery.
      await db.close();
    },
  };
}

export function externalDatabase(url: string): LocalDatabase {
  return { url, kind: "postgresql", stop: async () => {} };
}
