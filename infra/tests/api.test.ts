import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { DEFAULT_ROUTE, ROUTES, routeKey } from "@sml/contracts/routes";
import { getEnvironmentConfig, SITE, validateConfig } from "../src/config";
import { ACCESS_LOG_FORMAT, routeArnPath } from "../src/constructs/api";
import { bodyOf, ref, resourcesOf, synthEnvironment, type TfJson } from "./support/synth";

const dev = synthEnvironment(getEnvironmentConfig("dev"));
const prd = synthEnvironment(getEnvironmentConfig("prd"));

const all = (json: TfJson, type: string) => resourcesOf(json, type).map(([, r]) => r);
const integrationFor = (json: TfJson, target: string) =>
  Object.entries(json.resource.aws_apigatewayv2_integration as Record<string, TfJson>).find(([id]) =>
    id.startsWith(`api_${target}-integration`),
  );

describe("HTTP API", () => {
  it("is an HTTP API", () => {
    expect(dev.text).toHaveResourceWithProperties(Apigatewayv2Api, {
      protocol_type: "HTTP",
      name: "sml-dev-api",
    });
  });

  it("has exactly one route per entry of the shared route table, plus $default", () => {
    expect(
      all(dev.json, "aws_apigatewayv2_route")
        .map((r) => r.route_key)
        .sort(),
    ).toEqual([...ROUTES.map(routeKey), "$default"].sort());
  });

  it.each([
    ["dev", dev],
    ["prd", prd],
  ])("sends unmatched requests to the api function through an open $default route in %s", (_env, synth) => {
    const [apiId] = integrationFor(synth.json, "api") ?? [];
    expect(DEFAULT_ROUTE).toEqual({ routeKey: "$default", target: "api" });
    expect(bodyOf(synth.json, synth.env.api.defaultRoute)).toMatchObject({
      route_key: "$default",
      target: `integrations/\${aws_apigatewayv2_integration.${apiId}.id}`,
      authorization_type: "NONE",
    });
    expect(bodyOf(synth.json, synth.env.api.defaultRoute).authorizer_id).toBeUndefined();
  });

  it("lets the $default route invoke the api function's live alias through its own ARN only", () => {
    const executionArn = ref("aws_apigatewayv2_api", dev.env.api.api.friendlyUniqueId, "execution_arn");
    const permissions = all(dev.json, "aws_lambda_permission").filter((p) =>
      String(p.source_arn).endsWith("$default"),
    );
    expect(permissions).toEqual([
      expect.objectContaining({
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
        // A reference, so Terraform creates the permission after the function and replaces it with it.
        function_name: ref(
          "aws_lambda_function",
          dev.env.functions.api.function.friendlyUniqueId,
          "function_name",
        ),
        source_arn: `${executionArn}/*/$default`,
        qualifier: ref("aws_lambda_alias", dev.env.functions.api.liveAlias.friendlyUniqueId, "name"),
      }),
    ]);
  });

  it("sends each route to its target's Lambda proxy integration with payload 2.0", () => {
    const [apiId, apiIntegration] = integrationFor(dev.json, "api") ?? [];
    const [predictionId, predictionIntegration] = integrationFor(dev.json, "prediction") ?? [];
    expect(apiIntegration).toMatchObject({
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: ref(
        "aws_lambda_alias",
        dev.env.functions.api.liveAlias.friendlyUniqueId,
        "invoke_arn",
      ),
    });
    expect(predictionIntegration).toMatchObject({
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: ref("aws_lambda_alias", dev.env.prediction.alias.friendlyUniqueId, "invoke_arn"),
    });
    const [batchesId, batchesIntegration] = integrationFor(dev.json, "batches") ?? [];
    expect(batchesIntegration).toMatchObject({
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: ref("aws_lambda_alias", dev.env.batches.http.liveAlias.friendlyUniqueId, "invoke_arn"),
    });
    const integrationOf = { api: apiId, prediction: predictionId, batches: batchesId };
    const routes = all(dev.json, "aws_apigatewayv2_route");
    for (const route of ROUTES) {
      const id = integrationOf[route.target];
      expect(routes.find((r) => r.route_key === routeKey(route))?.target).toBe(
        `integrations/\${aws_apigatewayv2_integration.${id}.id}`,
      );
    }
  });

  it("throttles the $default stage with the environment's limits", () => {
    expect(bodyOf(dev.json, dev.env.api.stage)).toMatchObject({
      name: "$default",
      auto_deploy: true,
      default_route_settings: expect.objectContaining({
        throttling_rate_limit: 50,
        throttling_burst_limit: 100,
      }),
    });
    expect(bodyOf(prd.json, prd.env.api.stage).default_route_settings).toMatchObject({
      throttling_rate_limit: 500,
      throttling_burst_limit: 1000,
    });
  });

  it("writes JSON access logs to a log group with retention", () => {
    const stage = bodyOf(dev.json, dev.env.api.stage);
    expect(stage.access_log_settings).toEqual({
      destination_arn: ref("aws_cloudwatch_log_group", dev.env.api.accessLogGroup.friendlyUniqueId, "arn"),
      format: ACCESS_LOG_FORMAT,
    });
    expect(JSON.parse(stage.access_log_settings.format)).toMatchObject({
      requestId: "$context.requestId",
      routeKey: "$context.routeKey",
      status: "$context.status",
    });
    expect(bodyOf(dev.json, dev.env.api.accessLogGroup).retention_in_days).toBe(14);
  });

  it("names the caller of every request in the access log by the token's sub, never by e-mail", () => {
    for (const env of [dev, prd]) {
      const format = JSON.parse(bodyOf(env.json, env.env.api.stage).access_log_settings.format) as Record<
        string,
        string
      >;
      // API Gateway developer guide, "Customize HTTP API access logs": $context.authorizer.claims.<property>.
      expect(Object.values(format)).toContain("$context.authorizer.claims.sub");
      expect(Object.values(format).some((v) => /email/i.test(v))).toBe(false);
    }
  });

  it("lets each route invoke its function only through its own method and path", () => {
    // API Gateway's: the batch sweeper's schedule has its own (batch.test.ts).
    const permissions = all(dev.json, "aws_lambda_permission").filter(
      (p) => p.principal === "apigateway.amazonaws.com",
    );
    // One per route of the table, one for $default.
    expect(permissions).toHaveLength(ROUTES.length + 1);
    const executionArn = ref("aws_apigatewayv2_api", dev.env.api.api.friendlyUniqueId, "execution_arn");
    for (const route of ROUTES) {
      const sourceArn = `${executionArn}/*/${route.method}${routeArnPath(route.path)}`;
      const permission = permissions.find((p) => p.source_arn === sourceArn);
      expect(permission).toMatchObject({
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
      });
      const alias = {
        api: dev.env.functions.api.liveAlias,
        prediction: dev.env.prediction.alias,
        batches: dev.env.batches.http.liveAlias,
      }[route.target];
      expect(permission?.qualifier).toBe(ref("aws_lambda_alias", alias.friendlyUniqueId, "name"));
    }
    expect(routeArnPath("/users/{id}")).toBe("/users/*");
  });

  it.each([
    ["dev", () => dev],
    ["prd", () => prd],
  ])("protects every route but /health and the document with a Cognito JWT authorizer in %s", (_, stack) => {
    const { env, json, text } = stack();
    const pool = env.api.userPool;
    const client = env.api.userPoolClient;
    const smoke = env.api.smokeTestClient;
    const authorizer = env.api.authorizer;
    if (!pool || !client || !smoke || !authorizer) throw new Error("no JWT authorizer");
    expect(text).toHaveResourceWithProperties(Apigatewayv2Authorizer, {
      authorizer_type: "JWT",
      identity_sources: ["$request.header.Authorization"],
      jwt_configuration: {
        audience: [
          ref("aws_cognito_user_pool_client", client.friendlyUniqueId, "id"),
          ref("aws_cognito_user_pool_client", smoke.friendlyUniqueId, "id"),
          // The site's access tokens (authorization code + PKCE) carry its client id.
          ref("aws_cognito_user_pool_client", env.signIn.siteClient.friendlyUniqueId, "id"),
        ],
        issuer: `https://cognito-idp.${SITE.region}.amazonaws.com/${ref("aws_cognito_user_pool", pool.friendlyUniqueId, "id")}`,
      },
    });
    const routes = all(json, "aws_apigatewayv2_route");
    for (const route of ROUTES) {
      const synthesized = routes.find((r) => r.route_key === routeKey(route));
      if (route.authorized)
        expect(synthesized).toMatchObject({
          authorization_type: "JWT",
          authorizer_id: ref("aws_apigatewayv2_authorizer", authorizer.friendlyUniqueId, "id"),
        });
      else expect(synthesized).toMatchObject({ authorization_type: "NONE" });
    }
    expect(ROUTES.filter((r) => !r.authorized).map((r) => r.path)).toEqual(["/health", "/openapi.json"]);
  });

  it("refuses an environment without the authorizer (issue 28: a token everywhere)", () => {
    expect(() =>
      validateConfig({
        ...getEnvironmentConfig("dev"),
        api: { ...getEnvironmentConfig("dev").api, jwtAuthorizer: false },
      }),
    ).toThrow(/api.jwtAuthorizer must be on/);
  });

  it("protects prd's user pool (and its users) against deletion", () => {
    const pool = prd.env.api.userPool;
    if (!pool) throw new Error("prd has no user pool");
    expect(bodyOf(prd.json, pool).deletion_protection).toBe("ACTIVE");
    const devWithPool = synthEnvironment({
      ...getEnvironmentConfig("dev"),
      api: { ...getEnvironmentConfig("dev").api, jwtAuthorizer: true },
    });
    const devPool = devWithPool.env.api.userPool;
    if (!devPool) throw new Error("no dev user pool");
    expect(bodyOf(devWithPool.json, devPool).deletion_protection).toBe("INACTIVE");
  });

  it("keeps the command line's client (scripts/delivery/token.sh) to password and refresh sign-in, without a secret, revocable", () => {
    const client = prd.env.api.userPoolClient;
    if (!client) throw new Error("prd has no app client");
    expect(bodyOf(prd.json, client)).toMatchObject({
      explicit_auth_flows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      generate_secret: false,
      enable_token_revocation: true,
    });
  });

  it("gives the smoke test its own client: admin password sign-in, no secret, 15-minute tokens, output for the scripts", () => {
    const pool = prd.env.api.userPool;
    const smoke = prd.env.api.smokeTestClient;
    if (!pool || !smoke) throw new Error("prd has no smoke-test client");
    expect(bodyOf(prd.json, smoke)).toEqual(
      expect.objectContaining({
        name: "sml-prd-smoke-test-client",
        user_pool_id: ref("aws_cognito_user_pool", pool.friendlyUniqueId, "id"),
        explicit_auth_flows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        generate_secret: false,
        prevent_user_existence_errors: "ENABLED",
        enable_token_revocation: true,
        id_token_validity: 15,
        access_token_validity: 15,
        refresh_token_validity: 60,
        token_validity_units: [{ id_token: "minutes", access_token: "minutes", refresh_token: "minutes" }],
      }),
    );
    expect(prd.json.output.user_pool_smoke_test_client_id.value).toBe(
      ref("aws_cognito_user_pool_client", smoke.friendlyUniqueId, "id"),
    );
  });

  it("exposes the API id and stage name the alarms need", () => {
    expect(dev.env.api.stageName).toBe("$default");
    expect(dev.json.output.api_url.value).toBe(
      ref("aws_apigatewayv2_stage", dev.env.api.stage.friendlyUniqueId, "invoke_url"),
    );
  });
});
