/**
 * Lambda entry point of the migration function, invoked by Terraform on apply: applies pending migrations
 * (bundled beside this file in migrations/) and returns which versions it applied. It logs in as the master
 * user (the RDS-managed secret) and, with DB_CONNECT_DEADLINE_MS set, waits for a paused cluster to resume,
 * logging each try.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { FUNCTIONS } from "@sml/contracts/functions";
import { dbConfigFromEnv } from "../config";
import { createSqlExecutor } from "../index";
import { type MigrationSummary, runMigrations } from "../migrations";

const logger = new Logger({ serviceName: FUNCTIONS.migrate.serviceName });
const sql = createSqlExecutor(dbConfigFromEnv(), { logger });

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
