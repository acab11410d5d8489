/**
 * Who calls: the Cognito groups the pool defines (infra) and the site and handlers read, and how a caller is
 * read from the claims API Gateway's JWT authorizer passes to a function (payload 2.0:
 * `requestContext.authorizer.jwt.claims`). The local gateway passes the same claims in the same shape.
 */

/** The pool's groups. `analysts` score files and see their own batches; `admins` also see everyone's. */
export const USER_GROUPS = ["analysts", "admins"] as const;
export type UserGroup = (typeof USER_GROUPS)[number];
export const ADMIN_GROUP: UserGroup = "admins";

/** The claim Cognito puts a user's groups in (ID and access tokens). */
export const GROUPS_CLAIM = "cognito:groups";

/** A caller as the functions know it: the token's `sub` (stable, never an e-mail address) and its groups. */
export interface Caller {
  readonly sub: string;
  readonly groups: readonly string[];
  readonly admin: boolean;
}

export type JwtClaims = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/**
 * A claim holding a list, in the two forms it reaches a function: a JSON array (a direct invocation, the local
 * gateway's tests), or the string API Gateway's HTTP API makes of an array claim, `[admins analysts]` (bracketed,
 * space-separated; measured on real API Gateway, see floci-io/floci#2011 and
 * aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock#803). That string splits on spaces
 * only: a Cognito group name cannot hold whitespace (CreateGroup's GroupName pattern is
 * `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`) but may hold a comma, so `x,admins` is one group, never `admins`. A string
 * without the brackets is one value.
 */
export function listClaim(value: JwtClaims[string]): string[] {
  if (value === undefined || typeof value === "number" || typeof value === "boolean") return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string" && v.length > 0);
  const text = value as string;
  if (!(text.startsWith("[") && text.endsWith("]"))) return text.length > 0 ? [text] : [];
  return text
    .slice(1, -1)
    .split(" ")
    .filter((v) => v.length > 0);
}

/** The caller the claims name, or undefined when they name nobody (no `sub`). */
export function callerFromClaims(claims: JwtClaims | undefined): Caller | undefined {
  const sub = claims?.sub;
  if (typeof sub !== "string" || sub.length === 0) return undefined;
  const groups = listClaim(claims?.[GROUPS_CLAIM]);
  return { sub, groups, admin: groups.includes(ADMIN_GROUP) };
}
