/**
 * Every file path a comment or a doc names exists (issue 30 item 7): a rename that leaves `create-handler.ts`,
 * `scripts/delivery/site.ts` or `./db` in a comment sends the next reader looking for a file that is gone.
 * Checked: repository-relative paths (`infra/src/...`), relative paths (`./x`, `../x`, Markdown links) resolved
 * from the naming file, partial paths (`constructs/deployment.ts`, `tests/support/x.ts`), which must resolve from
 * the naming file's folder or one above it, from a workspace (or its `src/`), or end some file's path, and bare
 * file names with a source extension (`create-handler.ts`), which must name some file of the repository. Code is checked in its comments only (string literals are the compiler's and the
 * tests' business); docs, READMEs and workflow/shell comments in full.
 */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, normalize } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..", "..");

/** Tracked files plus new ones not yet committed (a contributor runs this before committing). */
const FILES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: REPO_ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f !== "" && existsSync(join(REPO_ROOT, f)));

const SELF = "scripts/tests/unit/named-paths.test.ts";
const WORKSPACES = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { workspaces: string[] }
).workspaces;
const BASENAMES = new Set(FILES.map((f) => basename(f)));
const TOP_LEVEL = [
  ...new Set(FILES.filter((f) => f.includes("/")).map((f) => f.slice(0, f.indexOf("/")))),
].filter((d) => d !== "node_modules");

const CODE = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs"]);
const HASH_COMMENTED = new Set([".sh", ".yml", ".yaml", ".py", ".toml"]);
const PROSE = new Set([".md"]);
const SOURCE_EXTENSIONS = "ts|tsx|mjs|cjs|sh|sql|py|yml|yaml";

/** Files whose names appear in comments but live outside this repository (a library's or a tool's own). */
const EXTERNAL_FILES = new Set([
  // Node.js, npm, jest, TypeScript and tool conventions named in passing.
  "index.ts",
  "index.js",
  "cli.js",
  "flights.py",
  "setup.py",
]);

/** Paths inside other projects that the text names with their project (vega-datasets' `scripts/flights.py`, its `build/index.js`). */
const EXTERNAL_PATHS = new Set(["scripts/flights.py", "build/index.js"]);

/** The text of a file that is prose: all of a doc, the comments of code. */
export function proseOf(file: string, text: string): string {
  const ext = extname(file);
  if (PROSE.has(ext)) return text;
  if (CODE.has(ext)) {
    const out: string[] = [];
    for (const block of text.matchAll(/\/\*[\s\S]*?\*\//g)) out.push(block[0]);
    for (const line of text.matchAll(/(?:^|[^:"'`\\])\/\/(.*)$/gm)) out.push(line[1] ?? "");
    return out.join("\n");
  }
  if (HASH_COMMENTED.has(ext) || basename(file) === "Dockerfile" || file.startsWith(".ci/")) {
    return [...text.matchAll(/(?:^|\s)#(?!!)(.*)$/gm)].map((m) => m[1] ?? "").join("\n");
  }
  return "";
}

function isPlaceholder(path: string): boolean {
  return /[*<>{}$[\]…]|\.\.\.|XXX|NNNN/.test(path);
}

function exists(path: string): boolean {
  return existsSync(path);
}

/** A relative module path as code names it: `./db` may be `./db.ts`, `./db/index.ts`, ... */
function resolvesAsModule(path: string): boolean {
  if (exists(path) && (statSync(path).isFile() || statSync(path).isDirectory())) return true;
  return [".ts", ".tsx", ".mjs", ".js", ".json", "/index.ts"].some((ext) => exists(path + ext));
}

/** Extensions of the files a partial path may name. */
const FILE_EXTENSIONS = "ts|tsx|mjs|cjs|js|json|sh|sql|md|yml|yaml|py";

/**
 * A partial path resolves from the naming file's folder or any folder above it, from a workspace or its `src/`,
 * or as the end of some file's path (`fixtures/aws-cli` for scripts/tests/support/fixtures/aws-cli).
 */
function resolvesAsPartial(file: string, named: string): boolean {
  const bases: string[] = [];
  for (let dir = dirname(file); dir !== "." && dir !== ""; dir = dirname(dir)) bases.push(dir);
  bases.push("", ...WORKSPACES, ...WORKSPACES.map((w) => `${w}/src`));
  if (bases.some((base) => resolvesAsModule(join(REPO_ROOT, base, named)))) return true;
  return FILES.some((f) => f.endsWith(`/${named}`)) || isIgnoredOutput(named);
}

/** A path git ignores is a command's output, named before it exists (`bench/results.json`). */
function isIgnoredOutput(path: string): boolean {
  try {
    execFileSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: REPO_ROOT });
    return true;
  } catch {
    return false;
  }
}

export interface Finding {
  readonly file: string;
  readonly named: string;
}

export function missingPaths(file: string, prose: string): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report = (named: string) => {
    if (!seen.has(named)) findings.push({ file, named });
    seen.add(named);
  };
  const cleaned = (raw: string) => raw.replace(/[.,:;)`'"]+$/, "").replace(/#.*$/, "");

  // Repository-relative paths: `infra/src/config/site.ts`, `docs/deploy.md`.
  const topLevel = new RegExp(
    `(?<![\\w./@-])((?:${TOP_LEVEL.map((d) => d.replace(/\./g, "\\.")).join("|")})/[\\w@./-]*[\\w-])`,
    "g",
  );
  for (const m of prose.matchAll(topLevel)) {
    const named = cleaned(m[1] as string);
    if (isPlaceholder(named) || named.includes("/node_modules/") || EXTERNAL_PATHS.has(named)) continue;
    if (!resolvesAsModule(join(REPO_ROOT, named))) report(named);
  }

  // Relative paths: `./db`, `../support/fixtures.ts`, and Markdown links `](../docs/x.md)`.
  const relative = /(?<![\w./@-])(\.\.?\/[\w@./-]*[\w-])/g;
  for (const m of prose.matchAll(relative)) {
    const named = cleaned(m[1] as string);
    if (isPlaceholder(named)) continue;
    const from = dirname(join(REPO_ROOT, file));
    // A command in a comment (`node -r ./infra/cdktn/alias.cjs`) runs from the repository root.
    const fromRoot = named.startsWith("./") && resolvesAsModule(join(REPO_ROOT, named));
    if (!fromRoot && !resolvesAsModule(normalize(join(from, named)))) report(named);
  }
  if (extname(file) === ".md") {
    for (const m of prose.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const named = m[1] as string;
      if (/^[a-z]+:/.test(named) || isPlaceholder(named)) continue;
      if (!exists(normalize(join(dirname(join(REPO_ROOT, file)), named)))) report(named);
    }
  }

  // Partial paths: `constructs/deployment.ts` in infra/src, `tests/support/fixtures.ts` in a workspace.
  const partial = new RegExp(
    `(?<![\\w./@:-])((?:[\\w@-]+/)+[\\w.-]+\\.(?:${FILE_EXTENSIONS}))(?![\\w/-])`,
    "g",
  );
  for (const m of prose.matchAll(partial)) {
    const named = m[1] as string;
    const top = named.slice(0, named.indexOf("/"));
    if (TOP_LEVEL.includes(top) || isPlaceholder(named) || EXTERNAL_PATHS.has(named)) continue;
    if (!resolvesAsPartial(file, named)) report(named);
  }

  // Bare file names with a source extension: `create-handler.ts` must be some file of the repository.
  const bare = new RegExp(`(?<![\\w./@>-])([\\w-]+\\.(?:${SOURCE_EXTENSIONS}))(?![\\w/-])`, "g");
  for (const m of prose.matchAll(bare)) {
    const named = m[1] as string;
    if (EXTERNAL_FILES.has(named) || isPlaceholder(named)) continue;
    if (!BASENAMES.has(named)) report(named);
  }
  return findings;
}

describe("file paths named in comments and docs", () => {
  it("finds a stale name in a comment, a doc link and a bare file name (the checker sees what it must)", () => {
    const prose = proseOf(
      "infra/src/example.ts",
      [
        "// Built by create-handler.ts, see scripts/delivery/site.ts and ./db.",
        "// Like constructs/functions.ts; unlike constructs/deployment.ts or support/fake-commands.ts.",
        "/** Real: infra/src/main.ts and ./stacks/index.ts */",
        'const s = "strings-are-not-prose.ts";',
      ].join("\n"),
    );
    expect(missingPaths("infra/src/example.ts", prose).map((f) => f.named)).toEqual([
      "scripts/delivery/site.ts",
      "./db",
      "constructs/functions.ts",
      "create-handler.ts",
    ]);
    expect(missingPaths("docs/x.md", "[gone](./nope.md) and [here](deploy.md)").map((f) => f.named)).toEqual([
      "./nope.md",
    ]);
  });

  it("exist, in every tracked file", () => {
    const missing: string[] = [];
    for (const file of FILES) {
      // This file's own comments hold the stale names its first test plants on purpose.
      if (file.includes("__snapshots__") || file === SELF) continue;
      const ext = extname(file);
      if (!CODE.has(ext) && !PROSE.has(ext) && !HASH_COMMENTED.has(ext) && basename(file) !== "Dockerfile")
        continue;
      const text = readFileSync(join(REPO_ROOT, file), "utf8");
      for (const f of missingPaths(file, proseOf(file, text))) missing.push(`${f.file}: ${f.named}`);
    }
    expect(missing).toEqual([]);
  });
});
