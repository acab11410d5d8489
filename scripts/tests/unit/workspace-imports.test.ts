/**
 * Workspaces use each other by package name, as declared dependencies (issue 30 item 6): a relative import that
 * leaves its workspace (up and into infra/src, say) hides a dependency from package.json, from npm and from
 * whoever moves the folder.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..", "..");
const rootPackage = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  workspaces: string[];
};
const WORKSPACES = rootPackage.workspaces;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifestOf = (workspace: string): Manifest =>
  JSON.parse(readFileSync(join(REPO_ROOT, workspace, "package.json"), "utf8"));

/**
 * infra's tests build the zip bundles with scripts' bundler and price the stacks with scripts' estimator, while
 * scripts depends on infra: declaring @sml/scripts in infra would make the two packages depend on each other.
 */
const ALLOWED_CROSSINGS: Readonly<Record<string, string>> = {
  "infra/tests/global-setup.ts": "scripts/",
  "infra/tests/bundle-zip.test.ts": "scripts/",
  "infra/tests/cost.test.ts": "scripts/",
};

const SOURCES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: REPO_ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => /\.(ts|tsx|mts|cts|mjs|cjs|js)$/.test(f) && !f.includes("node_modules/"));

const SELF = "scripts/tests/unit/workspace-imports.test.ts";

const workspaceOf = (path: string): string | undefined =>
  WORKSPACES.find((w) => path === w || path.startsWith(`${w}/`));

/** Module specifiers of a file's static and dynamic imports and requires. */
export function importsOf(text: string): string[] {
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  return [...text.matchAll(pattern)].map((m) => m[1] as string);
}

/** Relative imports of `file` that land outside its workspace (repository-relative targets). */
export function crossings(file: string, text: string): string[] {
  const own = workspaceOf(file);
  return importsOf(text)
    .filter((s) => s.startsWith("./") || s.startsWith("../"))
    .map((s) => normalize(join(dirname(file), s)))
    .filter((target) => workspaceOf(target) !== own && own !== undefined);
}

describe("imports between workspaces", () => {
  it("sees a relative import that leaves its workspace, and package imports, in every form", () => {
    const text = [
      'import { SITE } from "../../infra/src/config/site";',
      'const m = await import("../../local-stack/src/stack");',
      'import type { Route } from "@sml/contracts/routes";',
      'import { x } from "./own";',
    ].join("\n");
    expect(crossings("scripts/delivery/example.ts", text)).toEqual([
      "infra/src/config/site",
      "local-stack/src/stack",
    ]);
    expect(importsOf(text)).toContain("@sml/contracts/routes");
  });

  it("go through package names, never a relative path out of the workspace", () => {
    const found: string[] = [];
    for (const file of SOURCES) {
      // This file's first test holds examples of what it forbids.
      if (!workspaceOf(file) || file.endsWith("jest.config.js") || file === SELF) continue;
      const allowed = ALLOWED_CROSSINGS[file];
      for (const target of crossings(file, readFileSync(join(REPO_ROOT, file), "utf8")))
        if (!(allowed && target.startsWith(allowed))) found.push(`${file} -> ${target}`);
    }
    expect(found).toEqual([]);
  });

  it("name only packages the importing workspace declares", () => {
    const undeclared: string[] = [];
    for (const file of SOURCES) {
      const workspace = workspaceOf(file);
      if (!workspace) continue;
      const manifest = manifestOf(workspace);
      const declared = new Set([
        manifest.name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
      ]);
      for (const specifier of importsOf(readFileSync(join(REPO_ROOT, file), "utf8"))) {
        const pkg = /^(@sml\/[\w-]+)/.exec(specifier)?.[1];
        if (pkg && !declared.has(pkg))
          undeclared.push(`${file}: ${pkg} (add it to ${workspace}/package.json)`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
