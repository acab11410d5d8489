/**
 * scripts/delivery/drift-plan.sh with the plan role, which may not write state lock files (review of issue 24,
 * finding 10): drift plans take no lock (-lock=false) and instead wait, reading, while a deploy's S3 lock object
 * `<key>.tflock` exists (Terraform's S3 backend with use_lockfile names it so). `terraform` and `aws` are stand-ins.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeCommands, fakeCommands } from "../support/fake-commands";

jest.setTimeout(60_000);

const STACK = "sml-registry";
const BACKEND = { s3: { bucket: "state-bucket", key: `serverless-ml-api/${STACK}/terraform.tfstate` } };
let fakes: FakeCommands;
beforeEach(() => {
  fakes = fakeCommands("sml-drift-lock-");
  const dir = join(fakes.dir, "cdktf.out", "stacks", STACK);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify({ terraform: { backend: BACKEND } }));
  fakes.fake("terraform", 'case "$2" in plan) exit 0 ;; esac');
});
afterEach(() => fakes.cleanup());

/** aws answering head-object on the lock object as present for the first `present` calls, then 404. */
function lockPresentFor(present: number) {
  fakes.fake(
    "aws",
    `count_file="${fakes.dir}/head-count"; n=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$count_file"
if [[ "$1 $2" == "s3api head-object" ]] && ((n <= ${present})); then echo '{"ContentLength": 120}'; exit 0; fi
echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 254`,
  );
}

const drift = (env: Record<string, string> = {}) =>
  fakes.run("scripts/delivery/drift-plan.sh", [STACK, join(fakes.dir, "plan.json")], env, fakes.dir);

it("waits while a deploy's lock object exists, then plans", async () => {
  lockPresentFor(2);
  const result = await drift({ DRIFT_LOCK_POLL_SECONDS: "0" });
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe("0");
  expect(fakes.calls("aws")).toEqual(
    Array(3).fill(`aws s3api head-object --bucket ${BACKEND.s3.bucket} --key ${BACKEND.s3.key}.tflock`),
  );
  expect(fakes.calls("terraform").map((c) => c.split(" ")[2])).toEqual(["init", "plan"]);
});

it("gives up, naming the lock, when the deploy outlasts the wait, and plans nothing", async () => {
  lockPresentFor(1000);
  const result = await drift({ DRIFT_LOCK_WAIT_SECONDS: "0" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`s3://${BACKEND.s3.bucket}/${BACKEND.s3.key}.tflock is still there`);
  expect(fakes.calls("terraform").some((c) => c.includes(" plan"))).toBe(false);
});
