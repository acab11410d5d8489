import { randomInt } from "node:crypto";
import type { SqlExecutor } from "./executor";

/**
 * Passwords for the functions' database users on the Data API path. The Data API logs in only with a Secrets
 * Manager secret (`{"username","password"}`: Aurora user guide, "Authorizing access to the RDS Data API"), so
 * each function reads its own user's secret, never the master's. The migration function, the one holder of the
 * master secret, gives every user its password: the secret's, or a new one it writes there first when the secret
 * has no value yet (created empty by Terraform, so no password passes through Terraform's state).
 */

/** Secrets Manager as used here: read a secret's string, write a new version (PutSecretValue). */
export interface UserSecretStore {
  /** The secret's current string, or `undefined` while the secret has no value (ResourceNotFoundException). */
  get(secretArn: string): Promise<string | undefined>;
  put(secretArn: string, value: string): Promise<void>;
}

export interface ProvisionedUser {
  readonly user: string;
  /** `generated`: a new password written to the secret; `kept`: the secret's password set again. */
  readonly password: "generated" | "kept";
}

export class DatabaseUserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUserError";
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 40 characters of 62: ~238 bits. Letters and digits only, so the password is safe as a SQL literal. */
const PASSWORD = /^[A-Za-z0-9]{40}$/;

export const generatePassword = (): string =>
  Array.from({ length: 40 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

/** Parses `DB_USER_SECRET_ARNS` (`{"sml_api": "arn:..."}`); anything else throws, naming what is wrong. */
export function parseUserSecrets(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DatabaseUserError("DB_USER_SECRET_ARNS is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new DatabaseUserError('DB_USER_SECRET_ARNS must be an object {"<user>": "<secret ARN>"}');
  const entries = Object.entries(parsed as Record<string, unknown>);
  for (const [user, arn] of entries) {
    if (!IDENTIFIER.test(user))
      throw new DatabaseUserError(`DB_USER_SECRET_ARNS: ${user} is not a database user name`);
    if (typeof arn !== "string" || !arn.startsWith("arn:"))
      throw new DatabaseUserError(`DB_USER_SECRET_ARNS: the secret of ${user} is not an ARN`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function passwordOf(user: string, value: string): string | undefined {
  let parsed: { username?: unknown; password?: unknown };
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  return parsed.username === user && typeof parsed.password === "string" && PASSWORD.test(parsed.password)
    ? parsed.password
    : undefined;
}

/**
 * Gives each user (created by the migrations) its password and a plain password login: run after the migrations
 * by the migration function of a Data API cluster. A secret whose value is not this user's well-formed password
 * gets a new one. Membership of `rds_iam` is revoked, because RDS then refuses a password (IAM tokens only), and
 * the Data API has no token. Idempotent: a second run keeps every password.
 */
export async function provisionDatabaseUsers(
  sql: SqlExecutor,
  secrets: Readonly<Record<string, string>>,
  store: UserSecretStore,
): Promise<ProvisionedUser[]> {
  const done: ProvisionedUser[] = [];
  const iam = await sql.query<{ n: number }>(
    "SELECT CAST(count(*) AS int) AS n FROM pg_roles WHERE rolname = 'rds_iam'",
  );
  for (const [user, arn] of Object.entries(secrets)) {
    if (!IDENTIFIER.test(user)) throw new DatabaseUserError(`${user} is not a database user name`);
    const exists = await sql.query<{ n: number }>(
      "SELECT CAST(count(*) AS int) AS n FROM pg_roles WHERE rolname = $1",
      [user],
    );
    if (exists[0]?.n !== 1)
      throw new DatabaseUserError(`database user ${user} does not exist: the migrations create it first`);
    const current = await store.get(arn);
    let password = current === undefined ? undefined : passwordOf(user, current);
    const generated = password === undefined;
    if (password === undefined) {
      password = generatePassword();
      // The secret first: if setting the password then fails, the next run sets the secret's password again.
      await store.put(arn, JSON.stringify({ username: user, password }));
    }
    await sql.query(`ALTER ROLE ${user} WITH LOGIN PASSWORD '${password}'`);
    if ((iam[0]?.n ?? 0) > 0) {
      const member = await sql.query<{ m: boolean }>("SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS m", [
        user,
      ]);
      if (member[0]?.m) await sql.query(`REVOKE rds_iam FROM ${user}`);
    }
    done.push({ user, password: generated ? "generated" : "kept" });
  }
  return done;
}
