/** What `npm run generate` asks of each generated file's module (registry.ts lists them). */

/** The repository as a generator sees it: committed text in, so a doc's hand-written prose is kept. */
export interface Tree {
  /** A file's text, or undefined when it does not exist (`path` is repository-relative, `/`-separated). */
  read(path: string): string | undefined;
  /** The file names directly in a folder (none when it does not exist). */
  list(dir: string): string[];
}

/** One file a generator owns: the text it must hold, or `undefined` when it must not exist (a removed stack). */
export interface GeneratedFile {
  readonly path: string;
  readonly text: string | undefined;
}

export interface Generator {
  /** What it writes, for `--help` and messages: `docs/slo.md (objective and alarm tables)`. */
  readonly describe: string;
  files(tree: Tree): GeneratedFile[];
}
