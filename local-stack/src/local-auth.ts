/**
 * Local sign-in: what Cognito and API Gateway's JWT authorizer do in AWS, on this machine.
 *
 * - The issuer signs RS256 access tokens shaped like Cognito's (`sub`, `client_id`, `token_use`, `username`,
 *   `cognito:groups`, `scope`, `iss`, `exp`, `iat`, `jti`; no e-mail address) with a key made once per local folder
 *   (`.local/auth/signing-key.json`, owner-only), and serves its JWKS at `<issuer>/.well-known/jwks.json`.
 * - It serves Cognito's OAuth endpoints for the site: `/oauth2/authorize` (a form asking for a user name: there are
 *   no passwords locally) and `/oauth2/token` (authorization code + PKCE S256, one-time codes), and `/logout`.
 * - `verifyBearer` checks a request the way the HTTP API's JWT authorizer does (AWS, API Gateway developer guide,
 *   "Controlling access to HTTP APIs with JWT authorizers"): the token from the Authorization header (with or
 *   without `Bearer `), RS256 signed by a key of the JWKS (`kid`), `iss` equal to the issuer, `aud` or `client_id`
 *   one of the audiences, `exp` in the future, `nbf` and `iat` not in the future. It returns the claims as API
 *   Gateway passes them to the function (strings; an array as `[a b]`), or undefined: API Gateway's 401.
 *
 * node:crypto does the RS256 work (no dependency): the one algorithm and the checks above are all there is.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { GROUPS_CLAIM, USER_GROUPS } from "@sml/contracts/auth";

/** Where the issuer is served, under the local stack's address (Cognito's would be its own domain). */
export const LOCAL_AUTH_PATH = "/auth";
/** The site's app client id, locally (in AWS: the pool's site client). */
export const LOCAL_CLIENT_ID = "sml-local-site";
/** Cognito's default access-token lifetime. */
export const LOCAL_TOKEN_SECONDS = 3600;
/** How long an authorization code may wait for its token request (Cognito: 5 minutes). */
const CODE_SECONDS = 300;
const KEY_FILE = join("auth", "signing-key.json");
/** User names the local sign-in accepts: letters, digits, `.`, `_`, `-` (they end up in a token, not in logs). */
export const LOCAL_USER_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

interface StoredKey {
  readonly kid: string;
  readonly privateJwk: JsonWebKey;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JsonWebKey & { kid: string; alg: "RS256"; use: "sig" };
}

/**
 * The local folder's signing key, made on first use. Created with O_EXCL so that `npm start` and
 * `npm run token` racing on a fresh folder end up with one key.
 */
export function loadSigningKey(localDir: string): SigningKey {
  const file = join(localDir, KEY_FILE);
  mkdirSync(join(localDir, "auth"), { recursive: true, mode: 0o700 });
  let stored: StoredKey;
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as StoredKey;
  else {
    // Generating a key takes tens of milliseconds: only when there is none.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    stored = { kid: randomUUID(), privateJwk: privateKey.export({ format: "jwk" }) };
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${JSON.stringify(stored)}\n`);
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      stored = JSON.parse(readFileSync(file, "utf8")) as StoredKey;
    }
  }
  const privateKey = createPrivateKey({ key: stored.privateJwk, format: "jwk" });
  const { n, e, kty } = createPublicKey(privateKey).export({ format: "jwk" });
  return { kid: stored.kid, privateKey, publicJwk: { kty, n, e, kid: stored.kid, alg: "RS256", use: "sig" } };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export interface LocalUser {
  readonly username: string;
  readonly groups?: readonly string[];
}

export type Claims = Record<string, string | number | string[]>;

/** A stable `sub` per user name and key, shaped like Cognito's (a UUID): the same person keeps their batches. */
export function localSub(kid: string, username: string): string {
  const h = createHash("sha256").update(`${kid}\0${username}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function signJwt(key: SigningKey, claims: Claims): string {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** An access token as Cognito issues them for the site's client. */
export function accessToken(
  key: SigningKey,
  issuer: string,
  user: LocalUser,
  now = Math.floor(Date.now() / 1000),
  seconds = LOCAL_TOKEN_SECONDS,
): string {
  if (!LOCAL_USER_PATTERN.test(user.username)) {
    throw new Error(`User name ${JSON.stringify(user.username)} must match ${LOCAL_USER_PATTERN}`);
  }
  const unknown = (user.groups ?? []).filter((g) => !(USER_GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0)
    throw new Error(`Unknown group ${unknown.join(", ")}; the groups are ${USER_GROUPS.join(", ")}`);
  return signJwt(key, {
    sub: localSub(key.kid, user.username),
    iss: issuer,
    client_id: LOCAL_CLIENT_ID,
    token_use: "access",
    scope: "openid",
    username: user.username,
    ...(user.groups?.length ? { [GROUPS_CLAIM]: [...user.groups] } : {}),
    auth_time: now,
    iat: now,
    exp: now + seconds,
    jti: randomUUID(),
  });
}

export interface AuthorizerSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwks: readonly SigningKey["publicJwk"][];
}

/**
 * What API Gateway's JWT authorizer makes of an Authorization header: the claims it passes on (every value a
 * string, arrays as `[a b]`), or undefined for its 401.
 */
export function verifyBearer(
  header: string | undefined,
  settings: AuthorizerSettings,
  now = Math.floor(Date.now() / 1000),
): Record<string, string> | undefined {
  if (!header) return undefined;
  const token = header.replace(/^Bearer\s+/i, "").trim();
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  let head: { alg?: unknown; kid?: unknown };
  let claims: Record<string, unknown>;
  try {
    head = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return undefined;
  if (head.alg !== "RS256") return undefined;
  const jwk = settings.jwks.find((k) => k.kid === head.kid);
  if (!jwk) return undefined;
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    createPublicKey({ key: jwk, format: "jwk" }),
    Buffer.from(s, "base64url"),
  );
  if (!ok) return undefined;
  if (claims.iss !== settings.issuer) return undefined;
  // API Gateway checks `aud` when the token has one (an ID token) and `client_id` only when it has none (an access
  // token): "API Gateway validates client_id only if aud is not present" (API Gateway developer guide, "Control
  // access to HTTP APIs with JWT authorizers"). A token whose aud names another client is refused, whatever its
  // client_id says.
  const audiences = [claims.aud !== undefined ? claims.aud : claims.client_id].flat();
  if (!audiences.some((a) => typeof a === "string" && settings.audience.includes(a))) return undefined;
  if (typeof claims.exp !== "number" || claims.exp <= now) return undefined;
  if (typeof claims.nbf === "number" && claims.nbf > now) return undefined;
  if (typeof claims.iat === "number" && claims.iat > now) return undefined;
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(" ")}]` : String(v)]),
  );
}

// ---- OAuth endpoints for the site (authorization code + PKCE) ---------------------------------------------------

interface PendingCode {
  readonly user: LocalUser;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly expires: number;
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly key: SigningKey;
  readonly authorizer: AuthorizerSettings;
  /** Answers a request under LOCAL_AUTH_PATH; false when the path is not one of its endpoints. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The local issuer at `<origin>/auth`. `allowedRedirectOrigins` are the site's origins (the local stack's own):
 * a code is only ever sent back there, as Cognito only redirects to an app client's callback URLs.
 */
export function createLocalIssuer(options: {
  readonly localDir: string;
  readonly origin: string;
  readonly now?: () => number;
}): LocalIssuer {
  const key = loadSigningKey(options.localDir);
  const issuer = `${options.origin}${LOCAL_AUTH_PATH}`;
  const nowSeconds = options.now ?? (() => Math.floor(Date.now() / 1000));
  const codes = new Map<string, PendingCode>();
  const allowedRedirect = (uri: string) => {
    try {
      return new URL(uri).origin === options.origin;
    } catch {
      return false;
    }
  };
  const authorizer: AuthorizerSettings = { issuer, audience: [LOCAL_CLIENT_ID], jwks: [key.publicJwk] };

  const authorizeForm = (params: URLSearchParams): string => {
    const hidden = ["client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope"]
      .map((n) => `<input type="hidden" name="${n}" value="${escapeHtml(params.get(n) ?? "")}">`)
      .join("");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local sign-in</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:1rem 0 .25rem}input[type=text]{font:inherit;padding:.4rem;width:100%}button{font:inherit;margin-top:1rem;padding:.4rem 1rem}</style>
</head><body><main><h1>Local sign-in</h1>
<p>The local stack has no passwords: any user name signs in as that user (in AWS, Cognito asks for a password).</p>
<form method="post">${hidden}
<label for="username">User name</label><input type="text" id="username" name="username" required autofocus pattern="[A-Za-z0-9._\\-]{1,64}" autocomplete="username">
<label><input type="checkbox" name="admin" value="1"> Member of <code>admins</code> (sees everyone's batches)</label>
<button type="submit">Sign in</button></form></main></body></html>`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): boolean => {
    const url = new URL(req.url ?? "/", options.origin);
    const path = url.pathname.slice(LOCAL_AUTH_PATH.length);
    const method = (req.method ?? "GET").toUpperCase();
    if (path === "/.well-known/jwks.json" && method === "GET") {
      sendJson(res, 200, { keys: [key.publicJwk] });
      return true;
    }
    if (path === "/.well-known/openid-configuration" && method === "GET") {
      sendJson(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/oauth2/authorize`,
        token_endpoint: `${issuer}/oauth2/token`,
        end_session_endpoint: `${issuer}/logout`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
      return true;
    }
    if (path === "/oauth2/authorize") {
      const params = method === "POST" ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
      const clientId = params.get("client_id") ?? "";
      const redirectUri = params.get("redirect_uri") ?? "";
      const challenge = params.get("code_challenge") ?? "";
      // Cognito refuses an unknown client or a callback it does not list, without redirecting anywhere.
      if (clientId !== LOCAL_CLIENT_ID || !allowedRedirect(redirectUri)) {
        sendJson(res, 400, {
          error: "invalid_request",
          error_description: "unknown client_id or redirect_uri",
        });
        return true;
      }
      if (params.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
        sendJson(res, 400, { error: "invalid_request", error_description: "PKCE with S256 is required" });
        return true;
      }
      if (method === "GET") {
        const html = authorizeForm(params);
        res.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "content-security-policy":
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        });
        res.end(html);
        return true;
      }
      const username = (params.get("username") ?? "").trim();
      if (!LOCAL_USER_PATTERN.test(username)) {
        sendJson(res, 400, {
          error: "invalid_request",
          error_description: `user name must match ${LOCAL_USER_PATTERN}`,
        });
        return true;
      }
      const groups = params.get("admin") ? ["analysts", "admins"] : ["analysts"];
      const code = b64url(randomBytes(24));
      codes.set(code, {
        user: { username, groups },
        clientId,
        redirectUri,
        challenge,
        expires: nowSeconds() + CODE_SECONDS,
      });
      const target = new URL(redirectUri);
      target.searchParams.set("code", code);
      const state = params.get("state");
      if (state) target.searchParams.set("state", state);
      res.writeHead(302, { location: target.toString(), "cache-control": "no-store" });
      res.end();
      return true;
    }
    if (path === "/oauth2/token" && method === "POST") {
      const form = new URLSearchParams(body.toString("utf8"));
      const code = form.get("code") ?? "";
      const pending = codes.get(code);
      codes.delete(code);
      const verifier = form.get("code_verifier") ?? "";
      const expected = pending && b64url(createHash("sha256").update(verifier).digest());
      if (
        form.get("grant_type") !== "authorization_code" ||
        !pending ||
        pending.expires < nowSeconds() ||
        pending.clientId !== form.get("client_id") ||
        pending.redirectUri !== form.get("redirect_uri") ||
        expected !== pending.challenge
      ) {
        sendJson(res, 400, { error: "invalid_grant" });
        return true;
      }
      sendJson(res, 200, {
        access_token: accessToken(key, issuer, pending.user, nowSeconds()),
        token_type: "Bearer",
        expires_in: LOCAL_TOKEN_SECONDS,
      });
      return true;
    }
    if (path === "/logout" && method === "GET") {
      const logoutUri = url.searchParams.get("logout_uri") ?? "";
      res.writeHead(302, { location: allowedRedirect(logoutUri) ? logoutUri : `${options.origin}/` });
      res.end();
      return true;
    }
    return false;
  };

  return { issuer, clientId: LOCAL_CLIENT_ID, key, authorizer, handle };
}
