import { CognitoUserGroup } from "@cdktf/provider-aws/lib/cognito-user-group";
import type { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { CognitoUserPoolDomain } from "@cdktf/provider-aws/lib/cognito-user-pool-domain";
import { ADMIN_GROUP, USER_GROUPS } from "@sml/contracts/auth";
import { Construct } from "constructs";

/**
 * Token lifetimes of the site's client: an hour of work between sign-ins for access and ID tokens (Cognito's
 * default, allowed 5 minutes to 1 day), a working day for the refresh token (Cognito allows 1 hour to 10 years;
 * default 30 days); the site keeps tokens in the tab's session storage only.
 */
export const SITE_TOKEN_VALIDITY = Object.freeze({
  accessTokenValidity: 60,
  idTokenValidity: 60,
  refreshTokenValidity: 12,
  tokenValidityUnits: [{ accessToken: "minutes", idToken: "minutes", refreshToken: "hours" }],
});

export interface SignInProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly region: string;
  readonly userPool: CognitoUserPool;
  /** The site's origin (`https://<distribution domain>`): the only callback and sign-out URL. */
  readonly siteUrl: string;
}

/**
 * Sign-in for the site on the API's user pool: the groups `analysts` and `admins` (admins list everyone's batches),
 * Cognito's hosted sign-in on a domain prefix of the pool, and a public app client (no secret) for the authorization
 * code grant, whose only callback is the site's own page. PKCE: the site always sends an S256 challenge; Cognito
 * checks the verifier whenever a challenge was sent.
 */
export class SignIn extends Construct {
  readonly groups: Record<(typeof USER_GROUPS)[number], CognitoUserGroup>;
  readonly domain: CognitoUserPoolDomain;
  readonly siteClient: CognitoUserPoolClient;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: the site's OAuth authority. */
  readonly authority: string;

  constructor(scope: Construct, id: string, props: SignInProps) {
    super(scope, id);
    this.groups = Object.fromEntries(
      USER_GROUPS.map((name, i) => [
        name,
        new CognitoUserGroup(this, `group-${name}`, {
          name,
          userPoolId: props.userPool.id,
          description:
            name === ADMIN_GROUP ? "Sees everyone's batches" : "Scores files and sees their own batches",
          // Lower is stronger when a user is in several groups.
          precedence: USER_GROUPS.length - i,
        }),
      ]),
    ) as SignIn["groups"];
    // Domain prefixes are global per region: the account id keeps two accounts' environments apart.
    this.domain = new CognitoUserPoolDomain(this, "domain", {
      domain: `${props.namePrefix}-${props.accountId}`,
      userPoolId: props.userPool.id,
    });
    this.authority = `https://${this.domain.domain}.auth.${props.region}.amazoncognito.com`;
    const callback = `${props.siteUrl}/`;
    this.siteClient = new CognitoUserPoolClient(this, "site-client", {
      name: `${props.namePrefix}-site`,
      userPoolId: props.userPool.id,
      generateSecret: false,
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthFlows: ["code"],
      allowedOauthScopes: ["openid"],
      supportedIdentityProviders: ["COGNITO"],
      callbackUrls: [callback],
      logoutUrls: [callback],
      // Only the hosted sign-in: no password flows through this public client.
      explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
      preventUserExistenceErrors: "ENABLED",
      enableTokenRevocation: true,
      ...SITE_TOKEN_VALIDITY,
    });
  }
}
