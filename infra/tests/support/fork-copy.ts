/**
 * A fork, cheaply: the repository's files (tracked and untracked, not ignored; ~5 MB) copied into a temp folder
 * with `node_modules` linked, and `infra/src/config/site.ts` holding another account, bucket, repository, region
 * and project. Used by the fork test (infra/tests/fork.test.ts) and to run whole suites in a fork by hand:
 * `npx tsx infra/tests/support/fork-copy.ts <folder>` makes the copy and prints its path.
 */
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { SiteConfig } from "../../src/config/site";
import { REPO_ROOT } from "./paths";

const ACCOUNT = "271828182845";

/** The fork's site: nothing in common with the template's or the test site's values. */
export const FORK_SITE: SiteConfig = {
  project: "acme",
  region: "us-east-2",
  accounts: { dev: ACCOUNT, prd: ACCOUNT },
  state: { bucket: "acme-platform-tfstate", keyPrefix: "platform" },
  githubRepository: "acme-corp/platform",
  githubOidcProviderArn: undefined,
  people: {
    dev: { readOnly: [`arn:aws:iam::${ACCOUNT}:role/Engineers`], operator: [] },
    prd: {
      readOnly: [`arn:aws:iam::${ACCOUNT}:role/Engineers`],
      operator: [`arn:aws:iam::${ACCOUNT}:role/Oncall`],
    },
  },
  databaseWindows: {
    dev: { backup: "04:00-05:00", maintenance: "sat:06:00-sat:07:00" },
    prd: { backup: "04:00-05:00", maintenance: "sat:06:00-sat:07:00" },
  },
};

/**
 * site.ts with `site` as its SITE: the interfaces and comments a fork keeps, everything from `export const SITE`
 * on replaced (as a fork edits the values, not the types).
 */
export function siteSource(original: string, site: SiteConfig): string {
  const start = original.search(
    /^(const [A-Z_]+ = .*\n+)*\/\*\*[^\n]*\*\/\nexport const SITE\b|^export const SITE\b/m,
  );
  if (start < 0) throw new Error("site.ts has no `export const SITE`");
  // JSON would drop an undefined setting (githubOidcProviderArn); a fork writes it out.
  const literal = JSON.stringify(site, (_key, value) => (value === undefined ? "\0undefined" : value), 2);
  return `${original.slice(0, start)}export const SITE: SiteConfig = ${literal.replaceAll('"\\u0000undefined"', "undefined")};\n`;
}

/**
 * `target/node_modules`: each package linked to this checkout's, and the workspaces (`@sml/*`, relative links) to
 * the fork's own folders, as `npm ci` in a fork links them, so an import by package name reads the fork's files.
 */
function linkNodeModules(target: string): void {
  const from = join(REPO_ROOT, "node_modules");
  const to = join(target, "node_modules");
  mkdirSync(join(to, "@sml"), { recursive: true });
  for (const entry of readdirSync(from))
    if (entry !== "@sml") symlinkSync(join(from, entry), join(to, entry));
  for (const workspace of readdirSync(join(from, "@sml")))
    symlinkSync(readlinkSync(join(from, "@sml", workspace)), join(to, "@sml", workspace), "dir");
}

/** Copies the repository into `target` (created) with `site` in its site.ts; returns `target`. */
export function forkCopy(target: string, site: SiteConfig = FORK_SITE): string {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    const to = join(target, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      copyFileSync(join(REPO_ROOT, file), to);
    } catch (err) {
      // A file deleted in the working tree but still tracked: the fork does not have it either.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  linkNodeModules(target);
  const sitePath = join(target, "infra", "src", "config", "site.ts");
  writeFileSync(sitePath, siteSource(readFileSync(sitePath, "utf8"), site));
  // Formatted as the fork's own lint wants it (biome, the repository's config).
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "biome"), ["format", "--write", sitePath], {
    cwd: target,
    stdio: "ignore",
  });
  // A fork is a git repository: some checks list the repository's files with git (the shell scripts to lint).
  execFileSync("git", ["init", "-q"], { cwd: target });
  // Kept out of the fork's file lists whatever `.gitignore` says.
  appendFileSync(join(target, ".git", "info", "exclude"), "/node_modules\n");
  execFileSync("git", ["add", "-A"], { cwd: target });
  return target;
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) throw new Error("usage: tsx infra/tests/support/fork-copy.ts <new folder>");
  process.stdout.write(`${forkCopy(target)}\n`);
}
