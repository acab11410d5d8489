/**
 * Contract between scripts/delivery/push-image.sh and every place that calls it (the workflows' run steps and the
 * repository's shell scripts): each call's tag, expanded as bash would with sample values, must be one the real
 * push-image.sh accepts. push-image.sh refuses a tag without an environment prefix because the registry's
 * lifecycle rules expire images by tag prefix only (infra/src/stacks/registry-stack.ts); a caller that passed the
 * bare commit (laptop-deploy.sh, review of issue 24, finding 6) failed only on a real deploy. The AWS CLI is faked
 * (ECR cannot run here): the tag's image "exists", so push-image.sh reuses it and never needs docker.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { siteFacts } from "@sml/infra/site-facts";
import { REPO_ROOT, repositoryShellScripts, workflowRunBlocks } from "../../delivery/shellcheck";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(60_000);

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"f".repeat(64)}`;

/** `push-image.sh <repository-url> <tag> <context>` calls: where, and the tag word as written. */
function callSites(): { readonly where: string; readonly tag: string }[] {
  const sources = [
    ...workflowRunBlocks().map(({ where, script }) => ({ where, text: script })),
    ...repositoryShellScripts()
      .filter((file) => !file.endsWith("push-image.sh"))
      .map((file) => ({ where: file, text: readFileSync(join(REPO_ROOT, file), "utf8") })),
  ];
  const word = `("(?:[^"\\\\]|\\\\.)*"|'[^']*'|\\S+)`;
  const call = new RegExp(`push-image\\.sh"?\\s+${word}\\s+${word}\\s+${word}`, "g");
  return sources.flatMap(({ where, text }) =>
    text
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#"))
      .flatMap((line) => [...line.matchAll(call)].map((m) => ({ where, tag: m[2] as string }))),
  );
}

/**
 * The tag as bash expands it, with the values a deploy has: a commit, a pull request number, the site's facts
 * (laptop-deploy.sh's `fact`), and `git rev-parse` answering the commit. An unknown variable fails (set -u).
 */
function expand(tag: string, fakes: FakeCommands): string {
  const prelude = [
    "set -euo pipefail",
    `facts='${JSON.stringify(siteFacts())}'`,
    'fact() { jq -er "$1" <<<"$facts"; }',
    `commit=${COMMIT} COMMIT_SHA=${COMMIT} PR_NUMBER=42`,
  ].join("\n");
  return execFileSync("bash", ["-c", `${prelude}\nprintf '%s' ${tag}`], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(fakes.dir, "bin")}:${process.env.PATH}` },
  });
}

let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-push-image-calls-");
  fakes.fake("git", `[[ "$1" == rev-parse ]] && echo ${COMMIT}`);
  fakes.fake("aws", `[[ "$1 $2" == "ecr describe-images" ]] && echo ${DIGEST}`);
  fakes.fake("docker", 'echo "docker must not run: the image exists" >&2; exit 1');
});
afterEach(() => fakes.cleanup());

const sites = callSites();

it("finds the calls of deploy.yml, preview.yml and laptop-deploy.sh", () => {
  const where = sites.map((s) => s.where.split(":")[0]);
  expect(where).toEqual(
    expect.arrayContaining(["deploy.yml", "preview.yml", "scripts/delivery/laptop-deploy.sh"]),
  );
});

it.each(sites.map((s) => [s.where, s.tag] as const))(
  "%s passes a tag push-image.sh accepts: %s",
  async (_where, tag) => {
    const expanded = expand(tag, fakes);
    const result = await fakes.run("scripts/delivery/push-image.sh", [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sml-prediction",
      expanded,
      "dist/model-image",
    ]);
    expect([expanded, result.code, result.stderr]).toEqual([
      expanded,
      0,
      expect.stringContaining("reusing it"),
    ]);
    expect(result.stdout.trim()).toBe(DIGEST);
  },
);

it("fails a bare commit, the tag laptop-deploy.sh once passed (the check can fail)", async () => {
  const result = await fakes.run("scripts/delivery/push-image.sh", [
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sml-prediction",
    expand('"$(git rev-parse HEAD)"', fakes),
    "dist/model-image",
  ]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("has no environment prefix");
});
