import { createPgExecutor, runMigrations } from "@sml/database";

/** Applies the versioned migrations with the same runner the deployed migration function uses. */
export async function migrate(databaseUrl: string): Promise<{ applied: readonly string[] }> {
  const db = createPgExecutor({ kind: "url", connectionString: databaseUrl });
  try {
    const summary = await runMigrations(db);
    return { applied: summary.applied };
  } finally {
    await db.close();
  }
}
