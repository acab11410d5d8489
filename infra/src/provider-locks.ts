/**
 * Terraform's dependency lock files, one per kind of stack, committed in infra/locks/<kind>.terraform.lock.hcl
 * (bootstrap, registry, dev, prd; previews `<project>-pr-<n>` share `pr`), named without the project so a fork that
 * renames it keeps them: every `terraform init` of a stack then uses the provider version (and, once CI's
 * `terraform providers lock` has recorded them, the package hashes) the lock names, instead of whatever the
 * registry offers that day (Terraform docs, "Dependency Lock File"). cdktf writes no lock file, so the app copies
 * each stack's next to its cdk.tf.json after synth (main.ts); cdktf keeps files in a stack's folder across synths.
 * A stack without a lock, or whose lock records another version than the stack requires, fails the synth.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const LOCKS_DIR = join(__dirname, "..", "locks");
export const LOCK_FILE = ".terraform.lock.hcl";

export class ProviderLockError extends Error {
  override readonly name = "ProviderLockError";
}

/** infra/locks/<kind>.terraform.lock.hcl for a stack id `<project>-<kind>` (previews share `pr`). */
export function lockFileOf(stack: string, locksDir = LOCKS_DIR): string {
  const kind = /-(bootstrap|registry|dev|prd|pr)(?:-[1-9][0-9]*)?$/.exec(stack)?.[1] ?? stack;
  return join(locksDir, `${kind}${LOCK_FILE}`);
}

/** `registry.terraform.io/<namespace>/<type>` -> recorded version, from a lock file's text. */
export function lockedVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const block of text.matchAll(/provider\s+"([^"]+)"\s*\{([^}]*)\}/g)) {
    const version = /\bversion\s*=\s*"([^"]+)"/.exec(block[2] as string)?.[1];
    if (version) versions[block[1] as string] = version;
  }
  return versions;
}

/** The registry address of a required provider's `source` (`aws` is `registry.terraform.io/hashicorp/aws`). */
export function providerAddress(source: string): string {
  const parts = source.split("/");
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${source}`;
  if (parts.length === 2) return `registry.terraform.io/${source}`;
  return source;
}

/** Copies each synthesized stack's lock file into its folder; throws naming every stack it cannot lock. */
export function installProviderLocks(outdir: string, locksDir = LOCKS_DIR): string[] {
  const stacksDir = join(outdir, "stacks");
  if (!existsSync(stacksDir)) return [];
  const problems: string[] = [];
  const installed: string[] = [];
  for (const stack of readdirSync(stacksDir)) {
    const config = join(stacksDir, stack, "cdk.tf.json");
    if (!existsSync(config)) continue;
    const lock = lockFileOf(stack, locksDir);
    if (!existsSync(lock)) {
      problems.push(`${stack}: no lock file ${lock}`);
      continue;
    }
    const locked = lockedVersions(readFileSync(lock, "utf8"));
    const required = (JSON.parse(readFileSync(config, "utf8")).terraform?.required_providers ?? {}) as Record<
      string,
      { source?: string; version?: string }
    >;
    for (const [name, p] of Object.entries(required)) {
      const address = providerAddress(p.source ?? name);
      if (locked[address] !== p.version)
        problems.push(
          `${stack}: requires ${address} ${p.version}, its lock records ${locked[address] ?? "nothing"}`,
        );
    }
    copyFileSync(lock, join(stacksDir, stack, LOCK_FILE));
    installed.push(stack);
  }
  if (problems.length > 0)
    throw new ProviderLockError(
      `provider lock files do not match the stacks (run scripts/delivery/provider-locks.sh refresh and commit infra/locks/):\n- ${problems.join("\n- ")}`,
    );
  return installed;
}
