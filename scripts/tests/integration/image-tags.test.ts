/**
 * scripts/delivery/tag-image.sh and push-image.sh's tag check against a fake `aws` first on PATH
 * (tests/support/fake-aws/aws, AWS CLI mocked: ECR cannot run here). The registry's lifecycle policy expires images
 * by tag prefix only (infra/src/stacks/registry-stack.ts), so a prd deploy must add `prd-<digest hex>` to the image
 * it promotes, with the manifest's exact bytes (ECR PutImage recomputes the digest from them), and no push may
 * carry a tag without an environment prefix.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { SHARED_CONFIG } from "@sml/infra/config";
import { type AwsResponse, type RecordedAws, recordedAws } from "../support/fake-commands";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const PRD_TAG = `${SHARED_CONFIG.images.tagPrefixes.prd}${DIGEST.slice("sha256:".length)}`;
// A single-platform image manifest as buildx pushes it (--provenance=false), without a trailing newline.
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}';

let aws: RecordedAws;
beforeEach(() => {
  aws = recordedAws("sml-tag-");
});
afterEach(() => aws.cleanup());

const record = (command: string, response: AwsResponse) => aws.record(command, response);

async function script(name: string, args: string[]) {
  const result = await aws.run(`scripts/delivery/${name}`, args);
  return { ...result, calls: aws.calls() };
}

describe("tag-image.sh (AWS CLI mocked)", () => {
  it("adds prd's tag to the promoted image with the manifest ECR holds, without pulling or pushing", async () => {
    record("ecr describe-images", {
      exitCode: 254,
      stderr: "An error occurred (ImageNotFoundException) when calling the DescribeImages operation",
    });
    record("ecr batch-get-image", {
      stdout: JSON.stringify({
        images: [
          {
            imageId: { imageDigest: DIGEST },
            imageManifest: MANIFEST,
            imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
          },
        ],
        failures: [],
      }),
    });
    record("ecr put-image", { stdout: "{}" });
    const result = await script("tag-image.sh", ["serverless-ml-api/prediction", DIGEST, PRD_TAG]);
    expect(result.code).toBe(0);
    const put = result.calls.find((c) => c.startsWith("ecr put-image"));
    expect(put).toContain(`--image-tag ${PRD_TAG} --image-digest ${DIGEST}`);
    expect(put).toContain("--image-manifest-media-type application/vnd.oci.image.manifest.v1+json");
    expect(result.stderr).toContain(`tagged serverless-ml-api/prediction@${DIGEST} as ${PRD_TAG}`);
  });

  it("does nothing when the tag is already on that image (a second deploy of the same digest)", async () => {
    record("ecr describe-images", { stdout: `${DIGEST}\n` });
    const result = await script("tag-image.sh", ["serverless-ml-api/prediction", DIGEST, PRD_TAG]);
    expect(result.code).toBe(0);
    expect(result.calls.some((c) => c.startsWith("ecr put-image"))).toBe(false);
  });

  it("fails when the tag is on another image, and when the image is not in the registry", async () => {
    record("ecr describe-images", { stdout: `sha256:${"cd".repeat(32)}\n` });
    const taken = await script("tag-image.sh", ["serverless-ml-api/prediction", DIGEST, PRD_TAG]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("already on another image");

    rmSync(join(aws.dir, "ecr.describe-images"), { recursive: true });
    record("ecr describe-images", { exitCode: 254 });
    record("ecr batch-get-image", {
      stdout: JSON.stringify({ images: [], failures: [{ failureCode: "ImageNotFound" }] }),
    });
    const missing = await script("tag-image.sh", ["serverless-ml-api/prediction", DIGEST, PRD_TAG]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("is not in the registry");
    expect(missing.calls.some((c) => c.startsWith("ecr put-image"))).toBe(false);
  });

  it("refuses a malformed digest or tag before calling AWS", async () => {
    for (const args of [
      ["repo", "sha256:short", PRD_TAG],
      ["repo", DIGEST, "-starts-with-a-dash"],
    ]) {
      const result = await script("tag-image.sh", args);
      expect(result.code).toBe(2);
      expect(result.calls).toEqual([]);
    }
  });
});

describe("push-image.sh's tag check", () => {
  it("refuses a tag without an environment's prefix before calling AWS or docker", async () => {
    const result = await script("push-image.sh", [
      "123.dkr.ecr.eu-west-1.amazonaws.com/x",
      "abc123",
      "dist/model-image",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("has no environment prefix");
    expect(result.calls).toEqual([]);
  });

  it("accepts the prefixes the workflows push with (dev-, pr-<number>-) and reuses an existing tag", async () => {
    const { dev, preview } = SHARED_CONFIG.images.tagPrefixes;
    record("ecr describe-images", { stdout: `${DIGEST}\n` });
    for (const tag of [`${dev}0123abc`, `${preview}42-0123abc`]) {
      const result = await script("push-image.sh", [
        "123.dkr.ecr.eu-west-1.amazonaws.com/x",
        tag,
        "dist/model-image",
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(DIGEST);
    }
  });
});
