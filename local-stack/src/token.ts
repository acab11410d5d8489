/**
 * `npm run token -- <user> [--group admins]`: prints a bearer token the running local stack accepts, for curl:
 *
 *   TOKEN=$(npm run -s token -- alice)
 *   curl -s -H "authorization: Bearer $TOKEN" http://127.0.0.1:3000/batches
 *
 * It signs with the local folder's key (`.local/auth/signing-key.json`, made by the first `npm start` or by this)
 * for the issuer of the stack that runs (`.local/stack.json`). Each user name is one user (a stable `sub`); every
 * user is in `analysts`, `--group admins` adds `admins`. In AWS, `scripts/delivery/token.sh` gets a Cognito token instead.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { USER_GROUPS } from "@sml/contracts/auth";
import { loadConfig } from "./config";
import { accessToken, loadSigningKey } from "./local-auth";
import { STACK_FILE, type StackDescription } from "./stack";

const USAGE = `Usage: npm run token -- <user> [--group admins]
  <user>    a user name (letters, digits, . _ -); the same name is the same user
  --group   a group to add besides analysts (${USER_GROUPS.join(", ")}); repeatable`;

/** A token for `user` on the local stack whose folder is `localDir` (it must be running). */
export function localToken(localDir: string, user: string, groups: readonly string[] = []): string {
  const file = join(localDir, STACK_FILE);
  if (!existsSync(file)) {
    throw new Error(`No local stack runs with ${localDir} (no ${STACK_FILE}); start it first: npm start`);
  }
  const stack = JSON.parse(readFileSync(file, "utf8")) as StackDescription;
  const all = ["analysts", ...groups.filter((g) => g !== "analysts")];
  return accessToken(loadSigningKey(localDir), stack.authIssuer, { username: user, groups: all });
}

export function parseTokenArgs(argv: readonly string[]): { user: string; groups: string[] } {
  const groups: string[] = [];
  let user: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--group") {
      const group = argv[++i];
      if (!group) throw new Error(`--group needs a value\n${USAGE}`);
      groups.push(group);
    } else if (arg.startsWith("--group=")) groups.push(arg.slice("--group=".length));
    else if (arg === "-h" || arg === "--help") throw new Error(USAGE);
    else if (arg.startsWith("-")) throw new Error(`Unknown option ${arg}\n${USAGE}`);
    else if (user === undefined) user = arg;
    else throw new Error(`One user at a time (got ${user} and ${arg})\n${USAGE}`);
  }
  if (!user) throw new Error(USAGE);
  return { user, groups };
}

if (require.main === module) {
  try {
    const { user, groups } = parseTokenArgs(process.argv.slice(2));
    process.stdout.write(`${localToken(loadConfig().localDir, user, groups)}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
