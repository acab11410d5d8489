import { PGlite } from "@electric-sql/pglite";
import { createDatabase } from "@sml/database";
import { describeUsersApi } from "../support/users-api-suite";

// Embedded PostgreSQL (PGlite, WASM), in memory: the local stack's database.
describeUsersApi("PGlite", async () => {
  const database = createDatabase({ driver: "pglite", db: await PGlite.create() });
  return { database, dispose: () => database.close() };
});
