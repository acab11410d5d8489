import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config";
import { getEnvironmentConfig } from "../src/config";
import { PREDICTION_ALIAS } from "../src/constructs/prediction";
import { IMAGE_DIGEST_VARIABLE } from "../src/stacks/environment-stack";
import { bodyOf, ref, resourcesOf, statementsOf, synthEnvironment } from "./support/synth";

const dev = synthEnvironment(getEnvironmentConfig("dev"));
const prd = synthEnvironment(getEnvironmentConfig("prd"));

describe("prediction function", () => {
  const fn = () => bodyOf(dev.json, dev.env.prediction.fn.function);

  it("runs the container image by digest from the registry repository", () => {
    const [repository] = Object.keys(dev.json.data.aws_ecr_repository);
    expect(dev.json.data.aws_ecr_repository[repository as string].name).toBe("serverless-ml-api/prediction");
    expect(fn()).toMatchObject({
      package_type: "Image",
      image_uri: `\${data.aws_ecr_repository.${repository}.repository_url}@\${var.${IMAGE_DIGEST_VARIABLE}}`,
      architectures: ["arm64"],
      tracing_config: { mode: "Active" },
      publish: true,
    });
    expect(fn().runtime).toBeUndefined();
    expect(fn().handler).toBeUndefined();
  });

  it("runs outside the VPC", () => {
    expect(fn().vpc_config).toBeUndefined();
  });

  it("accepts only a sha256 digest for the image variable", () => {
    const variable = dev.json.variable[IMAGE_DIGEST_VARIABLE];
    expect(variable.type).toBe("string");
    expect(variable.default).toBeUndefined();
    const condition: string = variable.validation[0].condition;
    const pattern = /regex\("([^"]+)"/.exec(condition)?.[1] as string;
    const digest = new RegExp(pattern);
    expect(digest.test(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(digest.test("latest")).toBe(false);
    expect(digest.test(`sha256:${"a".repeat(63)}`)).toBe(false);
  });

  it("has a role that may only write its logs and traces", () => {
    const role = dev.env.prediction.fn.role;
    const policy = Object.values(
      dev.json.resource.aws_iam_role_policy as Record<string, { role: string; policy: string }>,
    ).find((p) => p.role === ref("aws_iam_role", role.friendlyUniqueId, "id"));
    expect(statementsOf(dev.json, policy?.policy ?? "").map((s) => s.sid)).toEqual(["OwnLogGroup", "XRay"]);
  });

  it("points the live alias at the newest published version", () => {
    expect(bodyOf(dev.json, dev.env.prediction.alias)).toMatchObject({
      name: PREDICTION_ALIAS,
      function_version: ref(
        "aws_lambda_function",
        dev.env.prediction.fn.function.friendlyUniqueId,
        "version",
      ),
    });
  });

  it("reserves no concurrency and provisions none in dev", () => {
    expect(fn().reserved_concurrent_executions).toBeUndefined();
    expect(resourcesOf(dev.json, "aws_lambda_provisioned_concurrency_config")).toHaveLength(0);
  });

  it("reserves and provisions concurrency on the live alias in prd", () => {
    expect(bodyOf(prd.json, prd.env.prediction.fn.function).reserved_concurrent_executions).toBe(50);
    expect(prd.text).toHaveResourceWithProperties(LambdaProvisionedConcurrencyConfig, {
      qualifier: ref("aws_lambda_alias", prd.env.prediction.alias.friendlyUniqueId, "name"),
      provisioned_concurrent_executions: 2,
    });
  });
});
