/**
 * CDK Terrain equivalence (docs/upgrade-cdktn.md). The unchanged app is synthesized twice, in child processes,
 * exactly as the two npm scripts run it: with cdktf (cdktf.json's `app`, which `npm run synth` runs) and with CDK
 * Terrain (the same command with infra/cdktn/alias.cjs preloaded, as `npm run synth:cdktn` runs it, which resolves
 * `cdktf` -> `cdktn` and `@cdktf/provider-aws/*` -> `@cdktn/provider-aws/*`). Every stack's Terraform JSON must
 * be identical (resources and their logical ids, data sources, outputs, variables, locals, backend, providers'
 * settings) apart from DOCUMENTED_DIFFERENCES. Identical logical ids and bodies mean `terraform plan` after the
 * switch has nothing to change in state (Terraform addresses resources by `<type>.<logical id>`).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, testBundleRoot } from "./support/paths";
import type { TfJson } from "./support/synth";

const ALIAS = "./infra/cdktn/alias.cjs";

/**
 * What may differ, and only these: the generator's version in the stack metadata, and the AWS provider's source
 * and version constraint (each provider package pins the provider its bindings were generated from).
 */
const DOCUMENTED_DIFFERENCES = ["//.metadata.version", "terraform.required_providers.aws"] as const;

const readJson = (path: string): TfJson => JSON.parse(readFileSync(path, "utf8"));
const rootPackage = readJson(join(REPO_ROOT, "package.json"));
/** cdktf.json's `app`: `node --import tsx infra/src/main.ts`. */
const appCommand: string = readJson(join(REPO_ROOT, "cdktf.json")).app;

interface Synthesized {
  /** Stack name -> its cdk.tf.json. */
  readonly stacks: Record<string, TfJson>;
}

function synth(outdir: string, preload: string[]): Promise<Synthesized> {
  const [node, ...args] = appCommand.split(" ");
  expect(node).toBe("node");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...preload, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDKTF_OUTDIR: outdir,
        SML_BUNDLE_ROOT: testBundleRoot(),
        CHECKPOINT_DISABLE: "1",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`synth ${preload.join(" ")} exited ${code}: ${stderr}`));
      const manifest = readJson(join(outdir, "manifest.json"));
      const stacks = Object.fromEntries(
        Object.entries(manifest.stacks as Record<string, { synthesizedStackPath: string }>).map(
          ([name, s]) => [name, readJson(join(outdir, s.synthesizedStackPath))],
        ),
      );
      resolvePromise({ stacks });
    });
  });
}

/** A copy of the stack JSON without the documented differences. */
function withoutDocumentedDifferences(stack: TfJson): TfJson {
  const copy = structuredClone(stack);
  delete copy["//"]?.metadata?.version;
  delete copy.terraform?.required_providers?.aws;
  return copy;
}

let tmp: string;
let cdktf: Synthesized;
let cdktn: Synthesized;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "sml-cdktn-"));
  [cdktf, cdktn] = await Promise.all([
    synth(join(tmp, "cdktf.out"), []),
    synth(join(tmp, "cdktn.out"), ["-r", ALIAS]),
  ]);
}, 240_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("CDK Terrain synth (npm run synth:cdktn)", () => {
  it("runs cdktf.json's app with the alias preloaded, into cdktn.out", () => {
    const [, ...args] = appCommand.split(" ");
    expect(rootPackage.scripts["synth:cdktn"]).toContain(
      `CDKTF_OUTDIR=cdktn.out node -r ${ALIAS} ${args.join(" ")}`,
    );
    expect(rootPackage.scripts.synth).toContain("cdktf synth");
  });

  it("synthesizes the same stacks", () => {
    expect(Object.keys(cdktn.stacks).sort()).toEqual(Object.keys(cdktf.stacks).sort());
    expect(Object.keys(cdktf.stacks).length).toBeGreaterThanOrEqual(4);
  });

  it("really ran CDK Terrain: each side's metadata names its own generator's version", () => {
    const cdktfVersion = readJson(require.resolve("cdktf/package.json")).version;
    const cdktnVersion = readJson(require.resolve("cdktn/package.json")).version;
    expect(cdktnVersion).not.toBe(cdktfVersion);
    for (const name of Object.keys(cdktf.stacks)) {
      expect(cdktf.stacks[name]?.["//"].metadata.version).toBe(cdktfVersion);
      expect(cdktn.stacks[name]?.["//"].metadata.version).toBe(cdktnVersion);
    }
  });

  it("constrains the AWS provider to the version each provider package was generated from", () => {
    const provider = (pkg: string) => readJson(require.resolve(`${pkg}/package.json`)).cdktf.provider;
    const [cdktfProvider, cdktnProvider] = [provider("@cdktf/provider-aws"), provider("@cdktn/provider-aws")];
    for (const name of Object.keys(cdktf.stacks)) {
      const cdktfAws = cdktf.stacks[name]?.terraform.required_providers.aws;
      const cdktnAws = cdktn.stacks[name]?.terraform.required_providers.aws;
      expect(cdktfAws.version).toBe(cdktfProvider.version);
      expect(cdktnAws.version).toBe(cdktnProvider.version);
      // Both name the same provider: `aws` is Terraform's shorthand for registry.terraform.io/hashicorp/aws.
      for (const source of [cdktfAws.source, cdktnAws.source]) expect(source).toMatch(/^(hashicorp\/)?aws$/);
    }
  });

  it(`gives every stack identical Terraform JSON apart from ${DOCUMENTED_DIFFERENCES.join(", ")}`, () => {
    for (const name of Object.keys(cdktf.stacks)) {
      const a = withoutDocumentedDifferences(cdktf.stacks[name] as TfJson);
      const b = withoutDocumentedDifferences(cdktn.stacks[name] as TfJson);
      expect(Object.keys(a.resource ?? {}).length).toBeGreaterThan(0);
      expect({ stack: name, json: b }).toEqual({ stack: name, json: a });
    }
  });
});
