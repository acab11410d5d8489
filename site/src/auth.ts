/**
 * Sign-in for the page: OAuth 2.0 authorization code with PKCE (RFC 7636, S256) against the environment's
 * authority (Cognito's domain in AWS, the local issuer on `npm start`), with a public client (no secret). The
 * access token lives in this tab's sessionStorage only, and is sent as `Authorization: Bearer` to the API on the
 * same origin. The page never reads or shows an e-mail address: it names people by their user name.
 */
import type { SiteConfig } from "@sml/contracts/site";

const TOKEN_KEY = "sml.token";
const PENDING_KEY = "sml.pending";

export interface Session {
  readonly token: string;
  readonly username: string;
  readonly groups: readonly string[];
  readonly expiresAt: number;
}

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

/** The redirect URI: the page itself (the app client lists it as its callback). */
export const redirectUri = () => `${location.origin}/`;

/** The session the token describes (decoded, not verified: the API verifies it), or undefined when expired. */
export function sessionOf(token: string, now = Date.now()): Session | undefined {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = JSON.parse(
      decodeURIComponent(
        Array.from(
          atob(payload.replace(/-/g, "+").replace(/_/g, "/")),
          (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
        ).join(""),
      ),
    ) as { exp?: number; username?: string; "cognito:username"?: string; "cognito:groups"?: string[] };
    const expiresAt = (json.exp ?? 0) * 1000;
    if (expiresAt <= now) return undefined;
    return {
      token,
      username: json.username ?? json["cognito:username"] ?? "signed in",
      groups: json["cognito:groups"] ?? [],
      expiresAt,
    };
  } catch {
    return undefined;
  }
}

export function currentSession(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const session = token ? sessionOf(token) : undefined;
  if (token && !session) sessionStorage.removeItem(TOKEN_KEY);
  return session;
}

/** Sends the browser to the authority's sign-in page with a fresh PKCE verifier and state. */
export async function signIn(config: SiteConfig): Promise<void> {
  const verifier = random(32);
  const state = random(16);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: "openid",
    state,
    code_challenge: b64url(digest),
    code_challenge_method: "S256",
  });
  location.assign(`${config.authority}/oauth2/authorize?${params}`);
}

/**
 * Completes a sign-in when the page was opened by the authority's redirect (`?code=&state=`): checks the state,
 * trades the code and verifier for tokens, and removes them from the address bar. Undefined when there is none.
 */
export async function completeSignIn(config: SiteConfig): Promise<Session | undefined> {
  const url = new URL(location.href);
  const code = url.searchParams.get("code");
  if (!code) return undefined;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", url.pathname);
  if (!pending || pending.state !== url.searchParams.get("state"))
    throw new Error("The sign-in answer does not match this tab's request; sign in again.");
  const res = await fetch(`${config.authority}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      redirect_uri: redirectUri(),
      code,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`Sign-in failed (${res.status}); sign in again.`);
  const { access_token: token } = (await res.json()) as { access_token: string };
  const session = sessionOf(token);
  if (!session) throw new Error("The sign-in returned an expired token; check this computer's clock.");
  sessionStorage.setItem(TOKEN_KEY, token);
  return session;
}

export function signOut(config: SiteConfig): void {
  sessionStorage.removeItem(TOKEN_KEY);
  const params = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() });
  location.assign(`${config.authority}/logout?${params}`);
}
