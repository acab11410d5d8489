/**
 * Lambda entry point of the migration function, invoked by Terraform on apply: applies pending migrations
 * (bundled beside this file in migrations/) and returns which versions it applied. It logs in as the master
 * user (the RDS-managed secret) and, with DB_CONNECT_DEADLINE_MS set, waits for a paused cluster to resume,
 * logging each try. On the Data API path (DB_USER_SECRET_ARNS set) it then gives each function's database user the
 * password in that function's own secret (database-users.ts), so no function but this one holds the master's.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { ENV } from "@sml/contracts/env";
import { FUNCTIONS } from "@sml/contracts/functions";
import { dbConfigFromEnv } from "../config";
import {
  type ProvisionedUser,
  parseUserSecrets,
  provisionDatabaseUsers,
  type UserSecretStore,
} from "../database-users";
import { createSqlExecutor } from "../index";
import { type MigrationSummary, runMigrations } from "../migrations";

const logger = new Logger({ serviceName: FUNCTIONS.migrate.serviceName });
const sql = createSqlExecutor(dbConfigFromEnv(), { logger });
const userSecretsText = process.env[ENV.dbUserSecrets];
const userSecrets = userSecretsText === undefined ? undefined : parseUserSecrets(userSecretsText);

/** Secrets Manager through the SDK; a secret Terraform created without a value answers ResourceNotFound. */
export function secretsManagerStore(client = new SecretsManagerClient({})): UserSecretStore {
  return {
    async get(secretArn) {
      try {
        return (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw err;
      }
    },
    async put(secretArn, value) {
      await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
    },
  };
}

export async function handler(): Promise<MigrationSummary & { users?: ProvisionedUser[] }> {
  try {
    const summary = await runMigrations(sql);
    logger.info("Migrations done", { ...summary });
    if (!userSecrets) return summary;
    const users = await provisionDatabaseUsers(sql, userSecrets, secretsManagerStore());
    logger.info("Database users' passwords set from their secrets", { users });
    return { ...summary, users };
  } catch (err) {
    // Rethrown so the invocation fails and so does the Terraform apply that triggered it.
    logger.error("Migrations or database users failed", { error: err as Error });
    throw err;
  }
}
