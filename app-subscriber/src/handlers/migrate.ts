/**
 * Lambda entry point of the migration function, invoked by Terraform on apply: applies pending migrations
 * (bundled beside this file in migrations/) and returns which versions it applied. It logs in as the master
 * user (the RDS-managed secret) and, with DB_CONNECT_DEADLINE_MS set, waits for a paused cluster to resume,
 * logging each try.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { createSqlExecutor, type MigrationSummary, runMigrations } from "@sml/common/db";
import { loadConfig } from "../config";

const config = loadConfig();
const logger = new Logger({ serviceName: "users-migrate" });
const sql = createSqlExecutor(config.db, { logger });

export async function handler(): Promise<MigrationSummary> {
  try {
    const summary = await runMigrations(sql);
    logger.info("Migrations done", { ...summary });
    return summary;
  } catch (err) {
    // Rethrown so the invocation fails and so does the Terraform apply that triggered it.
    logger.error("Migrations failed; nothing was applied", { error: err as Error });
    throw err;
  }
}
