import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { DEFAULT_ROUTE, type Route, type RouteTarget, routeKey } from "@sml/contracts/routes";
import { Construct } from "constructs";
import type { ApiConfig } from "../config";
import { slug } from "../config/slo";
import { SITE_TOKEN_VALIDITY } from "./sign-in";

/** A function API Gateway invokes: its name, the ARN to invoke, and the alias (qualifier) if any. */
export interface ApiTarget {
  /**
   * A reference to the function's name (`function.functionName`), never the literal: a permission naming a
   * literal has no dependency on its function, so Terraform may create it first (the provider retries a missing
   * function for about 5 minutes, then fails the apply) and a replaced function loses it.
   */
  readonly functionName: string;
  readonly invokeArn: string;
  readonly qualifier?: string;
}

export interface ApiProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly config: ApiConfig;
  readonly routes: readonly Route[];
  readonly targets: Record<RouteTarget, ApiTarget>;
  readonly logRetentionDays: number;
  /** `prevent_destroy` on the user pool: a replaced pool has no users and new client ids (config `preventDestroy`). */
  readonly preventDestroy?: boolean;
}

/** Stage name; `$default` serves at the API's root URL. */
export const STAGE_NAME = "$default";

/** One JSON object per request in the access log (CloudWatch Logs Insights reads the fields directly). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  authorizerError: "$context.authorizer.error",
  // Who called: the token's `sub` (API Gateway developer guide, "Customize HTTP API access logs":
  // $context.authorizer.claims.property), never an e-mail address. Empty on open routes and refused tokens.
  caller: "$context.authorizer.claims.sub",
});

/**
 * Token lifetimes of the smoke-test client: long enough for a deploy's smoke test and the integration run
 * (minutes), as short as Cognito allows for ID/access tokens (5 min) plus margin, refresh at its minimum (1 h).
 */
export const SMOKE_TEST_TOKEN_VALIDITY = Object.freeze({
  idTokenValidity: 15,
  accessTokenValidity: 15,
  refreshTokenValidity: 60,
  tokenValidityUnits: [{ idToken: "minutes", accessToken: "minutes", refreshToken: "minutes" }],
});

/** `/users/{id}` -> `/users/*`: the resource part of an execute-api ARN for a route. */
export const routeArnPath = (path: string): string => path.replace(/\{[^}]+\}/g, "*");

/**
 * HTTP API with one route per entry of the shared route table, Lambda proxy integrations (payload 2.0), a
 * `$default` stage that throttles and writes JSON access logs, and an optional Cognito JWT authorizer on the
 * routes marked `authorized`. Each route may invoke its function only through its own method and path.
 * A `$default` route sends every other request to the api function, which answers it in the API's JSON error
 * format: 404 for an unknown path, 405 with `Allow` for a known path with another method.
 */
export class Api extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly routes: Apigatewayv2Route[] = [];
  /** Catch-all route to the api function for requests no route of the table matches. */
  readonly defaultRoute: Apigatewayv2Route;
  readonly authorizer: Apigatewayv2Authorizer | undefined;
  readonly userPool: CognitoUserPool | undefined;
  readonly userPoolClient: CognitoUserPoolClient | undefined;
  /** App client of the deploy smoke and integration tests (admin password sign-in), with the authorizer only. */
  readonly smokeTestClient: CognitoUserPoolClient | undefined;
  /** The stage's invoke URL (`https://<api id>.execute-api.<region>.amazonaws.com/`). */
  readonly url: string;
  readonly stageName = STAGE_NAME;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { namePrefix, config } = props;
    this.api = new Apigatewayv2Api(this, "api", {
      name: `${namePrefix}-api`,
      protocolType: "HTTP",
      description: "serverless-ml-api: users and predictions",
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${namePrefix}-api`,
      retentionInDays: props.logRetentionDays,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: STAGE_NAME,
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: config.throttlingRateLimit,
        throttlingBurstLimit: config.throttlingBurstLimit,
        detailedMetricsEnabled: config.detailedMetrics,
      },
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
    });
    this.url = this.stage.invokeUrl;

    if (config.jwtAuthorizer) {
      this.userPool = new CognitoUserPool(this, "users", {
        name: `${namePrefix}-users`,
        usernameAttributes: ["email"],
        autoVerifiedAttributes: ["email"],
        // Invite-only: with self-registration on, anyone on the internet could sign up, verify an e-mail address
        // and pass the JWT authorizer. People are invited (scripts/delivery/token.sh invite, docs/operations.md
        // "A token for curl"); groups and more clients are added beside this pool, never by opening sign-up.
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        passwordPolicy: {
          minimumLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: false,
        },
        mfaConfiguration: "OPTIONAL",
        softwareTokenMfaConfiguration: { enabled: true },
        deletionProtection: config.userPoolDeletionProtection ? "ACTIVE" : "INACTIVE",
        // Deletion protection stops a delete at AWS, after Terraform has planned it; prevent_destroy stops the
        // plan (a changed username_attributes or schema replaces the pool).
        lifecycle: { preventDestroy: props.preventDestroy ?? false },
      });
      // The command line's client (output user_pool_client_id): USER_PASSWORD_AUTH so a person gets a token for
      // curl with the AWS CLI alone (scripts/delivery/token.sh; the password goes to Cognito over TLS, never to
      // the API). No app uses it: the site signs in through its own client (sign-in.ts: code grant + PKCE, no
      // password flow), so no SRP here either, and the policy rule user-pool-password-flow-cli-only keeps the
      // password flow on this one client. The trade-off is in docs/deploy.md ("People").
      this.userPoolClient = new CognitoUserPoolClient(this, "client", {
        name: `${namePrefix}-api-client`,
        userPoolId: this.userPool.id,
        generateSecret: false,
        explicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        // Stated, not Cognito's defaults (a 30-day refresh token): the site's lifetimes.
        ...SITE_TOKEN_VALIDITY,
      });
      // The workflows sign a throwaway user in with AdminInitiateAuth (scripts/delivery/smoke-user.sh), a flow the
      // public client must not allow. Its own client keeps that flow out of the app's client; it needs IAM rights
      // (cognito-idp:AdminInitiateAuth), so it opens nothing to the internet, and its tokens expire quickly.
      this.smokeTestClient = new CognitoUserPoolClient(this, "smoke-test-client", {
        name: `${namePrefix}-smoke-test-client`,
        userPoolId: this.userPool.id,
        generateSecret: false,
        explicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        ...SMOKE_TEST_TOKEN_VALIDITY,
      });
      this.authorizer = new Apigatewayv2Authorizer(this, "jwt", {
        apiId: this.api.id,
        name: "cognito",
        authorizerType: "JWT",
        identitySources: ["$request.header.Authorization"],
        jwtConfiguration: {
          // ID tokens carry their client id as `aud`: the smoke test's tokens must pass the authorizer too.
          audience: [this.userPoolClient.id, this.smokeTestClient.id],
          issuer: `https://cognito-idp.${props.region}.amazonaws.com/${this.userPool.id}`,
        },
      });
    }

    const integrations = new Map<RouteTarget, Apigatewayv2Integration>();
    const integrationFor = (name: RouteTarget): Apigatewayv2Integration => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new Apigatewayv2Integration(this, `${name}-integration`, {
          apiId: this.api.id,
          integrationType: "AWS_PROXY",
          integrationMethod: "POST",
          integrationUri: props.targets[name].invokeArn,
          payloadFormatVersion: "2.0",
          timeoutMilliseconds: 29000,
        });
        integrations.set(name, integration);
      }
      return integration;
    };
    for (const route of props.routes) {
      const target = props.targets[route.target];
      const integration = integrationFor(route.target);
      const key = routeKey(route);
      const id = slug(key);
      const protectedRoute = route.authorized && this.authorizer;
      this.routes.push(
        new Apigatewayv2Route(this, `route-${id}`, {
          apiId: this.api.id,
          routeKey: key,
          target: `integrations/${integration.id}`,
          ...(protectedRoute
            ? { authorizationType: "JWT", authorizerId: this.authorizer?.id }
            : { authorizationType: "NONE" }),
        }),
      );
      new LambdaPermission(this, `invoke-${id}`, {
        statementId: `apigateway-${id}`,
        action: "lambda:InvokeFunction",
        functionName: target.functionName,
        ...(target.qualifier ? { qualifier: target.qualifier } : {}),
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.api.executionArn}/*/${route.method}${routeArnPath(route.path)}`,
      });
    }

    // Without a `$default` route API Gateway itself answers unmatched requests, with 404 {"message":"Not
    // Found"} even for a known path with another method. The api function answers them instead (404 in the
    // API's error format, 405 with Allow). No authorizer: the function never runs a route handler for a
    // `$default` event (app-api/src/adapters/http-handler.ts), so all it can reveal is the route table, which the
    // 405's Allow header is meant to show.
    this.defaultRoute = new Apigatewayv2Route(this, "route-default", {
      apiId: this.api.id,
      routeKey: DEFAULT_ROUTE.routeKey,
      target: `integrations/${integrationFor(DEFAULT_ROUTE.target).id}`,
      authorizationType: "NONE",
    });
    // `$default` has no method or path: its execute-api ARN is `<api>/<stage>/$default`, so this grant covers
    // the catch-all route only, not the table's routes.
    const defaultTarget = props.targets[DEFAULT_ROUTE.target];
    new LambdaPermission(this, "invoke-default", {
      statementId: "apigateway-default",
      action: "lambda:InvokeFunction",
      functionName: defaultTarget.functionName,
      ...(defaultTarget.qualifier ? { qualifier: defaultTarget.qualifier } : {}),
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/${DEFAULT_ROUTE.routeKey}`,
    });
  }
}
