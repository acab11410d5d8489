/**
 * Every generated file is what `npm run generate` would write (the same functions: scripts/generate/registry.ts),
 * and `--check` names stale files without writing. When a test here fails, run `npm run generate`, read the
 * diff and commit it with the change.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../generate/main";
import { OPENAPI_FILE, openApiFile } from "../../generate/openapi";
import { diskTree, expectedFiles, GENERATORS, generate, REPO_ROOT } from "../../generate/registry";
import { MissingSectionError } from "../../generate/sections";
import { SLO_DOC, sloDoc } from "../../generate/slo-doc";
import { SNAPSHOT_DIR, stackSnapshots } from "../../generate/stack-snapshots";

const tree = diskTree();
const files = expectedFiles(tree);

describe("generated files", () => {
  it.each(files.map((f) => [f.path, f] as const))(
    "%s is what `npm run generate` writes (run `npm run generate` when this fails)",
    (path, file) => {
      const committed = tree.read(path);
      if (file.text === undefined)
        throw new Error(`${path} is no longer generated: run \`npm run generate\` (it deletes the file)`);
      if (committed === undefined) throw new Error(`${path} is missing: run \`npm run generate\``);
      expect(committed).toBe(file.text);
    },
  );

  it("come from one generator each (two generators writing one file would undo each other)", () => {
    const paths = files.map((f) => f.path);
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
  });

  it("include every hand-written doc section the docs mark as generated", () => {
    // A `<!-- name:start -->` marker in a doc that no generator fills would go stale unnoticed.
    const docs = readdirSync(join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md"));
    const marked = docs.filter((f) => /<!-- [\w -]+:start/.test(tree.read(`docs/${f}`) ?? ""));
    const owned = new Set(files.map((f) => f.path));
    expect(marked.map((f) => `docs/${f}`).filter((p) => !owned.has(p))).toEqual([]);
  });
});

describe("npm run generate", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "sml-generate-"));
    cpSync(join(REPO_ROOT, "docs"), join(root, "docs"), { recursive: true });
    cpSync(join(REPO_ROOT, SNAPSHOT_DIR), join(root, SNAPSHOT_DIR), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const generators = [openApiFile, sloDoc, stackSnapshots];
  const snapshot = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), "utf8")]),
    );

  it("with --check names each stale, missing or leftover file and writes nothing; without, fixes them all", () => {
    writeFileSync(join(root, OPENAPI_FILE), "{}\n");
    rmSync(join(root, SNAPSHOT_DIR, "sml-dev.json"));
    writeFileSync(join(root, SNAPSHOT_DIR, "sml-pr-1.json"), "{}\n");
    const before = snapshot(root);

    const stale = generate({ check: true, root, generators });
    expect(stale.map((f) => [f.path, f.problem])).toEqual([
      [OPENAPI_FILE, "changed"],
      [`${SNAPSHOT_DIR}/sml-dev.json`, "missing"],
      [`${SNAPSHOT_DIR}/sml-pr-1.json`, "extra"],
    ]);
    expect(snapshot(root)).toEqual(before);

    expect(generate({ root, generators }).map((f) => f.path)).toEqual(stale.map((f) => f.path));
    expect(generate({ check: true, root, generators })).toEqual([]);
    expect(readFileSync(join(root, OPENAPI_FILE), "utf8")).toBe(tree.read(OPENAPI_FILE));
  });

  it("rewrites only a doc's generated sections and keeps the prose around them", () => {
    const doc = join(root, SLO_DOC);
    const committed = readFileSync(doc, "utf8");
    const edited = committed
      .replace("<!-- alarm-table:start -->\n", "<!-- alarm-table:start -->\n| stale | row |\n")
      .concat("\nA paragraph written by hand.\n");
    writeFileSync(doc, edited);
    generate({ root, generators: [sloDoc] });
    expect(readFileSync(doc, "utf8")).toBe(`${committed}\nA paragraph written by hand.\n`);
  });

  it("refuses a doc whose markers are gone, naming the file and the section", () => {
    writeFileSync(join(root, SLO_DOC), "# SLOs\n\nno markers\n");
    expect(() => generate({ check: true, root, generators: [sloDoc] })).toThrow(MissingSectionError);
    expect(() => generate({ check: true, root, generators: [sloDoc] })).toThrow(
      /docs\/slo\.md has no <!-- slo-table:start -->/,
    );
  });

  it("exits 1 with --check, printing each stale file with the command that fixes it, and 0 once generated", () => {
    writeFileSync(join(root, OPENAPI_FILE), "{}\n");
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(main(["--check"], root)).toBe(1);
      expect(error.mock.calls.flat()).toEqual([
        `${OPENAPI_FILE} is stale: run \`npm run generate\` and commit the result`,
      ]);
      expect(main([], root)).toBe(0);
      expect(main(["--check"], root)).toBe(0);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it("lists every generated file's module in --help", () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      expect(main(["--help"])).toBe(0);
      const help = log.mock.calls.flat().join("\n");
      for (const g of GENERATORS) expect(help).toContain(g.describe);
    } finally {
      log.mockRestore();
    }
  });
});
