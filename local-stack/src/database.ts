/**
 * The database behind the local stack: the PostgreSQL at DATABASE_URL, or an embedded PGlite persisted in a
 * folder and served over the PostgreSQL wire protocol, so the functions' unchanged `pg` adapter talks to it.
 */
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { log } from "./log";
import { type PgliteServer, startPgliteServer } from "./pglite-server";
import { copyTemplateInto, isNewDataDir } from "./pglite-template";

export interface LocalDatabase {
  /** What the functions get as DATABASE_URL. */
  readonly url: string;
  /** `postgresql` (external server) or `pglite` (embedded, with its data folder). */
  readonly kind: "postgresql" | "pglite";
  readonly dataDir?: string;
  stop(): Promise<void>;
}

/**
 * PGlite is one PostgreSQL session; pglite-server.ts gives it to one connection at a time (a whole message group,
 * or a whole transaction), so several `pg` connections share it safely. The API, the subscriber, the batch
 * functions and the migration runner each hold a few; 64 leaves room for psql and scripts.
 */
const PGLITE_MAX_CONNECTIONS = 64;

/**
 * PGlite in `dataDir`, served on a free loopback port. A new (absent or empty) `dataDir` starts as a copy of the
 * migrated template kept in `cacheDir` (pglite-template.ts) instead of running initdb.
 */
export async function startEmbeddedDatabase(dataDir: string, cacheDir: string): Promise<LocalDatabase> {
  if (isNewDataDir(dataDir)) await copyTemplateInto(dataDir, cacheDir);
  mkdirSync(dataDir, { recursive: true });
  // ESM-only; tsx turns this into a require that resolves its CJS build.
  const { PGlite: PGliteClass } = await import("@electric-sql/pglite");
  const db: PGlite = await PGliteClass.create(dataDir);
  let server: PgliteServer;
  try {
    server = await startPgliteServer({
      db,
      host: "127.0.0.1",
      port: 0,
      maxConnections: PGLITE_MAX_CONNECTIONS,
      onWarning: (message) => log.warn(message),
    });
  } catch (err) {
    await db.close();
    throw err;
  }
  const url = `postgres://postgres@${server.address}/postgres?sslmode=disable`;
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
