/**
 * The preview destroy and sweep (issue 24, item 3), with stand-ins for what needs AWS or providers: `aws` (S3
 * answers as the CLI prints them), `npm run synth` (writes a stack without an image variable) and `npx cdktf`
 * (records the destroy, or fails it); `npx tsx` and the preview facts are real. Terraform's S3 backend keeps the
 * (empty) state object after a destroy (FACTS.md), which is why the script deletes it itself.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(120_000);

const REAL_NPX = execFileSync("bash", ["-c", "command -v npx"], { encoding: "utf8" }).trim();
const facts = JSON.parse(
  execFileSync(
    join(__dirname, "..", "..", "..", "node_modules", ".bin", "tsx"),
    ["infra/src/preview-facts.ts", "42"],
    {
      cwd: join(__dirname, "..", "..", ".."),
      encoding: "utf8",
    },
  ),
) as { stack: string; stateBucket: string; stateKey: string };

let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-preview-");
});
afterEach(() => fakes.cleanup());

/** The state object: absent, a state with resources, or the empty state a destroy leaves. */
function aws(state: "absent" | "resources" | "empty") {
  const body =
    state === "resources"
      ? {
          version: 4,
          serial: 9,
          lineage: "l",
          outputs: {},
          resources: [{ type: "aws_lambda_function", name: "api" }],
        }
      : { version: 4, serial: 10, lineage: "l", outputs: {}, resources: [], check_results: null };
  writeFileSync(join(fakes.dir, "state.json"), JSON.stringify(body));
  fakes.fake(
    "aws",
    `case "$1 $2" in
  "s3api head-object") ${state === "absent" ? 'echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 254' : "echo '{}'"} ;;
  "s3 cp") cp "${fakes.dir}/state.json" "\${@: -2:1}" ;;
  "s3api delete-object") echo '{}' ;;
  *) echo "unexpected aws $*" >&2; exit 252 ;;
esac`,
  );
}

function toolchain(destroy: "succeeds" | "fails") {
  fakes.fake(
    "npm",
    `mkdir -p "$CDKTF_OUTDIR/stacks/${facts.stack}" && echo '{}' > "$CDKTF_OUTDIR/stacks/${facts.stack}/cdk.tf.json"`,
  );
  fakes.fake(
    "npx",
    `if [[ "$1" == cdktf ]]; then ${destroy === "succeeds" ? "exit 0" : 'echo "Error: deleting Lambda function" >&2; exit 1'}; fi
exec "${REAL_NPX}" "$@"`,
  );
}

const destroy = () =>
  fakes.run("scripts/delivery/preview-destroy.sh", ["42"], { CDKTF_OUTDIR: join(fakes.dir, "out") });
const deletes = () => fakes.calls("aws").filter((c) => c.startsWith("aws s3api delete-object"));

it("deletes the state object after a successful destroy", async () => {
  aws("resources");
  toolchain("succeeds");
  const result = await destroy();
  expect(result.code).toBe(0);
  expect(fakes.calls("npx").filter((c) => c.startsWith("npx cdktf"))).toEqual([
    `npx cdktf destroy ${facts.stack} --auto-approve`,
  ]);
  expect(deletes()).toEqual([
    `aws s3api delete-object --bucket ${facts.stateBucket} --key ${facts.stateKey}`,
  ]);
});

it("keeps the state when the destroy fails, so the next run retries", async () => {
  aws("resources");
  toolchain("fails");
  const result = await destroy();
  expect(result.code).not.toBe(0);
  expect(deletes()).toEqual([]);
});

it("deletes an empty state left by an earlier destroy without running Terraform again", async () => {
  aws("empty");
  toolchain("succeeds");
  const result = await destroy();
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("holds no resources");
  expect(fakes.calls("npm")).toEqual([]);
  expect(fakes.calls("npx").filter((c) => c.startsWith("npx cdktf"))).toEqual([]);
  expect(deletes()).toHaveLength(1);
});

it("does nothing for a preview without state", async () => {
  aws("absent");
  toolchain("succeeds");
  const result = await destroy();
  expect(result.code).toBe(0);
  expect(fakes.calls("aws")).toHaveLength(1);
});
