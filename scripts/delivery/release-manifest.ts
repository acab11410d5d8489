/**
 * Build once, promote: what dev ran, written down by dev's deploy and checked by prd's. A dev deploy that passed
 * its smoke test writes a release manifest (the commit, the image digest dev runs, the SHA-256 of every function
 * zip it deployed) and uploads it with the zips as the workflow artifact `release-<commit>`. A prd deploy of that
 * commit downloads the artifact, verifies every zip against the manifest, and deploys the image digest dev runs
 * (or the one given as input): it never builds.
 *
 * Usage:
 *   tsx scripts/delivery/release-manifest.ts write <commit> <image-digest> <root>        > release.json
 *   tsx scripts/delivery/release-manifest.ts verify <release.json> <commit> <root>
 *   tsx scripts/delivery/release-manifest.ts digest <release.json> [<requested-digest>]
 * `<root>` holds `dist/functions/<name>.zip` (the repository root after `npm run build`, or the downloaded artifact).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ZIP_FUNCTION_NAMES, type ZipFunctionName, zipBundleFile } from "@sml/contracts/functions";

/** A container image digest as ECR and Lambda report it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A full git commit SHA: a release names exactly one commit. */
const COMMIT = /^[0-9a-f]{40}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface ReleaseManifest {
  /** The commit dev built, deployed and smoke-tested. */
  readonly commit: string;
  /** The prediction image digest dev runs (its stack output `prediction_image`). */
  readonly imageDigest: string;
  /** SHA-256 (hex) of each function zip, by path relative to the root (`dist/functions/api.zip`). */
  readonly artifacts: Readonly<Record<string, string>>;
}

/** Bad input or a failed check: the message names the field or file and what to do. */
export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The zip files a release carries: one per zip function of the registry (@sml/contracts/functions). */
export function releaseFiles(names: readonly ZipFunctionName[] = ZIP_FUNCTION_NAMES): string[] {
  return names.map(zipBundleFile);
}

export function writeManifest(commit: string, imageDigest: string, root: string): ReleaseManifest {
  if (!COMMIT.test(commit))
    throw new ReleaseError(`commit ${JSON.stringify(commit)} is not a full 40-hex commit SHA`);
  if (!IMAGE_DIGEST.test(imageDigest))
    throw new ReleaseError(`image digest ${JSON.stringify(imageDigest)} is not sha256:<64 hex characters>`);
  const artifacts: Record<string, string> = {};
  for (const file of releaseFiles()) {
    const path = join(root, file);
    if (!existsSync(path))
      throw new ReleaseError(`${file} is missing under ${root}: run npm run build first`);
    artifacts[file] = sha256File(path);
  }
  return { commit, imageDigest, artifacts };
}

/** Reads a manifest, refusing one that is not shaped as `writeManifest` writes it. */
export function parseManifest(value: unknown): ReleaseManifest {
  const m = value as Partial<ReleaseManifest> | null;
  if (typeof m !== "object" || m === null) throw new ReleaseError("release manifest is not a JSON object");
  if (typeof m.commit !== "string" || !COMMIT.test(m.commit))
    throw new ReleaseError("release manifest: commit must be a full 40-hex commit SHA");
  if (typeof m.imageDigest !== "string" || !IMAGE_DIGEST.test(m.imageDigest))
    throw new ReleaseError("release manifest: imageDigest must be sha256:<64 hex characters>");
  const artifacts = m.artifacts;
  if (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts))
    throw new ReleaseError("release manifest: artifacts must map file paths to SHA-256 hashes");
  for (const [file, hash] of Object.entries(artifacts))
    if (typeof hash !== "string" || !SHA256_HEX.test(hash))
      throw new ReleaseError(`release manifest: artifacts[${file}] is not a SHA-256 hex hash`);
  return { commit: m.commit, imageDigest: m.imageDigest, artifacts };
}

/**
 * Problems that make the files under `root` something other than what dev ran for `commit` (empty when they
 * are exactly that): another commit, a zip missing or changed, a function the manifest does not cover, or a zip
 * the manifest does not know.
 */
export function verifyRelease(manifest: ReleaseManifest, commit: string, root: string): string[] {
  const problems: string[] = [];
  if (manifest.commit !== commit)
    problems.push(
      `the release is of commit ${manifest.commit}, not ${commit}: deploy ${commit} to dev first`,
    );
  for (const file of releaseFiles())
    if (!(file in manifest.artifacts)) problems.push(`${file}: not in the release (dev never deployed it)`);
  for (const [file, expected] of Object.entries(manifest.artifacts)) {
    const path = join(root, file);
    if (!existsSync(path)) {
      problems.push(`${file}: missing from the downloaded release`);
      continue;
    }
    const actual = sha256File(path);
    if (actual !== expected) problems.push(`${file}: SHA-256 ${actual} is not the ${expected} dev ran`);
  }
  const folders = new Set(releaseFiles().map((f) => dirname(join(root, f))));
  for (const folder of folders)
    if (existsSync(folder))
      for (const name of readdirSync(folder).filter((n) => n.endsWith(".zip"))) {
        const file = releaseFiles().find((f) => join(root, f) === join(folder, name));
        if (!file) problems.push(`${join(folder, name)}: a zip the release does not list`);
      }
  return problems;
}

/**
 * The image digest a prd deploy runs: the one requested (an operator's explicit choice, e.g. a rollback to an
 * older image, which must look like a digest), else the one dev runs according to the release.
 */
export function chooseDigest(
  manifest: ReleaseManifest,
  requested?: string,
): { digest: string; source: "requested" | "dev" } {
  const value = requested?.trim() ?? "";
  if (value === "") return { digest: manifest.imageDigest, source: "dev" };
  if (!IMAGE_DIGEST.test(value))
    throw new ReleaseError(`image-digest input ${JSON.stringify(value)} is not sha256:<64 hex characters>`);
  return { digest: value, source: "requested" };
}

function main(args: string[]): void {
  const [command, ...rest] = args;
  const usage =
    "usage: release-manifest.ts write <commit> <digest> <root> | verify <release.json> <commit> <root> | digest <release.json> [<requested>]";
  const read = (file: string | undefined) => {
    if (!file) throw new ReleaseError(usage);
    return parseManifest(JSON.parse(readFileSync(file, "utf8")));
  };
  switch (command) {
    case "write": {
      const [commit, digest, root] = rest;
      if (!commit || !digest || !root) throw new ReleaseError(usage);
      process.stdout.write(`${JSON.stringify(writeManifest(commit, digest, root), null, 2)}\n`);
      return;
    }
    case "verify": {
      const [file, commit, root] = rest;
      if (!commit || !root) throw new ReleaseError(usage);
      const problems = verifyRelease(read(file), commit, root);
      if (problems.length > 0)
        throw new ReleaseError(`the release does not match:\n- ${problems.join("\n- ")}`);
      process.stdout.write(
        `release of ${commit} verified: ${releaseFiles().length} zips match dev's hashes\n`,
      );
      return;
    }
    case "digest": {
      const [file, requested] = rest;
      const choice = chooseDigest(read(file), requested);
      process.stdout.write(`${JSON.stringify(choice)}\n`);
      return;
    }
    default:
      throw new ReleaseError(usage);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`release-manifest: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
