import type { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "../config";
import { type BuiltFunction, LIVE_ALIAS, registryFunctionProps, ServiceFunction } from "./service-function";

export interface PredictionProps {
  readonly config: EnvironmentConfig;
  /** `<repository url>@sha256:<digest>`: an image that already exists in ECR (see infra/README.md, deploy order). */
  readonly imageUri: string;
}

/** The alias API Gateway invokes; provisioned concurrency (when on) is attached to it. */
export const PREDICTION_ALIAS = LIVE_ALIAS;

/**
 * The prediction function: a container image (TensorFlow.js model inside), outside the VPC because it reads
 * nothing but its own image. Every image change publishes a version; CodeDeploy moves the `live` alias to it
 * (constructs/deployment.ts). The alias carries the optional provisioned concurrency; reserved concurrency caps
 * (and guarantees) its share.
 */
export class Prediction extends Construct {
  readonly fn: ServiceFunction;
  /** The registry's functions this construct builds, by name. */
  readonly built: { readonly prediction: BuiltFunction };
  readonly alias: LambdaAlias;
  readonly provisionedConcurrency: LambdaProvisionedConcurrencyConfig | undefined;

  constructor(scope: Construct, id: string, props: PredictionProps) {
    super(scope, id);
    const { config } = props;
    const settings = config.prediction;
    this.fn = new ServiceFunction(this, "prediction", {
      ...registryFunctionProps("prediction", config.namePrefix),
      code: { kind: "image", imageUri: props.imageUri },
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      statements: [],
      ...(settings.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: settings.reservedConcurrency }),
    });
    this.built = { prediction: { fn: this.fn } };
    this.alias = this.fn.liveAlias;
    this.provisionedConcurrency =
      settings.provisionedConcurrency === undefined
        ? undefined
        : new LambdaProvisionedConcurrencyConfig(this, "provisioned", {
            functionName: this.fn.function.functionName,
            qualifier: this.alias.name,
            provisionedConcurrentExecutions: settings.provisionedConcurrency,
          });
  }
}
