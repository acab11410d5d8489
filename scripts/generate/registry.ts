/**
 * Every generated file of the repository, one module each. `npm run generate` (main.ts) writes them;
 * `npm run generate -- --check` and scripts/tests/unit/generated-files.test.ts compare them. A new generated file
 * is one module here and one entry in GENERATORS.
 */
// First: the docs and snapshots describe the stacks on the fixed test site, never a fork's site.ts.
import "@sml/infra/testing/use-test-site";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { concurrencyDoc } from "./concurrency-doc";
import { costDoc } from "./cost-doc";
import { modelCard } from "./model-card";
import { openApiFile } from "./openapi";
import { sloDoc } from "./slo-doc";
import { stackSnapshots } from "./stack-snapshots";
import type { GeneratedFile, Generator, Tree } from "./types";

export const REPO_ROOT = resolve(__dirname, "..", "..");

export const GENERATORS: readonly Generator[] = [
  openApiFile,
  sloDoc,
  costDoc,
  concurrencyDoc,
  modelCard,
  stackSnapshots,
];

/** The repository (or a copy of it) on disk. */
export function diskTree(root = REPO_ROOT): Tree {
  return {
    read: (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined),
    list: (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : []),
  };
}

/** A generated file whose committed state differs from what its generator says. */
export interface StaleFile extends GeneratedFile {
  /** `missing`: not there; `changed`: other text; `extra`: there but should not be. */
  readonly problem: "missing" | "changed" | "extra";
}

/** The files every generator owns, each with the text it must hold. */
export function expectedFiles(tree: Tree, generators: readonly Generator[] = GENERATORS): GeneratedFile[] {
  return generators.flatMap((g) => g.files(tree));
}

export function staleFiles(tree: Tree, files: readonly GeneratedFile[]): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const committed = tree.read(file.path);
    if (file.text === undefined) {
      if (committed !== undefined) stale.push({ ...file, problem: "extra" });
    } else if (committed === undefined) stale.push({ ...file, problem: "missing" });
    else if (committed !== file.text) stale.push({ ...file, problem: "changed" });
  }
  return stale;
}

/** One line per stale file, as `--check` prints it. */
export const describeStale = (file: StaleFile): string =>
  `${file.path} is ${file.problem === "extra" ? "no longer generated (delete it)" : file.problem === "missing" ? "missing" : "stale"}: run \`npm run generate\` and commit the result`;

export interface GenerateOptions {
  /** Compare only: write nothing, return the stale files. */
  readonly check?: boolean;
  readonly root?: string;
  readonly generators?: readonly Generator[];
}

/** Brings every generated file up to date (or, with `check`, only says which are not); returns the stale ones. */
export function generate(options: GenerateOptions = {}): StaleFile[] {
  const root = options.root ?? REPO_ROOT;
  const tree = diskTree(root);
  const stale = staleFiles(tree, expectedFiles(tree, options.generators));
  if (options.check) return stale;
  for (const file of stale) {
    const path = join(root, file.path);
    if (file.text === undefined) rmSync(path);
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.text);
    }
  }
  return stale;
}
