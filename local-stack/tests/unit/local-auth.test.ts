/**
 * The local sign-in against API Gateway's documented JWT authorizer rules (AWS, API Gateway developer guide,
 * "Controlling access to HTTP APIs with JWT authorizers": the token with or without `Bearer `, a key of the JWKS
 * by `kid`, `iss` equal to the issuer, `aud` one of the audiences, or `client_id` when there is no `aud`, `exp` after now, `nbf` and `iat`
 * not after now; otherwise 401 `{"message":"Unauthorized"}` and no integration runs), through the real gateway on
 * 127.0.0.1 with a recording function; and the authorization code + PKCE (RFC 7636, S256) flow the site uses.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callerFromClaims } from "@sml/contracts/auth";
import { ROUTES } from "@sml/contracts/routes";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { type HttpFunction, type LocalApiGateway, startApiGateway } from "../../src/api-gateway";
import { createFrontDoor } from "../../src/front-door";
import {
  accessToken,
  createLocalIssuer,
  LOCAL_CLIENT_ID,
  type LocalIssuer,
  loadSigningKey,
  localSub,
  signJwt,
  verifyBearer,
} from "../../src/local-auth";
import { parseTokenArgs } from "../../src/token";

let dir: string;
let gateway: LocalApiGateway;
let issuer: LocalIssuer;
const events: APIGatewayProxyEventV2[] = [];

const recording: HttpFunction = {
  identity: { functionName: "sml-local-fn", region: "us-east-1", timeoutSeconds: 3, memoryMB: 128 },
  handler: async (event) => {
    events.push(event);
    return { statusCode: 200, body: "{}" };
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sml-auth-"));
  gateway = await startApiGateway({
    host: "127.0.0.1",
    port: 0,
    functions: { api: recording, batches: recording, prediction: recording },
    authorizer: () => issuer.authorizer,
    frontDoor: createFrontDoor({ siteDir: join(dir, "site"), issuer: () => issuer, connectOrigins: [] }),
  });
  issuer = createLocalIssuer({ localDir: dir, origin: gateway.url });
});

afterAll(async () => {
  await gateway.stop(100);
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);
const claimsOf = (overrides: Record<string, unknown> = {}) => ({
  sub: "s",
  iss: issuer.issuer,
  client_id: LOCAL_CLIENT_ID,
  token_use: "access",
  iat: now() - 10,
  exp: now() + 600,
  ...overrides,
});
async function getBatches(authorization?: string | string[]) {
  events.length = 0;
  const res = await fetch(`${gateway.url}/batches`, {
    headers: authorization === undefined ? {} : { authorization: String(authorization) },
  });
  return { status: res.status, body: await res.text(), ran: events.length };
}

describe("the local JWT authorizer", () => {
  it("passes a valid token's claims on as API Gateway does (strings, arrays as [a b])", async () => {
    const token = accessToken(issuer.key, issuer.issuer, {
      username: "alice",
      groups: ["analysts", "admins"],
    });
    const res = await getBatches(`Bearer ${token}`);
    expect(res.status).toBe(200);
    const context = events[0]?.requestContext as unknown as {
      authorizer: { jwt: { claims: Record<string, string> } };
    };
    const claims = context.authorizer.jwt.claims;
    expect(claims["cognito:groups"]).toBe("[analysts admins]");
    expect(typeof claims.exp).toBe("string");
    expect(claims.email).toBeUndefined();
    expect(callerFromClaims(claims)).toEqual({
      sub: localSub(issuer.key.kid, "alice"),
      groups: ["analysts", "admins"],
      admin: true,
    });
    // Without the `Bearer ` prefix too.
    expect((await getBatches(token)).status).toBe(200);
  });

  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  it.each<[string, () => string | undefined]>([
    ["no Authorization header", () => undefined],
    [
      "a token of another key with the same kid",
      () => signJwt({ ...issuer.key, privateKey: other }, claimsOf()),
    ],
    ["an unknown kid", () => signJwt({ ...issuer.key, kid: "nope" }, claimsOf())],
    ["another issuer", () => signJwt(issuer.key, claimsOf({ iss: "https://elsewhere.example" }))],
    ["another audience", () => signJwt(issuer.key, claimsOf({ client_id: "another-client" }))],
    // aud, when present, is what API Gateway checks: a matching client_id does not rescue another aud.
    [
      "aud naming another client beside the site's client_id",
      () => signJwt(issuer.key, claimsOf({ aud: "another-client", client_id: LOCAL_CLIENT_ID })),
    ],
    ["an expired token", () => signJwt(issuer.key, claimsOf({ exp: now() - 1 }))],
    ["a token not yet valid (nbf)", () => signJwt(issuer.key, claimsOf({ nbf: now() + 300 }))],
    ["a token issued in the future (iat)", () => signJwt(issuer.key, claimsOf({ iat: now() + 300 }))],
    [
      "alg none",
      () => {
        const t = signJwt(issuer.key, claimsOf()).split(".");
        return `${Buffer.from(JSON.stringify({ alg: "none", kid: issuer.key.kid })).toString("base64url")}.${t[1]}.`;
      },
    ],
    [
      "a tampered payload",
      () => {
        const t = signJwt(issuer.key, claimsOf()).split(".");
        return `${t[0]}.${Buffer.from(JSON.stringify(claimsOf({ sub: "someone-else" }))).toString("base64url")}.${t[2]}`;
      },
    ],
    ["not a JWT", () => "garbage"],
  ])('answers 401 {"message":"Unauthorized"} without running the function for %s', async (_, token) => {
    const t = token();
    const res = await getBatches(t === undefined ? undefined : `Bearer ${t}`);
    expect(res).toEqual({ status: 401, body: '{"message":"Unauthorized"}', ran: 0 });
  });

  it("leaves the routes the table marks open open, and protects every other one", async () => {
    for (const route of ROUTES) {
      events.length = 0;
      const path = route.path.replace(/\{[^}]+\}/g, "6b1f0c7e-2d4a-4e8b-9c3f-5a7d1e2b8c90");
      const res = await fetch(`${gateway.url}${path}`, { method: route.method });
      expect([`${route.method} ${route.path}`, res.status]).toEqual([
        `${route.method} ${route.path}`,
        route.authorized ? 401 : 200,
      ]);
    }
  });

  it("gives each user name one stable sub per key, and different users different subs", () => {
    expect(localSub("k", "alice")).toBe(localSub("k", "alice"));
    expect(localSub("k", "alice")).not.toBe(localSub("k", "bob"));
    expect(localSub("k", "alice")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("keeps one owner-only key per local folder", () => {
    expect(loadSigningKey(dir).kid).toBe(issuer.key.kid);
    expect(statSync(join(dir, "auth", "signing-key.json")).mode & 0o777).toBe(0o600);
  });

  it("refuses unknown groups and odd user names when signing", () => {
    expect(() => accessToken(issuer.key, issuer.issuer, { username: "a", groups: ["root"] })).toThrow(
      /Unknown group root/,
    );
    expect(() => accessToken(issuer.key, issuer.issuer, { username: "a b" })).toThrow(/must match/);
    expect(() => parseTokenArgs([])).toThrow(/Usage/);
    expect(parseTokenArgs(["alice", "--group", "admins"])).toEqual({ user: "alice", groups: ["admins"] });
  });

  it("accepts an ID token by its aud alone (no client_id)", async () => {
    const { client_id: _, ...claims } = claimsOf({ aud: LOCAL_CLIENT_ID, token_use: "id" });
    expect((await getBatches(`Bearer ${signJwt(issuer.key, claims)}`)).status).toBe(200);
  });

  it("verifies as a pure function too: the claims, or undefined", () => {
    const token = accessToken(issuer.key, issuer.issuer, { username: "bob" });
    expect(verifyBearer(`Bearer ${token}`, issuer.authorizer)?.username).toBe("bob");
    expect(verifyBearer(`Bearer ${token}`, issuer.authorizer, now() + 7200)).toBeUndefined();
  });
});

describe("the local sign-in (authorization code + PKCE S256)", () => {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const authorize = (extra: Record<string, string> = {}) =>
    new URLSearchParams({
      response_type: "code",
      client_id: LOCAL_CLIENT_ID,
      redirect_uri: `${gateway.url}/`,
      state: "st",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra,
    });
  async function codeFor(username: string): Promise<string> {
    const res = await fetch(`${issuer.issuer}/oauth2/authorize`, {
      method: "POST",
      body: new URLSearchParams({ ...Object.fromEntries(authorize()), username }),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") as string);
    expect(location.origin + location.pathname).toBe(`${gateway.url}/`);
    expect(location.searchParams.get("state")).toBe("st");
    return location.searchParams.get("code") as string;
  }
  const exchange = (code: string, codeVerifier = verifier) =>
    fetch(`${issuer.issuer}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: LOCAL_CLIENT_ID,
        redirect_uri: `${gateway.url}/`,
        code,
        code_verifier: codeVerifier,
      }),
    });

  it("shows a labelled sign-in form, then trades a code and its verifier for a token the gateway accepts, once", async () => {
    const form = await (await fetch(`${issuer.issuer}/oauth2/authorize?${authorize()}`)).text();
    expect(form).toMatch(/<label for="username">/);
    const code = await codeFor("carol");
    const res = await exchange(code);
    expect(res.status).toBe(200);
    const token = (await res.json()) as { access_token: string; token_type: string };
    expect(token.token_type).toBe("Bearer");
    expect((await getBatches(`Bearer ${token.access_token}`)).status).toBe(200);
    // A code is good for one exchange.
    expect((await exchange(code)).status).toBe(400);
  });

  it("refuses a wrong verifier, a foreign redirect and a missing challenge", async () => {
    expect((await exchange(await codeFor("dave"), randomBytes(32).toString("base64url"))).status).toBe(400);
    const foreign = await fetch(
      `${issuer.issuer}/oauth2/authorize?${authorize({ redirect_uri: "https://evil.example/" })}`,
      {
        redirect: "manual",
      },
    );
    expect(foreign.status).toBe(400);
    const plain = await fetch(
      `${issuer.issuer}/oauth2/authorize?${authorize({ code_challenge_method: "plain" })}`,
    );
    expect(plain.status).toBe(400);
  });
});
