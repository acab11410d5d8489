import { ConfigError, loadConfig } from "../../src/config";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:users-dev";

describe("loadConfig", () => {
  it("throws a ConfigError naming TOPIC_ARN when it is missing", () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/TOPIC_ARN/);
  });

  it("rejects a TOPIC_ARN that is not an SNS topic ARN, naming it", () => {
    expect(() => loadConfig({ TOPIC_ARN: "users-dev" })).toThrow(/TOPIC_ARN must be an SNS topic ARN/);
    expect(() => loadConfig({ TOPIC_ARN: "arn:aws:sqs:eu-west-1:123456789012:users" })).toThrow(/TOPIC_ARN/);
  });

  it("returns a frozen config with the health timeout defaulting to 2 s", () => {
    const config = loadConfig({ TOPIC_ARN: TOPIC });
    expect(config).toEqual({
      topicArn: TOPIC,
      healthTimeoutMs: 2000,
      serviceName: "users-api",
      metricsNamespace: "ServerlessMlApi",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes the service name and metrics namespace the infrastructure sets", () => {
    const config = loadConfig({
      TOPIC_ARN: TOPIC,
      POWERTOOLS_SERVICE_NAME: "api",
      POWERTOOLS_METRICS_NAMESPACE: "serverless-ml-api",
    });
    expect(config).toMatchObject({ serviceName: "api", metricsNamespace: "serverless-ml-api" });
  });

  it("names API_HEALTH_TIMEOUT_MS when it is not a number in range", () => {
    expect(() => loadConfig({ TOPIC_ARN: TOPIC, API_HEALTH_TIMEOUT_MS: "soon" })).toThrow(
      /API_HEALTH_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ TOPIC_ARN: TOPIC, API_HEALTH_TIMEOUT_MS: "60000" })).toThrow(
      /API_HEALTH_TIMEOUT_MS/,
    );
  });
});
